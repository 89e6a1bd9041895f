"""fgnn.data.spec: one value for "which dataset" (source, format, columns, protocol settings), its
dict and text forms, the run-config layout (old run folders and checkpoints included) and loading."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from fgnn.data.registry import load_dataset
from fgnn.data.spec import DatasetSpec, dataset_label
from fgnn.errors import DataError
from fgnn.models.checkpoint import load_checkpoint
from fgnn.training.config import TrainConfig

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "checkpoints").glob("*/config.json"))

# config.json as runs wrote it before user logs (no user_col / event_col / items) and before
# data-parallel runs (no nproc): checkpoints/fgnn-sample and srgnn-sample are such files
OLD_LAYOUT = {"dataset": "/d/shop.csv", "format": "csv", "session_col": "visit", "item_col": "product",
              "time_col": "day", "protocol": {"test_days": 3.0}, "model": "srgnn", "model_params": {},
              "epochs": 30, "batch_size": 100, "lr": 0.001, "weight_decay": 1e-05, "lr_step": 10, "lr_gamma": 0.1,
              "device": "auto", "amp": True, "seed": 0, "ks": [10, 20], "eval_batch_size": 500, "log_every": 50,
              "max_train_pairs": None, "max_test_pairs": None, "num_threads": None, "name": None}


def test_plain_sources_stay_plain():
    spec = DatasetSpec("/data/x.csv", format="auto", item_col="")
    assert spec == DatasetSpec("/data/x.csv") and spec.format is None and spec.item_col is None
    assert spec.to_text() == "/data/x.csv" and spec.to_dict() == {"source": "/data/x.csv"}
    assert DatasetSpec.from_text("/data/x.csv") == spec
    assert DatasetSpec().source == "diginetica-sample" and DatasetSpec().label == "diginetica-sample"
    assert spec.stem == "x" and DatasetSpec().stem == "diginetica-sample"
    assert DatasetSpec(Path("/data/x.csv")) == spec


def test_equal_choices_are_equal_specs_and_round_trip():
    a = DatasetSpec("/d/c.csv", "csv", "visit", item_col="product", time_col="day", protocol={"test_days": 3.0})
    b = DatasetSpec("/d/c.csv", time_col="day", item_col="product", session_col="visit", format="csv",
                    protocol={"test_days": 3.0, "fraction": None})
    assert a == b and hash(a) == hash(b)  # the app keeps and caches by it
    assert a.to_dict() == {"source": "/d/c.csv", "format": "csv", "session_col": "visit", "item_col": "product",
                           "time_col": "day", "protocol": {"test_days": 3.0}}
    assert DatasetSpec.from_dict(a.to_dict()) == a
    assert DatasetSpec.from_text(a.to_text()) == a and json.loads(a.to_text()) == a.to_dict()
    assert a.settings == {"test_days": 3.0}
    assert a.label == "c.csv (csv, item=product, session=visit, test_days=3.0, time=day)"
    assert a.stem == "c"
    assert a.load_kwargs() == {"format": "csv", "session_col": "visit", "user_col": None, "item_col": "product",
                               "time_col": "day", "event_col": None, "items": None, "test_days": 3.0}


def test_text_of_the_app_before_the_spec_still_reads():
    """The app's dataset strings put the protocol settings beside the read options."""
    old = '{"format": "csv", "item_col": "product", "source": "/d/c.csv", "test_days": 3.0}'
    assert DatasetSpec.from_text(old) == DatasetSpec("/d/c.csv", "csv", item_col="product", protocol={"test_days": 3.0})


def test_bad_specs_name_the_problem():
    with pytest.raises(DataError, match="unknown dataset option"):
        DatasetSpec("/d/c.csv").with_options(delimiter=";")
    with pytest.raises(DataError, match="'source' key"):
        DatasetSpec.from_text('{"path": "/d/c.csv"}')
    with pytest.raises(DataError, match="not a path"):
        DatasetSpec.from_text("{not json")
    with pytest.raises(DataError, match="unknown dataset option"):
        DatasetSpec.from_text('{"source": "/d/c.csv", "sep": ";"}')
    with pytest.raises(DataError, match="unknown dataset option"):
        DatasetSpec.from_dict({"source": "/d/c.csv", "protocol": {"sep": ";"}})
    with pytest.raises(DataError, match="needs a source"):
        DatasetSpec("")
    with pytest.raises(DataError, match="protocol must be an object"):
        DatasetSpec("x", protocol=3)


def test_with_options_overrides_read_options_and_settings():
    base = DatasetSpec("/d/c.csv", "csv", item_col="it", protocol={"test_days": 2, "fraction": 4})
    new = base.with_options(item_col="product", test_days=5.0, session_col=None)
    assert new == DatasetSpec("/d/c.csv", "csv", item_col="product", protocol={"test_days": 5.0, "fraction": 4})


