"""Readers: a click log on disk -> one tidy table of clicks.

Every reader returns a :class:`pandas.DataFrame` with one row per click, in file order:

* ``session`` (int64) and ``item`` (int64): the original ids, or codes where they are tokens (text:
  ``attrs["item_tokens"]`` keeps the item ids as written, :func:`item_tokens`); a user log without session ids has
  ``user`` (int64) instead of ``session`` and is cut into sessions by
  :func:`fgnn.data.sessionize.prepare_log` before the protocol;
* ``time`` (int64 or float64): what orders the clicks of a session (DIGINETICA ``timeframe``,
  otherwise seconds since 1970-01-01 UTC);
* ``date`` (seconds since 1970-01-01 UTC), what dates a session (docs/protocol.md, step 1). DIGINETICA
  dates are whole days (``eventdate``, int64); for the other formats ``date`` equals ``time``.

* ``event`` (str), only where an event column was named (``--event-col``).

``df.attrs`` carries ``source`` (the path), ``format`` and ``time_unit`` (``s``, or ``ms``/``us``/``ns``
where numeric times were too large to be seconds and were divided down). Any problem with the input raises
:class:`~fgnn.data.dataset.DataError` naming the file, the problem and what to do.

The SR-GNN pickle layout (protocol already applied) is read by :func:`read_srgnn_folder`
through :class:`RestrictedUnpickler`, which refuses every global: only lists, tuples and ints
can come out, and the structure is validated after loading too.
"""
from __future__ import annotations

import contextlib
import contextvars
import csv
import itertools
import os
import pickle
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fgnn.data.progress import report
from fgnn.errors import DataError

FORMATS = ("diginetica", "yoochoose", "csv", "parquet", "recbole", "srgnn")
#: A Parquet click log is known by its suffix (or by the magic bytes ``PAR1`` that open the file).
PARQUET_SUFFIXES = (".parquet", ".pq")
#: Rows per chunk when a large CSV is read with compact dtypes (fgnn.benchmarks.large_log).
CSV_CHUNK_ROWS = 2_000_000
DIGINETICA_HEADERS = (
    ("session_id", "user_id", "item_id", "timeframe", "eventdate"),
    ("sessionId", "userId", "itemId", "timeframe", "eventdate"),
)
SRGNN_FILES = ("all_train_seq.txt", "train.txt", "test.txt")
# Column names recognised when the user names none (generic CSV/TSV).
SESSION_ALIASES = ("session", "session_id", "sessionid", "sessid")
ITEM_ALIASES = ("item", "item_id", "itemid")
TIME_ALIASES = ("time", "timestamp", "ts", "datetime", "eventtime")  # not "timeframe": DIGINETICA's is no clock
USER_ALIASES = ("user", "user_id", "userid", "visitorid", "visitor_id", "customer_id", "customerid")
# RecBole atomic files: a tab-separated header of name:type fields (docs/data-formats.md).
RECBOLE_SUFFIX = ".inter"
_RECBOLE_FIELD = re.compile(r"^[^:\t]+:(token|token_seq|float|float_seq)$")
# Numeric times that are all beyond these are not seconds (year 5138 and later): milli-, micro-, nanoseconds.
_TIME_UNITS = ((1e17, "ns", 1e9), (1e14, "us", 1e6), (1e11, "ms", 1e3))
_UNIT_NAMES = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}
_YOOCHOOSE_LINE = re.compile(r"^\s*\d+,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?,\d+(,.*)?$")


def _fail(path, problem: str, todo: str) -> DataError:
    return DataError(f"{path}: {problem}; {todo}")


# Whether errors may quote what a file holds (a value, a header line). The app turns this off
# for files on the server that a visitor named by path, so that an error cannot show what a
# server file holds (docs/serving.md); the CLI and the app's own uploads keep the quote.
_QUOTE_CONTENT: contextvars.ContextVar[bool] = contextvars.ContextVar("fgnn_quote_content", default=True)


@contextlib.contextmanager
def content_withheld():
    """Within this block, reader errors name the column and the line but quote no file content."""
    token = _QUOTE_CONTENT.set(False)
    try:
        yield
    finally:
        _QUOTE_CONTENT.reset(token)


def quoting_content() -> bool:
    """False inside :func:`content_withheld`."""
    return _QUOTE_CONTENT.get()


def shown(value, limit: int = 80) -> str:
    """``repr`` of a piece of file content for an error message, or a placeholder where content
    is withheld (:func:`content_withheld`)."""
    if not quoting_content():
        return "(content not shown)"
    return repr(str(value)[:limit])


def check_regular_file(path) -> None:
    """Raise :class:`DataError` unless ``path`` is a regular file (after following links): a
    device (``/dev/zero``), a FIFO or a socket would block or never end when read."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror})", "check the path and its permissions") from None
    if not stat.S_ISREG(mode):
        kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        raise _fail(path, f"is {kind}, not a regular file", "give a click log file")


def _read_head(path: Path, n_bytes: int = 65536) -> str:
    check_regular_file(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(n_bytes)
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror})", "check the path and its permissions") from None
    if not raw.strip():
        raise _fail(path, "the file is empty", "give a click log with a header row and one click per row")
    encoding = _unsupported_encoding(raw)
    if encoding:
        raise _fail(path, f"is {encoding}", _ENCODING_FIX[encoding])
    return raw.decode("utf-8", errors="replace")


_ENCODING_FIX = {
    "gzip-compressed": "decompress it first (gunzip FILE) and give the plain text file",
    "UTF-16 encoded": "save it as UTF-8 text (e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.csv)",
    "UTF-32 encoded": "save it as UTF-8 text (e.g. iconv -f UTF-32 -t UTF-8 FILE > FILE.csv)",
    "binary (it holds NUL bytes)": "give a text click log (CSV/TSV)",
}


def _unsupported_encoding(raw: bytes) -> str | None:
    """The name of an encoding the readers do not take, from a file's first bytes, else None."""
    if raw.startswith(b"\x1f\x8b"):
        return "gzip-compressed"
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32 encoded"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 encoded"
    if b"\x00" in raw:
        # UTF-16 without a byte-order mark: every other byte of ASCII text is NUL
        even, odd = raw[0::2].count(0) / max(len(raw[0::2]), 1), raw[1::2].count(0) / max(len(raw[1::2]), 1)
        if max(even, odd) > 0.4 and min(even, odd) < 0.05:
            return "UTF-16 encoded"
        return "binary (it holds NUL bytes)"
    return None


