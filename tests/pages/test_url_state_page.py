"""AppTest: the app's state in its URL (fgnn.app.url_state, pages/_shared.py): a link sets checkpoint,
K and session; a forged one changes nothing and gets one warning naming its parameters."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pages._shared import checkpoint_choices

REPO = Path(__file__).resolve().parents[2]


def run_with_link(**params) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(autouse=True)
def fresh_checkpoint_list():
    """The sidebar's list of checkpoints is cached for a few seconds: list this test's own root."""
    checkpoint_choices.clear()


def app_run(at) -> None:
    """A run of app.py itself (AppTest runs the page alone after the first run of a session; the app's
    own run draws the sidebar and writes the URL)."""
    at.run()
    at.switch_page("app.py").run()
    assert not at.exception, [e.value for e in at.exception]


def param(at, name: str):
    """A parameter of the page's URL as the app last wrote it (the last of repeated values)."""
    value = at.query_params.get(name)
    return value[-1] if isinstance(value, list) else value


def test_a_link_sets_the_checkpoint_k_and_session_and_the_url_follows(root, ds):
    session = [int(i) for i in ds.item_ids[1:4].tolist()]
    at = run_with_link(checkpoint="srgnn-sample/best.pt", k="7", session=",".join(map(str, session)))
    assert at.session_state["checkpoint"] == str(root / "srgnn-sample" / "best.pt")
    assert at.session_state["top_k"] == 7 and at.session_state["session_items"] == session
    assert at.selectbox(key="_sidebar_checkpoint").value == str(root / "srgnn-sample" / "best.pt")
    assert at.number_input(key="_sidebar_top_k").value == 7
    assert not [w.value for w in at.warning if "link" in w.value]
    # the URL carries the state back: labels and ids, no path
    assert param(at, "checkpoint") == "srgnn-sample/best.pt"
    assert param(at, "dataset") == "diginetica-sample"
    assert param(at, "k") == "7"
    at.session_state["top_k"] = 9
    app_run(at)
    assert param(at, "k") == "9"


def test_a_forged_link_changes_nothing_and_names_what_it_refused(root):
    outside = root.parent / "planted" / "best.pt"
    outside.parent.mkdir()
    outside.write_bytes(b"not a checkpoint")
    at = run_with_link(checkpoint=str(outside), k=str(10**9), session="5,999999999", dataset="../../etc/passwd")
    assert at.session_state["checkpoint"] == str(root / "fgnn-sample" / "best.pt")
    assert at.session_state["top_k"] == 20 and at.session_state["session_items"] == []
    warnings = [w.value for w in at.warning if "link" in w.value]  # (the builder's own "empty session" aside)
    assert len(warnings) == 1 and all(f"'{p}'" in warnings[0] for p in ("dataset", "checkpoint", "k", "session"))
    assert str(outside) not in warnings[0] and not at.error
    # the URL now says what is shown
    assert param(at, "checkpoint") == "fgnn-sample/best.pt" and "session" not in at.query_params
    # the warning goes once the visitor changes what the link set
    at.session_state["top_k"] = 5
    app_run(at)
    assert not [w.value for w in at.warning if "link" in w.value]
