"""The GPU ablation study script (fgnn.benchmarks.fgnn_study), run for real on the CPU with tiny settings."""
from __future__ import annotations

import json
import tarfile

import pytest

from fgnn.benchmarks import fgnn_study


def test_variants_are_one_change_each_and_build():
    from fgnn.commands.train import MODEL_FLAGS
    from fgnn.models import build_model

    assert len(fgnn_study.DEFAULT_VARIANTS) == 12 and "srgnn" in fgnn_study.DEFAULT_VARIANTS
    for name, (model, flags, _) in fgnn_study.VARIANTS.items():
        params = {k: MODEL_FLAGS[k](str(v)) for k, v in flags.items() if k in MODEL_FLAGS}
        build_model(model, 10, hidden_size=4, **params)  # every variant is a valid model
        assert set(flags) <= set(MODEL_FLAGS) | {"weight_decay"}, name
    with pytest.raises(SystemExit):
        fgnn_study.parse_args(["--dataset", "x", "--out", "y", "--variants", "fgnn-paper,nope"])
    with pytest.raises(SystemExit):
        fgnn_study.parse_args(["--dataset", "x", "--out", "y", "--max-parallel", "2"])


def test_report_orders_by_validation_and_checks_the_subset_ranking(tmp_path):
    def run(hit, test=None):
        return {"model": "fgnn", "what": "w", "command": "python -m fgnn train ...", "state": "cancelled",
                "epochs_done": 4, "s_per_epoch": 50.0, "best_valid": {"hit@20": hit, "mrr@20": hit / 3, "epoch": 4},
                "valid_per_epoch": [{"epoch": 1, "hit@20": hit - 1}, {"epoch": 2, "hit@20": hit}],
                **({"test": {"hit@20": test, "mrr@20": 17.0}} if test else {})}
    summary = {"runs": {"fgnn-paper": run(40.0, 45.0), "last-click": run(42.0), "srgnn": run(41.0, 50.0)},
               "plan": {"train_pairs": 1000, "subset": True}, "dataset": {"name": "d"}}
    text = fgnn_study.report_markdown(summary)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "variant" not in line]
    assert [r.split(" | ")[0] for r in rows] == ["| last-click", "| srgnn", "| fgnn-paper"]
    assert "| 40.00 | 13.33 | 4 | 4 | 50.0 | 45.00 | 17.00 | cancelled |" in rows[2]
    assert "a DIFFERENT order" in text  # full data: srgnn > last-click > fgnn-paper
    summary["runs"]["srgnn"]["best_valid"]["hit@20"] = 43.0
    assert "the same order" in fgnn_study.report_markdown(summary)
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text(json.dumps(summary))
    doc = tmp_path / "page.md"
    doc.write_text(f"before\n{fgnn_study.DOC_BEGIN}\nPLACEHOLDER\n{fgnn_study.DOC_END}\nafter\n")
    fgnn_study.main(["--report", str(out), "--doc", str(doc)])
    page = doc.read_text()
    assert "PLACEHOLDER" not in page and "| last-click |" in page and page.endswith("after\n")


@pytest.mark.slow
def test_study_runs_calibrates_relaunches_stops_and_evaluates_on_cpu(tmp_path, monkeypatch):
    """Three variants on the sample: planned from a guess of 1 ms a batch, all 999 pairs cannot reach
    2,000 epochs on any CPU, so after calibrating the study relaunches them on fewer pairs, STOPs them
    at the budget and evaluates the finalists (the outcome does not depend on the machine's speed)."""
    monkeypatch.setenv("FGNN_CACHE_DIR", str(tmp_path / "cache"))
    out, work = tmp_path / "out", tmp_path / "work"
    assert fgnn_study.main([
        "--dataset", "diginetica-sample", "--valid-days", "30", "--out", str(out), "--work", str(work),
        "--budget-s", "110", "--device", "cpu", "--variants", "fgnn-paper,last-click,srgnn",
        "--target-epochs", "2000", "--guess-ms-per-batch", "1", "--min-train-pairs", "100", "--eval-reserve-s", "30", "--calibrate-s", "40",
        "--startup-guess-s", "10", "--finalists", "1", "--eval-grace-s", "60"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(p.name for p in out.iterdir()) == ["runs.tar.gz", "study.log", "summary.json"]
    plan = summary["plan"]
    assert plan["calibration"][0]["batches_per_s"], "the runs' speed was measured"
    assert plan["attempt"] == 2 and 100 <= plan["train_pairs"] < plan["first_pairs"] <= 999
    assert summary["dataset"]["valid_pairs"] == 206 and summary["dataset"]["test_pairs"] == 99
    runs = summary["runs"]
    assert set(runs) == {"fgnn-paper", "last-click", "srgnn"}
    for name, r in runs.items():
        assert r["exit_code"] is not None, f"{name} was left running"
        assert r["selected_on"] == "valid" and r["best_valid"]["n"] == 206, name
        assert f"--max-train-pairs {plan['train_pairs']}" in r["command"] and "--valid-days 30" in r["command"]
        assert r["state"] in ("finished", "cancelled")
    assert "--last-click yes" in runs["last-click"]["command"]
    # the finalists: the best FGNN variant besides the paper's (only last-click here), the paper's FGNN, SR-GNN
    assert set(summary["finalists"]) == {"last-click", "fgnn-paper", "srgnn"}
    for name in summary["finalists"]:
        assert runs[name]["test"]["n"] == 99, runs[name].get("test_error")
    with tarfile.open(out / "runs.tar.gz") as tar:
        names = tar.getnames()
    assert {f"{n}/metrics.jsonl" for n in runs} <= set(names) and not any(n.endswith(".pt") for n in names)
    text = fgnn_study.report_markdown(summary)
    assert "python -m fgnn evaluate --checkpoint" in text and text.count("python -m fgnn train") == 3
