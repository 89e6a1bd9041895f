"""A user's click log: uploads kept safely, loaded the app's way (fgnn.data.spec holds the dataset value)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fgnn.app.uploads import load_source, safe_file_name, save_upload
from fgnn.data.registry import load_dataset
from fgnn.data.spec import DatasetSpec
from fgnn.errors import DataError

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "fgnn" / "data" / "bundled" / "diginetica-sample" / "train-item-views.csv"


@pytest.fixture
def custom_csv(tmp_path, monkeypatch) -> Path:
    """The bundled sample as a comma-separated log with its own column names."""
    monkeypatch.setenv("FGNN_CACHE_DIR", str(tmp_path / "cache"))
    clicks = pd.read_csv(SAMPLE, sep=";")
    path = tmp_path / "my clicks.csv"
    clicks.rename(columns={"session_id": "visit", "item_id": "product", "eventdate": "day"}).to_csv(path, index=False)
    return path


def test_load_source_reads_a_custom_csv_with_its_columns(custom_csv):
    source = DatasetSpec(custom_csv, "csv", "visit", item_col="product", time_col="day")
    ds = load_source(source)
    direct = load_dataset(str(custom_csv), format="csv", session_col="visit", item_col="product", time_col="day")
    assert ds.n_items == direct.n_items > 0 and len(ds.test) == len(direct.test) > 0
    assert ds.fingerprint == direct.fingerprint
    # without its columns the same file cannot be read, and the message says what to name
    with pytest.raises(DataError, match="column"):
        load_source(DatasetSpec(custom_csv))
    assert load_source(DatasetSpec("diginetica-sample")).n_items == 309


def test_uploads_are_kept_by_content_with_safe_names(tmp_path):
    a = save_upload("../../etc/passwd", b"x,y\n1,2\n", root=tmp_path)
    assert a.name == "passwd" and tmp_path in a.parents
    assert save_upload("other.csv", b"x,y\n1,2\n", root=tmp_path).parent == a.parent
    assert safe_file_name(".hidden file?.csv") == "hidden_file_.csv"
    with pytest.raises(DataError, match="empty"):
        save_upload("e.csv", b"", root=tmp_path)


def test_form_message_names_the_dataset_pages_fields_not_cli_flags():
    """The Dataset page's errors named --session-col instead of its fields."""
    from fgnn.app.uploads import form_message

    text = form_message("no session column: use --format csv with --session-col/--item-col/--time-col, "
                        "or --user-col and --session-gap")
    assert "--" not in text
    assert "format 'csv'" in text and "the 'session column' field" in text and "the 'time column' field" in text
    assert "the 'user column' field and the 'session gap' field" in text
    assert form_message("--unknown-flag stays") == "--unknown-flag stays"