def _first_line(text: str) -> str:
    return text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""


# --------------------------------------------------------------------------- format detection
def detect_format(path) -> str:
    """Guess the format of ``path`` where that is unambiguous, else raise :class:`DataError`.

    A folder holding SR-GNN pickles is ``srgnn``; a ``;`` file with a DIGINETICA header is
    ``diginetica``; a headerless ``,`` file whose rows read ``session,ISO timestamp,item,...`` is
    ``yoochoose``; a ``.inter`` file or one whose tab-separated header is all ``name:type``
    fields (RecBole's atomic files) is ``recbole``; any other delimited text file with a header
    is ``csv``.
    """
    path = Path(path)
    if path.is_dir():
        if any((path / name).is_file() for name in SRGNN_FILES):
            return "srgnn"
        if any(path.glob("*.train.inter")):  # RecBole's benchmark files (fgnn.data.recbole)
            return "recbole"
        raise _fail(path, "is a folder without SR-GNN pickles (all_train_seq.txt / train.txt / test.txt) or "
                          "RecBole benchmark files (NAME.train.inter / NAME.test.inter)",
                    "point at a click log file or at a folder holding those files")
    if not path.exists():
        raise _fail(path, "does not exist", "check the path, or use a registry name such as 'diginetica-sample'")
    check_regular_file(path)
    if path.name in SRGNN_FILES and _looks_like_pickle(path):
        return "srgnn"
    if path.suffix.lower() in PARQUET_SUFFIXES or _looks_like_parquet(path):
        return "parquet"
    line = _first_line(_read_head(path))
    if tuple(c.strip() for c in line.split(";")) in DIGINETICA_HEADERS:
        return "diginetica"
    if _YOOCHOOSE_LINE.match(line):
        return "yoochoose"
    if path.suffix.lower() == RECBOLE_SUFFIX or _is_recbole_header(line):
        return "recbole"
    return "csv"


def _is_recbole_header(line: str) -> bool:
    fields = line.rstrip("\r\n").split("\t")
    while len(fields) > 2 and not fields[-1].strip():  # a stray trailing field, tolerated as RecBole does
        fields.pop()
    return len(fields) >= 2 and all(_RECBOLE_FIELD.match(f.strip()) for f in fields)


def _looks_like_parquet(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"PAR1"


def _looks_like_pickle(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(1) == b"\x80"


# --------------------------------------------------------------------------- helpers
_ID = re.compile(r"[+-]?[0-9]+(?:\.0*)?")


class ItemTokens:
    """The text of a log's item ids where they are tokens (docs/data-formats.md, "Ids"): the item
    column then holds codes ``0..K-1`` and ``texts[code]`` is the id as written. Carried in
    ``df.attrs["item_tokens"]``; shared, never copied (pandas deep-copies ``attrs``)."""

    __slots__ = ("texts",)

    def __init__(self, texts: np.ndarray):
        self.texts = texts

    def __deepcopy__(self, memo):
        return self

    def codes(self) -> dict[str, int]:
        """Text -> code."""
        return {t: i for i, t in enumerate(self.texts.tolist())}


def item_tokens(df: pd.DataFrame) -> ItemTokens | None:
    """The :class:`ItemTokens` of a tidy click table, ``None`` where its item ids are whole numbers."""
    return df.attrs.get("item_tokens")


# A control character (C0, DEL, C1): an id holding one is refused (it cannot be shown or typed), as is
# one holding U+FFFD, what bytes that are not UTF-8 were decoded to (the id as written is lost).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _check_tokens(values: pd.Series, path, column: str, what: str, header_lines: int) -> None:
    """Refuse an empty id, one holding a control character or one that was no UTF-8, naming the line."""
    bad = (values.str.len() == 0) | values.str.contains(_CONTROL) | values.str.contains("\ufffd", regex=False)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy(dtype=bool))[0])
        value = values.iloc[row]
        problem = ("is empty" if not value else
                   f"holds bytes that are not UTF-8 text ({shown(value, 40)}; save the file as UTF-8)"
                   if "\ufffd" in value else f"holds a control character ({shown(value, 40)})")
        raise _fail(path, f"{what} on line {row + 1 + header_lines} in column '{column}' {problem}",
                    f"every row needs {'an' if what[0] in 'aeiou' else 'a'} {what} of visible text (any text or whole "
                    f"number); fix or drop that row")


def parse_id_column(values: pd.Series, path, column: str, what: str, header_lines: int = 1,
                    key: bool = False, tokens: bool = True) -> np.ndarray:
    """An id column (strings as read) as ``int64``: one parser for every id of every reader
    (docs/data-formats.md, "Ids").

    Where every value is a whole number written in digits (surrounding spaces, a sign and a
    trailing ``.0`` allowed) fitting in 64 bits, the ids are those numbers: never routed through
    floats, where ids near 2^60 collapse into one. Any other column is a column of tokens: each
    value is its own id exactly as read (``007`` and ``7`` differ); the column becomes codes
    ``0..K-1`` in order of first appearance (:func:`parse_item_column` keeps their text). An empty
    id or one holding a control character raises :class:`DataError` naming the column and line.

    With ``key=True`` (session and user ids, which only group clicks) ids beyond 64 bits are kept
    distinct too: the whole column becomes codes, one per distinct id (``007`` and ``7`` are one
    number). With ``tokens=False`` (a number that is no id, DIGINETICA's ``timeframe``) a value that
    is no whole number is refused instead.
    """
    return parse_item_column(values, path, column, what, header_lines, key=key, tokens=tokens)[0]


