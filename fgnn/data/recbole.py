"""RecBole, both ways, protocol kept (docs/data-formats.md, "RecBole atomic files").

Writing (:func:`write_recbole`): a prepared dataset becomes RecBole's dataset folder ``DIR/NAME/``:

* ``NAME.inter``: every click of the prepared sessions (``session_id:token item_id:token
  timestamp:float``), train, validation, test, in protocol order, with the clicks' real times where the
  source has clock times;
* ``NAME.item``: every item of the vocabulary in index order (``item_id:token``, plus
  ``name:token_seq`` and ``category:token`` when known);
* the split as RecBole's session benchmark files ``NAME.train.inter``, ``NAME.valid.inter`` (when a
  validation split is on) and ``NAME.test.inter``: one row per prefix/target pair of the protocol
  (``session_id:token item_id_list:token_seq item_id:token``), so RecBole evaluates exactly our pairs.

Reading (:func:`benchmark_files`, :func:`read_benchmark`): the benchmark files are pairs already
through a protocol; they come back as those pairs (no re-protocol). The ``.inter`` click file is read
by :func:`fgnn.data.readers.read_recbole`; a typed ``.item`` header is read by its column names
(:func:`item_columns`).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from fgnn.data.dataset import PreparedDataset
from fgnn.data.protocol import pairs_from_prefixes
from fgnn.data.readers import check_regular_file, parse_item_column, shown
from fgnn.data.sessions import SessionPairs
from fgnn.errors import DataError

INTER_HEADER = ("session_id:token", "item_id:token", "timestamp:float")
BENCHMARK_HEADER = ("session_id:token", "item_id_list:token_seq", "item_id:token")
SPLITS = ("train", "valid", "test")
_SPLIT_FILE = re.compile(r"^(?P<name>.+)\.(?P<split>train|valid|test)\.inter$")
#: Column names (without type) that hold an item's category or its name in a ``.item`` file.
CATEGORY_NAMES = ("category", "categories", "class", "genre", "genres", "category_id", "categoryid")
NAME_NAMES = ("name", "title", "movie_title", "item_name", "product_name", "book_title", "track_name")


# --------------------------------------------------------------------------- typed headers
def typed_fields(line: str) -> list[tuple[str, str]]:
    """``name:type`` fields of a RecBole header as ``(name, type)``; a stray empty field (a trailing
    tab) is dropped, as RecBole does."""
    fields = [f.strip().lstrip("\ufeff") for f in line.rstrip("\r\n").split("\t")]
    while fields and not fields[-1]:
        fields.pop()
    return [tuple(f.rsplit(":", 1)) if ":" in f else (f, "") for f in fields]


def item_columns_of(path) -> list[int] | None:
    """:func:`item_columns` of a file's header (``None``: not a typed header of two or more columns)."""
    check_regular_file(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        return item_columns(typed_fields(f.readline()))


def item_ids_in_order(path) -> np.ndarray | None:
    """The ``item_id`` column of a typed ``.item`` file (ids alone are enough), as written (text:
    :func:`read_benchmark` reads them with the pairs, as numbers or tokens), else ``None``."""
    check_regular_file(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        fields = typed_fields(f.readline())
    names = [n for n, _ in fields]
    if "item_id" not in names or not all(t for _, t in fields):
        return None
    column = names.index("item_id")
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, header=None, skiprows=1,
                        usecols=[column], quoting=3, encoding_errors="replace")
    return table[column].to_numpy(dtype=object)


def item_columns(fields: list[tuple[str, str]]) -> list[int] | None:
    """Positions of the id, the name and the category column of a typed ``.item`` header, by their
    names and types, never by position (ml-100k: ``item_id movie_title release_year class``: the
    name is ``movie_title``, the category ``class``); the name or category position is ``None``
    when the file has none. ``None`` when the header is not typed."""
    if len(fields) < 2 or not all(t in ("token", "token_seq", "float", "float_seq") for _, t in fields):
        return None
    names = [n.lower() for n, _ in fields]
    item = names.index("item_id") if "item_id" in names else 0
    category = next((names.index(c) for c in CATEGORY_NAMES if c in names), None)
    name = next((names.index(c) for c in NAME_NAMES if c in names), None)
    if name is None:  # else the first text column that is neither the id nor the category
        name = next((i for i, (_, t) in enumerate(fields) if t == "token_seq" and i not in (item, category)), None)
    return [item, name, category]


# --------------------------------------------------------------------------- writing
@dataclass
class RecboleExport:
    """What :func:`write_recbole` wrote, and what a RecBole config needs to read it."""

    folder: Path
    written: list[Path] = field(default_factory=list)
    max_prefix: int = 0  # the longest prefix: RecBole's MAX_ITEM_LIST_LENGTH must be at least this
    splits: list[str] = field(default_factory=list)  # benchmark_filename
    times: str = ""  # where the timestamps come from


def _atomic_write_text(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        frame.to_csv(tmp, sep="\t", index=False, float_format="%.6f")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _parts(ds: PreparedDataset) -> list[tuple[str, SessionPairs]]:
    return [(n, p) for n, p in (("train", ds.train), ("valid", ds.valid), ("test", ds.test)) if p is not None]


def _timestamps(ds: PreparedDataset, parts) -> tuple[np.ndarray, str]:
    """Each click's timestamp: the source's clock where the dataset kept it; otherwise (SR-GNN
    pickles, a benchmark read back) the click's place in the file."""
    times = ds.click_times or {}
    if all(times.get(n) is not None and int(times[n].numel()) == int(p.items.numel()) for n, p in parts):
        return np.concatenate([times[n].numpy() for n, _ in parts]).astype(np.float64), "the source's clock"
    return (np.arange(sum(int(p.items.numel()) for _, p in parts), dtype=np.float64),
            "file order (the source has no clock times)")


def _pair_rows(pairs: SessionPairs, first_session: int, ids: np.ndarray) -> pd.DataFrame:
    """One benchmark row per pair: its session number, its prefix (original ids, space-separated), its target."""
    flat = ids[pairs.items.numpy()].astype(str)
    starts, lengths = pairs.offsets[pairs.pair_session].numpy(), pairs.pair_length.numpy()
    prefixes = [" ".join(flat[a:a + n]) for a, n in zip(starts.tolist(), lengths.tolist(), strict=True)]
    return pd.DataFrame({BENCHMARK_HEADER[0]: pairs.pair_session.numpy() + first_session,
                         BENCHMARK_HEADER[1]: prefixes, BENCHMARK_HEADER[2]: ids[pairs.targets.numpy()]})


def _item_table(ds: PreparedDataset) -> pd.DataFrame:
    table = {"item_id:token": ds.original_ids()[1:]}
    if ds.item_names:
        table["name:token_seq"] = [str(n).replace("\t", " ").replace("\n", " ") for n in ds.item_names[1:]]
    if ds.categories is not None:
        table["category:token"] = [ds.category_label(c).replace("\t", " ").replace(" ", "_")
                                   for c in ds.categories.tolist()[1:]]
    return pd.DataFrame(table)


#: The texts pandas's ``read_csv`` takes for a missing value by default (its ``na_values`` list),
#: which RecBole reads its files with: a token spelled so would become a missing id there.
PANDAS_NA_TEXTS = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
                             "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})


def _check_exportable_tokens(ds: PreparedDataset) -> None:
    """RecBole separates a ``token_seq`` by spaces and reads files with pandas's missing-value rules:
    a token id holding whitespace, or spelled like a missing value (``NA``, ``null``), cannot be written."""
    if not ds.has_tokens:
        return
    missing = [t for t in ds.item_tokens[1:] if t in PANDAS_NA_TEXTS]
    if missing:
        raise DataError(f"item id {shown(missing[0], 40)} of dataset '{ds.name}' is what RecBole (pandas) reads as a "
                        f"missing value ({len(missing)} such id(s)): rename it in the source log (e.g. 'item-NA'), "
                        f"or export with --out-format srgnn")
    spaced = [t for t in ds.item_tokens[1:] if any(c.isspace() for c in t)]
    if spaced:
        raise DataError(f"{len(spaced)} item id(s) of dataset '{ds.name}' hold a space (e.g. {shown(spaced[0], 40)}), "
                        f"which RecBole's item_id_list:token_seq cannot carry (it splits on spaces): replace the "
                        f"spaces in those ids (e.g. with '_') in the source log, or export with --out-format srgnn")


def write_recbole(ds: PreparedDataset, out) -> RecboleExport:
    """Write ``out/NAME/``: ``NAME.inter``, ``NAME.item`` and the benchmark files (module docstring)."""
    _check_exportable_tokens(ds)  # before anything is written
    stem = ds.name or "dataset"
    folder = Path(out) / stem
    folder.mkdir(parents=True, exist_ok=True)
    parts = _parts(ds)
    ids = ds.original_ids()
    lengths = np.concatenate([p.session_lengths().numpy() for _, p in parts]).astype(np.int64)
    time, source = _timestamps(ds, parts)
    export = RecboleExport(folder, times=source)
    clicks = pd.DataFrame({INTER_HEADER[0]: np.repeat(np.arange(1, lengths.size + 1), lengths),
                           INTER_HEADER[1]: ids[np.concatenate([p.items.numpy() for _, p in parts])],
                           INTER_HEADER[2]: time})
    for path, frame in ((folder / f"{stem}.inter", clicks), (folder / f"{stem}.item", _item_table(ds))):
        _atomic_write_text(path, frame)
        export.written.append(path)
    first = 1
    for split, pairs in parts:
        path = folder / f"{stem}.{split}.inter"
        _atomic_write_text(path, _pair_rows(pairs, first, ids))
        export.written.append(path)
        export.splits.append(split)
        export.max_prefix = max(export.max_prefix, int(pairs.pair_length.max()) if len(pairs) else 0)
        first += pairs.num_sessions
    return export


# --------------------------------------------------------------------------- reading the benchmark layout
def benchmark_files(path) -> tuple[str, dict[str, Path]] | None:
    """``(NAME, {split: file})`` when ``path`` is a folder holding ``NAME.train.inter`` and
    ``NAME.test.inter`` (``NAME.valid.inter`` optional) or one of those files; else ``None``."""
    path = Path(path)
    if path.is_dir():
        names = sorted({m["name"] for f in path.iterdir() if (m := _SPLIT_FILE.match(f.name))})
        names = [n for n in names if (path / f"{n}.train.inter").is_file() and (path / f"{n}.test.inter").is_file()]
        if not names:
            return None
        if len(names) > 1:
            raise DataError(f"{path}: holds the RecBole benchmark files of {len(names)} datasets "
                            f"({', '.join(names)}); give one of their .train.inter files")
        name, folder = names[0], path
    else:
        match = _SPLIT_FILE.match(path.name)
        if match is None:
            return None
        name, folder = match["name"], path.parent
    files = {s: folder / f"{name}.{s}.inter" for s in SPLITS if (folder / f"{name}.{s}.inter").is_file()}
    if "train" not in files or "test" not in files:
        raise DataError(f"{folder}: holds {', '.join(p.name for p in files.values())} but not both "
                        f"{name}.train.inter and {name}.test.inter; give the benchmark files together")
    return name, files


def item_file(files: dict[str, Path]) -> Path | None:
    """The ``NAME.item`` beside the benchmark files, if any."""
    train = files["train"]
    candidate = train.with_name(train.name[: -len(".train.inter")] + ".item")
    return candidate if candidate.is_file() else None


@dataclass
class _SplitPairs:
    session: np.ndarray  # session token of each pair (as text)
    items: np.ndarray  # original ids of the prefixes, flat (text as read, then numbers or codes: _parse_ids)
    lengths: np.ndarray
    targets: np.ndarray
    path: Path  # the file, named in messages


def _read_split(path: Path) -> _SplitPairs:
    """One benchmark file: rows ``session_id item_id_list item_id`` (columns by name; the session
    column may be missing)."""
    check_regular_file(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        header = typed_fields(f.readline())
    names = [n for n, _ in header]
    for needed in ("item_id_list", "item_id"):
        if needed not in names:
            raise DataError(f"{path}: the header on line 1 has no '{needed}' column (columns "
                            f"{shown(', '.join(names))}); RecBole benchmark files read "
                            f"'session_id:token<TAB>item_id_list:token_seq<TAB>item_id:token'")
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, header=None, skiprows=1,
                        usecols=range(len(names)), names=names, quoting=3, encoding_errors="replace")
    lists = table["item_id_list"].str.strip().str.split()
    lengths = lists.str.len().to_numpy(dtype=np.int64).copy()
    if lengths.size and lengths.min() < 1:
        row = int(np.flatnonzero(lengths < 1)[0])
        raise DataError(f"{path}: an empty item_id_list on line {row + 2}; every prefix needs at least one item")
    flat = np.concatenate(lists.to_numpy()) if len(lists) else np.zeros(0, dtype=str)
    session = table["session_id"].to_numpy(dtype=str) if "session_id" in names else np.arange(len(table)).astype(str)
    return _SplitPairs(session, flat.astype(object), lengths, table["item_id"].to_numpy(dtype=object), path)


def _parse_ids(splits: dict[str, _SplitPairs], items: np.ndarray | None,
               item_path: Path | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Read the ids of every split (and of the ``.item`` file ``item_path``) by one rule, in place:
    each column once, an unusable id refused naming its file and line; where all are whole numbers
    they are numbers, otherwise every id is a token, one code per distinct text across all files (a
    token means the same item in train and test). Returns the ``.item`` ids so read and the token
    texts (``None`` for numbers)."""
    columns = [c for sp in splits.values() for c in ((sp.items, sp.path, "item_id_list", 0),
                                                      (sp.targets, sp.path, "item_id", 1))]
    columns += [(items, item_path, "item_id", 1)] if items is not None else []
    parsed = [parse_item_column(pd.Series(texts, dtype=object), path, column, header_lines=lines)
              for texts, path, column, lines in columns]
    if any(tokens is not None for _, tokens in parsed):
        codes, texts = pd.factorize(np.concatenate([texts for texts, *_ in columns]), sort=False)
        values, tokens = codes.astype(np.int64), np.asarray(texts, dtype=object)
    else:
        values, tokens = np.concatenate([v for v, _ in parsed]), None
    at = 0
    for sp in splits.values():
        sp.items, at = values[at:at + len(sp.items)], at + len(sp.items)
        sp.targets, at = values[at:at + len(sp.targets)], at + len(sp.targets)
    return (values[at:] if items is not None else None), tokens


def _vocabulary(parts: dict[str, SessionPairs], items: np.ndarray | None) -> np.ndarray:
    """Original ids in index order: the ``.item`` file's order where it lists every item used (our
    export writes the vocabulary so), else first appearance in the sessions of train, validation, test."""
    seen = pd.unique(np.concatenate([torch.cat([p.items, p.targets]).numpy() for p in parts.values()]))
    if items is not None and pd.Index(items).is_unique and np.isin(seen, items).all():
        return items.astype(np.int64)
    return seen.astype(np.int64)


def _indexed(pairs: SessionPairs, index: pd.Index) -> SessionPairs:
    def to_index(t):
        return torch.from_numpy(index.get_indexer(t.numpy()).astype(np.int64) + 1)
    return SessionPairs(to_index(pairs.items), pairs.offsets, pairs.pair_session, pairs.pair_length,
                        to_index(pairs.targets))


def _row(part: str, pairs: SessionPairs, note: str) -> dict:
    clicks, sessions = int(pairs.items.numel()), pairs.num_sessions
    return {"step": "loaded RecBole benchmark files (protocol already applied)", "part": part, "clicks": clicks,
            "sessions": sessions, "items": int(torch.unique(torch.cat([pairs.items, pairs.targets])).numel()),
            "pairs": len(pairs), "mean_length": round(clicks / sessions, 4) if sessions else 0.0, "note": note}


def read_benchmark(files: dict[str, Path], *, name: str = "", fingerprint: str = "",
                   items: np.ndarray | None = None) -> PreparedDataset:
    """A :class:`PreparedDataset` from RecBole benchmark files: exactly their pairs.

    ``items`` (the ids of ``NAME.item`` in file order: :func:`item_ids_in_order`) fixes the item
    numbering when it lists every item used; otherwise items are numbered by first appearance.
    """
    parts, stats = {}, []
    splits = {split: _read_split(path) for split, path in files.items()}
    items, tokens = _parse_ids(splits, items, item_file(files))
    for split, path in files.items():
        pairs, rebuilt = pairs_from_prefixes(splits[split])
        if len(pairs) == 0:
            raise DataError(f"{path}: holds no pair; give at least one (prefix, target) row")
        parts[split] = pairs
        stats.append(_row(split, pairs, f"{path.name}: " + ("rows are whole sessions' pairs, longest prefix first"
                                                             if rebuilt else "each prefix counts as its own session")))
    vocab = _vocabulary(parts, items)
    index = pd.Index(vocab)
    parts = {k: _indexed(p, index) for k, p in parts.items()}
    item_ids = torch.from_numpy(np.r_[-1, vocab].astype(np.int64))
    return PreparedDataset(
        item_tokens=None if tokens is None else [""] + tokens[vocab].tolist(),
        name=name, fingerprint=fingerprint, n_items=int(vocab.size), item_ids=item_ids, train=parts["train"],
        test=parts["test"], valid=parts.get("valid"), stats=stats,
        settings={"format": "recbole", "layout": "benchmark", "files": [p.name for p in files.values()]},
    )
