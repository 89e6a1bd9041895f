"""Options shared by several verbs: choosing a dataset, ranking options, checking them, reporting errors."""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from fgnn.data.options import ProtocolSettings
from fgnn.data.readers import FORMATS
from fgnn.data.registry import list_datasets
from fgnn.data.spec import READ_OPTIONS, DatasetSpec
from fgnn.settings import add_arguments, config_error, given, rule_of, setting, value_problems
from fgnn.training.config import DEVICES, K_HELP, TrainConfig, device_problem


@dataclass
class RankingOptions:
    """The options of the verbs that rank items with a checkpoint (``evaluate``, ``predict``)."""

    top_k: int = setting(20, low=1, help=K_HELP.replace(" after every epoch (papers: 20)", ""))
    batch_size: int | None = setting(None, low=1, help="Evaluation batch (default: as fgnn train's, "
                                     f"{TrainConfig.eval_batch_size}).")
    device: str = setting("cpu", choices=DEVICES, help="Where to rank (or cuda:N).")


def add_ranking_options(p: argparse.ArgumentParser, only=("top_k", "batch_size", "device")) -> None:
    """``--top-k``, ``--batch-size``, ``--device`` with :class:`RankingOptions`' defaults."""
    add_arguments(p, RankingOptions, only=only)
    p.set_defaults(**{k: v for k, v in vars(RankingOptions()).items() if k in only})


def validate_args(args) -> None:
    """Check the options every verb shares (the dataset's protocol options, ``--top-k``,
    ``--batch-size``, ``--device``) on a parsed argparse namespace; raise
    :class:`~fgnn.errors.ConfigError` naming the first bad one. The rules are the settings' own."""
    device = getattr(args, "device", None)
    if device is not None and device_problem(device):
        raise config_error(device_problem(device))
    checks = [(k, rule_of(ProtocolSettings, k)) for k in ProtocolSettings.__dataclass_fields__]
    checks += [("top_k", rule_of(TrainConfig, "ks")), ("batch_size", rule_of(TrainConfig, "batch_size"))]
    for key, rule in checks:
        value = getattr(args, key, None)
        if value is not None:
            found = value_problems(key, rule, value, many=isinstance(value, list))
            if found:
                raise config_error(found[0])


def add_dataset_options(p: argparse.ArgumentParser, positional: bool = False) -> None:
    """``--dataset NAME|PATH`` (or a positional ``SOURCE``) plus the options to read and prepare it."""
    where = (f"registry name ({', '.join(list_datasets())}), a click-log file, "
             "or a folder in the SR-GNN pickle layout")
    if positional:
        p.add_argument("dataset", metavar="SOURCE", help=where)
    else:
        p.add_argument("--dataset", default=None, metavar="NAME|PATH", help=where)
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="input format (default: detected where unambiguous)")
    p.add_argument("--session-col", default=None, help="session column of a generic CSV/TSV or RecBole file")
    p.add_argument("--user-col", default=None,
                   help="user column of a log without session ids, instead of --session-col: each user's "
                        "events are cut into sessions at gaps longer than --session-gap")
    p.add_argument("--item-col", default=None, help="item column of a generic CSV/TSV or RecBole file")
    p.add_argument("--time-col", default=None,
                   help="time column of a generic CSV/TSV or RecBole file (unix seconds or milliseconds, "
                        "or ISO dates)")
    p.add_argument("--event-col", default=None, help="event-type column (e.g. event: view, addtocart, transaction)")
    p.add_argument("--items", default=None, metavar="FILE",
                   help="items file with one row per item: item,name[,category] (any delimiter); names are "
                        "shown wherever an item is")
    # the protocol settings, with their words and ranges (fgnn.data.options.ProtocolSettings)
    add_arguments(p, ProtocolSettings)


def protocol_options(args) -> dict:
    """The protocol settings (and the steps before it) given on the command line."""
    return given(args, ProtocolSettings)


def read_options(args) -> dict:
    """How to read the source (format, column names, items file) as given on the command line."""
    return {k: getattr(args, k, None) for k in READ_OPTIONS}


def dataset_spec(args, default: str | None = None) -> DatasetSpec:
    """The dataset the options name (``--dataset``, or ``default`` when it is absent)."""
    return DatasetSpec(args.dataset or default, **read_options(args), protocol=protocol_options(args))


def load_dataset_from_args(args, default: str | None = None, **kw):
    return dataset_spec(args, default).load(**kw)


def fail(exc: Exception) -> int:
    """One clear line on stderr, no traceback; exit code 2."""
    print(f"error: {exc}", file=sys.stderr)
    return 2


def load_checkpoint_model(path):
    """``(ckpt, model)`` of a checkpoint for a command: a model setting the checkpoint predates
    (built with its default) is named on stderr (fgnn.models.checkpoint.missing_config_fields).
    Raises :class:`~fgnn.data.dataset.DataError`."""
    from fgnn.models.checkpoint import load_checkpoint, missing_config_fields, model_from_checkpoint  # noqa: PLC0415 (torch only for the verbs that load one)

    ckpt = load_checkpoint(path)
    for warning in missing_config_fields(ckpt, path):
        print(f"warning: {warning}", file=sys.stderr)
    return ckpt, model_from_checkpoint(ckpt, path)