def parse_item_column(values: pd.Series, path, column: str, what: str = "item id", header_lines: int = 1,
                      key: bool = False, tokens: bool = True) -> tuple[np.ndarray, ItemTokens | None]:
    """:func:`parse_id_column`, and the :class:`ItemTokens` of a column of tokens (``None`` for numbers)."""
    values = values.astype(str)
    text = values.str.strip()
    ok = text.str.fullmatch(_ID).to_numpy(dtype=bool)
    if not ok.all() and not tokens:
        row = int(np.flatnonzero(~ok)[0])
        raise _fail(path, f"non-numeric {what} {shown(values.iloc[row], 40)} in column '{column}' on line "
                          f"{row + 1 + header_lines}",
                    f"{what}s must be whole numbers written in digits (no text, fractions, exponents or "
                    f"'inf'); fix or drop those rows")
    if not ok.all():
        _check_tokens(values, path, column, what, header_lines)
        codes, uniques = pd.factorize(values, sort=False)
        return codes.astype(np.int64), ItemTokens(np.asarray(uniques, dtype=object))
    if text.str.contains(".", regex=False).any():
        text = text.str.replace(r"\.0*$", "", regex=True)
    try:
        return text.to_numpy(dtype=str).astype(np.int64), None
    except OverflowError:
        pass
    if key:
        canonical = text.str.replace(r"^\+", "", regex=True).str.replace(r"^(-?)0+(?=[0-9])", r"\1", regex=True)
        codes, _ = pd.factorize(canonical, sort=False)
        return codes.astype(np.int64), None
    lo, hi = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)
    long = np.flatnonzero(text.str.len().to_numpy() >= 19)
    row = next(int(r) for r in long if not lo <= int(text.iloc[r]) <= hi)
    raise _fail(path, f"{what} {shown(values.iloc[row], 40)} in column '{column}' on line {row + 1 + header_lines} "
                      f"does not fit in 64 bits (ids run from -2^63 to 2^63-1)",
                f"re-number the {what}s, or write them as text (a letter makes the column a column of tokens)")


#: Times beyond these (about the years 1678 and 2262) are no clock: pandas cannot date them.
_MIN_SECONDS, _MAX_SECONDS = -9.2e9, 9.2e9


def _seconds(values: pd.Series, path, column: str, header_lines: int = 1) -> tuple[np.ndarray, str]:
    """A time column as seconds since 1970-01-01 UTC (numbers as is, date strings parsed), and the
    unit numbers were read in: ``s``, or ``ms``/``us``/``ns`` for numbers too large to be seconds."""
    numeric = pd.to_numeric(values, errors="coerce")
    if len(numeric) and not np.isnan(numeric.iloc[0]):  # a column of numbers (its first row is one)
        seconds = numeric.to_numpy().astype(np.float64, copy=False)
        _check_one_unit(seconds, path, column, header_lines)
        smallest = _smallest_finite_magnitude(seconds)  # a unit holds when no value can be seconds
        unit, per_second = next(((u, p) for limit, u, p in _TIME_UNITS if smallest >= limit), ("s", 1.0))
        if per_second != 1.0:
            seconds = seconds / per_second
        bad = _first_unusable(seconds)
        if bad is not None:
            row = bad
            raise _fail(path, f"time {shown(values.iloc[row], 40)} in column '{column}' on line "
                              f"{row + 1 + header_lines} is not a usable unix time",
                        "times must be finite unix seconds (or milliseconds) between the years 1678 and 2262, "
                        "or ISO dates")
        return seconds, unit
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise _fail(path, f"unreadable time {shown(values.iloc[row], 40)} in column '{column}' on line "
                          f"{row + 1 + header_lines}",
                    "times must be unix seconds (or milliseconds) or ISO dates such as 2014-04-07T10:51:09Z")
    return ((parsed - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)).to_numpy().astype(np.float64), "s"


#: Values per block where a check over a whole time column makes temporary arrays (a large log's
#: column is checked block by block, so the temporaries stay a few MB).
_BLOCK = 1 << 20


def _first_unusable(seconds: np.ndarray) -> int | None:
    """Index of the first time outside the years 1678..2262 (or nan, inf), block by block; else None."""
    for lo in range(0, seconds.size, _BLOCK):
        block = seconds[lo:lo + _BLOCK]
        bad = ~((block >= _MIN_SECONDS) & (block <= _MAX_SECONDS))  # also nan and inf
        if bad.any():
            return lo + int(np.flatnonzero(bad)[0])
    return None


def _smallest_finite_magnitude(values: np.ndarray) -> float:
    """The smallest ``abs`` of the finite values (0.0 when there is none), block by block."""
    smallest = np.inf
    for lo in range(0, values.size, _BLOCK):
        block = np.abs(values[lo:lo + _BLOCK])
        smallest = min(smallest, float(np.min(block, where=np.isfinite(block), initial=np.inf)))
    return 0.0 if smallest == np.inf else smallest


def _unit_levels(values: np.ndarray) -> dict[int, int]:
    """Unit level (0 = seconds, 1 = milliseconds, 2 = microseconds, 3 = nanoseconds: _TIME_UNITS,
    smallest first) -> index of its first value that is a usable time in that unit (1e30 or -1e12
    is no time in any), block by block."""
    per_second_of = np.array([1.0, *(p for _, _, p in reversed(_TIME_UNITS))])
    first: dict[int, int] = {}
    for lo in range(0, values.size, _BLOCK):
        block = values[lo:lo + _BLOCK]
        level = np.zeros(block.shape, dtype=np.int8)
        for limit, _, _ in _TIME_UNITS:
            level += block >= limit
        with np.errstate(invalid="ignore"):
            usable = np.isfinite(block) & (block >= 0) & (block / per_second_of[level] <= _MAX_SECONDS)
        for found in np.unique(level[usable]):
            first.setdefault(int(found), lo + int(np.flatnonzero(usable & (level == found))[0]))
    return first


def _check_one_unit(values: np.ndarray, path, column: str, header_lines: int) -> None:
    """Refuse a numeric time column whose values fall in two units (seconds beside milliseconds, say):
    read as one unit, one part would be dated thousands of years away. Names lines, quotes no value."""
    first = _unit_levels(values)
    if len(first) < 2:
        return
    units = [_UNIT_NAMES[u] for u in ("s", *(u for _, u, _ in reversed(_TIME_UNITS)))]
    low, high = min(first), max(first)
    first_low = first[low] + 1 + header_lines
    first_high = first[high] + 1 + header_lines
    raise _fail(path, f"time column '{column}' mixes {units[low]} and {units[high]}: line {first_low} reads as "
                      f"{units[low]}, line {first_high} as {units[high]}",
                f"convert one of them so that the whole column is in one unit (e.g. multiply the "
                f"{units[low]} by {1000 ** (high - low):,}); the unit is detected from the values")


