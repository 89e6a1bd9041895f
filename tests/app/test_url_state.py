"""The app's state in its URL (fgnn.app.url_state): what is written, and what a forged link cannot choose."""
from __future__ import annotations

import json
import os

import pytest

from fgnn.app.uploads import live_uploads, save_upload, upload_id
from fgnn.app.url_state import Offered, dataset_param, decode, encode, refused_message
from fgnn.data.spec import DatasetSpec
from fgnn.errors import DataError
from fgnn.evaluation.ranking import MAX_SESSION_CLICKS

ITEMS = {5, 12, 40, 12889}
DEFAULT = DatasetSpec()
UPLOAD = "upload:0123456789abcdef/clicks.csv"
UPLOAD_PATH = "/srv/cache/uploads/0123456789abcdef/clicks.csv"


def offered(items_of=None) -> Offered:
    return Offered(datasets={"diginetica-sample": "diginetica-sample", "yoochoose-sample": "yoochoose-sample",
                             UPLOAD: UPLOAD_PATH},
                   checkpoints={"fgnn-sample/best.pt": "/ck/fgnn-sample/best.pt",
                                "srgnn-sample/last.pt": "/ck/srgnn-sample/last.pt"},
                   items_of=items_of or (lambda spec: ITEMS))


def url_name(source):
    return {"diginetica-sample": "diginetica-sample", UPLOAD_PATH: UPLOAD}.get(source)


def test_a_state_round_trips_through_its_url():
    spec = DatasetSpec(UPLOAD_PATH, "csv", "visit", item_col="product", protocol={"test_days": 3.0})
    params = encode(dataset_param(spec, url_name), "srgnn-sample/last.pt", 7, [12, 5, 12])
    assert "/srv" not in json.dumps(params)  # no server path in the URL
    decoded = decode(params, offered(), DEFAULT)
    assert decoded.refused == ()
    assert decoded.state == {"dataset": spec, "checkpoint": "/ck/srgnn-sample/last.pt", "top_k": 7,
                             "session_items": [12, 5, 12]}
    # a bundled dataset is its name; an empty session is left out
    assert encode(dataset_param(DEFAULT, url_name), "fgnn-sample/best.pt", 20, []) == {
        "dataset": "diginetica-sample", "checkpoint": "fgnn-sample/best.pt", "k": "20"}


def test_a_server_path_is_never_carried():
    assert dataset_param(DatasetSpec("/data/clicks.csv"), url_name) is None
    # an upload read with an items file from a server path: not carried either
    assert dataset_param(DatasetSpec(UPLOAD_PATH, items="/data/items.csv"), url_name) is None
    assert "dataset" not in encode(None, None, 20, [])
    assert "checkpoint" not in encode(None, None, 20, [])


@pytest.mark.parametrize("value", [
    "/etc/passwd", "../../etc/passwd", "fgnn-sample/../../x/best.pt", "/ck/fgnn-sample/best.pt",
    "fgnn-sample/best.pt\x00", "fgnn-sample", "ＦＧＮＮ-sample/best.pt", "x" * 100_000, "", ["a", "/etc/passwd"], 3,
])
def test_a_checkpoint_not_listed_is_refused(value):
    decoded = decode({"checkpoint": value}, offered(), DEFAULT)
    assert decoded.state == {} and decoded.refused == ("checkpoint",)


def test_repeated_values_take_the_last_and_check_it():
    assert decode({"checkpoint": ["/etc/passwd", "fgnn-sample/best.pt"]}, offered(), DEFAULT).state == {
        "checkpoint": "/ck/fgnn-sample/best.pt"}


@pytest.mark.parametrize("value", [
    "0", "101", "-1", "+5", "1e3", "20.0", "10" * 500, str(10**9), str(10**100), "٣", "nan", "inf", " 5", "", "0x10",
])
def test_k_outside_its_rule_is_refused(value):
    decoded = decode({"k": value}, offered(), DEFAULT)
    assert decoded.state == {} and decoded.refused == ("k",)


@pytest.mark.parametrize("value", ["1", "20", "100", "007"])
def test_k_within_its_rule_is_taken(value):
    assert decode({"k": value}, offered(), DEFAULT).state == {"top_k": int(value)}


