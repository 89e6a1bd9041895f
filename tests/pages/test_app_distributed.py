"""AppTest: the Train page offers data-parallel processes and starts a 2-process run; Runs shows
its world size and device (fgnn.training.distributed, docs/distributed.md)."""
from __future__ import annotations

import json
import os

from app_support import app, wait_for

from fgnn.training.distributed import process_choices


def test_train_page_starts_a_two_process_run_and_runs_shows_it(root):
    at = app("pages/3_Train.py")
    at.selectbox(key="train_model").set_value("srgnn").run()
    at.radio(key="train_device").set_value("cpu").run()
    nproc = at.number_input(key="train_nproc")
    assert nproc.max == process_choices("cpu", [], os.cpu_count())[0]
    assert any("CPU processes (gloo)" in c.value for c in at.caption)
    nproc.set_value(2)
    at.number_input(key="train_srgnn_hidden_size").set_value(16)
    at.number_input(key="train_epochs").set_value(1)
    at.number_input(key="train_max_train_pairs").set_value(200)
    at.number_input(key="train_max_test_pairs").set_value(50)
    at.text_input(key="train_run_name").set_value("ddp-app")
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    run_dir = root / "ddp-app"
    assert json.loads((run_dir / "config.json").read_text())["nproc"] == 2
    status = wait_for(run_dir, ("finished", "failed"), timeout=240)
    assert status["state"] == "finished", (run_dir / "stdout.log").read_text()[-3000:]
    assert status["world_size"] == 2 and status["device"].startswith("2 x cpu")
    at.switch_page("pages/4_Runs.py").run()
    assert not at.exception
    row = at.dataframe[0].value.set_index("run").loc["ddp-app"]
    assert str(row["processes"]) == "2" and row["device"].startswith("2 x cpu")  # cells are shown as text


def test_baselines_are_offered_one_process(root):
    at = app("pages/3_Train.py")
    at.selectbox(key="train_model").set_value("pop").run()
    assert at.number_input(key="train_nproc").disabled
    assert any(c.value == "baselines fit in one process" for c in at.caption)
