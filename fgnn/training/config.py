"""What a run is made of: :class:`TrainConfig`, saved as a run's ``config.json`` (docs/run-folders.md).

Every field carries its words and range (:func:`fgnn.settings.setting`): ``fgnn train``'s flags, the
check of the CLI, of a ``--config`` file and of the Train page (:func:`problems`), the Train form
(:mod:`fgnn.app.forms`) and the docs' table are derived from them.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from fgnn.data.options import FREE_PROTOCOL_KEYS, ProtocolSettings
from fgnn.data.spec import CONFIG_KEYS, DatasetSpec
from fgnn.errors import DataError
from fgnn.models.options import model_problems
from fgnn.settings import Problem, Rule, config_error, field_problems, rule_of, rules, setting

DEVICES = ("auto", "cpu", "cuda")  # or cuda:N
K_HELP = "HR@K, MRR@K and NDCG@K after every epoch (papers: 20)."


@dataclass
class TrainConfig:
    """Everything that defines a run; saved as ``config.json``. Defaults: both papers.

    ``data`` (which dataset and how to prepare it, :class:`fgnn.data.spec.DatasetSpec`) is stored
    flat, as run configs have always been: ``dataset``, the read options and ``protocol``."""

    data: DatasetSpec = field(default_factory=DatasetSpec)
    model: str = setting("fgnn", flag="--model", checked=False, help="The model to train or fit.")
    model_params: dict = field(default_factory=dict)  # hidden_size, heads, steps, k, ...
    epochs: int = setting(10, low=1, help="Passes over the training pairs (papers: about 10-30).")
    batch_size: int = setting(100, low=1, label="batch size", help="Sessions per training batch (papers: 100).")
    lr: float = setting(1e-3, low=0, low_open=True, label="learning rate", help="Adam learning rate (papers: 0.001).")
    weight_decay: float = setting(1e-5, low=0, label="weight decay", help="L2 penalty in Adam (papers: 1e-5).")
    lr_step: int = setting(3, low=1, label="lr decay every N epochs",
                           help="Multiply the learning rate by the decay factor every N epochs (papers: 3).")
    lr_gamma: float = setting(0.1, low=0, high=1, low_open=True, label="lr decay factor",
                              help="Learning-rate decay factor (papers: 0.1).")
    device: str = setting("auto", choices=DEVICES, checked=False,
                          help="auto = the GPU when there is one, else the CPU (or cuda:N).")
    amp: bool = setting(True, flag="--no-amp", switch=True, help="No bfloat16 autocast on CUDA.")
    seed: int = setting(0, low=0, high=2**31 - 1, help="Random seed of initialisation and batch order.")
    ks: list[int] = setting(default_factory=lambda: [10, 20], flag="--top-k", low=1, label="evaluate at K",  # noqa: RUF009 (a field, as field() is)
                            choices=(), help=K_HELP)
    eval_batch_size: int = setting(500, low=1, help="Test prefixes per evaluation batch.")
    log_every: int = setting(50, low=1, label="log loss every N batches", help="Write the training loss every N batches.")
    max_train_pairs: int | None = setting(None, low=0, note="0 = all", unset=0, label="max training pairs (0 = all)",
                                          help="Train on the most recent N pairs only, 0 = all: quick tries.")
    max_test_pairs: int | None = setting(None, low=0, note="0 = all", unset=0, label="max test pairs (0 = all)",
                                         help="Evaluate on the first N test pairs only, 0 = all.")
    num_threads: int | None = setting(None, low=1, high=4096, flag="--threads", help="CPU threads for torch.")
    nproc: int = setting(1, low=1, label="processes (data-parallel)",
                         help="Data-parallel processes on this machine, started through torchrun's API: one per GPU "
                              "(NCCL), or CPU processes (gloo); neural models only (docs/distributed.md).")
    name: str | None = setting(None, flag=False, label="run name", help="The run's name (default model-dataset).")

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """A run config as ``config.json`` / a checkpoint's ``train_config`` hold it (older layouts too)."""
        names = {f.name for f in dataclasses.fields(cls)} - {"data"}
        unknown = set(d) - names - set(CONFIG_KEYS)
        if unknown:
            raise DataError(f"run config has unknown keys {sorted(unknown)}: valid keys are "
                            f"{sorted(names | set(CONFIG_KEYS))}")
        data = DatasetSpec.from_config({k: d[k] for k in CONFIG_KEYS if k in d})
        return cls(data=data, **{k: v for k, v in d.items() if k in names})

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        del out["data"]
        return {**self.data.config_dict(), **out}


TRAIN_RULES = rules(TrainConfig)  # the fields checked by their rule alone
K_RULE = rule_of(TrainConfig, "ks")
PROTOCOL_RULES = rules(ProtocolSettings)


def device_problem(device, option: str = "--device") -> Problem | None:
    """The problem with a device name (``auto``, ``cpu``, ``cuda`` or ``cuda:N``)."""
    if isinstance(device, str) and (device in DEVICES or (device.startswith("cuda:") and device[5:].isdigit())):
        return None
    return Problem("device", Rule(option, "choice", choices=(*DEVICES, "cuda:N")), device)


def protocol_problems(protocol) -> list[Problem]:
    """Problems of a run config's ``protocol`` object (unknown keys included)."""
    if not isinstance(protocol, dict):
        return [Problem("protocol", None, protocol, f"protocol must be an object, got {protocol!r}")]
    names = list(PROTOCOL_RULES)
    out = [Problem(k, None, v, f"{k!r} is not a protocol setting: those are {', '.join(names)}")
           for k, v in protocol.items() if k not in PROTOCOL_RULES]
    given = {k: v for k, v in protocol.items() if v is not None and k not in FREE_PROTOCOL_KEYS}
    return out + field_problems(ProtocolSettings, given)


def problems(cfg) -> list[Problem]:
    """Every broken rule of a run config (a :class:`TrainConfig` or its dict)."""
    d = cfg if isinstance(cfg, dict) else cfg.to_dict()
    out = field_problems(TrainConfig, {k: v for k, v in d.items() if k != "ks"})
    out += field_problems(TrainConfig, {"ks": d.get("ks", [10, 20])}) if "ks" in TRAIN_RULES else []
    if "device" in d:
        p = device_problem(d["device"])
        if p:
            out.append(p)
    out += model_problems(d.get("model", "fgnn"), d.get("model_params") or {})
    out += protocol_problems(d.get("protocol") or {})
    return out


def validate_train_config(cfg, where: str = "", by_key: bool = False) -> None:
    """Raise :class:`~fgnn.errors.ConfigError` for the first broken rule (``where`` prefixes the message,
    e.g. ``"run config F: "``; ``by_key`` names the config key instead of the CLI option)."""
    found = problems(cfg)
    if found:
        raise config_error(found[0], where, by_key)
