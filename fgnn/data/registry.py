"""Dataset registry: a name or a path -> :class:`~fgnn.data.dataset.PreparedDataset`, cached on disk.

``load_dataset("diginetica-sample")`` gives the DIGINETICA sample bundled inside the package (with
the category of each item); ``load_dataset(path)`` reads any click log or SR-GNN pickle folder.

The prepared data is cached in ``$FGNN_CACHE_DIR`` (default ``~/.cache/fgnn``) under a key that
hashes the bytes of every input file, the format, the column names, the protocol settings and
:data:`PIPELINE_VERSION`, so a changed file is never served stale. Entries are plain
tensors/str/int/float/list/dict written with :func:`torch.save` to a temporary file then renamed
(atomic), and read back with ``torch.load(..., weights_only=True)``. A failed prepare writes nothing;
a cache folder that cannot take an entry (read-only, full) means working without a cache, with one warning.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from fgnn.atomic import torch_save_atomic
from fgnn.data.dataset import PreparedDataset
from fgnn.data.items import attach_items, read_items
from fgnn.data.protocol import (
    apply_protocol,
    check_validation,
    keep_latest_fraction,
    prepared_from_srgnn,
    resolve_settings,
    validation_settings,
)
from fgnn.data.readers import (
    FILE_ORDER_NOTE,
    FORMATS,
    SRGNN_FILES,
    check_regular_file,
    detect_format,
    item_tokens,
    read_clicks,
    read_srgnn_folder,
)
from fgnn.data.recbole import benchmark_files, item_columns_of, item_ids_in_order, read_benchmark
from fgnn.data.recbole import item_file as recbole_item_file
from fgnn.data.sessionize import LOG_SETTINGS, prepare_log, resolve_log_settings
from fgnn.data.sessions import SessionPairs
from fgnn.errors import DataError

#: Bump when a change to readers/protocol changes what a prepared dataset holds.
PIPELINE_VERSION = "fgnn-data-1"
BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"
CATEGORIES_FILE = "product-categories.csv"

REGISTRY = {
    "diginetica-sample": {
        "path": BUNDLED_DIR / "diginetica-sample" / "train-item-views.csv",
        "format": "diginetica",
        "description": "DIGINETICA (CIKM Cup 2016) sample shipped with SR-GNN: 12,391 clicks, "
                       "309 items after the protocol",
        # where the bytes come from and on what terms (python -m fgnn datasets; docs/data-formats.md)
        "source": "CIKM Cup 2016 Track 2 (DIGINETICA): the sample train-item-views.csv shipped with SR-GNN "
                  "(https://github.com/CRIPAC-DIG/SR-GNN, datasets/sample_train-item-views.csv, bytes unchanged); "
                  "full data: http://cikm2016.cs.iupui.edu/cikm-cup",
        "licence": "none stated: the SR-GNN repository has no LICENSE file and states no licence for the data; "
                   "the CIKM Cup 2016 data was released by DIGINETICA and its partners for the challenge, "
                   "no licence text found",
    },
    "online-retail-sample": {
        "path": BUNDLED_DIR / "online-retail-sample" / "clicks.csv",
        "format": "csv",
        "items": BUNDLED_DIR / "online-retail-sample" / "items.csv",
        # the protocol's defaults for this dataset (given settings win): its last 7 days are the test
        # window (1 day, the CSV default, would leave 74 test sessions)
        "settings": {"test_days": 7},
        "description": "UCI Online Retail: UK invoices of 2011-10-01..2011-12-09 with at most 25 lines; an invoice "
                       "is a session, a stock code (text, e.g. 85123A) an item with its product name: 36,258 "
                       "clicks, 1,481 items after the protocol",
        "source": "UCI Machine Learning Repository, Online Retail (Chen 2015, "
                  "https://archive.ics.uci.edu/dataset/352/online+retail, doi:10.24432/C5BW33), from "
                  "data/onlineretail.rda of https://github.com/allanvc/onlineretail (commit 3a77afe), cut by "
                  "docs/examples/make_online_retail_sample.py; fgnn/data/bundled/online-retail-sample/SOURCE.txt",
        "licence": "CC BY 4.0 (UCI); attribution: Chen, D. (2015). Online Retail. UCI Machine Learning Repository. "
                   "https://doi.org/10.24432/C5BW33. The R package's copy is marked CC0, included with the "
                   "donor's permission",
    },
}


def list_datasets() -> list[str]:
    """Names that :func:`load_dataset` accepts besides paths."""
    return sorted(REGISTRY)


def cache_dir() -> Path:
    """Where prepared datasets are cached: ``$FGNN_CACHE_DIR`` or ``~/.cache/fgnn``."""
    return Path(os.environ.get("FGNN_CACHE_DIR") or Path.home() / ".cache" / "fgnn")


def _sha256(path: Path) -> str:
    check_regular_file(path)  # a device or a FIFO would be hashed forever
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror}); check the path and its permissions") from None
    return h.hexdigest()


def _srgnn_inputs(folder: Path) -> list[Path]:
    """The files :func:`read_srgnn_folder` reads, in a fixed order."""
    found = [n for n in SRGNN_FILES if (folder / n).is_file()]
    if "all_train_seq.txt" in found and "train.txt" in found:
        found.remove("train.txt")
    return [folder / n for n in found]


def _resolve(source, format: str | None) -> tuple[str, Path, str, Path | None]:
    """``(name, path, format, categories path or None)`` of a registry name or a path."""
    key = str(source)
    if key in REGISTRY:
        entry = REGISTRY[key]
        if format not in (None, entry["format"]):
            raise DataError(f"{key}: is a {entry['format']} dataset, not {format}; drop --format")
        path = entry["path"]
        cats = path.parent / CATEGORIES_FILE
        return key, path, entry["format"], cats if cats.is_file() else None
    path = Path(source).expanduser()
    if not path.exists():
        raise DataError(f"{source}: no such file, folder or registry name; give a path or one of "
                        f"{', '.join(list_datasets())}")
    if format is not None and format not in FORMATS:
        raise DataError(f"{source}: unknown format {format!r}; use one of {', '.join(FORMATS)}")
    fmt = format or detect_format(path)
    if fmt == "srgnn" and path.is_file():
        path = path.parent
    cats = path.parent / CATEGORIES_FILE if fmt == "diginetica" else None
    name = path.name if path.is_dir() else path.stem
    return name, path, fmt, cats if cats is not None and cats.is_file() else None


def _read_categories(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot be read as 'itemId;categoryId' ({exc}); fix or remove the file") from None
    if list(table.columns[:2]) != ["itemId", "categoryId"]:
        raise DataError(f"{path}: header must be 'itemId;categoryId'; fix or remove the file")
    item = pd.to_numeric(table["itemId"], errors="coerce")
    cat = pd.to_numeric(table["categoryId"], errors="coerce")
    ok = item.notna() & cat.notna()
    return pd.DataFrame({"item": item[ok].astype(np.int64), "category": cat[ok].astype(np.int64)})


def dataset_fingerprint(inputs: list[Path], fmt: str, columns: dict, settings: dict) -> str:
    h = hashlib.sha256()
    h.update(PIPELINE_VERSION.encode())
    h.update(json.dumps({"format": fmt, "columns": columns, "settings": settings}, sort_keys=True).encode())
    for p in inputs:
        h.update(p.name.encode() + b"\0" + _sha256(p).encode())
    return h.hexdigest()


# --------------------------------------------------------------------------- (de)serialisation
def dataset_state(ds: PreparedDataset) -> dict:
    """A :class:`PreparedDataset` as plain tensors/str/int/float/list/dict (``weights_only``-safe)."""
    return {
        "pipeline_version": PIPELINE_VERSION, "name": ds.name, "fingerprint": ds.fingerprint,
        "n_items": int(ds.n_items), "item_ids": ds.item_ids, "train": ds.train.state(),
        "test": ds.test.state(), "stats": ds.stats, "categories": ds.categories,
        "train_dates": ds.train_dates, "test_dates": ds.test_dates, "split_date": ds.split_date,
        "settings": ds.settings, "valid": None if ds.valid is None else ds.valid.state(),
        "valid_dates": ds.valid_dates, "item_names": ds.item_names,
        "category_names": ds.category_names, "click_times": ds.click_times, "item_tokens": ds.item_tokens,
    }


def dataset_from_state(state: dict) -> PreparedDataset:
    return PreparedDataset(
        name=state["name"], fingerprint=state["fingerprint"], n_items=int(state["n_items"]),
        item_ids=state["item_ids"], train=SessionPairs.from_state(state["train"]),
        test=SessionPairs.from_state(state["test"]), stats=list(state["stats"]),
        categories=state["categories"], train_dates=state["train_dates"], test_dates=state["test_dates"],
        split_date=state["split_date"], settings=dict(state["settings"]),
        valid=SessionPairs.from_state(state["valid"]) if state.get("valid") is not None else None,
        valid_dates=state.get("valid_dates"),
        item_names=state.get("item_names"), category_names=state.get("category_names"),
        click_times=state.get("click_times"), item_tokens=state.get("item_tokens"),
    )


def _cache_read(path: Path) -> PreparedDataset | None:
    if not path.is_file():
        return None
    try:
        state = torch.load(path, weights_only=True)
        if state.get("pipeline_version") != PIPELINE_VERSION or "click_times" not in state:
            return None  # (an entry from before click times were kept is rebuilt once)
        return dataset_from_state(state)
    except Exception as exc:  # noqa: BLE001 (a damaged cache entry of any kind is rebuilt); a truncated or foreign file: prepare again, overwrite it
        warnings.warn(f"ignoring unreadable cache entry {path}: {exc}", stacklevel=2)
        return None


_warned_folders: set[str] = set()


def _cache_write(path: Path, ds: PreparedDataset) -> None:
    """Keep ``ds`` in the cache. Caching is an optimisation: a folder that cannot take the entry
    (read-only, full, over quota, any OS error) means working without a cache, with one warning line
    per folder naming it, and no partial or temporary file left behind (fgnn.atomic)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch_save_atomic(dataset_state(ds), path)
    except OSError as exc:
        folder = str(path.parent)
        if folder not in _warned_folders:
            _warned_folders.add(folder)
            print(f"warning: the dataset cache folder {folder} cannot take a new entry "
                  f"({exc.strerror or exc}); working without a cache (set FGNN_CACHE_DIR to a folder with room)",
                  file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- entry point
def _items_path(name: str, items) -> Path | None:
    """The items file given (or the registry entry's), checked to exist."""
    if items in (None, ""):
        items = REGISTRY.get(name, {}).get("items")
        if items is None:
            return None
    path = Path(items).expanduser()
    if not path.exists():
        raise DataError(f"{items}: no such items file; give a file with one row per item: item,name[,category]")
    check_regular_file(path)  # a FIFO or a device would never end when hashed
    return path


def _note_file_order(ds: PreparedDataset, clicks: pd.DataFrame) -> None:
    """A log without a time column (RecBole files may have none) says so in its statistics, and
    keeps no click times (its rows are its clock)."""
    if clicks.attrs.get("time_unit") != "rows":
        return
    ds.click_times = None
    for row in ds.stats:
        if row["step"] == "read":
            row["note"] = FILE_ORDER_NOTE


def _benchmark_inputs(files: dict) -> list[Path]:
    """The RecBole benchmark files and the ``NAME.item`` beside them (hashed into the fingerprint)."""
    item = recbole_item_file(files)
    return list(files.values()) + ([item] if item is not None else [])


def _prepare_benchmark(files: dict, name: str, fingerprint: str, fraction: int, items_path):
    """A prepared dataset from RecBole benchmark files (their pairs as they are), its items table
    (``--items``, else the ``NAME.item`` beside them) and the items file read."""
    beside = recbole_item_file(files)
    ds = read_benchmark(files, name=name, fingerprint=fingerprint,
                        items=item_ids_in_order(beside) if beside is not None else None)
    items_path = items_path or beside
    named = items_path is not None and (items_path != beside or item_columns_of(beside) is not None)
    table = read_items(items_path, token_codes=ds.token_codes()) if named else None  # (a .item of ids alone only numbers the items)
    if table is not None:
        table = table[table["item"].isin(ds.item_ids[1:].numpy())]
    ds.train, _ = keep_latest_fraction(ds.train, fraction, str(files["train"]), ds.stats)
    ds.settings["fraction"] = fraction
    return ds, table, items_path


def _srgnn_settings(path: Path, given: dict, valid: dict, log: dict, user_col, event_col,
                    what: str = "SR-GNN pickles") -> dict:
    """The settings an SR-GNN pickle folder (or RecBole benchmark files) takes: only ``fraction`` and
    ``valid_fraction`` (the protocol has already been applied to it); anything else is refused by name."""
    if what != "SR-GNN pickles" and valid:
        raise DataError(f"{path}: {what} carry their own split; a validation split is the .valid.inter file "
                        f"(prepare --valid-days ... --out-format recbole writes one); drop --valid-days / "
                        f"--valid-fraction")
    if "valid_days" in valid:
        raise DataError(f"{path}: SR-GNN pickles carry no dates, so --valid-days cannot apply; use "
                        f"--valid-fraction (the most recent fraction of the training sessions, which the "
                        f"pickles keep in date order)")
    unknown = set(given) - {"fraction"}
    unknown |= set(log) | {f for f, v in (("user_col", user_col), ("event_col", event_col)) if v}
    if unknown:
        raise DataError(f"{path}: {what} are already preprocessed, so "
                        f"{', '.join(sorted(unknown))} cannot apply; drop those options")
    settings = {"fraction": int(given.get("fraction", 1))}
    if settings["fraction"] < 1:
        raise DataError("fraction must be 1 (all training pairs) or more (keep the latest 1/fraction)")
    return settings


def _prepare_srgnn(path: Path, name: str, fingerprint: str, fraction: int,
                   valid_fraction: float | None) -> PreparedDataset:
    """A prepared dataset from SR-GNN pickles, with the protocol's fraction cut (step 7)."""
    ds = prepared_from_srgnn(read_srgnn_folder(path), name=name, fingerprint=fingerprint,
                             valid_fraction=valid_fraction)
    ds.settings["files"] = [Path(f).name for f in ds.settings.get("files", [])]
    ds.train, _ = keep_latest_fraction(ds.train, fraction, str(path), ds.stats)
    ds.settings["fraction"] = fraction
    return ds


def load_dataset(source, format: str | None = None, session_col: str | None = None,
                 item_col: str | None = None, time_col: str | None = None, *,
                 user_col: str | None = None, event_col: str | None = None, items=None,
                 use_cache: bool = True, **protocol_settings) -> PreparedDataset:
    """Load a registry name (see :func:`list_datasets`) or a path as a :class:`PreparedDataset`.

    Args:
        source: ``"diginetica-sample"``, a click-log file, or an SR-GNN pickle folder.
        format: ``diginetica``, ``yoochoose``, ``csv``, ``recbole`` or ``srgnn``; detected when
            unambiguous.
        session_col, item_col, time_col: column names of a generic CSV/TSV or RecBole file.
        user_col: the user column of a log without session ids (cut at ``session_gap`` minutes).
        event_col: the event-type column (``keep`` chooses the events kept).
        items: an items file ``item,name[,category]`` (see :mod:`fgnn.data.items`).
        use_cache: read/write the on-disk cache.
        **protocol_settings: ``min_session_length``, ``min_item_support``, ``test_days``,
            ``fraction``, ``session_date``, ``valid_days`` (click logs), ``valid_fraction`` (see
            :func:`fgnn.data.protocol.apply_protocol`), and the steps before the protocol,
            ``session_gap``, ``keep``, ``collapse_repeats`` (:mod:`fgnn.data.sessionize`); ``None``
            values mean the default.

    Raises:
        DataError: the source cannot be used (the message names the file, the problem, the fix).
    """
    log = resolve_log_settings(**{k: protocol_settings.pop(k) for k in list(protocol_settings)
                                  if k in LOG_SETTINGS})
    name, path, fmt, cats_path = _resolve(source, format)
    items_path = _items_path(name, items)
    defaults = REGISTRY[str(source)].get("settings", {}) if str(source) in REGISTRY else {}
    given = {**defaults, **{k: v for k, v in protocol_settings.items() if v is not None}}
    valid = {k: given.pop(k) for k in ("valid_days", "valid_fraction") if k in given}
    check_validation(valid.get("valid_days"), valid.get("valid_fraction"))
    bench = benchmark_files(path) if fmt == "recbole" else None
    if fmt == "srgnn" or bench is not None:
        settings = _srgnn_settings(path, given, valid, log, user_col, event_col,
                                   what="SR-GNN pickles" if bench is None else "RecBole benchmark files")
        inputs = _srgnn_inputs(path) if bench is None else _benchmark_inputs(bench[1])
    else:
        settings = resolve_settings(fmt, **given)
        inputs = [path] + ([cats_path] if cats_path else [])
    columns = {"session": session_col, "item": item_col, "time": time_col} if fmt in ("csv", "parquet", "recbole") else {}
    columns.update({k: v for k, v in (("user", user_col), ("event", event_col)) if v})
    # the validation and log keys join the fingerprint only when set: without them it is the paper protocol's
    fingerprint = dataset_fingerprint(inputs + ([items_path] if items_path else []), fmt, columns,
                                      {**settings, **validation_settings(**valid), **log})
    entry = cache_dir() / f"{fingerprint}.pt"
    if use_cache:
        cached = _cache_read(entry)
        if cached is not None:
            cached.name, cached.fingerprint = name, fingerprint
            return cached

    if bench is not None:
        ds, table, items_path = _prepare_benchmark(bench[1], bench[0], fingerprint, settings["fraction"], items_path)
    elif fmt == "srgnn":
        ds = _prepare_srgnn(path, name, fingerprint, settings["fraction"], valid.get("valid_fraction"))
        table = read_items(items_path, ds.item_ids[1:].numpy()) if items_path else None
    else:
        clicks = read_clicks(path, fmt, session_col, item_col, time_col, user_col=user_col, event_col=event_col)
        tokens = item_tokens(clicks)
        table = read_items(items_path, np.unique(clicks["item"].to_numpy()),
                           token_codes=None if tokens is None else tokens.codes()) if items_path else None
        clicks, before = prepare_log(clicks, log)
        categories = _read_categories(cats_path) if cats_path else None
        # consume: the click table is emptied once read (only its attrs are used below): a large log's
        # columns are freed before the pairs are made (docs/performance.md)
        ds = apply_protocol(clicks, name=name, fingerprint=fingerprint, categories=categories,
                            format=fmt, consume=True, **valid, **settings)
        ds.stats = before + ds.stats
        _note_file_order(ds, clicks)
        ds.settings.update(log)
    if table is not None:
        attach_items(ds, table)
        ds.settings["items"] = items_path.name
    if use_cache:
        _cache_write(entry, ds)
    return ds
