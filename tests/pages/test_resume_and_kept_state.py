"""AppTest of the app in repeated use: Train page validation, resume, live state;
widget state kept across pages; small catalogues and unknown categories in the builder."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from pathlib import Path

import torch
from app_support import app, chart_specs, wait_for

from fgnn.data.spec import DatasetSpec
from fgnn.models import config_class
from fgnn.models.options import MODEL_RULES

TRAIN = "pages/3_Train.py"
REPO = Path(__file__).resolve().parents[2]


def run_on_another_dataset(root: Path) -> None:
    """``srgnn-elsewhere``: the shipped SR-GNN run as if trained on another dataset (its checkpoints
    name another dataset's fingerprint, its config another source): comparison checkpoints are matched
    by the dataset's fingerprint (docs/dataset-spec.md)."""
    shutil.copytree(root / "srgnn-sample", root / "srgnn-elsewhere")
    for name in ("best.pt", "last.pt"):
        path = root / "srgnn-elsewhere" / name
        if path.exists():
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
            ckpt["dataset"] = dict(ckpt["dataset"], name="another-dataset", fingerprint="f" * 16)
            torch.save(ckpt, path)
    cfg = json.loads((root / "srgnn-elsewhere" / "config.json").read_text())
    (root / "srgnn-elsewhere" / "config.json").write_text(json.dumps(dict(cfg, dataset="another-dataset")))


def write_status(run_dir: Path, **status) -> None:
    (run_dir / "status.json").write_text(json.dumps(status))


def test_train_fields_have_choices_ranges_and_a_help(root):
    """Bug 3: activation was free text ("foo" started a run that died); every field now has its rule."""
    at = app(TRAIN)
    at.selectbox(key="train_model").set_value("fgnn").run()
    assert not [t for t in at.text_input if t.key == "train_fgnn_activation"]
    act = at.selectbox(key="train_fgnn_activation")
    assert act.value == "relu" and "foo" not in act.options and {"relu", "elu", "none"} <= set(act.options)
    assert at.selectbox(key="train_fgnn_attention_norm").options == ["dst", "src"]
    hidden = at.number_input(key="train_fgnn_hidden_size")
    assert hidden.min == 1 and hidden.max == MODEL_RULES["hidden_size"].high
    assert "papers: 100" in hidden.help
    for name in (f.name for f in dataclasses.fields(config_class("fgnn")) if f.name != "n_items"):
        widgets = [w for kind in ("number_input", "selectbox", "checkbox") for w in getattr(at, kind)
                   if w.key == f"train_fgnn_{name}"]
        assert len(widgets) == 1 and widgets[0].help, name
    for key in ("train_epochs", "train_batch_size", "train_lr", "train_lr_step", "train_lr_gamma"):
        assert "papers" in at.number_input(key=key).help, key


def test_resume_button_goes_on_with_a_cancelled_run(root):
    """Bug 4: the messages said "Resume it" but there was no button."""
    run_dir = root / "stopped"
    shutil.copytree(root / "fgnn-sample", run_dir)
    status = json.loads((run_dir / "status.json").read_text())
    write_status(run_dir, **dict(status, state="cancelled", pid=None))
    at = app(TRAIN, train_watch=str(run_dir))
    assert "cancelled" in [m.value for m in at.metric]
    at.button(key="train_resume").click().run()
    assert not at.exception
    final = wait_for(run_dir, ("finished", "failed"), timeout=240)
    assert final["state"] == "finished", (run_dir / "stdout.log").read_text()[-2000:]
    assert final["epoch"] == status["epoch"] and final["best"] == status["best"]


def test_live_view_epoch_in_progress_sidebar_refresh_and_default_watch(root):
    """Bug 5: "epoch 1 / 2" showed during epoch 2; a finished run was missing from the sidebar's
    checkpoints; the run to watch defaulted to a baseline without loss curves."""
    shutil.copytree(REPO / "checkpoints" / "vsknn-sample", root / "vsknn-sample")  # the newest run
    os.utime(root / "vsknn-sample", (time.time() + 60, time.time() + 60))
    at = app(TRAIN)
    assert Path(at.selectbox(key="train_watch").value).name in ("fgnn-sample", "srgnn-sample")

    run_dir = root / "live-run"
    shutil.copytree(root / "fgnn-sample", run_dir)
    (run_dir / "best.pt").unlink()
    (run_dir / "last.pt").unlink()
    status = json.loads((run_dir / "status.json").read_text())
    write_status(run_dir, **dict(status, state="running", pid=os.getpid(), epoch=1, epochs=2))
    at = app(TRAIN, train_watch=str(run_dir))
    assert "2 / 2" in [m.value for m in at.metric]
    from pages._shared import checkpoint_choices  # the sidebar's list (cached for a few seconds)

    assert not any("live-run" in o for o in checkpoint_choices())

    shutil.copy(root / "fgnn-sample" / "best.pt", run_dir / "best.pt")
    write_status(run_dir, **dict(status, state="finished", pid=os.getpid(), epoch=2, epochs=2))
    at.run()
    assert not at.exception
    assert "2 / 2" in [m.value for m in at.metric]
    assert any(o.endswith("live-run/best.pt") for o in checkpoint_choices())  # the cache was cleared


BUILDER = "pages/1_Session_builder.py"


def test_builder_shows_the_targets_rank_outside_the_topk_under_both_models(root, ds):
    """The debugging flow: the true next item's rank under this checkpoint and the comparison one,
    which offers only runs on the same dataset (the best of the other network first)."""
    from fgnn.evaluation.ranking import session_scores
    from fgnn.models.checkpoint import load_model

    items = [int(i) for i in ds.to_original(ds.test.session(3))[:-1]]
    model = load_model(root / "fgnn-sample" / "best.pt", ds)[0]
    scores = session_scores(model, ds, [items])[0]
    far = int(ds.item_ids[int(scores.argsort(descending=True)[99]) + 1])
    run_on_another_dataset(root)  # must never be offered

    at = app(BUILDER, checkpoint=str(root / "fgnn-sample" / "best.pt"), session_items=items, highlight_item=far)
    assert not at.error, [e.value for e in at.error]
    tables = [t.value for t in at.dataframe]
    mine = next(t for t in tables if "target" in getattr(t, "columns", []) and "category" in t.columns)
    row = mine[mine["item"] == far]
    assert len(mine) == 21 and len(row) == 1 and row.iloc[0]["target"].startswith("target: rank ")
    rank = int(row.iloc[0]["rank"])
    assert rank > 20 and any(f"rank {rank:,}" in m.value for m in at.markdown)
    other = at.selectbox(key="builder_other")
    assert [Path(o).parent.name for o in other.options] == ["srgnn-sample"]
    theirs = next(t for t in tables if "target" in getattr(t, "columns", []) and "category" not in t.columns)
    assert (theirs["item"] == far).sum() == 1
    assert sum("true next item" in m.value for m in at.markdown) == 2  # both ranks shown


def test_builder_without_a_model_for_the_dataset_offers_a_way_out(root, tmp_path):
    """Bug 6: a dataset with no model showed only an error; now: train one, or go back."""
    log = tmp_path / "uploads" / "abc" / "tiny.csv"
    log.parent.mkdir(parents=True)
    rows = ["session,item,time"] + [f"{s},{(s * 7 + j) % 15 + 1},2024-03-{1 + s % 10:02d}" for s in range(60)
                                    for j in range(4)]
    log.write_text("\n".join(rows) + "\n")
    at = app(BUILDER, dataset=str(log))
    assert at.error and "cannot be used" in at.error[0].value
    at.button(key="back_to_bundled").click().run()
    assert at.session_state["dataset"] == DatasetSpec("diginetica-sample")
    assert not at.error, [e.value for e in at.error]


INSPECT = "pages/5_Inspect.py"


def test_inspect_miss_shows_the_top1_b_is_on_the_same_dataset_and_rows_open_in_the_builder(root, ds):
    """Inspect: a miss says what the model put first; checkpoint B is chosen among runs on the
    same dataset (the other network first); a row of the A/B table opens in the builder with B."""
    from fgnn.evaluation.pair_ranks import pair_prediction
    from fgnn.models.checkpoint import load_model

    run_on_another_dataset(root)
    at = app(INSPECT, checkpoint=str(root / "fgnn-sample" / "best.pt"), top_k=5)
    assert not at.error, [e.value for e in at.error]
    assert [Path(o).parent.name for o in at.selectbox(key="inspect_other").options] == ["srgnn-sample"]

    at.radio(key="inspect_outcome").set_value("miss").run()
    pair = at.selectbox(key="inspect_pair").value
    model = load_model(root / "fgnn-sample" / "best.pt", ds)[0]
    row = ds.to_original(ds.test.session(int(ds.test.pair_session[pair])))
    n = int(ds.test.pair_length[pair])
    guess = pair_prediction(model, ds, row[:n], row[n])
    assert guess["rank"] > 5
    assert any(f"put item **{guess['top1']}** first" in m.value and f"rank **{guess['rank']:,}**" in m.value
               for m in at.markdown)

    table = next(d for d in at.dataframe if d.key and d.key.startswith("inspect_compare_table_"))
    assert len(table.value)
    # select its first row, as a click would, and open it
    first = table.value.iloc[0]
    at.session_state[table.key] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    at.button(key="inspect_compare_open").click().run()
    assert at.session_state["highlight_item"] == int(first["target"])
    assert Path(at.session_state["builder_other"]).parent.name == "srgnn-sample"


def test_widget_state_survives_a_visit_to_another_page(root):
    """Bug 7: Inspect's hit/miss filter and Graph construction's source reset on returning."""
    at = app(INSPECT, checkpoint=str(root / "fgnn-sample" / "best.pt"))
    at.radio(key="inspect_outcome").set_value("miss").run()
    at.switch_page("pages/2_Graph_construction.py").run()
    at.radio(key="construction_source").set_value("Type a sequence").run()
    at.text_input(key="construction_text").set_value("5, 6, 5").run()
    at.switch_page(BUILDER).run()
    at.switch_page(INSPECT).run()
    assert at.radio(key="inspect_outcome").value == "miss"
    at.switch_page("pages/2_Graph_construction.py").run()
    assert at.radio(key="construction_source").value == "Type a sequence"
    assert at.text_input(key="construction_text").value == "5, 6, 5"
    assert not at.exception and not at.warning, [w.value for w in at.warning]


def test_inspect_sliders_survive_a_visit_and_fit_another_checkpoint(root):
    """Inspect's range sliders (their range depends on the data) keep their choice across pages,
    and a choice that does not fit another checkpoint's test pairs is clipped into its range."""
    at = app(INSPECT, checkpoint=str(root / "fgnn-sample" / "best.pt"))
    lo, hi = at.slider(key="inspect_length").value
    assert lo == 1 and hi > 3
    at.slider(key="inspect_length").set_value((2, 3)).run()
    at.slider(key="inspect_popularity").set_value((1, 5)).run()
    shown = len(at.dataframe[0].value)
    at.switch_page(BUILDER).run()
    at.switch_page(INSPECT).run()
    assert at.slider(key="inspect_length").value == (2, 3)
    assert at.slider(key="inspect_popularity").value == (1, 5)
    assert len(at.dataframe[0].value) == shown
    assert not at.exception and not at.warning, [w.value for w in at.warning]


def test_a_kept_range_is_clipped_into_the_range_of_other_data():
    from fgnn.app.choices import clipped_range

    assert clipped_range(None, 1, 8) == (1, 8)
    assert clipped_range((2, 3), 1, 8) == (2, 3)
    assert clipped_range((13, 17), 1, 8) == (8, 8)  # another checkpoint's shorter sessions
    assert clipped_range([0, 5], 1, 8) == (1, 5)
    assert clipped_range((6, 2), 1, 8) == (1, 8)


def test_builder_results_are_memoised_per_session(root, ds):
    """Speed: an undo (or a remove back to an earlier session) answers from this visitor's memo
    (pages._shared.session_memo) without running the model again; a new session is computed once."""
    items = next(ids[:3] for s in range(ds.test.num_sessions)
                 if len(set(ids := [int(i) for i in ds.to_original(ds.test.session(s))][:3])) == 3)

    def explained(at):
        return [key[-2] for key in at.session_state["_session_memo"] if key[0] == "explain"]

    at = app(BUILDER, checkpoint=str(root / "fgnn-sample" / "best.pt"), session_items=items[:2])
    at.session_state["session_items"] = items
    at.run()
    assert explained(at) == [tuple(items[:2]), tuple(items)]
    at.session_state["session_items"] = items[:2]  # back to the first session: from the memo
    at.run()
    assert sorted(explained(at)) == sorted([tuple(items[:2]), tuple(items)])
    at.session_state["session_items"] = items[:1]  # a new one: computed once
    at.run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert sorted(explained(at)) == sorted([tuple(items[:1]), tuple(items[:2]), tuple(items)])


def test_builder_graph_on_a_fixed_colour_scale(root, ds):
    sessions = [[int(i) for i in ds.to_original(ds.test.session(s))] for s in range(ds.test.num_sessions)]
    items = max(sessions, key=lambda ids: len(set(ids)))  # attention spread over many nodes
    at = app(BUILDER, checkpoint=str(root / "fgnn-sample" / "best.pt"), session_items=items)

    def node_scale():
        chart = next(s for s in chart_specs(at) if s["layout"]["title"]["text"].startswith("Session graph"))
        node = next(t for t in chart["data"] if t.get("name") == "items")
        return node["marker"]["cmin"], node["marker"]["cmax"]

    assert node_scale()[1] < 1.0
    at.toggle(key="builder_fixed_scale").set_value(True).run()
    assert node_scale() == (0.0, 1.0)


def test_graph_construction_named_steps_previous_next_and_the_model_input(root, ds):
    items = [int(i) for i in ds.to_original(ds.test.session(0))]
    at = app("pages/2_Graph_construction.py", session_items=items)
    assert at.selectbox(key="construction_step").value.startswith("1. ")
    assert at.button(key="construction_prev").disabled
    at.button(key="construction_next").click().run()
    assert at.selectbox(key="construction_step").value.startswith("2. ")
    at.button(key="construction_prev").click().run()
    assert at.selectbox(key="construction_step").value.startswith("1. ")
    at.selectbox(key="construction_step").set_value("7. The tensors the model receives").run()
    assert at.button(key="construction_next").disabled
    index = ds.index_of()
    rows = sorted({index[i] for i in items})
    assert at.code and at.code[0].value.startswith("Data(x=tensor([[")
    assert all(f"[{r}]" in at.code[0].value for r in rows)