def check_unique_columns(path, names: list[str], header_line: int = 1) -> None:
    """Refuse a header that names one column twice (surrounding spaces aside): pandas would rename
    the second one silently (``item.1``) and the wrong column could be read. Checked on the raw
    header, before pandas sees it; the name is quoted only where file content may be."""
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        key = str(name).strip().lstrip("\ufeff")
        if not key:
            continue
        if key in seen:
            where = f"columns {seen[key]} and {position}"
            problem = (f"the header on line {header_line} names column {key!r} twice ({where})" if quoting_content()
                       else f"the header on line {header_line} gives {where} the same name")
            raise _fail(path, problem, "rename one of them (or drop the extra column) so that every column "
                                       "has its own name")
        seen[key] = position


def _tidy(path, fmt: str, session, item, time, date, owner: str = "session", event=None,
          unit: str = "s", tokens: ItemTokens | None = None) -> pd.DataFrame:
    # copy=False: the columns are these arrays (time and date may be one array), no copy of a large log
    df = pd.DataFrame({owner: session, "item": item, "time": time, "date": date}, copy=False)
    if event is not None:
        df["event"] = event
    df.attrs["source"] = str(path)
    df.attrs["format"] = fmt
    df.attrs["time_unit"] = unit
    if tokens is not None:
        df.attrs["item_tokens"] = tokens
    return df


def _check_rows(df: pd.DataFrame, path) -> None:
    if len(df) == 0:
        raise _fail(path, "has a header but no click rows", "give a log with one click per row")


