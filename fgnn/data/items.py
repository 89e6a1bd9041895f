"""Item names and categories: an optional items file given with a click log (docs/data-formats.md).

The file has one row per item, ``item,name[,category]``, with any of the delimiters the readers
sniff (``,`` ``;`` tab ``|``) and an optional header row (a first row whose first field is not a
whole number). Ids stay the key everywhere; names are only shown. A category may be a number
(used as is, as in DIGINETICA's ``product-categories.csv``) or any text (numbered in order of
first appearance, the text kept in :attr:`~fgnn.data.dataset.PreparedDataset.category_names`).
"""
from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from fgnn.data.dataset import PreparedDataset
from fgnn.data.readers import _read_head, _sniff_delimiter, parse_id_column, quoting_content
from fgnn.data.recbole import item_columns, typed_fields
from fgnn.errors import DataError


def read_items(path, known_ids=None, token_codes: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Read an items file as ``item`` (int64), ``name`` (str) and, when present, ``category`` (str).

    Args:
        path: the items file.
        known_ids: the item ids of the click log it belongs to; an id outside them is an error.
        token_codes: where the log's item ids are tokens, its text -> code
            (:meth:`fgnn.data.readers.ItemTokens.codes`): the file's ids are read as that text,
            exactly, and ``item`` holds their codes; a first row whose id is no item of the log is
            its header.

    Raises:
        DataError: unreadable file, non-integer or duplicate ids, ids not in the log.
    """
    path = Path(path)
    text = _read_head(path)
    typed = item_columns(typed_fields(text.lstrip("\ufeff").splitlines()[0]))
    sep = "\t" if typed is not None else _sniff_delimiter(path, text)
    try:
        table = pd.read_csv(path, sep=sep, header=None, dtype=str, keep_default_na=False, encoding_errors="replace",
                            quoting=csv.QUOTE_NONE if typed is not None else csv.QUOTE_MINIMAL)
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read as an items file ({exc}); give one row per item: "
                        f"item,name[,category]") from None
    if typed is not None:  # a RecBole .item file: columns by their names and types, never by position
        id_col, name_col, cat_col = typed
        table = pd.DataFrame({0: table[id_col], 1: table[name_col] if name_col is not None else "",
                              **({2: table[cat_col].str.split().str[0].fillna("")} if cat_col is not None else {})})
    if table.shape[1] < 2:
        raise DataError(f"{path}: has {table.shape[1]} column with delimiter {sep!r}; an items file has "
                        f"item,name[,category] on each row")
    first = str(table.iat[0, 0]).strip().lstrip("\ufeff")
    header_lines = 0
    if (first not in token_codes and str(table.iat[0, 0]) not in token_codes) if token_codes is not None \
            else not first.lstrip("-").isdigit():
        table = table.iloc[1:].reset_index(drop=True)
        header_lines = 1
    if table.empty:
        raise DataError(f"{path}: has a header but no item rows; give one row per item: item,name[,category]")
    table = table.rename(columns={0: "item", 1: "name", 2: "category"})
    item = parse_id_column(table["item"], path, "1 (item)", "item id", header_lines=header_lines, tokens=False) \
        if token_codes is None else _token_codes(table["item"], token_codes, path, header_lines)
    duplicated = pd.Series(item).duplicated(keep=False).to_numpy()
    if duplicated.any():
        dup = int(item[duplicated][0])
        lines = (np.flatnonzero(item == dup) + 1 + header_lines).tolist()
        written = table["item"].iloc[lines[0] - 1 - header_lines] if token_codes is not None else dup
        raise DataError(f"{path}: item id {written if quoting_content() else '(not shown)'} appears {len(lines)} times (lines "
                        f"{', '.join(map(str, lines[:5]))}); keep one row per item")
    if known_ids is not None:
        unknown = np.setdiff1d(item, np.asarray(known_ids, dtype=np.int64))
        if unknown.size:
            shown = f" (e.g. {', '.join(str(int(u)) for u in unknown[:5])})" if quoting_content() else ""
            raise DataError(f"{path}: {unknown.size} item id(s) do not occur in the click log{shown}; "
                            f"check that the items file belongs to this log, or remove those rows")
    out = pd.DataFrame({"item": item, "name": table["name"].str.strip().to_numpy(dtype=object)})
    if "category" in table:
        out["category"] = table["category"].str.strip().to_numpy(dtype=object)
    return out


def _token_codes(texts: pd.Series, token_codes: Mapping[str, int], path, header_lines: int) -> np.ndarray:
    """The codes of the ids of an items file whose log has token ids; an id the log lacks is an error."""
    codes = texts.map(token_codes)
    if codes.isna().any():
        unknown = texts[codes.isna()]
        shown = f" (e.g. {', '.join(repr(u) for u in unknown.iloc[:5])})" if quoting_content() else ""
        raise DataError(f"{path}: {unknown.size} item id(s) do not occur in the click log{shown}, first on line "
                        f"{int(np.flatnonzero(codes.isna().to_numpy())[0]) + 1 + header_lines}; ids are compared as "
                        f"text, exactly: check that the items file belongs to this log, or remove those rows")
    return codes.to_numpy(np.int64)


def attach_items(ds: PreparedDataset, table: pd.DataFrame) -> None:
    """Give ``ds`` the names (and categories, when the table has them) of its items, by original id."""
    ids = ds.item_ids.numpy()
    names = pd.Series(table["name"].to_numpy(), index=table["item"].to_numpy())
    ds.item_names = [""] + [str(n) for n in names.reindex(ids[1:]).fillna("").tolist()]
    if "category" not in table:
        return
    text = table["category"].to_numpy(dtype=object)
    numeric = pd.to_numeric(pd.Series(text), errors="coerce")
    if numeric.notna().all() and (numeric == np.floor(numeric)).all():
        codes = numeric.to_numpy().astype(np.int64)
        ds.category_names = None
    else:
        filled = pd.Series(text).replace("", np.nan)
        factor, uniques = pd.factorize(filled, sort=False)
        codes = factor.astype(np.int64)  # -1 where empty
        ds.category_names = [str(u) for u in uniques]
    lookup = pd.Series(codes, index=table["item"].to_numpy())
    cats = lookup.reindex(ids).fillna(-1).to_numpy().astype(np.int64)
    cats[0] = -1
    ds.categories = torch.from_numpy(cats)


ItemLabels = Mapping | Callable[[int], Any] | None


def item_labeller(item_labels: ItemLabels) -> Callable[[int], str | None]:
    """A function item id -> label (or None) from a mapping, a Series, a callable or None."""
    if item_labels is None:
        return lambda _item: None
    if callable(item_labels) and not isinstance(item_labels, (Mapping, pd.Series)):
        return lambda item: (None if item_labels(item) is None else str(item_labels(item)))

    def get(item):
        try:
            value = item_labels.get(item)
        except (KeyError, TypeError, ValueError):  # a Series with an odd index
            value = None
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return str(value)

    return get

