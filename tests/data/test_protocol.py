"""The protocol of docs/protocol.md: checked values, exact order against a plain-Python reference, SR-GNN pickles."""
from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from fgnn.data.protocol import apply_protocol, prepared_from_srgnn, sessions_from_augmented
from fgnn.data.readers import read_diginetica, read_srgnn_folder
from fgnn.data.sessions import SessionPairs
from fgnn.errors import DataError

from .conftest import SAMPLE_VIEWS, shared_folder

DAY = 86400


def reference_protocol(rows, test_days, min_support=5, min_len=2, date_rule="last_click"):
    """docs/protocol.md written plainly, after SR-GNN's preprocess.py (dicts keep first-row order).

    ``rows`` are ``(session, item, time, date_seconds)`` in file order. Returns
    ``(item vocabulary, train sessions, test sessions)`` with items re-indexed from 1.
    """
    clicks = {}
    for idx, (s, i, t, d) in enumerate(rows):
        clicks.setdefault(s, []).append((t, idx, i, d))
    sess_date, sess = {}, {}
    for s, cs in clicks.items():
        ordered = sorted(cs, key=lambda c: (c[0], c[1]))
        sess_date[s] = ordered[-1][3] if date_rule == "last_click" else max(cs, key=lambda c: c[1])[3]
        sess[s] = [c[2] for c in ordered]
    sess = {s: q for s, q in sess.items() if len(q) >= min_len}
    counts = Counter(i for q in sess.values() for i in q)
    sess = {s: [i for i in q if counts[i] >= min_support] for s, q in sess.items()}
    sess = {s: q for s, q in sess.items() if len(q) >= min_len}
    if not sess:
        return None
    max_date = max(sess_date[s] for s in sess)
    split = max_date - test_days * DAY
    train = sorted([s for s in sess if sess_date[s] < split], key=lambda s: sess_date[s])
    test = sorted([s for s in sess if sess_date[s] > split], key=lambda s: sess_date[s])
    vocab = {}
    train_seqs = []
    for s in train:
        train_seqs.append([vocab.setdefault(i, len(vocab) + 1) for i in sess[s]])
    test_seqs = []
    for s in test:
        q = [vocab[i] for i in sess[s] if i in vocab]
        if len(q) >= min_len:
            test_seqs.append(q)
    return list(vocab), train_seqs, test_seqs


def expand(seqs):
    xs, ys = [], []
    for q in seqs:
        for i in range(1, len(q)):
            xs.append(q[:-i])
            ys.append(q[-i])
    return xs, ys


def pairs_as_lists(pairs: SessionPairs):
    return [pairs.prefix(p) for p in range(len(pairs))], pairs.targets.tolist()


def sample_rows():
    df = read_diginetica(SAMPLE_VIEWS)
    return list(zip(df.session.tolist(), df.item.tolist(), df.time.tolist(), df.date.tolist(), strict=True)), df


def test_sample_checked_values():
    ds = apply_protocol(read_diginetica(SAMPLE_VIEWS), name="sample")
    assert ds.summary() == {"name": "sample", "n_items": 309, "train_sessions": 469, "test_sessions": 39,
                            "train_pairs": 1205, "test_pairs": 99}
    assert ds.split_date == "2016-05-25"
    assert ds.item_ids[0] == -1 and ds.item_ids.numel() == 310
    assert ds.train_dates.numel() == 469 and ds.test_dates.numel() == 39
    assert torch.all(ds.train_dates[1:] >= ds.train_dates[:-1])  # sessions ordered by date
    first = ds.stats[0]
    assert (first["clicks"], first["sessions"], first["items"]) == (12391, 2986, 7139)
    last = {s["part"]: s for s in ds.stats if s["pairs"] is not None}
    assert last["train"]["pairs"] == 1205 and last["test"]["pairs"] == 99


@pytest.mark.parametrize("rule", ["last_click", "last_row"])
def test_sample_exact_order_against_reference(rule):
    rows, df = sample_rows()
    vocab, train_seqs, test_seqs = reference_protocol(rows, test_days=7, date_rule=rule)
    ds = apply_protocol(df, session_date=rule)
    assert ds.item_ids[1:].tolist() == vocab
    assert ds.train.sessions() == train_seqs
    assert ds.test.sessions() == test_seqs
    assert pairs_as_lists(ds.train) == expand(train_seqs)
    assert pairs_as_lists(ds.test) == expand(test_seqs)


def test_sample_first_pairs_spelled_out():
    rows, df = sample_rows()
    ds = apply_protocol(df)
    xs, ys = expand(reference_protocol(rows, 7)[1])
    first = ds.train.session(0)
    assert ds.train.prefix(0) == first[:-1] and int(ds.train.targets[0]) == first[-1]
    assert [ds.train.prefix(p) for p in range(5)] == xs[:5] and ds.train.targets[:5].tolist() == ys[:5]
    assert first[0] == 1  # the first training click is item 1


