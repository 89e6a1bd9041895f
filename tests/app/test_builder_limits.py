"""The session builder's work is bounded: a session length cap with a message,
and what-if linear in the session length (the last clicks only); its ranks (no B x K x N tensor) are
fgnn.evaluation.metrics.item_ranks, tested in tests/evaluation/test_metrics.py."""
from __future__ import annotations

from pathlib import Path

import pytest

from fgnn.app import builder
from fgnn.errors import DataError
from fgnn.evaluation import ranking
from fgnn.models.checkpoint import load_model

FGNN_CKPT = Path(__file__).resolve().parents[2] / "checkpoints" / "fgnn-sample" / "best.pt"


@pytest.fixture(scope="module")
def fgnn_model(ds):
    return load_model(FGNN_CKPT, ds)[0]


def test_a_session_over_the_cap_is_refused_with_a_message(ds, fgnn_model):
    ids = ds.item_ids[1:].tolist()
    long = [ids[i % len(ids)] for i in range(ranking.MAX_SESSION_CLICKS + 1)]
    with pytest.raises(DataError) as info:
        ranking.session_indices(ds, long)
    assert f"{len(long)} clicks" in str(info.value) and str(ranking.MAX_SESSION_CLICKS) in str(info.value)
    assert len(ranking.session_indices(ds, long[:-1])) == ranking.MAX_SESSION_CLICKS
    with pytest.raises(DataError, match="more than the"):
        builder.whatif_ranks(fgnn_model, ds, [ids[0]] * 2000)  # 2,000 clicks: refused, not scored


def test_whatif_is_linear_in_the_session_length():
    for n in (1, 2, 5, 20, 21, 200, 2000):
        ids = list(range(100, 100 + n))
        variants = builder.whatif_variants(ids)
        assert len(variants) == 3 + (min(n, builder.WHATIF_LAST_CLICKS) if n > 1 else 0)
        assert sum(len(v) for _, v in variants) <= (3 + builder.WHATIF_LAST_CLICKS) * n
    variants = dict(builder.whatif_variants(list(range(100, 150))))  # 50 clicks: the last 20 removed
    assert "without click 30 (item 129)" not in variants
    assert variants["without click 31 (item 130)"] == list(range(100, 130)) + list(range(131, 150))
    assert variants["without click 50 (item 149)"] == list(range(100, 149))


def test_whatif_of_a_capped_session_runs(ds, fgnn_model):
    ids = ds.item_ids[1:].tolist()
    session = [ids[(7 * i) % len(ids)] for i in range(ranking.MAX_SESSION_CLICKS)]
    rows = builder.whatif_ranks(fgnn_model, ds, session, 10)
    assert len(rows) == (3 + builder.WHATIF_LAST_CLICKS) * 10
    assert rows[rows.variant == "original"]["rank"].tolist() == list(range(1, 11))


def test_typed_ids_beyond_64_bits_are_refused_by_name():
    with pytest.raises(DataError, match="64 bits"):
        builder.parse_item_ids(f"12, {10**30}")
    for bad in ("1_000", "٣", "1e3", "inf"):
        with pytest.raises(DataError, match="is not an item id"):
            builder.parse_item_ids(f"12, {bad}")
    assert builder.parse_item_ids(f"+5 -> {2**63 - 1}") == [5, 2**63 - 1]
