"""Values in the right format but out of range: ids stay
exact or are refused naming the line; devices, FIFOs, gzip and UTF-16 files get one message."""
from __future__ import annotations

import contextlib
import gzip
import os
import signal
import threading

import numpy as np
import pandas as pd
import pytest

from fgnn.data.readers import content_withheld, item_tokens, parse_id_column, read_csv_log, read_diginetica
from fgnn.data.registry import load_dataset
from fgnn.errors import DataError

from .conftest import cache_entries

BIG = 2**60


def _log(tmp_path, rows, name="log.csv"):
    path = tmp_path / name
    path.write_text("SessionId,ItemId,Time\n" + "".join(f"{s},{i},{t}\n" for s, i, t in rows))
    return path


def _surviving_rows(session_ids, item_ids):
    """Rows of a log that survives the protocol: each quarter of the sessions on its own day,
    each day clicking every item."""
    rows = []
    per_day = -(-len(session_ids) // 4)
    for n, s in enumerate(session_ids):
        day = 86400 * (n // per_day)
        a, b = item_ids[n % len(item_ids)], item_ids[(n + 1) % len(item_ids)]
        rows += [(s, a, day + 10), (s, b, day + 20)]
    return rows


def test_ids_near_2_to_the_60_stay_exact(tmp_path, cache_dir):
    items = [BIG + k for k in range(40)]
    sessions = list(range(1, 161))
    ds = load_dataset(_log(tmp_path, _surviving_rows(sessions, items)), format="csv")
    assert ds.n_items == 40
    assert sorted(ds.item_ids[1:].tolist()) == items  # 40 distinct, exact (not one float)


@pytest.mark.parametrize("bad", ["9223372036854775808", "18446744073709551616", "-9223372036854775809"])
def test_item_id_beyond_64_bits_is_refused_naming_the_line(tmp_path, cache_dir, bad):
    rows = _surviving_rows(range(1, 161), [BIG + k for k in range(40)])
    rows.insert(7, (3, bad, 15))
    path = _log(tmp_path, rows)
    with pytest.raises(DataError) as info:
        load_dataset(path, format="csv")
    msg = str(info.value)
    assert "line 9" in msg and "'ItemId'" in msg and "64 bits" in msg and bad in msg, msg
    assert cache_entries(cache_dir) == []


@pytest.mark.parametrize("text", ["inf", "1e30", "-inf", "nan", "1.5", "0x10", "1_000", "٣"])
def test_an_item_id_that_is_not_digits_makes_the_column_tokens_never_a_float(tmp_path, text):
    """Where one id is no whole number, every id of the column is its text as written: never a
    float (where ids near 2^60 would collapse), and 5 stays the text '5'."""
    path = _log(tmp_path, [(1, 5, 1), (1, text, 2), (2, 5, 3)])
    clicks = read_csv_log(path)
    texts = item_tokens(clicks).texts
    assert [texts[c] for c in clicks.item] == ["5", text, "5"]


def test_whole_numbers_with_a_dot_zero_sign_and_spaces_are_ids(tmp_path):
    path = _log(tmp_path, [(1, " 12 ", 1), (1, "+13", 2), (2, "14.0", 3), (2, str(2**63 - 1), 4),
                           (3, str(-2**63), 5)])
    assert read_csv_log(path).item.tolist() == [12, 13, 14, 2**63 - 1, -2**63]


def test_twenty_digit_session_ids_stay_distinct(tmp_path, cache_dir):
    sessions = [10**19 + k for k in range(160)]  # above 2^63: floats would merge them
    items = list(range(100, 140))
    df = read_csv_log(_log(tmp_path, _surviving_rows(sessions, items)))
    assert df.session.nunique() == 160 and df.session.dtype == np.int64
    ds = load_dataset(tmp_path / "log.csv", format="csv")
    assert ds.stats[0]["sessions"] == 160 and ds.stats[0]["clicks"] == 320


def test_session_keys_are_canonical_digits():
    values = pd.Series(["00012", "12", "+12", "99999999999999999999", "099999999999999999999", "-1", "-01"])
    codes = parse_id_column(values, "x.csv", "s", "session id", key=True)
    assert codes.tolist() == [0, 0, 0, 1, 1, 2, 2]


def test_diginetica_timeframe_and_ids_checked(tmp_path):
    path = tmp_path / "views.csv"
    path.write_text("session_id;user_id;item_id;timeframe;eventdate\n1;NA;5;7;2016-01-01\n1;NA;6;1e30;2016-01-01\n")
    with pytest.raises(DataError, match=r"non-numeric timeframe '1e30' in column 'timeframe' on line 3"):
        read_diginetica(path)


@pytest.mark.parametrize("bad", ["inf", "nan", "1e30", "-1e12", "", "2020-01-01"])
def test_unusable_unix_times_are_refused(tmp_path, bad):
    path = _log(tmp_path, [(1, 5, 1), (1, 6, bad), (2, 5, 3)])
    with pytest.raises(DataError) as info:
        read_csv_log(path)
    assert "line 3" in str(info.value) and "not a usable unix time" in str(info.value)


def test_withheld_content_names_column_and_line_only(tmp_path):
    path = _log(tmp_path, [(1, 5, 1), (1, "SECRET-VALUE\x01", 2)])
    with content_withheld(), pytest.raises(DataError) as info:
        read_csv_log(path)
    msg = str(info.value)
    assert "SECRET" not in msg and "line 3" in msg and "'ItemId'" in msg
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$SECRETHASH:19000:0:99999:7:::\n")
    for fmt in ("diginetica", "yoochoose", "csv", None):
        with content_withheld(), pytest.raises(DataError) as info:
            load_dataset(secret, format=fmt)
        assert "SECRETHASH" not in str(info.value) and ":0:" not in str(info.value), str(info.value)
    with pytest.raises(DataError, match="SECRETHASH"):  # outside the block the CLI user sees it
        load_dataset(secret, format="diginetica")


@contextlib.contextmanager
def _deadline(seconds: int):
    """Turn a hang into a failure (the readers must not block on a device or a FIFO)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def fail(signum, frame):
        raise TimeoutError("blocked reading a device or a FIFO")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_dev_zero_and_a_fifo_are_refused_without_reading(tmp_path, cache_dir):
    fifo = tmp_path / "clicks.csv"
    os.mkfifo(fifo)
    link = tmp_path / "zero.csv"
    link.symlink_to("/dev/zero")
    for source, kind in ((fifo, "FIFO"), ("/dev/zero", "device"), (link, "device")):
        for fmt in (None, "csv", "diginetica"):
            with _deadline(20), pytest.raises(DataError) as info:
                load_dataset(source, format=fmt)
            assert kind in str(info.value) and "not a regular file" in str(info.value)
    srgnn = tmp_path / "srgnn"
    srgnn.mkdir()
    os.mkfifo(srgnn / "test.txt")
    with _deadline(20), pytest.raises(DataError):
        load_dataset(srgnn / "test.txt")
    assert cache_entries(cache_dir) == []


def test_gzip_and_utf16_logs_name_the_encoding(tmp_path, cache_dir):
    text = "SessionId,ItemId,Time\n1,5,1\n1,6,2\n"
    cases = {
        "gz.csv": (gzip.compress(text.encode()), "gzip-compressed"),
        "u16.csv": (text.encode("utf-16"), "UTF-16"),
        "u16le.csv": (text.encode("utf-16-le"), "UTF-16"),
        "u16be.csv": (text.encode("utf-16-be"), "UTF-16"),
        "u32.csv": (text.encode("utf-32"), "UTF-32"),
        "nul.csv": (b"\0" * 100, "NUL bytes"),
    }
    for name, (raw, word) in cases.items():
        path = tmp_path / name
        path.write_bytes(raw)
        for fmt in (None, "csv", "diginetica", "yoochoose"):
            with pytest.raises(DataError) as info:
                load_dataset(path, format=fmt)
            assert word in str(info.value) and ";" in str(info.value), (name, fmt, str(info.value))
    assert cache_entries(cache_dir) == []
