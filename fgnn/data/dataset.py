"""The prepared dataset: what the protocol produces and every other part of FGNN Studio reads."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from fgnn.data.ids import id_key, ids_to_indices, original_ids, vocabulary_lookup
from fgnn.data.sessions import SessionPairs
from fgnn.errors import DataError  # noqa: F401 (its old home: pages and commands import it from here)


@dataclass
class PreparedDataset:
    """Train/test sessions and pairs after the preprocessing protocol (docs/protocol.md).

    Items are indexed ``1..n_items`` (0 is padding). ``item_ids[i]`` is the original id of
    index ``i`` (``item_ids[0] = -1``), or its code where ids are tokens: ``item_tokens[i]`` is
    then the id as written (``item_tokens[0] = ""``). :meth:`original_ids` gives either.
    """

    name: str
    fingerprint: str  # content hash of the source + protocol settings
    n_items: int
    item_ids: Tensor  # [n_items + 1] original ids
    train: SessionPairs
    test: SessionPairs
    stats: list = field(default_factory=list)  # one dict per protocol step
    categories: Tensor | None = None  # [n_items + 1] category id, -1 unknown
    train_dates: Tensor | None = None  # [train sessions] day number (days since 1970-01-01)
    test_dates: Tensor | None = None  # [test sessions]
    split_date: str | None = None  # ISO date
    settings: dict = field(default_factory=dict)
    # validation split (off by default): the most recent training sessions, moved out of ``train``
    valid: SessionPairs | None = None
    valid_dates: Tensor | None = None  # [valid sessions] day number, when the source has dates
    item_names: list | None = None  # [n_items + 1] name of each item ("" unknown), from an items file
    category_names: list | None = None  # name of each category code, when the items file named them
    # {"train", "valid", "test"} -> each click's time (seconds since 1970, float64, in the order of
    # ``items``), where the source has clock times: what the RecBole export writes (fgnn.data.recbole)
    click_times: dict | None = None
    item_tokens: list | None = None  # [n_items + 1] the id as written, where ids are tokens (docs/data-formats.md)

    @property
    def has_tokens(self) -> bool:
        """Whether item ids are tokens (text) rather than whole numbers."""
        return self.item_tokens is not None

    def original_ids(self) -> np.ndarray:
        """The original id of every index (:func:`original_ids`): int64, or ``str`` where ids are tokens."""
        key, ids = self.__dict__.get("_originals", (None, None))
        if key != (id(self.item_ids), id(self.item_tokens)):
            ids = original_ids(self.item_ids, self.item_tokens)
            self.__dict__["_originals"] = ((id(self.item_ids), id(self.item_tokens)), ids)
        return ids

    def id_key(self, value):
        """A given original id as this vocabulary's key (:func:`id_key`)."""
        return id_key(value, self.has_tokens)

    def item_labels(self) -> dict:
        """Original id -> name of every named item: the one label lookup of the app and the figures
        (``item_labels=`` of :mod:`fgnn.viz`); empty when the dataset has no names."""
        if not self.item_names:
            return {}
        key, labels = self.__dict__.get("_labels", (None, None))
        if key != id(self.item_names):  # built once per list of names
            labels = {i: n for i, n in zip(self.original_ids().tolist()[1:], self.item_names[1:], strict=True) if n}
            self.__dict__["_labels"] = (id(self.item_names), labels)
        return labels

    def with_item_names(self, table, column: str = "item", name_column: str = "name"):
        """A copy of the DataFrame ``table`` with a ``name_column`` right after its item-id
        ``column`` when the dataset names its items; ``table`` itself otherwise."""
        labels = self.item_labels()
        if not labels or column not in table or name_column in table:
            return table
        out = table.copy()
        out.insert(out.columns.get_loc(column) + 1, name_column,
                   out[column].map(lambda i: labels.get(self.id_key(i), "")).astype("object"))
        return out

    def item_label(self, item, labels: dict | None = None) -> str:
        """``"35980 · running shoes"`` for a named item, ``"35980"`` otherwise (``labels``: a
        precomputed :meth:`item_labels`, to label many items). ``item`` is an original id."""
        key = self.id_key(item)
        name = (self.item_labels() if labels is None else labels).get(key)
        return f"{key} · {name}" if name else str(key)

    def category_label(self, code: int) -> str:
        """The name of a category code (its number when the categories are numbered, ``"?"`` for -1)."""
        code = int(code)
        if code < 0:
            return "?"
        if self.category_names and code < len(self.category_names):
            return self.category_names[code]
        return str(code)

    @property
    def popularity(self) -> Tensor:
        """Clicks of each item index in the training sessions ([n_items + 1], index 0 = 0)."""
        return torch.bincount(self.train.items, minlength=self.n_items + 1)

    def index_of(self) -> dict:
        """Original id -> item index."""
        return vocabulary_lookup(self.original_ids())

    def to_indices(self, original_ids) -> list[int]:
        """Map original item ids to indices; raises :class:`DataError` naming unknown ids."""
        return ids_to_indices(self.original_ids(), original_ids, f"dataset '{self.name}'",
                              "pick items that occur in its training sessions")

    def to_original(self, indices) -> list:
        """The original ids of item indices (whole numbers, or text where ids are tokens)."""
        return self.original_ids()[np.asarray(indices, dtype=np.int64)].tolist()

    def token_codes(self) -> dict[str, int] | None:
        """Where ids are tokens, text -> the code ``item_ids`` holds (to read an items file); else ``None``."""
        if self.item_tokens is None:
            return None
        return {t: int(c) for t, c in zip(self.item_tokens[1:], self.item_ids.tolist()[1:], strict=True)}

    def summary(self) -> dict:
        return {
            "name": self.name,
            "n_items": self.n_items,
            "train_sessions": self.train.num_sessions,
            "test_sessions": self.test.num_sessions,
            "train_pairs": len(self.train),
            "test_pairs": len(self.test),
            **({"valid_sessions": self.valid.num_sessions, "valid_pairs": len(self.valid)}
               if self.valid is not None else {}),
        }
