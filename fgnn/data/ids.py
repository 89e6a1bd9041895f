"""Item ids as they were written (docs/data-formats.md, "Ids"): whole numbers, or tokens (any text).

A vocabulary maps item indices ``1..n_items`` (0 is padding) to original ids. Where ids are whole
numbers they are the ``item_ids`` tensor itself; where they are tokens ``item_ids`` holds codes and
the text is kept beside it (``item_tokens``). :func:`original_ids` gives either as one numpy array,
and every lookup of a given id (typed, from a URL, a command line or a file) goes through
:func:`id_key`: the exact text for tokens, the whole number otherwise.
"""
from __future__ import annotations

import re

import numpy as np
from torch import Tensor

from fgnn.errors import DataError


def original_ids(item_ids: Tensor, item_tokens: list | None = None) -> np.ndarray:
    """The original id of each item index (index 0 is padding): an ``int64`` array where ids are
    whole numbers, an object array of ``str`` where they are tokens (docs/data-formats.md, "Ids";
    ``item_ids`` then holds codes and ``item_tokens`` the text). Index an array of indices with it:
    ``original_ids(...)[indices]``."""
    return np.asarray(item_tokens, dtype=object) if item_tokens is not None else as_original_ids(item_ids)


def as_original_ids(ids) -> np.ndarray:
    """An ``item_ids`` tensor or an :func:`original_ids` array as the numpy array to index with
    item indices (``as_original_ids(ids)[index.numpy()]``)."""
    return ids.cpu().numpy() if isinstance(ids, Tensor) else np.asarray(ids)


def plain_id(value):
    """An original id as JSON takes it: ``str`` for a token, ``int`` for a whole number."""
    return value if isinstance(value, str) else int(value)


_WHOLE = re.compile(r"[+-]?[0-9]+")


def id_key(value, tokens: bool):
    """A given original id (typed, from a URL or a command line, or from a table) as the vocabulary's
    key: its exact text where ids are tokens, its whole number otherwise (``None`` when it is none)."""
    if tokens:
        return str(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    text = str(value).strip()
    return int(text) if _WHOLE.fullmatch(text) else None  # ASCII digits only: int() would take '٣' and '1_0'


def vocabulary_lookup(ids) -> dict:
    """Original id -> item index for a vocabulary (index 0 is padding): ``ids`` is an
    :func:`original_ids` array or an ``item_ids`` tensor of whole numbers."""
    return {v: i for i, v in enumerate(ids.tolist()) if i > 0}  # (tolist gives Python ints or str)


def ids_to_indices(ids, given, owner: str, advice: str) -> list[int]:
    """Map original ids (``given``: numbers, or text as typed) to indices of the vocabulary ``ids``
    (:func:`original_ids`, or an ``item_ids`` tensor) of ``owner`` (a dataset or a checkpoint);
    raises :class:`DataError` naming the unknown ids and ``advice``."""
    lookup = vocabulary_lookup(ids)
    tokens = ids.dtype == object
    keys = [id_key(i, tokens) for i in given]
    unknown = [g for g, k in zip(given, keys, strict=True) if k not in lookup]
    if unknown:
        shown = ", ".join(str(u) for u in unknown[:10])
        raise DataError(f"item id(s) {shown} are not in the vocabulary of {owner} ({len(lookup)} items): {advice}")
    return [lookup[k] for k in keys]