HEADER = "session_id,item_id,timestamp\n"
MALFORMED = {
    "binary.csv": bytes(range(256)) * 8,
    "utf16.csv": (HEADER + "1,2,3\n").encode("utf-16"),
    "header-only.csv": HEADER.encode(),
    "ragged.csv": (HEADER + "1,2\n3,4,5,6,7\n" * 50).encode(),
    "open-quote.csv": (HEADER + '"1,2,3\n' * 50).encode(),
    "text-times.csv": (HEADER + "".join(f"{i // 3},{i % 5},2016-13-45\n" for i in range(30))).encode(),
    "no-repeats.csv": (HEADER + "".join(f"{i},{i},{1_600_000_000 + i * 3600}\n" for i in range(300))).encode(),
    "one-session.csv": (HEADER + "".join(f"1,{i % 5},{1_600_000_000 + i * 86400}\n" for i in range(300))).encode(),
    "huge-ids.csv": (HEADER + "".join(f"{i // 3},{10**30 + i % 5},{1_600_000_000 + i * 3600}\n"
                                      for i in range(300))).encode(),
    "bad-bytes-late.csv": (HEADER + "".join(f"{i // 3},{i % 5},{1_600_000_000 + i * 3600}\n" for i in range(3000))
                           ).encode() + b"1,\xff\xfe,3\n",
    "diginetica-bad.csv": b"sessionId;userId;itemId;timeframe;eventdate\n1;;2;x;2016-01-01\n",
    "recbole-short.inter": b"session_id:token\titem_id:token\ttimestamp:float\n1\t2\n",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_every_malformed_log_is_refused_with_a_data_error_where_it_is_found(name, tmp_path, monkeypatch):
    """load_user_log has no catch-all: the readers and the protocol name each problem themselves."""
    monkeypatch.setenv("FGNN_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / name
    path.write_bytes(MALFORMED[name])
    with pytest.raises(DataError, match=name):
        load_source(DatasetSpec(path))


def test_a_bug_while_loading_a_log_is_a_bug_and_a_failed_read_a_data_error(custom_csv, monkeypatch):
    from fgnn.app import uploads

    def buggy(*args, **kw):
        raise KeyError("a bug in the protocol")

    monkeypatch.setattr(uploads, "load_dataset", buggy)
    with pytest.raises(KeyError, match="a bug in the protocol"):  # was DataError("cannot be read as a click log")
        load_source(DatasetSpec(custom_csv, "csv", "visit", item_col="product", time_col="day"))

    def failing_disk(*args, **kw):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(uploads, "load_dataset", failing_disk)
    with pytest.raises(DataError, match=r"my clicks.csv: cannot be read \(Input/output error\)"):
        load_source(DatasetSpec(custom_csv, "csv", "visit", item_col="product", time_col="day"))


def test_a_file_over_the_upload_limit_is_told_the_limit_its_settings_and_the_command_line(tmp_path):
    from fgnn.app.serving import ServingPolicy
    from fgnn.app.uploads import no_upload_message, over_limit_message, upload_limit_bytes

    mb = 2**20
    small = ServingPolicy.from_env({"FGNN_UPLOAD_MAX_MB": "0.01"})
    with pytest.raises(DataError) as info:
        save_upload("big.csv", b"1" * 11_000, root=tmp_path / "uploads", policy=small)
    message = str(info.value)
    assert "big.csv" in message and "over the upload limit of 0.01 MB" in message
    assert "FGNN_UPLOAD_MAX_MB" in message and "server.maxUploadSize" in message
    assert "python -m fgnn prepare FILE" in message
    # the smaller of the app's cap and Streamlit's uploader's (MB) is the limit named
    default = ServingPolicy()
    assert upload_limit_bytes(default) == 200 * mb and upload_limit_bytes(default, 50) == 50 * mb
    assert upload_limit_bytes(small, 50) == int(0.01 * mb)
    assert "over the upload limit of 50 MB" in over_limit_message("x.csv", 60 * mb, default, 50)
    # nothing reached the app ("Run the protocol" with no file): the uploader may have refused it for its size
    nothing = no_upload_message(default, 200)
    assert "choose a file to upload" in nothing and "over the upload limit of 200 MB" in nothing
    assert "FGNN_UPLOAD_MAX_MB" in nothing and "server.maxUploadSize" in nothing
    assert "python -m fgnn prepare FILE" in nothing


def test_an_upload_is_written_atomically_and_never_through_a_planted_link(tmp_path):
    import os

    root = tmp_path / "uploads"
    data = b"session,item,time\n1,5,100\n"
    first = save_upload("clicks.csv", data, root=root)
    first.unlink()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    # a link planted under the name of the temporary file (fgnn.atomic: <name>.tmp<pid>) is not followed
    (first.parent / f"{first.name}.tmp{os.getpid()}").symlink_to(victim)
    path = save_upload("clicks.csv", data, root=root)
    assert path == first and path.read_bytes() == data and not path.is_symlink()
    assert victim.read_text() == "keep me"
    assert sorted(p.name for p in path.parent.iterdir()) == ["clicks.csv"]


def test_an_uploads_server_path_is_named_by_the_visitors_file_name():
    """An error about an uploaded file names the file as the visitor knows it, never the
    server's copy (<cache>/uploads/<hash>/file.csv)."""
    from fgnn.app.uploads import form_message

    saved = "/srv/cache/uploads/3f2a9c/clicks.csv"
    text = form_message(f"{saved}: line 4 of --time-col 'ts' is not a number", {saved: "clicks.csv"})
    assert "/srv/cache" not in text and text.startswith("clicks.csv: line 4")
    assert "time column" in text
