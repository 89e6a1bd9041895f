"""What a run is made of: :class:`TrainConfig`, saved as a run's ``config.json`` (docs/run-folders.md)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from fgnn.data.dataset import DataError
from fgnn.data.spec import CONFIG_KEYS, DatasetSpec


@dataclass
class TrainConfig:
    """Everything that defines a run; saved as ``config.json``. Defaults: both papers.

    ``data`` (which dataset and how to prepare it, :class:`fgnn.data.spec.DatasetSpec`) is stored
    flat, as run configs have always been: ``dataset``, the read options and ``protocol``."""

    data: DatasetSpec = field(default_factory=DatasetSpec)
    model: str = "fgnn"
    model_params: dict = field(default_factory=dict)  # hidden_size, heads, steps, k, ...
    epochs: int = 10
    batch_size: int = 100
    lr: float = 1e-3
    weight_decay: float = 1e-5
    lr_step: int = 3
    lr_gamma: float = 0.1
    device: str = "auto"  # auto | cpu | cuda
    amp: bool = True  # bfloat16 autocast on CUDA
    seed: int = 0
    ks: list = field(default_factory=lambda: [10, 20])
    eval_batch_size: int = 500
    log_every: int = 50
    max_train_pairs: int | None = None  # the most recent N training pairs, for quick tries
    max_test_pairs: int | None = None
    num_threads: int | None = None
    nproc: int = 1  # data-parallel processes (docs/distributed.md); the world size a run had
    name: str | None = None

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