@pytest.mark.parametrize("value", [
    "/etc/passwd", "../diginetica-sample", "/srv/cache/uploads/0123456789abcdef/clicks.csv", "unknown-data",
    "upload:0123456789abcdef/other.csv", "upload:../../etc/passwd", "diginetica-sample/", "ｄｉｇｉｎｅｔｉｃａ-sample",
    '{"source": "/etc/passwd"}', '{"source": "diginetica-sample", "items": "/etc/items.csv"}',
    '{"source": "diginetica-sample", "format": "pickle"}', '{"source": "diginetica-sample", "session_col": 5}',
    '{"source": "diginetica-sample", "session_col": "' + "c" * 300 + '"}',
    '{"source": "diginetica-sample", "unknown": 1}', '{"source": "diginetica-sample", "protocol": {"test_days": -1}}',
    '{"source": "diginetica-sample", "protocol": {"fraction": 1e400}}',
    '{"source": "diginetica-sample", "protocol": {"evil": 1}}', '{"source": "diginetica-sample", "protocol": [1]}',
    "[" * 10_000, '{"source": ' * 5_000, "{not json", '"diginetica-sample"',
])
def test_a_dataset_not_offered_is_refused(value):
    decoded = decode({"dataset": value}, offered(), DEFAULT)
    assert decoded.state == {} and decoded.refused == ("dataset",)


@pytest.mark.parametrize("value", [
    "12,/etc/passwd", "12,99999", "12,,5", "12;5", "1.5", "a,b", "12 5", "١٢", "12,5,",
    ",".join(["12"] * (MAX_SESSION_CLICKS + 1)), ",".join(["5"] * 10_000), str(10**30), "",
])
def test_a_session_not_of_the_dataset_is_refused(value):
    decoded = decode({"session": value}, offered(), DEFAULT)
    assert decoded.state == {} and decoded.refused == ("session",)


def test_a_session_is_checked_against_the_dataset_the_link_chose():
    asked = []

    def items_of(spec):
        asked.append(spec.source)
        return {1, 2} if spec.source == "yoochoose-sample" else ITEMS

    decoded = decode({"dataset": "yoochoose-sample", "session": "1,2,2"}, offered(items_of), DEFAULT)
    assert decoded.state["session_items"] == [1, 2, 2] and asked == ["yoochoose-sample"]
    # a refused dataset: the session is checked against the default one
    decoded = decode({"dataset": "/etc/passwd", "session": "12,5"}, offered(items_of), DEFAULT)
    assert decoded.state == {"session_items": [12, 5]} and decoded.refused == ("dataset",)
    # a session of the longest length allowed is fine
    full = ",".join(["12"] * MAX_SESSION_CLICKS)
    assert len(decode({"session": full}, offered(), DEFAULT).state["session_items"]) == MAX_SESSION_CLICKS


def test_a_dataset_that_cannot_be_loaded_refuses_its_session():
    def broken(spec):
        raise DataError("gone")

    assert decode({"session": "12"}, offered(broken), DEFAULT).refused == ("session",)


def test_each_refused_parameter_is_named_once_and_the_others_kept():
    params = {"dataset": "yoochoose-sample", "checkpoint": "/etc/passwd", "k": str(10**9), "session": "12,5,777",
              "embed": "true", "other": "/etc/passwd"}
    decoded = decode(params, offered(), DEFAULT)
    assert decoded.state == {"dataset": DatasetSpec("yoochoose-sample")}
    assert decoded.refused == ("checkpoint", "k", "session")
    message = refused_message(decoded.refused)
    assert "'checkpoint', 'k', 'session'" in message and "/etc/passwd" not in message
    assert "parameter 'k'" in refused_message(["k"])


def test_uploads_are_named_by_their_id_and_listed_without_opening_them(tmp_path):
    root = tmp_path / "uploads"
    path = save_upload("my clicks.csv", b"session_id,item_id\n1,2\n", root=root)
    uid = upload_id(path, root)
    assert uid == f"upload:{path.parent.name}/my_clicks.csv"
    assert live_uploads(root) == {uid: str(path)}
    # not an upload: a path outside, the folder itself, a traversal, a link
    outside = tmp_path / "x.csv"
    outside.write_text("a")
    assert upload_id(outside, root) is None and upload_id(root, root) is None
    assert upload_id(root / path.parent.name / ".." / ".." / "x.csv", root) is None
    os.symlink(outside, path.parent / "link.csv")
    (root / "notahash").mkdir()
    (root / "notahash" / "y.csv").write_text("a")
    assert live_uploads(root) == {uid: str(path)}
    assert live_uploads(tmp_path / "missing") == {}
