"""Metrics against hand-computed values, ties included."""
import math

import pytest
import torch

from fgnn.metrics import (hit_rate_at_k, length_buckets, mrr_at_k, ndcg_at_k, popularity_buckets, slice_metrics,
                          summarize, target_ranks)


def test_ranks_count_strictly_higher_scores_only():
    scores = torch.tensor([[0.1, 0.9, 0.5, 0.5],
                           [0.3, 0.3, 0.3, 0.3],
                           [4.0, 3.0, 2.0, 1.0]])
    targets = torch.tensor([2, 1, 3])
    # row 0: only 0.9 is higher than 0.5 (the tie at 0.5 does not count) -> rank 2
    # row 1: everything tied -> rank 1; row 2: three higher -> rank 4
    assert target_ranks(scores, targets).tolist() == [2, 1, 4]


def test_hand_computed_metrics():
    ranks = torch.tensor([1, 2, 4, 30])
    assert hit_rate_at_k(ranks, 3) == pytest.approx(50.0)
    assert hit_rate_at_k(ranks, 20) == pytest.approx(75.0)
    assert mrr_at_k(ranks, 3) == pytest.approx((1 + 0.5) / 4 * 100)
    assert mrr_at_k(ranks, 20) == pytest.approx((1 + 0.5 + 0.25) / 4 * 100)
    assert ndcg_at_k(ranks, 20) == pytest.approx((1 + 1 / math.log2(3) + 1 / math.log2(5)) / 4 * 100)
    m = summarize(ranks, [3, 20])
    assert m["n"] == 4 and m["hit@3"] == pytest.approx(50.0) and m["mrr@20"] == pytest.approx(43.75)


def test_empty_ranks_give_zero():
    empty = torch.zeros(0, dtype=torch.long)
    assert hit_rate_at_k(empty, 20) == 0.0 and mrr_at_k(empty, 20) == 0.0 and ndcg_at_k(empty, 20) == 0.0


def test_slices():
    lengths = torch.tensor([1, 2, 3, 4, 5, 12])
    groups, labels = length_buckets(lengths)
    assert labels == ["1", "2", "3-4", "5-9", "10+"]
    assert groups.tolist() == [0, 1, 2, 2, 3, 4]
    ranks = torch.tensor([1, 50, 2, 3, 1, 21])
    rows = slice_metrics(ranks, groups, labels, k=20)
    assert [r["n"] for r in rows] == [1, 1, 2, 1, 1]
    assert rows[2]["hit"] == pytest.approx(100.0) and rows[2]["mrr"] == pytest.approx((0.5 + 1 / 3) / 2 * 100)
    assert rows[4]["hit"] == 0.0
    g, lab = popularity_buckets(torch.tensor([1, 2, 3, 4, 5, 6, 7, 100]), 4)
    assert len(lab) == 4 and g.min() >= 0 and g.max() <= 3 and g[0] == 0 and g[-1] == 3
