"""A user's own click log: keep an uploaded file in a safe place, then run the protocol on it.

Uploads are written under ``$FGNN_UPLOAD_DIR`` (default: ``uploads/`` in the dataset cache
directory), one folder per content hash, with a sanitised file name. Never inside the
checkpoints folder, so an upload can never replace or touch a run.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path

from .data.dataset import DataError, PreparedDataset
from .data.protocol import default_settings
from .data.readers import FORMATS, quoting_content
from .data.registry import READ_OPTIONS
from .data.sessionize import LOG_SETTINGS

SUFFIXES = (".csv", ".tsv", ".txt", ".dat")


def upload_root() -> Path:
    """Where uploaded click logs are kept: ``$FGNN_UPLOAD_DIR`` or ``<dataset cache>/uploads``."""
    from .data.registry import cache_dir

    return Path(os.environ.get("FGNN_UPLOAD_DIR") or cache_dir() / "uploads")


def safe_file_name(name: str) -> str:
    """The base name of an uploaded file with only ``[A-Za-z0-9._-]``, no leading dot."""
    base = re.split(r"[\\/]", str(name))[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")[:120]
    return cleaned or "upload.csv"


def save_upload(name: str, data: bytes, root=None, policy=None) -> Path:
    """Write uploaded bytes to ``root/<sha256[:16]>/<safe name>`` (atomic; same bytes, same path).

    The serving policy (:mod:`fgnn.serving`, from the environment unless given) caps the size of
    one upload and of all of them, and deletes uploads unused for longer than its age limit."""
    from .serving import clean_uploads, current_policy

    policy = policy if policy is not None else current_policy()
    decision = policy.may_upload()
    if not decision:
        raise DataError(f"{name}: not uploaded: {decision.reason}")
    if not data:
        raise DataError(f"{name}: the uploaded file is empty; upload a click log with a header and rows")
    if len(data) > policy.upload_max_bytes:
        raise DataError(f"{name}: {len(data) / 2**20:.1f} MB is more than this app accepts per upload "
                        f"({policy.upload_max_bytes / 2**20:.1f} MB); upload a smaller log")
    root = Path(root) if root is not None else upload_root()
    folder = root / hashlib.sha256(data).hexdigest()[:16]
    clean_uploads(root, policy, incoming=0 if folder.is_dir() else len(data))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe_file_name(name)
    if not path.is_file() or path.stat().st_size != len(data):
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    os.utime(folder)  # used now: the age limit counts from the last use
    return path


def is_upload(path, root=None) -> bool:
    """Whether ``path`` is a file kept under the upload folder (a visitor's own upload)."""
    root = Path(root) if root is not None else upload_root()
    try:
        return root.resolve() in Path(path).resolve().parents
    except (OSError, RuntimeError):
        return False


def load_user_log(path, format: str | None = None, session_col: str | None = None,
                  item_col: str | None = None, time_col: str | None = None,
                  **protocol) -> PreparedDataset:
    """Run the protocol on a user's click log; every failure is a :class:`DataError` whose
    message names the file and says what to change (format, columns, content)."""
    from .data.registry import load_dataset

    if format in ("", "auto"):
        format = None
    if format is not None and format not in FORMATS:
        raise DataError(f"{path}: unknown format {format!r}; use one of {', '.join(FORMATS)}")
    given = {"session_col": session_col, "item_col": item_col, "time_col": time_col, **protocol}
    given = {k: (v.strip() or None) if isinstance(v, str) and k in READ_OPTIONS else v for k, v in given.items()}
    try:
        return load_dataset(str(path), format=format, **given)
    except DataError:
        raise
    except (UnicodeDecodeError, ValueError, KeyError, IndexError, TypeError, OSError) as exc:
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        if not quoting_content():
            first = type(exc).__name__
        raise DataError(f"{Path(path).name}: cannot be read as a {format or 'click'} log ({first}); "
                        "check the format, the delimiter and the column names") from None
    except RuntimeError as exc:  # e.g. torch errors on degenerate data
        raise DataError(f"{Path(path).name}: the protocol failed on this file "
                        f"({str(exc)[:300] if quoting_content() else type(exc).__name__}); "
                        "check that it has sessions of 2+ clicks over several days") from None


# --------------------------------------------------------------------------- dataset sources
# How to read a source (a run's config keeps these at its top level): READ_OPTIONS, from the registry.
#: Keys a dataset source may carry besides the path: how to read it, and the protocol settings.
SOURCE_OPTIONS = READ_OPTIONS + tuple(default_settings()) + tuple(LOG_SETTINGS)


def encode_source(source, format: str | None = None, session_col: str | None = None,
                  item_col: str | None = None, time_col: str | None = None, **protocol) -> str:
    """One string for a dataset and how to read it, so that the app can hold it in one place.

    A registry name or a path with no options stays as it is; otherwise the result is a JSON
    object ``{"source": …, "format": …, "item_col": …, …}`` with sorted keys and only the options
    given, so the same choice always gives the same string."""
    options = {"format": format, "session_col": session_col, "item_col": item_col, "time_col": time_col,
               **protocol}
    unknown = set(options) - set(SOURCE_OPTIONS)
    if unknown:
        raise DataError(f"unknown dataset option(s) {', '.join(sorted(unknown))}; known: {', '.join(SOURCE_OPTIONS)}")
    options = {k: v for k, v in options.items() if v not in (None, "", "auto")}
    if not options:
        return str(source)
    return json.dumps({"source": str(source), **options}, sort_keys=True)


def decode_source(text: str) -> dict:
    """The keyword arguments of :func:`load_user_log` (``source`` included) for a dataset source."""
    text = str(text)
    if not text.lstrip().startswith("{"):
        return {"source": text}
    try:
        spec = json.loads(text)
    except ValueError:
        spec = None
    if not isinstance(spec, dict) or not isinstance(spec.get("source"), str):
        raise DataError(f"dataset source {text[:120]!r} is not a path, a registry name or a JSON object "
                        "with a 'source' key; choose the dataset again on the Dataset page")
    unknown = set(spec) - {"source", *SOURCE_OPTIONS}
    if unknown:
        raise DataError(f"dataset source has unknown option(s) {', '.join(sorted(unknown))}; "
                        f"known: {', '.join(SOURCE_OPTIONS)}")
    return spec


def describe_source(text: str) -> str:
    """A short label: the name or path, and the options in brackets (``clicks.csv (csv, item=pid)``)."""
    try:
        spec = dict(decode_source(text))
    except DataError:
        return str(text)[:80]
    source = spec.pop("source")
    if not spec:
        return source
    short = {"session_col": "session", "user_col": "user", "item_col": "item", "time_col": "time",
             "event_col": "event", "items": "items"}
    parts = [str(spec.pop("format"))] if "format" in spec else []
    parts += [f"{short.get(k, k)}={Path(v).name if k == 'items' else v}" for k, v in spec.items()]
    return f"{Path(source).name} ({', '.join(parts)})"


def load_source(text: str) -> PreparedDataset:
    """Load a dataset source from :func:`encode_source` (a plain name or path works too).

    This is how the app loads data: errors about a file on the server (neither a registry name
    nor an upload) name the column and line but quote none of its content (docs/serving.md)."""
    from .data.readers import content_withheld
    from .data.registry import REGISTRY

    spec = dict(decode_source(text))
    source = spec.pop("source")
    if source in REGISTRY:
        return load_user_log(source, **spec)
    if is_upload(source):
        with contextlib.suppress(OSError):
            os.utime(Path(source).parent)  # in use: not cleaned for its age
        return load_user_log(source, **spec)
    with content_withheld():
        return load_user_log(source, **spec)


def source_stem(text: str) -> str:
    """The bare name of a dataset source, for run names: ``diginetica-sample``, ``clicks`` for ``/x/clicks.csv``."""
    try:
        source = decode_source(text)["source"]
    except DataError:
        source = str(text)
    return Path(source.rstrip("/\\")).stem or "dataset"


def source_config(text: str) -> dict:
    """The dataset fields of a run config (:class:`fgnn.train.TrainConfig`) for a dataset source:
    ``dataset``, the read options, and the protocol settings under ``protocol``."""
    spec = dict(decode_source(text))
    fields = {"dataset": spec.pop("source"), **{k: spec.pop(k, None) for k in READ_OPTIONS}}
    return {**fields, "protocol": spec}


def run_dataset_source(config: dict) -> str | None:
    """The dataset source of a run's ``config.json`` (the inverse of :func:`source_config`), with
    its format, columns and protocol settings; ``None`` when the config names no dataset."""
    source = config.get("dataset") if isinstance(config, dict) else None
    if not isinstance(source, str) or not source:
        return None
    protocol = config.get("protocol") if isinstance(config.get("protocol"), dict) else {}
    try:
        return encode_source(source, **{k: config.get(k) for k in READ_OPTIONS}, **protocol)
    except DataError:
        return source


# The Dataset page's form fields for the CLI flags that the readers' messages name.
FORM_FIELDS = {
    "--session-col": "the 'session column' field", "--item-col": "the 'item column' field",
    "--time-col": "the 'time column' field", "--user-col": "the 'user column' field",
    "--session-gap": "the 'session gap' field", "--event-col": "the 'event column' field",
    "--keep": "the 'keep events' field", "--items": "the 'items file' field",
    "--test-days": "the 'test window in days' field", "--collapse-repeats": "the 'collapse repeats' box",
    "--fraction": "the fraction setting",
}


def form_message(message: str) -> str:
    """A reader's message in the words of the Dataset page: ``--session-col`` becomes "the
    'session column' field", ``--format csv`` becomes "format 'csv'" (the CLI keeps the flags)."""
    text = re.sub(r"--format\s+([A-Za-z0-9_-]+)", r"format '\1'", str(message))
    return re.sub(r"--[a-z][a-z-]*", lambda m: FORM_FIELDS.get(m.group(0), m.group(0)), text)


def dataset_label(source: str, loaded: dict | None = None) -> str:
    """What the app calls a dataset source: the label the Dataset page gave a loaded log (its file
    name, not the upload folder), else :func:`describe_source` (a path by its file name)."""
    for label, value in (loaded or {}).items():
        if value == source:
            return label
    described = describe_source(source)
    return Path(described).name if described == str(source) and os.sep in described else described