# Random logs: session 1..12, item 1..6, time 0..4 (ties likely), day 0..9; rows out of order.
click_logs = st.lists(st.tuples(st.integers(1, 12), st.integers(1, 6), st.integers(0, 4), st.integers(0, 9)),
                      min_size=0, max_size=60)


@settings(max_examples=300, deadline=None)
@given(click_logs, st.sampled_from(["last_click", "last_row"]))
def test_vectorised_equals_reference_on_random_logs(rows, rule):
    rows = [(s, i, t, d * DAY) for s, i, t, d in rows]
    df = pd.DataFrame(rows, columns=["session", "item", "time", "date"]).astype(np.int64)
    df.attrs.update(source="random.csv", format="diginetica")
    ref = reference_protocol(rows, test_days=3, min_support=2, date_rule=rule) if rows else None
    if ref is None or not ref[1] or not ref[2]:
        with pytest.raises(DataError):
            apply_protocol(df, min_item_support=2, test_days=3, session_date=rule)
        return
    vocab, train_seqs, test_seqs = ref
    ds = apply_protocol(df, min_item_support=2, test_days=3, session_date=rule)
    assert ds.item_ids[1:].tolist() == vocab
    assert ds.train.sessions() == train_seqs and ds.test.sessions() == test_seqs
    assert pairs_as_lists(ds.train) == expand(train_seqs)
    assert pairs_as_lists(ds.test) == expand(test_seqs)


def test_fraction_keeps_latest_pairs():
    df = read_diginetica(SAMPLE_VIEWS)
    full = apply_protocol(df)
    quarter = apply_protocol(df, fraction=4)
    keep = int(len(full.train) / 4)
    assert len(quarter.train) == keep and quarter.n_items == full.n_items
    assert pairs_as_lists(quarter.train)[0] == next(x[-keep:] for x in pairs_as_lists(full.train))
    assert quarter.train.targets.tolist() == full.train.targets[-keep:].tolist()
    assert quarter.train_dates.numel() == quarter.train.num_sessions
    assert pairs_as_lists(quarter.test) == pairs_as_lists(full.test)


def test_thresholds_are_parameters():
    df = read_diginetica(SAMPLE_VIEWS)
    loose = apply_protocol(df, min_item_support=2, test_days=14)
    assert loose.n_items > 309 and loose.settings["test_days"] == 14


def test_yoochoose_like_log_uses_one_day_window():
    t0 = 1_396_000_000
    rows = []
    for s in range(40):
        base = t0 + s * 6 * 3600  # a session every 6 hours, 10 days
        rows += [(s, 1 + (s + k) % 3, base + k, base + k) for k in range(3)]
    df = pd.DataFrame(rows, columns=["session", "item", "time", "date"])
    df.attrs.update(source="clicks.dat", format="yoochoose")
    ds = apply_protocol(df)
    assert ds.settings["test_days"] == 1
    # the last session is dated t0 + 39 * 6h + 2 s; session 35 sits exactly on the split instant
    assert ds.test.num_sessions == 4 and ds.train.num_sessions == 35


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(1, 5), min_size=2, max_size=8), min_size=1, max_size=10))
def test_sessions_rebuilt_from_augmented_pairs(sessions):
    xs, ys = expand(sessions)
    lengths = np.array([len(x) for x in xs])
    items = np.array([i for x in xs for i in x])
    rebuilt = sessions_from_augmented(items, lengths, np.array(ys))
    assert rebuilt is not None
    flat, lens = rebuilt
    cuts = np.r_[0, np.cumsum(lens)]
    assert [flat[a:b].tolist() for a, b in itertools.pairwise(cuts)] == sessions


def test_pairs_not_in_augmented_order_are_not_merged():
    _xs, ys = [[1, 2], [3], [1]], [3, 4, 2]
    lengths = np.array([2, 1, 1])
    assert sessions_from_augmented(np.array([1, 2, 3, 1]), lengths, np.array(ys)) is None


def test_full_diginetica_srgnn():
    folder = shared_folder("diginetica-srgnn")
    ds = prepared_from_srgnn(read_srgnn_folder(folder), name="diginetica-srgnn")
    assert ds.n_items == 43097
    assert len(ds.train) == 719470 and len(ds.test) == 60858
    assert ds.train.num_sessions == 186670 and ds.test.num_sessions == 15963
    assert ds.item_ids[1:].tolist() == list(range(1, 43098))
    # the rebuilt test sessions give back test.txt exactly
    from fgnn.data.readers import load_restricted_pickle
    xs, ys = load_restricted_pickle(folder / "test.txt")
    assert ds.test.targets.tolist() == ys
    assert [ds.test.prefix(p) for p in (0, 1, 2, 60857)] == [xs[0], xs[1], xs[2], xs[60857]]
