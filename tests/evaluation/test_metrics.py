"""Metrics against hand-computed values, ties included."""
import math

import pytest
import torch

from fgnn.evaluation.metrics import (
    hit_rate_at_k,
    item_ranks,
    length_buckets,
    mrr_at_k,
    ndcg_at_k,
    popularity_buckets,
    slice_metrics,
    summarize,
    target_ranks,
)


def test_ranks_count_ties_against_the_target():
    scores = torch.tensor([[0.1, 0.9, 0.5, 0.5],
                           [0.3, 0.3, 0.3, 0.3],
                           [4.0, 3.0, 2.0, 1.0],
                           [0.0, 0.7, 0.0, 0.0],
                           [1.0, float("nan"), 0.0, 0.0]])
    targets = torch.tensor([2, 1, 3, 0, 1])
    # row 0: 0.9 is higher and one other item ties at 0.5 -> rank 3
    # row 1: everything tied -> last (rank 4): scoring everything equal never hits
    # row 2: no ties, three higher -> rank 4 (= 1 + number strictly higher)
    # row 3: a kNN-style zero score: after the one scored item and both zero ties -> rank 4
    # row 4: a NaN target score ranks last
    assert target_ranks(scores, targets).tolist() == [3, 4, 4, 4, 4]


def test_without_ties_rank_is_one_plus_strictly_higher():
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(50, 1000, generator=g)
    targets = torch.randint(0, 1000, (50,), generator=g)
    higher = (scores > scores.gather(1, targets.view(-1, 1))).sum(1) + 1
    assert torch.equal(target_ranks(scores, targets), higher)


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


def test_fast_count_equals_the_boolean_count_with_many_ties():
    g = torch.Generator().manual_seed(1)
    scores = torch.randint(0, 4, (64, 500), generator=g).float()  # heavy ties, kNN-like zeros
    targets = torch.randint(0, 500, (64,), generator=g)
    expected = (scores >= scores.gather(1, targets.view(-1, 1))).sum(1)
    assert torch.equal(target_ranks(scores, targets), expected)
    assert torch.equal(target_ranks(scores.long(), targets), expected)  # integer scores work too
    kept = scores.clone()
    target_ranks(scores, targets)
    assert torch.equal(scores, kept)  # not in place unless asked
    target_ranks(scores, targets, inplace=True)
    assert not torch.equal(scores, kept)


def test_nan_scores_count_against_the_target():
    scores = torch.tensor([[0.9, float("nan"), 0.1], [0.9, 0.5, 0.1], [float("nan"), 0.5, 0.1]])
    # another item's NaN counts as scored at least as high; a NaN target ranks last
    assert target_ranks(scores, torch.tensor([0, 0, 0])).tolist() == [2, 1, 3]


def test_item_ranks_ties_do_not_flatter():
    scores = torch.tensor([[1.0, 3.0, 3.0, 0.5]])
    # items 2 and 3 (columns 1 and 2) tie at the top: each is ranked after the other, as in evaluation
    assert item_ranks(scores, [1, 2, 0, 3]).tolist() == [[2, 2, 3, 4]]
    for item in (1, 2, 3, 4):
        assert item_ranks(scores, [item - 1]).item() == target_ranks(scores, torch.tensor([item - 1])).item()


def test_item_ranks_equal_the_pairwise_count():
    g = torch.Generator().manual_seed(0)
    scores = torch.randint(0, 6, (7, 50), generator=g).float()  # many ties
    items = [1, 5, 17, 50, 33]
    expected = (scores.unsqueeze(1) >= scores[:, [i - 1 for i in items]].unsqueeze(2)).sum(dim=2)
    assert torch.equal(item_ranks(scores, [i - 1 for i in items]), expected)


def test_item_ranks_follow_target_ranks_on_ties_nan_and_infinities():
    """One rule: every column ranked by item_ranks equals target_ranks of that column."""
    nan, inf = float("nan"), float("inf")
    scores = torch.tensor([[0.5, nan, 0.2, 0.9, 0.5, inf],
                           [nan, nan, 0.0, 0.0, -inf, 1.0],
                           [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    # row 0: 0.9 has the NaN and +inf at least as high -> 3; a NaN item ranks last (6)
    assert item_ranks(scores, range(6)).tolist()[0] == [5, 6, 6, 3, 5, 2]
    g = torch.Generator().manual_seed(3)
    for _ in range(20):
        s = torch.randint(0, 4, (6, 15), generator=g).float()
        u = torch.rand(6, 15, generator=g)
        s[u < 0.1], s[(u >= 0.1) & (u < 0.15)], s[(u >= 0.15) & (u < 0.2)] = nan, inf, -inf
        ranks = item_ranks(s, range(15))
        for c in range(15):
            assert torch.equal(ranks[:, c], target_ranks(s, torch.full((6,), c)))
    assert item_ranks(torch.tensor([[3, 1, 3, 0]]), range(4)).tolist() == [[2, 3, 2, 4]]  # integer scores
    assert item_ranks(scores, []).shape == (3, 0)


@pytest.mark.parametrize("block", [1, 7, 50, 64, None])
def test_embedding_ranks_equal_ranks_of_the_full_score_matrix(block):
    from fgnn.evaluation.metrics import embedding_ranks
    g = torch.Generator().manual_seed(2)
    # small integers: every product is exact, so ties are exact and plentiful
    table = torch.randint(-2, 3, (50, 4), generator=g).float()
    table[10] = table[3]  # duplicate rows tie with each other
    session = torch.randint(-2, 3, (40, 4), generator=g).float()
    targets = torch.cat([torch.tensor([0, 3, 10, 49, 6, 7]), torch.randint(0, 50, (34,), generator=g)])
    expected = target_ranks(session @ table.t(), targets)
    assert torch.equal(embedding_ranks(session, table, targets, block=block), expected)
    # float embeddings as a trained network has them
    table, session = torch.randn(300, 16, generator=g), torch.randn(40, 16, generator=g)
    targets = torch.randint(0, 300, (40,), generator=g)
    expected = target_ranks(session @ table.t(), targets)
    assert torch.equal(embedding_ranks(session, table, targets, block=block), expected)


def test_embedding_ranks_nan_and_empty():
    from fgnn.evaluation.metrics import embedding_ranks
    table = torch.tensor([[1.0], [float("nan")], [0.5]])
    session = torch.tensor([[1.0], [float("nan")]])
    # row 0: target item 0 (score 1.0), item 1's NaN counts as at least as high -> rank 2
    # row 1: a NaN session scores everything NaN -> last
    assert embedding_ranks(session, table, torch.tensor([0, 2]), block=2).tolist() == [2, 3]
    assert embedding_ranks(session[:0], table, torch.tensor([], dtype=torch.long)).numel() == 0


def test_embedding_ranks_take_a_trainable_table():
    from fgnn.evaluation.metrics import embedding_ranks
    table = torch.nn.Parameter(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]))
    session = torch.tensor([[2.0, 1.0]], requires_grad=True)
    # scores 2, 1, 1.5: item 1 (score 1) is last
    assert embedding_ranks(session, table, torch.tensor([1])).tolist() == [3]
