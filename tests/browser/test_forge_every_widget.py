"""Every page, every widget, values that were not offered, sent over the app's own websocket
(tests/forge_support.py): nothing outside what was offered is read, nothing of a server file is
shown, no traceback, and no run folder is touched (docs/serving.md "One boundary").

The server is served read-only, so a forged click on a disabled button (Start training, Delete
run, Cancel) is a forgery too. Planted outside the checkpoints root: a real checkpoint and a click
log whose lines carry a marker; an audit hook in the server records every open of them."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from forge_support import Wire, audit_env, forge_page, hostile_values, leaked, opened

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
MARKER = "CANARY-LINE-5d1e"


def shipped_runs_and_a_planted_checkpoint(tmp_path) -> tuple[Path, Path]:
    """A checkpoints root with the shipped FGNN and SR-GNN runs, and outside it a folder holding a
    real checkpoint that no page offers."""
    root = tmp_path / "checkpoints"
    root.mkdir()
    for name in ("fgnn-sample", "srgnn-sample"):
        shutil.copytree(REPO / "checkpoints" / name, root / name, ignore=shutil.ignore_patterns("inspect-cache"))
    planted = tmp_path / "planted"
    planted.mkdir()
    shutil.copy(REPO / "checkpoints" / "fgnn-sample" / "best.pt", planted / "best.pt")
    return root, planted


def test_forged_values_for_every_widget_of_every_page_change_nothing(tmp_path, streamlit_server_factory):
    root, planted = shipped_runs_and_a_planted_checkpoint(tmp_path)
    (planted / "clicks.csv").write_text("session_id,item_id,timestamp\n"
                                        + "".join(f"{MARKER}-{i},{i % 7},{1_400_000_000 + i}\n" for i in range(60)))
    audit = tmp_path / "audit"
    env = {"FGNN_CHECKPOINT_DIR": str(root), "FGNN_READ_ONLY": "1", "FGNN_UPLOAD_DIR": str(tmp_path / "uploads"),
           **audit_env(audit, [str(planted), "/etc/passwd"])}
    before = sorted(p.relative_to(root) for p in root.rglob("*") if "inspect-cache" not in p.parts)
    url = streamlit_server_factory(env=env, timeout=90)

    wire = Wire(url)
    pages = wire.run().pages
    wire.close()
    assert len(pages) == 6, pages
    paths = [str(planted / "best.pt"), str(planted / "clicks.csv"), str(planted)]
    total_runs, widgets, problems = 0, 0, []
    for page_hash, name in pages:
        report = forge_page(url, page_hash, name, paths)
        total_runs += report.runs
        widgets += len(report.widgets)
        problems += [f"{name or 'builder'}: traceback {e}" for e in report.exceptions[:3]]
        problems += [f"{name or 'builder'}: showed {n!r}" for n in leaked(report.messages, [MARKER, "root:x:0:0"])]
        problems += [f"{name or 'builder'}: the server opened {path}" for path in sorted(set(opened(audit)))]
        (audit / "opened.log").unlink(missing_ok=True)
    after = sorted(p.relative_to(root) for p in root.rglob("*") if "inspect-cache" not in p.parts)
    if after != before:
        problems.append(f"run folders changed: {sorted(set(before) ^ set(after))}")
    print(f"forged {widgets} widgets over {len(pages)} pages in {total_runs} runs")
    assert not problems, "\n".join(problems)


def test_a_forged_sidebar_checkpoint_is_never_loaded(tmp_path, streamlit_server_factory):
    """The hole this boundary closes: the sidebar copied any "Model checkpoint" value a visitor
    sent into the app's state, so Inspect loaded, evaluated and named a file it never offered."""
    root, planted = shipped_runs_and_a_planted_checkpoint(tmp_path)
    audit = tmp_path / "audit"
    url = streamlit_server_factory(env={"FGNN_CHECKPOINT_DIR": str(root), "FGNN_READ_ONLY": "1",
                                        **audit_env(audit, [str(planted)])}, timeout=90)
    wire = Wire(url)
    try:
        first = wire.run()
        ids = {w.id.rsplit("-", 1)[-1]: w.id for w in first.widgets.values()}
        inspect = next(h for h, name in first.pages if name == "Inspect")
        forged = hostile_values([str(planted / "best.pt")])[0]
        forged.id = ids["_sidebar_checkpoint"]
        result = wire.run(inspect, "Inspect", [forged])
    finally:
        wire.close()
    assert not result.exceptions
    assert opened(audit) == []
    assert not leaked(result.messages, [str(planted)])
    assert not (planted / "inspect-cache").exists()
    # the page did run: Inspect evaluated the shipped checkpoint the sidebar offered
    assert leaked(result.messages, ["fgnn-sample/best.pt"])