# --------------------------------------------------------------------------- readers
def read_diginetica(path) -> pd.DataFrame:
    """The DIGINETICA ``train-item-views.csv`` format: ``;``-separated, header
    ``session_id;user_id;item_id;timeframe;eventdate`` (or the ``sessionId…`` spelling)."""
    path = Path(path)
    line = _first_line(_read_head(path))
    header = tuple(c.strip() for c in line.split(";"))
    if header not in DIGINETICA_HEADERS:
        if len(header) == 1 and any(d in line for d in (",", "\t", "|")):
            raise _fail(path, f"is not ';'-separated (header on line 1: {shown(line.strip())})",
                        "DIGINETICA views files use ';'; for another layout use --format csv "
                        "with --session-col/--item-col/--time-col")
        missing = [a for a, b in zip(*DIGINETICA_HEADERS, strict=True) if a not in header and b not in header]
        raise _fail(path, f"header on line 1 {shown(line.strip())} is not a DIGINETICA header"
                          + (f" (missing column(s) {', '.join(missing)})" if missing else ""),
                    "expected 'session_id;user_id;item_id;timeframe;eventdate' or "
                    "'sessionId;userId;itemId;timeframe;eventdate'")
    s_col, _, i_col, t_col, d_col = header
    try:
        df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding_errors="replace")
    except (pd.errors.ParserError, ValueError) as exc:
        raise _fail(path, f"cannot be parsed as ';'-separated text ({exc})", "check the file") from None
    _check_rows(df, path)
    session = parse_id_column(df[s_col], path, s_col, "session id", key=True)
    item, tokens = parse_item_column(df[i_col], path, i_col)
    time = parse_id_column(df[t_col], path, t_col, "timeframe", tokens=False)
    days = pd.to_datetime(df[d_col], errors="coerce", format="%Y-%m-%d", utc=True)
    if days.isna().any():
        row = int(np.flatnonzero(days.isna().to_numpy())[0])
        raise _fail(path, f"unreadable eventdate {shown(df[d_col].iloc[row], 40)} in column '{d_col}' on line {row + 2}",
                    "eventdate must read YYYY-MM-DD")
    date = ((days - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy().astype(np.int64)
    return _tidy(path, "diginetica", session, item, time, date, tokens=tokens)


def read_yoochoose(path) -> pd.DataFrame:
    """The YOOCHOOSE ``yoochoose-clicks.dat`` format: ``,``-separated, no header,
    ``session,timestamp,item,category`` with ISO timestamps."""
    path = Path(path)
    line = _first_line(_read_head(path))
    if line.count(",") < 2:
        raise _fail(path, f"is not ','-separated with 3+ fields (line 1: {shown(line.strip())})",
                    "YOOCHOOSE clicks files have no header and read e.g. "
                    "'1,2014-04-07T10:51:09.277Z,214536502,0'; for another layout use "
                    "--format csv with --session-col/--item-col/--time-col")
    try:
        df = pd.read_csv(path, sep=",", header=None, dtype=str, keep_default_na=False,
                         usecols=[0, 1, 2], names=["session", "timestamp", "item"],
                         encoding_errors="replace")
    except (pd.errors.ParserError, ValueError) as exc:
        raise _fail(path, f"cannot be parsed as ','-separated text ({exc})", "check the file") from None
    _check_rows(df, path)
    session = parse_id_column(df["session"], path, "session", "session id", header_lines=0, key=True)
    item, tokens = parse_item_column(df["item"], path, "item", header_lines=0)
    seconds, _ = _seconds(df["timestamp"], path, "timestamp", header_lines=0)
    return _tidy(path, "yoochoose", session, item, seconds, seconds, tokens=tokens)


def _sniff_delimiter(path: Path, text: str) -> str:
    head = "\n".join(text.lstrip("\ufeff").splitlines()[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        line = _first_line(text)
        counts = {d: line.count(d) for d in ",;\t|"}
        best = max(counts, key=counts.get)
        if counts[best] == 0:
            raise _fail(path, f"no delimiter found in the header on line 1 {shown(line.strip())}",
                        "give a ',', ';', tab or '|' separated file with a header row") from None
        return best


def _columns_text(columns: list[str]) -> str:
    """The column names of a header, for a message: "on line 1: 'a', 'b'" (names withheld where
    file content is: :func:`content_withheld`)."""
    return "on line 1: " + (", ".join(repr(c) for c in columns) if quoting_content() else "(names not shown)")


def _pick(columns: list[str], named: str | None, aliases: tuple, role: str, path, flag: str) -> str:
    if named is not None:
        if named in columns:
            return named
        raise _fail(path, f"missing column '{named}' (the {role} column); columns found "
                          f"{_columns_text(columns)}",
                    f"pass the right name with {flag}")
    lowered = {c.lower().replace(" ", ""): c for c in columns}
    for alias in aliases:
        if alias in lowered:
            return lowered[alias]
    raise _fail(path, f"missing a {role} column (none of {', '.join(aliases)}); columns found "
                      f"{_columns_text(columns)}",
                f"name it with {flag}")


def _owner_column(columns: list[str], session_col: str | None, user_col: str | None, path) -> tuple[str, str]:
    """``("session", column)`` or ``("user", column)``: what groups the clicks into sessions."""
    if session_col is not None and user_col is not None:
        raise _fail(path, f"both a session column ('{session_col}') and a user column ('{user_col}') were given",
                    "give --session-col for a log with session ids, or --user-col to cut each user's "
                    "events into sessions at inactivity gaps, not both")
    if user_col is not None:
        return "user", _pick(columns, user_col, USER_ALIASES, "user", path, "--user-col")
    if session_col is not None:
        return "session", _pick(columns, session_col, SESSION_ALIASES, "session", path, "--session-col")
    lowered = {c.lower().replace(" ", ""): c for c in columns}
    for owner, aliases in (("session", SESSION_ALIASES), ("user", USER_ALIASES)):
        for alias in aliases:
            if alias in lowered:
                return owner, lowered[alias]
    raise _fail(path, f"has no session column (none of {', '.join(SESSION_ALIASES)}) and no user column "
                      f"(none of {', '.join(USER_ALIASES)}); columns found {_columns_text(columns)}",
                "name the session column with --session-col, or the user column with --user-col to cut "
                "each user's events into sessions at gaps longer than --session-gap minutes")


def _table_to_tidy(df: pd.DataFrame, path, fmt: str, session_col, user_col, item_col,
                   time_col, event_col, file_order: bool = False) -> pd.DataFrame:
    """The tidy table from a text table read with string cells (CSV/TSV and RecBole alike).
    With ``file_order`` a table without a time column (none named, none found) is timed by its
    rows: row n is dated day n (:data:`FILE_ORDER_NOTE`)."""
    columns = [str(c) for c in df.columns]
    owner, o_col = _owner_column(columns, session_col, user_col, path)
    i_col = _pick(columns, item_col, ITEM_ALIASES, "item", path, "--item-col")
    untimed = file_order and time_col is None and not any(c.lower().replace(" ", "") in TIME_ALIASES for c in columns)
    t_col = None if untimed else _pick(columns, time_col, TIME_ALIASES, "time", path, "--time-col")
    e_col = _pick(columns, event_col, (), "event", path, "--event-col") if event_col is not None else None
    _check_rows(df, path)
    group = parse_id_column(df[o_col], path, o_col, f"{owner} id", key=True)
    item, tokens = parse_item_column(df[i_col], path, i_col)
    seconds, unit = (np.arange(len(df), dtype=np.float64) * 86400.0, "rows") if untimed else _seconds(df[t_col], path, t_col)
    event = df[e_col].str.strip().to_numpy(dtype=object) if e_col is not None else None
    return _tidy(path, fmt, group, item, seconds, seconds, owner=owner, event=event, unit=unit, tokens=tokens)


#: The statistics' note for a RecBole file without a time column (``time_unit`` ``rows``).
FILE_ORDER_NOTE = ("no time column: file order is the time order (row n is dated day n, so --test-days "
                   "counts rows)")


def read_csv_log(path, session_col: str | None = None, item_col: str | None = None,
                 time_col: str | None = None, delimiter: str | None = None,
                 user_col: str | None = None, event_col: str | None = None) -> pd.DataFrame:
    """A generic CSV/TSV click log with a header row; the delimiter is sniffed.

    Column names default to common spellings (``SessionId``, ``session_id``, ``ItemId``, ``Time``,
    ``timestamp`` ...). Times are unix seconds (or milliseconds, detected) or ISO dates; a session
    is dated by its last click. A log with a user column (``user_col``, or a ``user_id``/``visitorid``
    column and no session column) comes back with ``user`` instead of ``session``.
    """
    path = Path(path)
    text = _read_head(path)
    sep = delimiter or _sniff_delimiter(path, text)
    header = _first_line(text)
    check_unique_columns(path, next(csv.reader([header], delimiter=sep), []) if len(sep) == 1 else header.split(sep))
    compact = _read_csv_compact(path, sep, text, session_col, user_col, item_col, time_col, event_col)
    if compact is not None:
        return compact
    report(f"reading {path.name} (every cell as text)...")
    try:
        df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding_errors="replace")
    except (pd.errors.ParserError, ValueError) as exc:
        raise _fail(path, f"cannot be parsed as {sep!r}-separated text ({exc})", "check the file") from None
    columns = [str(c) for c in df.columns]
    if len(columns) < 3:
        raise _fail(path, f"has {len(columns)} column(s) with delimiter {sep!r} (header on line 1: "
                          f"{shown(_first_line(text).strip())}): wrong delimiter?",
                    "give a delimited file with session (or user), item and time columns")
    return _table_to_tidy(df, path, "csv", session_col, user_col, item_col, time_col, event_col)


def _csv_columns(path: Path, sep: str, session_col, user_col, item_col, time_col) -> tuple | None:
    """``(owner, owner column, item column, time column)`` from a CSV header as pandas reads it,
    or ``None`` where the exact text path must decide (and word the message)."""
    try:
        columns = [str(c) for c in pd.read_csv(path, sep=sep, nrows=0, encoding_errors="replace").columns]
        if len(columns) < 3:
            return None
        owner, o_col = _owner_column(columns, session_col, user_col, path)
        i_col = _pick(columns, item_col, ITEM_ALIASES, "item", path, "--item-col")
        t_col = _pick(columns, time_col, TIME_ALIASES, "time", path, "--time-col")
    except (DataError, pd.errors.ParserError, ValueError):
        return None
    return (owner, o_col, i_col, t_col) if len({o_col, i_col, t_col}) == 3 else None


def _chunk_times(values: pd.Series) -> tuple[str, np.ndarray | None]:
    """A chunk's time column: ``("numeric", float64 as written)`` or ``("iso", seconds)``;
    ``None`` for the array where a value is no ISO date."""
    if values.dtype.kind in "iuf":
        return "numeric", values.to_numpy(np.float64)
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
    if parsed.isna().any():
        return "iso", None
    return "iso", ((parsed - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)).to_numpy().astype(np.float64)


def _read_csv_compact(path: Path, sep: str, head: str, session_col, user_col, item_col, time_col,
                      event_col) -> pd.DataFrame | None:
    """The tidy table of a CSV log read chunk by chunk (:data:`CSV_CHUNK_ROWS` rows), only the three
    columns it needs, ids as int64 and times as float64 straight from the parser: a fraction of the
    memory of every cell as a Python string (docs/performance.md, large logs), with progress reported.

    Returns ``None`` where the file needs the exact text path (an id written ``5.0`` or beyond 64
    bits, an unusable value, an event column, a delimiter of several characters); that path reads
    it again and gives the same table, or the message naming the column and line."""
    found = _csv_columns(path, sep, session_col, user_col, item_col, time_col) \
        if event_col is None and len(sep) == 1 else None
    if found is None:
        return None
    owner, o_col, i_col, t_col = found
    per_row = max(len(head.encode()) / max(head.count("\n"), 1), 1.0)
    expected = max(os.stat(path).st_size / per_row, 1.0)
    owners, items, times, mode, rows = [], [], [], None, 0
    try:
        # no dtype given: pandas's C parser reads a column as int64 only where every value is an integer
        # literal (digits, a sign), so an int64 column is exact; anything else goes the text path
        with pd.read_csv(path, sep=sep, usecols=[o_col, i_col, t_col], keep_default_na=False,
                         encoding_errors="replace", chunksize=CSV_CHUNK_ROWS) as reader:
            for chunk in reader:
                if chunk[o_col].dtype != np.int64 or chunk[i_col].dtype != np.int64:
                    return None
                kind, seconds = _chunk_times(chunk[t_col])
                if seconds is None or mode not in (None, kind):
                    return None
                mode = kind
                owners.append(chunk[o_col].to_numpy(np.int64))
                items.append(chunk[i_col].to_numpy(np.int64))
                times.append(seconds)
                rows += len(chunk)
                report(f"reading {path.name}: {rows:,} rows...", rows / expected)
    except (pd.errors.ParserError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    if rows == 0:
        return None
    owner_ids, item_ids = _concatenate(owners), _concatenate(items)
    raw = _concatenate(times)
    unit = "s"
    if mode == "numeric":
        try:
            raw, unit = _seconds(pd.Series(raw, copy=False), path, t_col)
        except DataError:  # the text path quotes the value as written
            return None
    report(f"read {rows:,} rows of {path.name}", 1.0)
    return _tidy(path, "csv", owner_ids, item_ids, raw, raw, owner=owner, unit=unit)


def _concatenate(parts: list) -> np.ndarray:
    """One array from chunks, emptying the list as it goes (the chunks are freed before the next column)."""
    out = np.concatenate(parts) if len(parts) > 1 else parts[0]
    parts.clear()
    return out


def read_parquet_log(path, session_col: str | None = None, item_col: str | None = None,
                     time_col: str | None = None, user_col: str | None = None,
                     event_col: str | None = None) -> pd.DataFrame:
    """A Parquet click log: the same columns and rules as a CSV log (:func:`read_csv_log`), read with
    pyarrow, only the columns needed. Integer ids are taken as they are; ids stored as text go
    through :func:`parse_id_column` as in a CSV (tokens unless all are whole numbers), floats must
    be whole numbers. Times: numbers
    (seconds, milliseconds detected), Parquet timestamps, or ISO date strings. Problems are a
    :class:`DataError` naming the file (rows are counted from 1; a Parquet file has no header line)."""
    path = Path(path)
    check_regular_file(path)
    import pyarrow as pa  # noqa: PLC0415 (reason: import cost: pyarrow only for a Parquet log)
    import pyarrow.parquet as pq  # noqa: PLC0415 (reason: import cost)

    try:
        meta = pq.ParquetFile(path)
        columns, n_rows = [str(c) for c in meta.schema_arrow.names], meta.metadata.num_rows
    except (pa.ArrowException, OSError) as exc:
        why = f" ({exc})" if quoting_content() else ""
        raise _fail(path, f"is not a readable Parquet file{why}",
                    "give a Parquet file (as written by pandas, pyarrow, Spark or polars), or a CSV log") from None
    check_unique_columns(path, columns)
    try:
        owner, o_col = _owner_column(columns, session_col, user_col, path)
        i_col = _pick(columns, item_col, ITEM_ALIASES, "item", path, "--item-col")
        t_col = _pick(columns, time_col, TIME_ALIASES, "time", path, "--time-col")
        e_col = _pick(columns, event_col, (), "event", path, "--event-col") if event_col is not None else None
    except DataError as exc:
        raise DataError(str(exc).replace("columns found on line 1:", "columns found in the file:")) from None
    if n_rows == 0:
        raise _fail(path, "holds no rows", "give a log with one click per row")
    def column(name: str, done: int) -> pd.Series:
        """One column, read alone (only one column's Arrow copy is held at a time)."""
        report(f"reading {path.name}: {n_rows:,} rows, column '{name}'...", done / 4)
        try:
            return meta.read(columns=[name]).column(0).to_pandas()
        except (pa.ArrowException, OSError, ValueError) as exc:
            why = f" ({exc})" if quoting_content() else ""
            raise _fail(path, f"cannot be read as Parquet{why}",
                        "check the file (write it again with pandas or pyarrow)") from None

    group, _ = _parquet_ids(column(o_col, 0), path, o_col, f"{owner} id", key=True)
    item, tokens = _parquet_ids(column(i_col, 1), path, i_col, "item id")
    seconds, unit = _parquet_times(column(t_col, 2), path, t_col)
    event = column(e_col, 3).astype(str).str.strip().to_numpy(dtype=object) if e_col is not None else None
    report(f"read {n_rows:,} rows of {path.name}", 1.0)
    return _tidy(path, "parquet", group, item, seconds, seconds, owner=owner, event=event, unit=unit, tokens=tokens)


def _parquet_ids(values: pd.Series, path, column: str, what: str, key: bool = False) -> tuple[np.ndarray, ItemTokens | None]:
    """An id column of a Parquet file as int64 (and its :class:`ItemTokens`): integers as stored,
    anything else by the CSV rule; text is tokens, floats are numbers (whole ones only), a missing
    value is refused."""
    if values.dtype.kind == "i":
        return values.to_numpy(np.int64), None
    if values.dtype.kind == "u" and (values.size == 0 or int(values.max()) <= np.iinfo(np.int64).max):
        return values.to_numpy(np.int64), None
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise _fail(path, f"missing {what} in column '{column}' on row {row + 1}", f"every click needs a {what}")
    return parse_item_column(values.astype(object).astype(str), path, column, what, header_lines=0, key=key,
                             tokens=values.dtype.kind not in "fc")


def _parquet_times(values: pd.Series, path, column: str) -> tuple[np.ndarray, str]:
    """A time column of a Parquet file as seconds since 1970 UTC, and the unit numbers were read in."""
    if values.dtype.kind == "M":  # a Parquet timestamp (naive ones are taken as UTC)
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise _fail(path, f"missing time in column '{column}' on row {row + 1}", "every click needs a time")
        stamps = values.dt.tz_localize("UTC") if values.dt.tz is None else values.dt.tz_convert("UTC")
        return ((stamps - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)).to_numpy().astype(np.float64), "s"
    if values.dtype.kind in "iuf":
        return _seconds(values, path, column, header_lines=0)
    return _seconds(values.astype(object).astype(str), path, column, header_lines=0)


def read_recbole(path, session_col: str | None = None, item_col: str | None = None,
                 time_col: str | None = None, user_col: str | None = None,
                 event_col: str | None = None) -> pd.DataFrame:
    """A RecBole atomic ``.inter`` file: tab-separated, typed header such as
    ``session_id:token\titem_id:token\ttimestamp:float`` (or ``user_id:token`` for a user log).

    Columns are named without their type (``--item-col item_id``); the defaults find RecBole's
    ``session_id``/``user_id``, ``item_id`` and ``timestamp``. Tokens must be whole numbers here.
    """
    path = Path(path)
    text = _read_head(path)
    line = _first_line(text)
    if not _is_recbole_header(line):
        raise _fail(path, f"header on line 1 {shown(line.strip())} is not a RecBole header (tab-separated name:type "
                          "fields)", "RecBole .inter files start with e.g. "
                    "'session_id:token<TAB>item_id:token<TAB>timestamp:float'; for another layout use --format csv")
    names = [f.strip().lstrip("\ufeff").rsplit(":", 1)[0] for f in line.rstrip("\r\n").split("\t")]
    while names and not names[-1]:  # a stray trailing field, tolerated as RecBole does
        names.pop()
    check_unique_columns(path, names)
    try:  # columns by their names; a stray trailing field on a row is ignored (RecBole reads only its columns)
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, encoding_errors="replace",
                         quoting=csv.QUOTE_NONE, header=None, skiprows=1, names=names, usecols=range(len(names)),
                         index_col=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise _fail(path, f"cannot be parsed as tab-separated text ({exc})", "check the file") from None
    return _table_to_tidy(df, path, "recbole", session_col, user_col, item_col, time_col, event_col,
                          file_order=True)


def read_clicks(path, format: str | None = None, session_col: str | None = None,
                item_col: str | None = None, time_col: str | None = None,
                user_col: str | None = None, event_col: str | None = None) -> pd.DataFrame:
    """Read a click-log file of the given (or detected) format into the tidy table."""
    fmt = format or detect_format(path)
    if fmt in ("diginetica", "yoochoose") and (user_col or event_col):
        raise _fail(path, f"--user-col/--event-col apply to csv, parquet and recbole logs, not to {fmt}",
                    "drop them, or read the file with --format csv")
    if fmt == "diginetica":
        return read_diginetica(path)
    if fmt == "yoochoose":
        return read_yoochoose(path)
    if fmt == "csv":
        return read_csv_log(path, session_col, item_col, time_col, user_col=user_col, event_col=event_col)
    if fmt == "parquet":
        return read_parquet_log(path, session_col, item_col, time_col, user_col=user_col, event_col=event_col)
    if fmt == "recbole":
        return read_recbole(path, session_col, item_col, time_col, user_col=user_col, event_col=event_col)
    if fmt == "srgnn":
        raise _fail(path, "is in the SR-GNN pickle layout, which holds sessions, not clicks",
                    "read it with read_srgnn_folder")
    raise DataError(f"{path}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


# --------------------------------------------------------------------------- SR-GNN pickles
class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles plain lists, tuples and ints only: every global (class, function) is refused."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refused global {module}.{name}")

    def persistent_load(self, pid):  # noqa: ARG002 (pickle's signature)
        raise pickle.UnpicklingError("refused persistent id")


def load_restricted_pickle(path):
    """Load a pickle with :class:`RestrictedUnpickler`; any failure is a :class:`DataError`."""
    check_regular_file(path)
    try:
        with open(path, "rb") as f:
            if not f.read(1):
                raise _fail(path, "the file is empty", "give the SR-GNN pickle written by its preprocess.py")
            f.seek(0)
            return RestrictedUnpickler(f).load()
    except DataError:
        raise
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror})", "check the path and its permissions") from None
    except Exception as exc:  # noqa: BLE001 (hostile bytes can raise anything: the file is refused); UnpicklingError, EOFError, ValueError, ... from hostile/broken bytes
        why = f"{type(exc).__name__}: {exc}" if quoting_content() else type(exc).__name__
        raise _fail(path, f"is not a plain pickle of lists/tuples/ints ({why})",
                    "only SR-GNN pickles holding lists of item ids are accepted") from None


def _flatten_sessions(path, sessions, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate a list of int lists and flatten it to CSR ``(items, lengths)``."""
    if type(sessions) not in (list, tuple):
        raise _fail(path, f"{what} is a {type(sessions).__name__}, not a list",
                    "expected the SR-GNN layout (a list of item-id lists)")
    kinds = set(map(type, sessions))
    if not kinds <= {list, tuple}:
        bad = sorted(k.__name__ for k in kinds - {list, tuple})
        raise _fail(path, f"{what} holds {', '.join(bad)} where item-id lists are expected",
                    "expected only lists/tuples of ints")
    lengths = np.fromiter(map(len, sessions), dtype=np.int64, count=len(sessions))
    _check_not_inflated(path, int(lengths.sum()), what)
    item_kinds = set(map(type, itertools.chain.from_iterable(sessions)))
    if not item_kinds <= {int}:
        bad = sorted(k.__name__ for k in item_kinds - {int})
        raise _fail(path, f"{what} holds {', '.join(bad)} values where item ids (ints) are expected",
                    "expected only lists/tuples of ints")
    try:
        items = np.fromiter(itertools.chain.from_iterable(sessions), dtype=np.int64, count=int(lengths.sum()))
    except OverflowError:
        raise _fail(path, f"{what} holds item ids too large for 64 bits", "expected item ids 1..N") from None
    if items.size and items.min() < 1:
        raise _fail(path, f"{what} holds item id {int(items.min()) if quoting_content() else '(not shown)'}", "SR-GNN item ids start at 1 (0 is padding)")
    return items, lengths


def _check_not_inflated(path, n_ids: int, what: str) -> None:
    """Refuse a pickle that holds more ids than it has bytes: every id written out costs at least
    one byte, so more can only come from one list referenced many times (a few kB that would
    flatten into gigabytes)."""
    size = os.stat(path).st_size
    if n_ids > size:
        raise _fail(path, f"{what} holds {n_ids:,} item ids in a file of {size:,} bytes: the same lists "
                          "are reused many times", "write every session out once, as SR-GNN's preprocess.py does")


#: SR-GNN numbers items 1..N, and every table (the vocabulary, a model's item embedding) is sized
#: by the largest id. Ids up to a million are taken as they are (a sparse synthetic catalogue is
#: fine); above that they must not exceed ten times the number of distinct ids (an id of 10^9 in
#: a small pickle would make tables of gigabytes).
DENSE_ID_FLOOR = 1_000_000


def check_dense_ids(path, *arrays: np.ndarray) -> None:
    """Raise :class:`DataError` when the largest item id is far above the number of distinct ids."""
    present = [a for a in arrays if a is not None and a.size]
    if not present:
        return
    largest = max(int(a.max()) for a in present)
    if largest <= DENSE_ID_FLOOR:
        return
    distinct = int(np.unique(np.concatenate(present)).size)
    if largest > 10 * distinct:
        raise _fail(path, f"item ids run up to {largest:,} but only {distinct:,} distinct ids occur",
                    "SR-GNN pickles number items 1..N; re-number the items (prepare --out writes such pickles)")


def _targets(path, targets, n: int) -> np.ndarray:
    if type(targets) not in (list, tuple) or not set(map(type, targets)) <= {int}:
        raise _fail(path, "the targets are not a list of ints", "expected (list of prefix lists, list of targets)")
    if len(targets) != n:
        raise _fail(path, f"{n} prefixes but {len(targets)} targets", "the two lists must have equal length")
    try:
        out = np.fromiter(targets, dtype=np.int64, count=n)
    except OverflowError:
        raise _fail(path, "a target is too large for 64 bits", "expected item ids 1..N") from None
    if out.size and out.min() < 1:
        raise _fail(path, f"target item id {int(out.min()) if quoting_content() else '(not shown)'}", "SR-GNN item ids start at 1 (0 is padding)")
    return out


@dataclass
class SrgnnPairs:
    """Pairs of an SR-GNN ``train.txt`` / ``test.txt`` in CSR form: prefix ``p`` is
    ``items[offsets[p]:offsets[p + 1]]``, its target ``targets[p]``."""

    items: np.ndarray
    lengths: np.ndarray
    targets: np.ndarray


@dataclass
class SrgnnFolder:
    """What a folder in the SR-GNN pickle layout holds (any of the three files may be absent)."""

    path: str
    all_train_seq: tuple[np.ndarray, np.ndarray] | None  # (items, lengths) of the sessions
    train: SrgnnPairs | None
    test: SrgnnPairs | None
    files: list  # paths actually read


def read_srgnn_pairs(path) -> SrgnnPairs:
    """Read ``train.txt`` / ``test.txt``: a pickled ``(list of prefix lists, list of targets)``."""
    obj = load_restricted_pickle(path)
    if type(obj) not in (list, tuple) or len(obj) != 2:
        raise _fail(path, f"holds a {type(obj).__name__} where a pair (prefixes, targets) is expected",
                    "expected the SR-GNN layout (list of prefix lists, list of targets)")
    items, lengths = _flatten_sessions(path, obj[0], "the prefix list")
    if lengths.size and lengths.min() < 1:
        raise _fail(path, "an empty prefix", "every prefix needs at least one click")
    return SrgnnPairs(items, lengths, _targets(path, obj[1], lengths.size))


def read_srgnn_sessions(path) -> tuple[np.ndarray, np.ndarray]:
    """Read ``all_train_seq.txt``: a pickled list of sessions -> CSR ``(items, lengths)``."""
    items, lengths = _flatten_sessions(path, load_restricted_pickle(path), "the session list")
    return items, lengths


def read_srgnn_folder(path) -> SrgnnFolder:
    """Read a folder in the SR-GNN layout (or one of its files, meaning its folder)."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    found = {name: folder / name for name in SRGNN_FILES if (folder / name).is_file()}
    if "test.txt" not in found or not ({"all_train_seq.txt", "train.txt"} & set(found)):
        raise _fail(folder, f"holds {', '.join(found) or 'none'} of the SR-GNN pickles",
                    "the folder needs test.txt and all_train_seq.txt (or train.txt)")
    sessions = read_srgnn_sessions(found["all_train_seq.txt"]) if "all_train_seq.txt" in found else None
    train = read_srgnn_pairs(found["train.txt"]) if sessions is None else None
    test = read_srgnn_pairs(found["test.txt"])
    train_items = sessions[0] if sessions is not None else np.concatenate([train.items, train.targets])
    check_dense_ids(folder, train_items, test.items, test.targets)
    files = [str(found[n]) for n in SRGNN_FILES if n in found and (n != "train.txt" or sessions is None)]
    return SrgnnFolder(str(folder), sessions, train, test, files)
