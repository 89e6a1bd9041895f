"""AppTest of the app's part 2: Train, Runs, Inspect, Dataset.

Every test works on a temporary FGNN_CHECKPOINT_DIR holding copies of the shipped runs, so the
real ``checkpoints/`` is never touched; training runs are tiny (1 epoch, a few dozen pairs).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
from app_support import app, wait_for

from fgnn.data.registry import load_dataset
from fgnn.data.spec import DatasetSpec
from fgnn.evaluation.evaluate import rank_targets
from fgnn.evaluation.rank_cache import forget
from fgnn.models.checkpoint import load_model
from fgnn.runs.launch import launch_run
from fgnn.training.config import TrainConfig

REPO = Path(__file__).resolve().parents[2]


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def figure_traces(chart) -> list[dict]:
    return json.loads(chart.proto.spec)["data"]


def texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("error", "success", "warning", "info", "markdown", "caption")
                     for e in getattr(at, kind))


def test_start_tiny_run_finishes_and_appears_on_runs_page(root):
    at = app("pages/3_Train.py")
    at.selectbox(key="train_model").set_value("fgnn").run()
    defaults = TrainConfig()  # the form starts where `fgnn train` does
    for name in ("epochs", "batch_size", "lr", "weight_decay", "lr_step", "lr_gamma", "seed", "log_every"):
        assert at.number_input(key=f"train_{name}").value == getattr(defaults, name), name
    at.number_input(key="train_fgnn_hidden_size").set_value(16)
    at.number_input(key="train_fgnn_heads").set_value(2)
    at.number_input(key="train_epochs").set_value(1)
    at.number_input(key="train_max_train_pairs").set_value(60)
    at.number_input(key="train_max_test_pairs").set_value(30)
    at.number_input(key="train_log_every").set_value(1)
    at.radio(key="train_device").set_value("cpu")
    at.text_input(key="train_run_name").set_value("../app test/tiny")
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    run_dir = root / "app-test-tiny"  # the typed name became a safe folder inside the root
    assert run_dir.is_dir() and not (root.parent / "app test").exists()
    assert "app-test-tiny" in texts(at)
    config = json.loads((run_dir / "config.json").read_text())
    assert config["epochs"] == 1 and config["model_params"]["hidden_size"] == 16 and config["device"] == "cpu"
    status = wait_for(run_dir, ("finished", "failed"))
    assert status["state"] == "finished", (run_dir / "stdout.log").read_text()[-2000:]
    at.run()
    assert "finished" in [m.value for m in at.metric]
    assert figure_traces(at.get("plotly_chart")[0])  # the curves of the finished run
    at.switch_page("pages/4_Runs.py").run()
    assert not at.exception
    runs = at.dataframe[0].value
    assert "app-test-tiny" in runs["run"].tolist()
    assert runs.set_index("run").loc["app-test-tiny", "state"] == "finished"
    # make it the app's checkpoint
    at.selectbox(key="runs_selected").set_value("app-test-tiny").run()
    at.button(key="runs_use").click().run()
    assert at.session_state["checkpoint"] == str(run_dir / "best.pt")


def test_curves_from_a_half_written_metrics_file(root):
    run_dir = root / "half"
    run_dir.mkdir()
    (run_dir / "config.json").write_text(json.dumps({"model": "fgnn", "epochs": 3, "dataset": "diginetica-sample"}))
    (run_dir / "status.json").write_text(json.dumps({"state": "running", "pid": os.getpid(), "epoch": 1,
                                                     "epochs": 3, "step": 4, "steps_per_epoch": 3}))
    rows = [{"kind": "train", "epoch": 1, "step": s, "loss": 6.0 - s / 10, "lr": 1e-3} for s in (1, 2, 3)]
    rows.append({"kind": "eval", "epoch": 1, "step": 3, "loss": 5.5, "hit@20": 3.0, "mrr@20": 1.0, "ndcg@20": 1.5})
    text = "".join(json.dumps(r) + "\n" for r in rows) + '{"kind": "train", "epoch": 2, "step": 4, "lo'
    (run_dir / "metrics.jsonl").write_text(text)
    at = app("pages/3_Train.py", train_watch=str(run_dir))
    assert not at.error
    traces = figure_traces(at.get("plotly_chart")[0])
    step = [t for t in traces if t["meta"]["metric"] == "step_loss"]
    assert step and step[0]["x"] == [1, 2, 3]  # the half line is left out, the rest is drawn
    hit = [t for t in traces if t["meta"]["metric"] == "hit"]
    assert hit and hit[0]["y"] == [3.0]
    assert "running" in [m.value for m in at.metric]
    # the Runs page overlays it with a shipped run
    at.switch_page("pages/4_Runs.py").run()
    at.multiselect(key="runs_overlay").set_value(["half", "fgnn-sample"]).run()
    assert not at.exception
    runs = {t["meta"]["run"] for t in figure_traces(at.get("plotly_chart")[0])}
    assert runs == {"half", "fgnn-sample"}


def test_cancel_from_the_train_page(root):
    run_dir = root / "long"
    launch_run({"model": "fgnn", "epochs": 500, "max_train_pairs": 400, "max_test_pairs": 30, "batch_size": 20,
                "log_every": 1, "num_threads": 1, "device": "cpu", "model_params": {"hidden_size": 16, "heads": 2}},
               run_dir)
    wait_for(run_dir, ("running",))
    at = app("pages/3_Train.py", train_watch=str(run_dir))
    assert "running" in [m.value for m in at.metric] or "queued" in [m.value for m in at.metric]
    at.button(key="train_cancel").click().run()
    assert "Cancel requested" in texts(at)
    assert wait_for(run_dir, ("cancelled", "failed"), timeout=120)["state"] == "cancelled"
    at.run()
    assert "cancelled" in [m.value for m in at.metric]
    assert "was cancelled" in texts(at)


def test_failed_run_shows_error_and_log_tail(root):
    run_dir = root / "broken"
    launch_run({"dataset": str(root / "no-such-file.csv"), "model": "fgnn", "epochs": 1}, run_dir)
    assert wait_for(run_dir, ("failed", "finished"))["state"] == "failed"
    at = app("pages/3_Train.py", train_watch=str(run_dir))
    assert any("failed" in e.value and "no-such-file.csv" in e.value for e in at.error)
    assert at.code and "no-such-file" in at.code[0].value


def test_inspect_ranks_equal_fgnn_evaluate(root):
    ckpt = root / "fgnn-sample" / "best.pt"
    forget(ckpt)  # ranks an earlier test of this process kept in memory for the same bytes: rank again
    at = app("pages/5_Inspect.py", checkpoint=str(ckpt), top_k=20)
    assert not at.error, [e.value for e in at.error]
    ds = load_dataset("diginetica-sample")
    model, _ = load_model(ckpt, ds)
    ranks = rank_targets(model, ds.test)
    # the pair table comes a page at a time (50 rows), in pair order
    pages = [at.dataframe[0].value]
    at.number_input(key="inspect_page").set_value(2).run()
    pages.append(at.dataframe[0].value)
    assert [len(p) for p in pages] == [50, len(ds.test) - 50]
    table = pd.concat(pages)
    assert table["rank"].tolist() == ranks.tolist()
    assert table["hit"].tolist() == (ranks <= 20).tolist()
    # computed once: kept beside the run
    assert list((ckpt.parent / "inspect-cache").glob("best-*.pt"))
    # filters: misses only
    at.number_input(key="inspect_page").set_value(1).run()
    at.radio(key="inspect_outcome").set_value("miss").run()
    misses = at.dataframe[0].value
    assert len(misses) == min(50, int((ranks > 20).sum())) and (misses["rank"] > 20).all()
    assert any(f"of {int((ranks > 20).sum())} · page" in c.value for c in at.caption)
    # slices drawn, comparison with the shipped SR-GNN
    assert len(at.get("plotly_chart")) >= 4
    counts = next(d.value for d in at.dataframe if list(d.value.columns) == ["outcome", "pairs"])
    counts = counts.set_index("outcome")["pairs"]
    assert counts.sum() == len(ds.test)
    # open a test pair in the builder
    at.radio(key="inspect_outcome").set_value("all").run()
    at.selectbox(key="inspect_pair").set_value(3).run()
    at.button(key="inspect_open").click().run()
    prefix = [int(ds.item_ids[i]) for i in ds.test.prefix(3)]
    assert at.session_state["session_items"] == prefix
    assert at.session_state["highlight_item"] == int(ds.item_ids[ds.test.targets[3]])


def test_malformed_upload_gives_a_clear_message_and_leaves_runs_untouched(root, tmp_path):
    before = snapshot(root)
    at = app("pages/6_Dataset.py")
    at.file_uploader(key="data_upload").set_value(("../../clicks.csv", b"session,item\n1,2\n3,4,5,6\n", "text/csv"))
    at.button(key="data_load").click().run()
    assert not at.exception
    assert at.error, "no error shown"
    message = at.error[0].value
    assert "clicks.csv" in message and "cannot be used" in message and "Traceback" not in message
    assert snapshot(root) == before
    uploads = list((tmp_path / "uploads").rglob("*.csv"))
    assert uploads and all(root not in p.parents for p in uploads)
    assert all(p.name == "clicks.csv" for p in uploads)
    # a path that does not exist, and a wrong format: clear messages too
    at.radio(key="data_source_kind").set_value("path on this machine").run()
    at.text_input(key="data_path").set_value(str(tmp_path / "missing.csv"))
    at.button(key="data_load").click().run()
    assert "missing.csv" in at.error[0].value and "no such file" in at.error[0].value
    bad = tmp_path / "wrong.csv"
    bad.write_text("a;b;c\n1;2;3\n")
    at.text_input(key="data_path").set_value(str(bad))
    at.selectbox(key="data_format").set_value("yoochoose")
    at.button(key="data_load").click().run()
    assert "wrong.csv" in at.error[0].value
    assert snapshot(root) == before


def test_good_upload_runs_the_protocol(root):
    data = (REPO / "fgnn" / "data" / "bundled" / "diginetica-sample" / "train-item-views.csv").read_bytes()
    at = app("pages/6_Dataset.py")
    at.file_uploader(key="data_upload").set_value(("my views.csv", data, "text/csv"))
    at.button(key="data_load").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("309 items" in s.value for s in at.success)
    assert len(at.get("plotly_chart")) == 4  # steps, lengths, popularity, split


def test_dataset_page_shows_the_bundled_sample(root):
    at = app("pages/6_Dataset.py")
    assert not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["n items"] == "309" and metrics["test pairs"] == "99"
    assert len(at.get("plotly_chart")) == 4


def test_runs_page_baselines_beside_models_and_delete_after_confirmation(root):
    done = root / "pop-done"
    done.mkdir()
    (done / "config.json").write_text(json.dumps({"model": "pop", "dataset": "diginetica-sample"}))
    (done / "status.json").write_text(json.dumps({"state": "finished", "epoch": 1, "best": {"hit@20": 4.0}}))
    at = app("pages/4_Runs.py", top_k=20)
    models, baselines = at.dataframe[0].value, at.dataframe[1].value
    assert set(models["run"]) == {"fgnn-sample", "srgnn-sample"}
    assert baselines["run"].tolist() == ["pop-done"] and baselines["HR@20"].tolist() == ["4.00"]
    at.selectbox(key="runs_selected").set_value("pop-done").run()
    # the button is enabled before the name is typed (a click that ends the typing is not
    # swallowed); a wrong or missing name deletes nothing
    assert not at.button(key="runs_delete").disabled
    at.button(key="runs_delete").click().run()
    assert done.exists() and any("Type the run name" in e.value for e in at.error)
    at.text_input(key="runs_delete_confirm").set_value("pop-don").run()
    at.button(key="runs_delete").click().run()
    assert done.exists()
    at.text_input(key="runs_delete_confirm").set_value("pop-done").run()
    at.button(key="runs_delete").click().run()
    assert not at.exception
    assert not done.exists()
    assert (root / "fgnn-sample" / "best.pt").is_file() and (root / "srgnn-sample" / "best.pt").is_file()
    assert "pop-done" not in at.dataframe[0].value["run"].tolist()


def test_custom_columns_log_becomes_the_app_dataset_and_trains_with_its_columns(root, tmp_path):
    """A CSV with its own column names: loaded on the Dataset page, made the app-wide dataset
    (format and columns kept), shown in the sidebar, and trained on from the Train page."""
    import pandas as pd

    clicks = pd.read_csv(REPO / "fgnn" / "data" / "bundled" / "diginetica-sample" / "train-item-views.csv", sep=";")
    path = tmp_path / "shop.csv"
    clicks.rename(columns={"session_id": "visit", "item_id": "product", "eventdate": "day"}).to_csv(path, index=False)
    at = app("pages/6_Dataset.py")
    at.radio(key="data_source_kind").set_value("path on this machine").run()
    at.text_input(key="data_path").set_value(str(path))
    at.selectbox(key="data_format").set_value("csv")
    at.text_input(key="data_session_col").set_value("visit")
    at.text_input(key="data_item_col").set_value("product")
    at.text_input(key="data_time_col").set_value("day")
    at.button(key="data_load").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.button(key="data_use").click().run()
    assert not at.exception and not at.error
    source = at.session_state["dataset"]
    assert source.to_dict() == {"source": str(path), "format": "csv", "session_col": "visit", "item_col": "product",
                                "time_col": "day"}
    at.switch_page("app.py").run()  # the app's own run draws the sidebar (and opens the session builder)
    assert not at.exception, [e.value for e in at.exception]
    sidebar = at.selectbox(key="_sidebar_dataset")
    assert sidebar.value == at.session_state["dataset"]
    assert "shop.csv (csv, item=product, session=visit, time=day)" in sidebar.options

    at.switch_page("pages/3_Train.py").run()
    assert not at.exception
    at.selectbox(key="train_model").set_value("pop").run()
    assert at.text_input(key="train_run_name").placeholder == "pop-shop"  # after the model and the file
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    status = wait_for(root / "pop-shop", ("finished", "failed"))
    assert status["state"] == "finished", status
    config = json.loads((root / "pop-shop" / "config.json").read_text())
    assert (config["dataset"], config["format"], config["session_col"], config["item_col"], config["time_col"]) == (
        str(path), "csv", "visit", "product", "day")

    # the Runs page's "use this checkpoint" brings the same source back
    at.session_state["dataset"] = DatasetSpec("diginetica-sample")
    at.switch_page("pages/4_Runs.py").run()
    at.selectbox(key="runs_selected").set_value("pop-shop").run()
    at.button(key="runs_use").click().run()
    assert not at.exception
    assert at.session_state["dataset"] == source
