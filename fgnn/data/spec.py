"""Which dataset, and how to read and prepare it: one value (docs/dataset-spec.md).

A :class:`DatasetSpec` is a source (a registry name, a click-log file or an SR-GNN pickle folder),
how to read it (format, column names, items file) and the protocol settings (test window, fraction,
validation split, the steps before the protocol). It is the one shape "which dataset" has:

- the CLI turns its dataset options into one (:func:`fgnn.commands.common.dataset_spec`);
- a run's :class:`fgnn.training.loop.TrainConfig` holds one as ``data`` and stores it flat in
  ``config.json`` and a checkpoint's ``train_config`` (``dataset``, the read options, ``protocol``:
  :meth:`DatasetSpec.config_dict` / :meth:`DatasetSpec.from_config`, the layout those files have
  always had, so old run folders and checkpoints still load);
- :meth:`DatasetSpec.of_checkpoint` says which dataset a checkpoint was trained on;
- the app keeps one in ``st.session_state["dataset"]`` and loads it through one cached loader
  (``pages/_shared.py``); :meth:`DatasetSpec.to_text` / :meth:`DatasetSpec.from_text` are its form
  in an environment variable (``FGNN_APP_DATASET``).

The protocol settings are one typed value, :class:`fgnn.data.options.ProtocolSettings`, whose fields
carry their words and ranges (:mod:`fgnn.settings`). The values are checked where they are used
(:func:`fgnn.training.config.problems`, the CLI, the readers); the spec only refuses what is not a
dataset specification at all (no source, an unknown option).
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

from fgnn.data.dataset import PreparedDataset
from fgnn.data.options import PROTOCOL_FIELDS, ProtocolSettings
from fgnn.data.registry import load_dataset
from fgnn.errors import DataError

DEFAULT_SOURCE = "diginetica-sample"

#: How to read a source: the keyword arguments of :func:`fgnn.data.registry.load_dataset` besides
#: the protocol settings (a run's config keeps them at its top level, the settings under ``protocol``).
READ_OPTIONS = ("format", "session_col", "user_col", "item_col", "time_col", "event_col", "items")
#: The protocol settings a spec may carry: the protocol's, the validation split, and the steps
#: before the protocol (:mod:`fgnn.data.sessionize`).
PROTOCOL_KEYS = PROTOCOL_FIELDS
#: The keys of a run config (``config.json``, a checkpoint's ``train_config``) that hold the spec,
#: in the order those files have always had them.
CONFIG_KEYS = ("dataset", "format", "session_col", "item_col", "time_col", "user_col", "event_col", "items",
               "protocol")
# the label's short names for the read options
_SHORT = {"session_col": "session", "user_col": "user", "item_col": "item", "time_col": "time",
          "event_col": "event", "items": "items"}


@dataclass(frozen=True)
class DatasetSpec:
    """Which dataset and how to prepare it.

    Args:
        source: a registry name (``diginetica-sample``), a click-log file or an SR-GNN pickle folder.
        format: ``diginetica``, ``yoochoose``, ``csv``, ``recbole`` or ``srgnn``; ``None`` (or
            ``"auto"``) detects it.
        session_col, user_col, item_col, time_col, event_col: column names (blank = ``None``).
        items: an items file ``item,name[,category]``.
        protocol: the protocol settings (:class:`~fgnn.data.options.ProtocolSettings`), given as
            settings, a dict or ``(key, value)`` pairs; kept as a frozen :class:`ProtocolSettings`
            (``None`` and ``""`` = not set), so that equal choices are equal specs and a spec can be
            hashed. :attr:`settings` gives the ones set as a dict.
    """

    source: str = DEFAULT_SOURCE
    format: str | None = None
    session_col: str | None = None
    user_col: str | None = None
    item_col: str | None = None
    time_col: str | None = None
    event_col: str | None = None
    items: str | None = None
    protocol: ProtocolSettings = dataclasses.field(default_factory=ProtocolSettings)

    def __post_init__(self):
        source = str(self.source) if isinstance(self.source, Path) else self.source
        if not isinstance(source, str) or not source.strip():
            raise DataError(f"a dataset needs a source (a registry name or a path), got {self.source!r}")
        object.__setattr__(self, "source", source)
        for key in READ_OPTIONS:
            value = getattr(self, key)
            if isinstance(value, Path):
                value = str(value)
            if isinstance(value, str):
                value = value.strip() or None
            if key == "format" and value == "auto":
                value = None
            object.__setattr__(self, key, value)
        protocol = ProtocolSettings.of(self.protocol)
        object.__setattr__(self, "protocol", ProtocolSettings(**protocol.to_dict()))  # "" = not set

    # ------------------------------------------------------------------ views
    @property
    def settings(self) -> dict:
        """The protocol settings as a dict (only those set)."""
        return self.protocol.to_dict()

    def read_options(self) -> dict:
        """The read options, ``None`` included (keyword arguments of ``load_dataset``)."""
        return {k: getattr(self, k) for k in READ_OPTIONS}

    def options(self) -> dict:
        """Every option that is set, read options and protocol settings in one flat dict."""
        return {**{k: v for k, v in self.read_options().items() if v is not None}, **self.settings}

    @property
    def label(self) -> str:
        """A short human label: the name or path, and the options in brackets
        (``clicks.csv (csv, item=pid, time=day)``)."""
        options = self.options()
        if not options:
            return self.source
        parts = [str(options.pop("format"))] if "format" in options else []
        parts += [f"{_SHORT.get(k, k)}={Path(str(v)).name if k == 'items' else v}" for k, v in sorted(options.items())]
        return f"{Path(self.source).name} ({', '.join(parts)})"

    @property
    def stem(self) -> str:
        """The bare name of the source, for run names: ``diginetica-sample``, ``clicks`` for ``/x/clicks.csv``."""
        return Path(self.source.rstrip("/\\")).stem or "dataset"

    def with_options(self, **given) -> DatasetSpec:
        """This spec with the options given (read options or protocol settings; ``None`` = keep)."""
        given = {k: v for k, v in given.items() if v is not None}
        _refuse_unknown(given, "dataset option")
        read = {k: given.pop(k) for k in list(given) if k in READ_OPTIONS}
        return dataclasses.replace(self, **read, protocol={**self.settings, **given})

    # ------------------------------------------------------------------ dict and text forms
    def to_dict(self) -> dict:
        """``{"source": ..., <read options that are set>, "protocol": {...} (when any)}``."""
        out = {"source": self.source, **{k: v for k, v in self.read_options().items() if v is not None}}
        if self.settings:
            out["protocol"] = self.settings
        return out

    @classmethod
    def from_dict(cls, d: dict) -> DatasetSpec:
        """The inverse of :meth:`to_dict`; protocol settings at the top level (the layout of the
        app's dataset strings before the spec) are accepted too."""
        if not isinstance(d, dict) or not isinstance(d.get("source"), str):
            raise DataError(f"dataset {str(d)[:120]!r} is not an object with a 'source' key; "
                            "choose the dataset again on the Dataset page")
        d = dict(d)
        source, protocol = d.pop("source"), d.pop("protocol", None) or {}
        if not isinstance(protocol, dict):
            raise DataError(f"protocol must be an object, got {protocol!r}")
        _refuse_unknown({**d, **protocol}, "dataset option")
        read = {k: d.pop(k) for k in list(d) if k in READ_OPTIONS}
        return cls(source, **read, protocol={**d, **protocol})

    def to_text(self) -> str:
        """One string: the bare source when no option is set, else :meth:`to_dict` as JSON (sorted keys)."""
        return json.dumps(self.to_dict(), sort_keys=True) if self.options() else self.source

    @classmethod
    def from_text(cls, text: str) -> DatasetSpec:
        """The inverse of :meth:`to_text`: a registry name, a path, or a JSON object."""
        text = str(text)
        if not text.lstrip().startswith("{"):
            return cls(text)
        try:
            d = json.loads(text)
        except ValueError:
            d = None
        if not isinstance(d, dict):
            raise DataError(f"dataset {text[:120]!r} is not a path, a registry name or a JSON object "
                            "with a 'source' key; choose the dataset again on the Dataset page")
        return cls.from_dict(d)

    # ------------------------------------------------------------------ run configs and checkpoints
    def config_dict(self) -> dict:
        """The spec as a run config stores it (:data:`CONFIG_KEYS`): ``dataset``, every read option
        (``None`` included) and ``protocol``."""
        return {"dataset": self.source, "format": self.format, "session_col": self.session_col,
                "item_col": self.item_col, "time_col": self.time_col, "user_col": self.user_col,
                "event_col": self.event_col, "items": self.items, "protocol": self.settings}

    @classmethod
    def from_config(cls, config: dict, default: str | None = DEFAULT_SOURCE) -> DatasetSpec:
        """The spec of a run config (``config.json``, a checkpoint's ``train_config``), old layouts
        included (a config from before ``user_col``/``event_col``/``items`` lacks them);
        ``default`` is the source of a config that names none."""
        source = config.get("dataset", default)
        if source is None:
            raise DataError("the run config names no dataset: choose the dataset by hand")
        protocol = config.get("protocol")
        return cls(source, **{k: config.get(k) for k in READ_OPTIONS},
                   protocol={} if protocol is None else protocol)

    @classmethod
    def of_checkpoint(cls, ckpt: dict) -> DatasetSpec:
        """The dataset a checkpoint was trained on: its training config's spec, else its dataset's
        name (a checkpoint without a training config)."""
        config = ckpt.get("train_config") or {}
        name = (ckpt.get("dataset") or {}).get("name")
        if not config.get("dataset") and not name:
            raise DataError("the checkpoint names no dataset: choose the dataset by hand")
        return cls.from_config(config, default=name) if config.get("dataset") else cls(name)

    # ------------------------------------------------------------------ loading
    def load_kwargs(self) -> dict:
        """Keyword arguments of :func:`fgnn.data.registry.load_dataset` besides the source."""
        return {**self.read_options(), **self.settings}

    def load(self, **kw) -> PreparedDataset:
        """The prepared dataset (through the registry and its cache; ``kw``: e.g. ``use_cache``)."""
        return load_dataset(self.source, **self.load_kwargs(), **kw)


def _refuse_unknown(options: dict, what: str) -> None:
    unknown = set(options) - {*READ_OPTIONS, *PROTOCOL_KEYS}
    if unknown:
        raise DataError(f"unknown {what}(s) {', '.join(sorted(unknown))}; known: "
                        f"{', '.join((*READ_OPTIONS, *PROTOCOL_KEYS))}")


def dataset_label(spec: DatasetSpec, loaded: dict | None = None) -> str:
    """What the app calls a dataset: the label the Dataset page gave a loaded log (its file name,
    not the upload folder; ``loaded`` maps labels to specs), else :attr:`DatasetSpec.label`
    (a path without options by its file name)."""
    for label, value in (loaded or {}).items():
        if value == spec:
            return label
    described = spec.label
    return Path(described).name if described == spec.source and os.sep in described else described
