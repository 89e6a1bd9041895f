"""Values that cross the boundary into the readers: a header naming one column twice, a time
column mixing seconds and milliseconds, and messages about a server file that name the column and the
line but never quote what the file holds."""
from __future__ import annotations

from pathlib import Path

import pytest

from fgnn.app.uploads import load_source
from fgnn.data.readers import content_withheld
from fgnn.data.registry import load_dataset
from fgnn.data.spec import DatasetSpec
from fgnn.errors import DataError

MARKER = "SECRET-LINE-123"


def refusal(path: Path, **options) -> str:
    with pytest.raises(DataError) as info:
        load_dataset(str(path), **options)
    return str(info.value)


def server_refusal(path: Path, **options) -> str:
    """The message the app shows for a file on the server (fgnn.app.uploads.load_source, content withheld)."""
    with pytest.raises(DataError) as info:
        load_source(DatasetSpec(str(path), **options))
    return str(info.value)


@pytest.mark.parametrize("header, column", [
    ("session,item,item,time", "item"),
    ("session,item,time,session", "session"),
    ("session\titem\ttime\ttime", "time"),
    (" session ,item, item ,time", "item"),  # the readers strip spaces around names, so these are one
])
def test_a_header_naming_a_column_twice_is_refused_naming_it(tmp_path, header, column):
    sep = "\t" if "\t" in header else ","
    path = tmp_path / "dup.csv"
    rows = [sep.join(["1", "5", "6", "100"]), sep.join(["1", "6", "7", "160"]), sep.join(["2", "5", "6", "200"])]
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    message = refusal(path)
    assert f"column '{column}' twice" in message and "line 1" in message
    assert "rename" in message  # what to do
    assert f"'{column}.1'" not in message  # pandas' silent rename never shows through


def test_a_recbole_header_naming_a_column_twice_with_two_types_is_refused(tmp_path):
    path = tmp_path / "dup.inter"
    path.write_text("session_id:token\titem_id:token\titem_id:float\ttimestamp:float\n1\t5\t6\t100\n1\t6\t7\t160\n")
    message = refusal(path)
    assert "column 'item_id' twice" in message and "columns 2 and 3" in message


def test_a_duplicated_column_of_a_server_file_is_named_by_position_only(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text(f"session,{MARKER},item,{MARKER},time\n1,0,5,0,100\n")
    message = server_refusal(path)
    assert MARKER not in message and "columns 2 and 4" in message and "line 1" in message


def test_a_time_column_mixing_seconds_and_milliseconds_is_refused_as_such(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("session,item,ts\n1,5,1400000000\n1,6,1400000060\n2,5,1400000100000\n2,6,1400000160000\n")
    message = refusal(path)
    assert "time column 'ts' mixes seconds and milliseconds" in message
    assert "line 2" in message and "line 4" in message and "convert one of them" in message
    # the same column all in milliseconds is read (as seconds)
    path.write_text("session,item,ts\n1,5,1400000000000\n1,6,1400000060000\n2,5,1400000100000\n2,6,1400000160000\n")
    from fgnn.data.readers import read_csv_log

    clicks = read_csv_log(path)
    assert clicks.attrs["time_unit"] == "ms" and clicks["time"].tolist() == [1.4e9, 1.40000006e9, 1.4000001e9,
                                                                            1.40000016e9]


def test_mixed_units_of_a_server_file_quote_no_value(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("session,item,time\n1,5,1400000123\n1,6,1400000456789\n")
    message = server_refusal(path)
    assert "mixes seconds and milliseconds" in message and "line 3" in message
    assert "1400000456789" not in message and "1400000123" not in message


@pytest.mark.parametrize("name, text, column, line", [
    # /etc/passwd's shape: ':'-separated, commas in the comment field, so ',' is taken as the delimiter
    ("passwd", f"root:x:0:0:{MARKER},,,:/root:/bin/bash\nbin:x:2:2:bin,,,:/bin:/usr/sbin/nologin\n", None, 1),
    ("time.csv", f"session,item,time\n1,5,100\n1,6,{MARKER}\n", "time", 3),
    ("iso.csv", f"session,item,time\n1,5,2014-04-07T10:51:09Z\n1,6,{MARKER}\n", "time", 3),
    # text ids are tokens (docs/data-formats.md, "Ids"); one holding a control character is refused
    ("item.csv", f"session,item,time\n1,5,100\n1,{MARKER}\x07,160\n", "item", 3),
    ("session.csv", f"session,item,time\n1,5,100\n{MARKER}\x07,6,160\n", "session", 3),
    ("digi.csv", f"session_id;user_id;item_id;timeframe;eventdate\n1;;5;10;2016-01-01\n1;;6;11;{MARKER}\n",
     "eventdate", 3),
    ("digi-item.csv", f"session_id;user_id;item_id;timeframe;eventdate\n1;;5;10;2016-01-01\n1;;{MARKER}\x07;11;2016-01-01\n",
     "item_id", 3),
    ("few-columns.csv", f"{MARKER},x\n1,2\n", None, 1),
    ("clicks.inter", f"{MARKER}\tx\n1\t2\n", None, 1),
])
def test_errors_about_a_server_file_name_column_and_line_never_its_content(tmp_path, name, text, column, line):
    path = tmp_path / name
    path.write_text(text)
    message = server_refusal(path)
    assert MARKER not in message, message
    assert f"line {line}" in message, message
    if column is not None:
        assert f"'{column}'" in message, message


def test_a_column_the_visitor_named_may_be_quoted_but_not_the_columns_found(tmp_path):
    path = tmp_path / "clicks.csv"
    path.write_text(f"visit,{MARKER},time\n1,5,100\n")
    message = server_refusal(path, session_col="visit", item_col="product")
    assert "'product'" in message and MARKER not in message
    with content_withheld():
        message = refusal(path)  # no session column found: the names found are not listed
    assert MARKER not in message and "line 1" in message
