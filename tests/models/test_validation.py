"""Every numeric option is range-checked before work starts (docs/run-folders.md): each bad
value -> exit code 2 and one line naming the option, and nothing is created or read."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fgnn.cli import main
from fgnn.data.spec import DatasetSpec
from fgnn.errors import ConfigError
from fgnn.training.config import TrainConfig, problems, validate_train_config

REPO = Path(__file__).resolve().parents[2]

TRAIN_CASES = [
    (["--batch-size", "0"], "--batch-size", ">= 1"),
    (["--lr", "-1"], "--lr", "> 0"),
    (["--lr", "nan"], "--lr", "finite"),
    (["--lr", "inf"], "--lr", "finite"),
    (["--lr-step", "0"], "--lr-step", ">= 1"),
    (["--lr-gamma", "0"], "--lr-gamma", "(0, 1]"),
    (["--weight-decay", "-1"], "--weight-decay", ">= 0"),
    (["--hidden-size", "0"], "--hidden-size", "[1, 65536]"),
    (["--heads", "0"], "--heads", "[1, 256]"),
    (["--dropout", "2"], "--dropout", "[0, 1)"),
    (["--threads", "-1"], "--threads", "[1, 4096]"),
    (["--epochs", "0"], "--epochs", ">= 1"),
    (["--max-train-pairs", "-5"], "--max-train-pairs", "0 = all"),
    (["--max-test-pairs", "-1"], "--max-test-pairs", "0 = all"),
    (["--device", "bogus"], "--device", "auto, cpu, cuda"),
    (["--top-k", "0"], "--top-k", ">= 1"),
    (["--top-k", "10", "-1"], "--top-k", ">= 1"),
    (["--test-days", "nan"], "--test-days", "finite"),
    (["--min-item-support", "0"], "--min-item-support", ">= 1"),
    (["--min-session-length", "1"], "--min-session-length", ">= 2"),
    (["--fraction", "0"], "--fraction", ">= 1"),
    (["--session-gap", "0"], "--session-gap", "> 0"),
    (["--session-gap", "-5"], "--session-gap", "> 0"),
    (["--seed", "-1"], "--seed", "[0, 2147483647]"),
    (["--eval-batch-size", "0"], "--eval-batch-size", ">= 1"),
    (["--model", "sknn", "--k", "0"], "--k", ">= 1"),
    (["--model", "sknn", "--sample-size", "-1"], "--sample-size", ">= 0"),
    (["--model", "vsknn", "--weighting", "linear"], "--weighting", "one of same, div, quadratic, log"),
    (["--model", "vsknn", "--weighting-score", "cubic"], "--weighting-score", "one of same, div"),
    (["--model", "vsknn", "--idf-weighting", "-1"], "--idf-weighting", ">= 0"),
    (["--model", "sknn", "--weighting", "log"], "model 'sknn' has no hyperparameter 'weighting'", ""),
    (["--model", "bogus"], "--model", "one of fgnn, srgnn"),
    (["--model", "pop", "--hidden-size", "8"], "model 'pop' has no hyperparameter 'hidden_size'", ""),
]


@pytest.mark.parametrize("argv, option, allowed", TRAIN_CASES, ids=[" ".join(c[0]) for c in TRAIN_CASES])
def test_train_refuses_a_bad_value_naming_the_option(argv, option, allowed, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--run-dir", str(run), "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and option in err and allowed in err, err
    assert not run.exists()  # refused before anything was written


OTHER_CASES = [
    (["prepare", "diginetica-sample", "--test-days", "nan"], "--test-days"),
    (["prepare", "diginetica-sample", "--min-session-length", "1"], "--min-session-length"),
    (["prepare", "diginetica-sample", "--fraction", "0"], "--fraction"),
    (["evaluate", "--checkpoint", "missing.pt", "--top-k", "0"], "--top-k"),
    (["evaluate", "--checkpoint", "missing.pt", "--batch-size", "0"], "--batch-size"),
    (["evaluate", "--checkpoint", "missing.pt", "--test-days", "inf"], "--test-days"),
    (["evaluate", "--checkpoint", "missing.pt", "--device", "bogus"], "--device"),
    (["predict", "--checkpoint", "missing.pt", "--session", "1", "--top-k", "-1"], "--top-k"),
    (["predict", "--checkpoint", "missing.pt", "--session", "1", "--top-k", "0"], "--top-k"),
]


@pytest.mark.parametrize("argv, option", OTHER_CASES, ids=[" ".join(c[0]) for c in OTHER_CASES])
def test_other_verbs_refuse_a_bad_value_before_reading_anything(argv, option, capsys):
    assert main(argv) == 2  # the checkpoint does not exist: the range check came first
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and option in err and "must be" in err, err


def test_a_config_file_obeys_the_same_rules(tmp_path, capsys):
    for bad, key in (({"batch_size": 0}, "batch_size"), ({"lr": float("nan")}, "lr"),
                     ({"model_params": {"dropout": 2}}, "dropout"), ({"protocol": {"test_days": -1}}, "test_days"),
                     ({"max_train_pairs": -5}, "max_train_pairs"), ({"device": "tpu"}, "device")):
        cfg = tmp_path / "run.json"
        cfg.write_text(json.dumps(bad))
        assert main(["train", "--config", str(cfg), "--run-dir", str(tmp_path / "run")]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and f"run config {cfg}: " in err and key in err and "must be" in err, err
        assert not (tmp_path / "run").exists()


def test_max_pairs_zero_means_all_in_cli_and_app():
    from fgnn.cli import build_parser
    from fgnn.commands.train import config_from_args

    args = build_parser().parse_args(["train", "--max-train-pairs", "0", "--max-test-pairs", "0"])
    cfg = config_from_args(args)
    assert cfg.max_train_pairs is None and cfg.max_test_pairs is None  # the Train page's 0 = all
    assert problems(TrainConfig(max_train_pairs=0)) == []  # a config file's 0 is all as well


def test_train_options_left_out_give_train_configs_defaults():
    from fgnn.cli import build_parser
    from fgnn.commands.train import config_from_args

    assert config_from_args(build_parser().parse_args(["train"])) == TrainConfig()
    cfg = config_from_args(build_parser().parse_args(["train", "--epochs", "3", "--top-k", "20", "5", "20"]))
    assert (cfg.epochs, cfg.ks, cfg.lr) == (3, [5, 20], TrainConfig().lr)


def test_problems_lists_every_broken_rule_for_a_form():
    found = problems(TrainConfig(batch_size=0, lr=float("inf"), model_params={"heads": 0}))
    assert [(p.key, p.option) for p in found] == [("batch_size", "--batch-size"), ("lr", "--lr"), ("heads", "--heads")]
    assert found[0].text(by_key=True) == "batch_size must be an integer >= 1, got 0"
    assert problems(TrainConfig()) == [] and problems(TrainConfig(model="vsknn", model_params={"k": 50})) == []
    # the steps before the protocol (a user log cut into sessions) are settings of a run too
    user_log = {"session_gap": 45.0, "keep": "view", "collapse_repeats": True, "test_days": 1}
    assert problems(TrainConfig(data=DatasetSpec(protocol=user_log))) == []
    assert [p.key for p in problems(TrainConfig(data=DatasetSpec(protocol={"session_gap": 0})))] == ["session_gap"]
    with pytest.raises(ConfigError, match="--epochs must be an integer >= 1, got True"):
        validate_train_config(TrainConfig(epochs=True))


def test_the_real_entry_point_exits_2():
    env = dict(os.environ, PYTHONPATH=str(REPO))
    r = subprocess.run([sys.executable, "-m", "fgnn", "train", "--lr", "nan"], check=False, capture_output=True, text=True,
                       cwd=REPO, env=env, timeout=120)
    assert r.returncode == 2 and r.stderr.strip() == "error: --lr must be a finite number > 0, got nan"