def test_run_config_layout_round_trips():
    spec = DatasetSpec("/d/c.csv", "csv", "visit", item_col="product", time_col="day", protocol={"test_days": 7.0})
    config = spec.config_dict()
    assert list(config) == ["dataset", "format", "session_col", "item_col", "time_col", "user_col", "event_col",
                            "items", "protocol"]
    assert config == {"dataset": "/d/c.csv", "format": "csv", "session_col": "visit", "item_col": "product",
                      "time_col": "day", "user_col": None, "event_col": None, "items": None,
                      "protocol": {"test_days": 7.0}}
    assert DatasetSpec.from_config(config) == spec
    assert DatasetSpec.from_config({"model": "pop"}) == DatasetSpec()  # a config without one: the default
    with pytest.raises(DataError, match="names no dataset"):
        DatasetSpec.from_config({"dataset": None})
    cfg = TrainConfig(data=spec, model="pop")
    assert {k: cfg.to_dict()[k] for k in config} == config
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


def test_a_config_and_a_checkpoint_in_the_old_layout_load():
    cfg = TrainConfig.from_dict(OLD_LAYOUT)
    assert cfg.data == DatasetSpec("/d/shop.csv", "csv", "visit", item_col="product", time_col="day",
                                   protocol={"test_days": 3.0})
    assert cfg.model == "srgnn" and cfg.epochs == 30 and cfg.nproc == 1
    # written back: the same keys, plus the newer ones with their defaults
    assert cfg.to_dict() == {**OLD_LAYOUT, "user_col": None, "event_col": None, "items": None, "nproc": 1}
    assert SHIPPED, "no shipped run folders in checkpoints/"
    for path in SHIPPED:
        stored = json.loads(path.read_text())
        ckpt = load_checkpoint(path.parent / "best.pt")
        for config in (stored, ckpt["train_config"]):
            cfg = TrainConfig.from_dict(config)
            assert cfg.data == DatasetSpec(stored["dataset"]) == DatasetSpec.of_checkpoint(ckpt)
            assert stored["dataset"] in ("diginetica-sample", "online-retail-sample")  # a bundled name
            assert {k: v for k, v in cfg.to_dict().items() if k in config} == config  # nothing lost or changed
    with pytest.raises(DataError, match="unknown keys"):
        TrainConfig.from_dict({**OLD_LAYOUT, "datset": "x"})


def test_checkpoint_spec_and_errors():
    spec = DatasetSpec.of_checkpoint({"train_config": {"dataset": "/x.csv", "format": "csv", "item_col": "it",
                                                       "protocol": {"test_days": 2}}})
    assert spec == DatasetSpec("/x.csv", "csv", item_col="it", protocol={"test_days": 2})
    # a checkpoint without a training config: its dataset's name
    assert DatasetSpec.of_checkpoint({"dataset": {"name": "diginetica-sample"}}) == DatasetSpec("diginetica-sample")
    with pytest.raises(DataError, match="names no dataset"):
        DatasetSpec.of_checkpoint({})


def test_load_is_the_registry_load():
    spec = DatasetSpec("diginetica-sample", protocol={"valid_days": 30})
    assert spec.load().fingerprint == load_dataset("diginetica-sample", valid_days=30).fingerprint
    assert spec.load().fingerprint != DatasetSpec().load().fingerprint


def test_dataset_label_is_the_name_a_person_loaded_not_the_upload_path(tmp_path):
    upload = DatasetSpec(str(tmp_path / "uploads" / "0123abcd" / "clicks.csv"))
    assert dataset_label(upload, {"clicks (clicks.csv)": upload}) == "clicks (clicks.csv)"
    assert dataset_label(upload) == "clicks.csv"
    assert dataset_label(DatasetSpec()) == "diginetica-sample"
    with_cols = DatasetSpec(upload.source, session_col="sid")
    assert dataset_label(with_cols).startswith("clicks.csv (")


def test_evaluate_takes_the_checkpoints_dataset_with_the_options_given_and_leaves_args_alone():
    from fgnn.cli import build_parser
    from fgnn.commands.evaluate import dataset_for_checkpoint

    ckpt = {"dataset": {"name": "shop"}, "train_config": {"dataset": "/d/shop.csv", "format": "csv", "item_col": "it",
                                                          "protocol": {"test_days": 2, "fraction": 4}}}
    args = build_parser().parse_args(["evaluate", "--checkpoint", "x.pt", "--item-col", "product", "--test-days", "5"])
    before = dict(vars(args))
    assert dataset_for_checkpoint(args, ckpt) == DatasetSpec("/d/shop.csv", "csv", item_col="product",
                                                             protocol={"test_days": 5.0, "fraction": 4})
    assert vars(args) == before  # (it used to copy the checkpoint's options into args)
    # --dataset names another dataset: the checkpoint's options do not apply
    args = build_parser().parse_args(["evaluate", "--checkpoint", "x.pt", "--dataset", "diginetica-sample"])
    assert dataset_for_checkpoint(args, ckpt) == DatasetSpec("diginetica-sample")
