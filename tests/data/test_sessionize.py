"""User logs without sessions: sessionisation against a plain-Python reference, event filters,
collapsed repeats, items files, and the bad inputs that must leave the cache untouched."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from fgnn.data.items import read_items
from fgnn.data.readers import read_csv_log
from fgnn.data.registry import load_dataset
from fgnn.data.sessionize import collapse_repeats, prepare_log, resolve_log_settings, sessionize
from fgnn.errors import DataError

from .conftest import cache_entries

GAP = 1800.0  # 30 minutes


def reference_sessions(users, times, gap):
    """session-rec's cut written plainly: per user (in id order), events by time then input order,
    a new session where the gap to the previous event is longer than ``gap``."""
    out = [None] * len(users)
    next_id = 0
    for u in sorted(set(users)):
        events = sorted((t, i) for i, (uu, t) in enumerate(zip(users, times, strict=True)) if uu == u)
        previous = None
        for t, i in events:
            if previous is None or t - previous > gap:
                next_id += 1
            out[i] = next_id - 1
            previous = t
    return out


# times on a grid where neighbouring events sit exactly at, just below and just above the threshold
_times = st.sampled_from([0, 1, 900, 1799, 1800, 1801, 3600, 3601, 5400, 7200, 9001]).flatmap(
    lambda base: st.sampled_from([base, base + 1800, base + 3600, base + 1799, base + 1801]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), _times, st.integers(0, 3)), min_size=1, max_size=40),
       st.sampled_from(["seconds", "sub-microsecond", "huge ids and span"]))
def test_sessionize_matches_the_reference(events, kind):
    """Every path of the sort: one int64 key (whole seconds), a key too coarse for the times (its
    check fails, lexsort decides), densely renumbered huge user ids with a span no key holds."""
    users = [u for u, _, _ in events]
    times = [float(t) for _, t, _ in events]
    if kind == "sub-microsecond":
        times = [t + f * 1e-7 for t, (_, _, f) in zip(times, events, strict=True)]
    elif kind == "huge ids and span":
        users = [u * (1 << 50) - (1 << 60) for u in users]
        times = [t * 1e6 for t in times]
    got = sessionize(np.array(users, dtype=np.int64), np.array(times, dtype=np.float64), GAP)
    assert got.tolist() == reference_sessions(users, times, GAP)


def test_sessionize_gap_exactly_at_below_and_above_the_threshold():
    users = np.array([7, 7, 7, 7, 7])
    times = np.array([0.0, 1800.0, 3599.0, 5400.0, 5400.0])  # +1800 (at), +1799 (below), +1801 (above), tie
    assert sessionize(users, times, GAP).tolist() == [0, 0, 0, 1, 1]
    # unsorted input, two users: the same cut, numbered by user then time
    order = np.array([4, 2, 0, 3, 1])
    users2, times2 = np.r_[users[order], [3, 3]], np.r_[times[order], [100.0, 10_000.0]]
    assert sessionize(users2, times2, GAP).tolist() == [3, 2, 2, 3, 2, 0, 1]


def test_collapse_repeats_in_time_order():
    session = np.array([0, 0, 0, 0, 1, 1])
    item = np.array([5, 5, 6, 5, 6, 6])
    time = np.array([3.0, 1.0, 2.0, 4.0, 1.0, 1.0])  # time order of session 0: 5 (t1), 6, 5 (t3), 5 (t4)
    assert collapse_repeats(session, item, time).tolist() == [True, True, True, False, True, False]


def _write(path, text):
    path.write_text(text)
    return path


USER_LOG = """user_id,item_id,timestamp,event
1,10,0,view
1,10,60,view
1,11,120,cart
1,12,4000,view
2,10,50,view
2,12,1900,view
"""


def test_prepare_log_steps_and_statistics(tmp_path):
    clicks = read_csv_log(_write(tmp_path / "log.csv", USER_LOG), event_col="event")
    assert "user" in clicks and "session" not in clicks
    settings = resolve_log_settings(keep="view", collapse_repeats=True)
    table, stats = prepare_log(clicks, settings)
    assert settings == {"keep": "view", "collapse_repeats": True, "session_gap": 30.0}
    assert [s["step"] for s in stats] == ["keep events view", "cut user histories at gaps > 30 min",
                                          "collapse immediate repeats"]
    assert [(s["clicks"], s["sessions"]) for s in stats] == [(5, 2), (5, 4), (4, 4)]
    assert stats[1]["note"] == "2 users -> 4 sessions"
    # user 1: [10, 10] then [12] after 3,880 s; user 2: [10] and [12] 1,850 s apart
    got = table.sort_values(["session", "time"])
    assert got.groupby("session")["item"].apply(list).tolist() == [[10], [12], [10], [12]]


def test_a_user_log_goes_through_the_protocol_with_its_steps_first(tmp_path):
    rng = np.random.default_rng(3)
    n = 3000
    log = pd.DataFrame({"visitorid": rng.integers(0, 60, n), "itemid": rng.integers(0, 40, n),
                        "timestamp": rng.integers(0, 10 * 86400, n) * 1000 + 1_400_000_000_000})
    path = tmp_path / "events.csv"
    log.to_csv(path, index=False)
    ds = load_dataset(path, user_col="visitorid", item_col="itemid", time_col="timestamp", session_gap=120)
    assert ds.stats[0]["step"] == "cut user histories at gaps > 120 min"
    assert ds.stats[1]["step"] == "read" and ds.stats[1]["sessions"] == ds.stats[0]["sessions"]
    assert ds.settings["session_gap"] == 120.0
    # the cut the protocol received equals the reference on the same (millisecond -> second) times
    ref = reference_sessions(log["visitorid"].tolist(), (log["timestamp"] / 1000).tolist(), 120 * 60)
    assert ds.stats[0]["sessions"] == len(set(ref))
    # a different gap is a different dataset (cache key)
    other = load_dataset(path, user_col="visitorid", item_col="itemid", time_col="timestamp")
    assert other.fingerprint != ds.fingerprint and other.settings["session_gap"] == 30.0


@pytest.mark.parametrize("kwargs, message", [
    ({}, "no session column .* and no user column"),
    ({"user_col": "who", "session_gap": 0}, "session gap 0 is not a positive number of minutes"),
    ({"user_col": "who", "session_gap": -5}, "session gap -5 is not a positive number of minutes"),
    ({"user_col": "who", "session_col": "who"}, "both a session column"),
    ({"user_col": "who", "keep": "view"}, "needs an event column"),
])
def test_bad_user_log_options_give_one_message_and_no_cache_entry(tmp_path, cache_dir, kwargs, message):
    path = _write(tmp_path / "log.csv", "who,item,time\n1,2,3\n1,3,4\n")
    with pytest.raises(DataError, match=message):
        load_dataset(path, **kwargs)
    assert cache_entries(cache_dir) == []


@pytest.mark.parametrize("items_text, message", [
    ("item,name\n10,shoe\n99,ghost\n", r"1 item id\(s\) do not occur in the click log \(e.g. 99\)"),
    ("item;name\n10;shoe\n12;hat\n10;boot\n", r"item id 10 appears 2 times \(lines 2, 4\)"),
    ("item,name\nten,shoe\n", "non-numeric item id 'ten'"),
])
def test_bad_items_files_give_one_message_and_no_cache_entry(tmp_path, cache_dir, items_text, message):
    log = _write(tmp_path / "log.csv", USER_LOG)
    items = _write(tmp_path / "items.csv", items_text)
    with pytest.raises(DataError, match=message):
        load_dataset(log, items=items)
    assert cache_entries(cache_dir) == []


def test_items_file_names_and_text_categories(tmp_path):
    table = read_items(_write(tmp_path / "items.tsv", "item_id\tname\tcategory\n10\trunning shoes\tshoes\n"
                                                      "12\tsun hat\thats\n11\ttrail shoes\tshoes\n"),
                       known_ids=[10, 11, 12, 13])
    assert table["item"].tolist() == [10, 12, 11] and table["name"].tolist()[0] == "running shoes"
    # no header, ';' delimiter, two columns
    table = read_items(_write(tmp_path / "items.txt", "10;a\n11;b\n"), known_ids=None)
    assert table.to_dict("list") == {"item": [10, 11], "name": ["a", "b"]}


def test_names_reach_the_prepared_dataset(tmp_path, cache_dir):
    from tests.data.conftest import SAMPLE_VIEWS

    ds = load_dataset("diginetica-sample")
    ids = ds.item_ids[1:].tolist()
    lines = ["item,name,category"] + [f"{i},thing {i},{'even' if i % 2 == 0 else 'odd'}" for i in ids]
    items = _write(tmp_path / "items.csv", "\n".join(lines) + "\n")
    named = load_dataset(SAMPLE_VIEWS, items=items)
    assert named.fingerprint != ds.fingerprint
    assert torch.equal(named.item_ids, ds.item_ids)
    assert named.item_label(ids[0]) == f"{ids[0]} · thing {ids[0]}"
    assert named.item_labels()[ids[3]] == f"thing {ids[3]}"
    assert sorted(named.category_names) == ["even", "odd"]
    assert named.category_label(int(named.categories[1])) == ("even" if ids[0] % 2 == 0 else "odd")
    assert ds.item_label(ids[0]) == str(ids[0]) and ds.item_labels() == {}
    # the bundled sample keeps its categories without an items file
    assert ds.categories is not None and int((ds.categories[1:] >= 0).sum()) == ds.n_items
    # names survive the cache
    again = load_dataset(SAMPLE_VIEWS, items=items)
    assert again.item_names == named.item_names and again.category_names == named.category_names


def test_a_run_on_a_user_log_reloads_its_dataset(tmp_path, capsys):
    """The user column, the gap, the event filter and the items file travel in the run config and
    the checkpoint: evaluate and Inspect get back exactly the dataset the run trained on."""
    from fgnn.cli import main
    from fgnn.data.spec import DatasetSpec
    from fgnn.evaluation.pair_ranks import load_checkpoint_dataset
    from fgnn.models.checkpoint import load_checkpoint

    rng = np.random.default_rng(5)
    n = 4000
    log = pd.DataFrame({"visitorid": rng.integers(0, 80, n), "itemid": rng.integers(0, 30, n),
                        "event": rng.choice(["view", "view", "addtocart"], n),
                        "timestamp": rng.integers(0, 8 * 86400, n) * 1000 + 1_430_000_000_000})
    log.to_csv(tmp_path / "events.csv", index=False)
    items = _write(tmp_path / "items.csv", "".join(f"{i};item number {i}\n" for i in range(30)))
    run = tmp_path / "run"
    args = ["--dataset", str(tmp_path / "events.csv"), "--user-col", "visitorid", "--item-col", "itemid",
            "--time-col", "timestamp", "--event-col", "event", "--keep", "view", "--session-gap", "60",
            "--items", str(items)]
    assert main(["train", *args, "--model", "pop", "--epochs", "1", "--run-dir", str(run), "--quiet"]) == 0
    ckpt = load_checkpoint(run / "best.pt")
    spec = DatasetSpec.of_checkpoint(ckpt).options()
    assert {k: spec[k] for k in ("user_col", "event_col", "keep", "session_gap")} == {
        "user_col": "visitorid", "event_col": "event", "keep": "view", "session_gap": 60.0}
    again = load_checkpoint_dataset(run / "best.pt")
    assert again.fingerprint == ckpt["dataset"]["fingerprint"]
    assert again.item_label(int(again.item_ids[1])) == f"{int(again.item_ids[1])} · item number {int(again.item_ids[1])}"
    capsys.readouterr()
    assert main(["evaluate", "--checkpoint", str(run / "best.pt"), "--json"]) == 0
    assert '"n"' in capsys.readouterr().out


def test_a_registry_entry_can_name_its_items_file(tmp_path, monkeypatch):
    from fgnn.data import registry

    ids = load_dataset("diginetica-sample").item_ids[1:].tolist()
    names = _write(tmp_path / "names.csv", "".join(f"{i},thing {i}\n" for i in ids))
    entry = {**registry.REGISTRY["diginetica-sample"], "items": names}
    monkeypatch.setitem(registry.REGISTRY, "named-sample", entry)
    ds = load_dataset("named-sample")
    assert ds.item_label(ids[0]) == f"{ids[0]} · thing {ids[0]}" and ds.settings["items"] == "names.csv"


def test_items_file_that_is_missing_or_a_fifo_is_refused_before_hashing(tmp_path, cache_dir):
    import os

    log = _write(tmp_path / "log.csv", USER_LOG)
    with pytest.raises(DataError, match="no such items file"):
        load_dataset(log, items=tmp_path / "missing.csv")
    fifo = tmp_path / "names.fifo"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="FIFO"):
        load_dataset(log, items=fifo)
    assert cache_entries(cache_dir) == []


def test_millisecond_log_is_cut_exactly_at_the_threshold(tmp_path):
    """Unix milliseconds (RetailRocket) are read as seconds; a gap of exactly 30 minutes stays in
    the session, one millisecond more starts a new one."""
    t = 1_433_116_800_123
    rows = [(t, 1), (t + 1_800_000, 2), (t + 3_600_001, 3), (t + 3_600_002, 4)]
    path = _write(tmp_path / "ms.csv", "timestamp,visitorid,itemid\n" +
                  "".join(f"{ts},7,{item}\n" for ts, item in rows))
    clicks = read_csv_log(path)
    assert clicks.attrs["time_unit"] == "ms" and clicks["time"].iloc[0] == pytest.approx(t / 1000)
    table, _ = prepare_log(clicks, {})
    assert table.sort_values("time")["session"].tolist() == [0, 0, 1, 1]
