"""Readers, format detection, and bad input: one DataError naming file, problem and fix; no cache write."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from fgnn.data.readers import (
    RestrictedUnpickler,
    detect_format,
    item_tokens,
    load_restricted_pickle,
    read_clicks,
    read_csv_log,
    read_diginetica,
    read_srgnn_folder,
    read_yoochoose,
)
from fgnn.data.registry import load_dataset
from fgnn.errors import DataError

from .conftest import SAMPLE_VIEWS, cache_entries, shared_folder

YOOCHOOSE_ROWS = (
    "1,2014-04-07T10:51:09.277Z,214536502,0\n"
    "1,2014-04-07T10:54:09.868Z,214536500,0\n"
    "1,2014-04-07T10:52:09.000Z,214536506,0\n"
    "2,2014-04-07T13:56:37.614Z,214662742,0\n"
)


def test_diginetica_sample_and_both_headers(tmp_path):
    df = read_diginetica(SAMPLE_VIEWS)
    assert len(df) == 12391 and list(df.columns) == ["session", "item", "time", "date"]
    assert df.attrs["format"] == "diginetica" and str(SAMPLE_VIEWS) == df.attrs["source"]
    assert df.date.iloc[0] == 1462752000  # 2016-05-09 UTC
    text = SAMPLE_VIEWS.read_text().replace("session_id;user_id;item_id", "sessionId;userId;itemId", 1)
    other = tmp_path / "views.csv"
    other.write_text(text)
    assert detect_format(other) == "diginetica"
    assert read_diginetica(other).equals(df)


def test_yoochoose_clicks(tmp_path):
    path = tmp_path / "yoochoose-clicks.dat"
    path.write_text(YOOCHOOSE_ROWS)
    assert detect_format(path) == "yoochoose"
    df = read_yoochoose(path)
    assert df.session.tolist() == [1, 1, 1, 2] and df.item.tolist()[0] == 214536502
    assert df.time.iloc[0] == pytest.approx(1396867869.277)
    assert df.date.equals(df.time)


def test_generic_tsv_rsc15():
    path = shared_folder("rsc15-100k") / "yoochoose-clicks-100k_test.txt"
    assert detect_format(path) == "csv"
    df = read_clicks(path)
    assert len(df) == 13568 and df.session.nunique() == 3416
    named = read_csv_log(path, session_col="SessionId", item_col="ItemId", time_col="Time")
    assert named.equals(df)


def test_generic_csv_iso_times_and_sniffed_delimiter(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("user;sess;product;when\n7;10;5;2020-01-01T00:00:10\n7;10;6;2020-01-01T00:00:05\n")
    df = read_csv_log(path, session_col="sess", item_col="product", time_col="when")
    assert df.item.tolist() == [5, 6] and df.time.tolist() == [1577836810.0, 1577836805.0]


def test_srgnn_folder_detected():
    folder = shared_folder("diginetica-srgnn")
    assert detect_format(folder) == "srgnn"
    assert detect_format(folder / "test.txt") == "srgnn"


# ------------------------------------------------------------------ bad input
def expect_data_error(cache_dir, source, *words, **kwargs):
    with pytest.raises(DataError) as info:
        load_dataset(source, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    for w in (str(source),) + words:
        assert w in message, (w, message)
    assert ";" in message  # problem; what to do
    assert cache_entries(cache_dir) == []
    return message


@pytest.mark.parametrize("fmt", [None, "diginetica", "yoochoose", "csv"])
def test_empty_file(tmp_path, cache_dir, fmt):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    expect_data_error(cache_dir, path, "empty", format=fmt)


def test_header_only(tmp_path, cache_dir):
    path = tmp_path / "views.csv"
    path.write_text("session_id;user_id;item_id;timeframe;eventdate\n")
    expect_data_error(cache_dir, path, "no click rows")


def test_wrong_delimiter(tmp_path, cache_dir):
    path = tmp_path / "views.csv"
    path.write_text(SAMPLE_VIEWS.read_text().replace(";", ","))
    expect_data_error(cache_dir, path, "not ';'-separated", format="diginetica")
    # read as a generic CSV, the DIGINETICA columns give no clock: it asks for --time-col
    expect_data_error(cache_dir, path, "time column", "--time-col")
    tabbed = tmp_path / "clicks.dat"
    tabbed.write_text(YOOCHOOSE_ROWS.replace(",", "\t"))
    expect_data_error(cache_dir, tabbed, "not ','-separated", format="yoochoose")
    spaced = tmp_path / "spaced.txt"
    spaced.write_text("session item time\n1 2 3\n")
    expect_data_error(cache_dir, spaced, "delimiter", format="csv")


def test_missing_column(tmp_path, cache_dir):
    views = tmp_path / "views.csv"
    views.write_text("session_id;user_id;item_id;timeframe\n1;NA;2;3\n")
    expect_data_error(cache_dir, views, "eventdate", format="diginetica")
    path = shared_folder("rsc15-100k") / "yoochoose-clicks-100k_test.txt"
    msg = expect_data_error(cache_dir, path, "missing column 'When'", "--time-col", time_col="When")
    assert "'Time'" in msg  # lists the columns found


@pytest.mark.parametrize("fmt,text,tokens", [
    ("diginetica", "session_id;user_id;item_id;timeframe;eventdate\n1;NA;abc;5;2016-01-01\n", ["abc"]),
    ("csv", "SessionId\tItemId\tTime\n1\t2\t3.5\n1\tx7\t4.5\n", ["2", "x7"]),
    ("yoochoose", "1,2014-04-07T10:51:09.277Z,2145a,0\n", ["2145a"]),
])
def test_text_item_ids_are_tokens_in_every_format(tmp_path, fmt, text, tokens):
    path = tmp_path / "log.txt"
    path.write_text(text)
    clicks = read_clicks(path, fmt)
    assert [item_tokens(clicks).texts[c] for c in clicks.item] == tokens


def test_a_timeframe_that_is_no_number_is_still_refused(tmp_path, cache_dir):
    path = tmp_path / "log.txt"
    path.write_text("session_id;user_id;item_id;timeframe;eventdate\nS1;NA;4;x5;2016-01-01\n")
    expect_data_error(cache_dir, path, "non-numeric", "'x5'", "line", format="diginetica")


def test_every_session_one_click(tmp_path, cache_dir):
    path = tmp_path / "views.csv"
    path.write_text("session_id;user_id;item_id;timeframe;eventdate\n"
                    + "".join(f"{s};NA;{s % 3};1;2016-01-0{1 + s % 5}\n" for s in range(1, 50)))
    expect_data_error(cache_dir, path, "nothing survives")


def write_folder(tmp_path, train_obj, test_obj=([[1], [2]], [2, 1]), raw=None):
    folder = tmp_path / "srgnn"
    folder.mkdir(exist_ok=True)
    (folder / "all_train_seq.txt").write_bytes(raw if raw is not None else pickle.dumps(train_obj))
    (folder / "test.txt").write_bytes(pickle.dumps(test_obj))
    return folder


class Innocent:
    pass


@pytest.mark.parametrize("obj,word", [
    ({1, 2, 3}, "set"),
    ([[1, 2], {3, 4}], "set"),
    ([[1, 2], [3, "4"]], "str"),
    ([[1, 2.5]], "float"),
    ([[1, True]], "bool"),
    ({"a": [1, 2]}, "dict"),
    ([[1, 2], [0, 3]], "item id 0"),
    ([[1, 2**70]], "64 bits"),
])
def test_pickle_with_other_content(tmp_path, cache_dir, obj, word):
    folder = write_folder(tmp_path, obj)
    expect_data_error(cache_dir, folder, "all_train_seq.txt", word)


def test_pickle_with_a_global_never_runs_it(tmp_path, cache_dir):
    marker = tmp_path / "pwned"
    evil = f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()
    folder = write_folder(tmp_path, None, raw=evil)
    expect_data_error(cache_dir, folder, "refused global os.system")
    assert not marker.exists()
    folder = write_folder(tmp_path, None, raw=pickle.dumps([[1, 2], Innocent()]))
    expect_data_error(cache_dir, folder, "refused global")


@pytest.mark.parametrize("raw,word", [(b"", "empty"), (b"\x80\x03]q\x00(K\x01", "not a plain pickle")])
def test_broken_pickle(tmp_path, cache_dir, raw, word):
    expect_data_error(cache_dir, write_folder(tmp_path, None, raw=raw), word)


def test_bad_test_pickle_structure(tmp_path, cache_dir):
    folder = write_folder(tmp_path, [[1, 2, 3]], test_obj=[[1], [2], [3]])
    expect_data_error(cache_dir, folder, "test.txt", "pair (prefixes, targets)")
    folder = write_folder(tmp_path, [[1, 2, 3]], test_obj=([[1], [2]], [2]))
    expect_data_error(cache_dir, folder, "test.txt", "2 prefixes but 1 targets")


def test_restricted_unpickler_directly(tmp_path):
    path = tmp_path / "x.pkl"
    path.write_bytes(pickle.dumps(([[1, 2]], [3])))
    assert load_restricted_pickle(path) == ([[1, 2]], [3])
    with pytest.raises(pickle.UnpicklingError):
        import io
        RestrictedUnpickler(io.BytesIO(pickle.dumps(np.int64(3)))).load()


def test_srgnn_folder_with_train_txt_only(tmp_path):
    folder = tmp_path / "srgnn"
    folder.mkdir()
    (folder / "train.txt").write_bytes(pickle.dumps(([[1, 2], [1], [3]], [3, 2, 1])))
    (folder / "test.txt").write_bytes(pickle.dumps(([[2, 1], [1], [1]], [3, 1, 2])))
    f = read_srgnn_folder(folder)
    assert f.all_train_seq is None and f.train.targets.tolist() == [3, 2, 1]
    ds = load_dataset(folder)
    assert ds.train.sessions() == [[1, 2, 3], [3, 1]]  # rebuilt from the augmented order
    assert ds.test.num_sessions == 3  # not augmented order: each prefix is a session
    assert "not in augmented order" in ds.stats[1]["note"]
    assert ds.n_items == 3
