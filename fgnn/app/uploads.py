"""A user's own click log: keep an uploaded file in a safe place, then run the protocol on it.

Uploads are written under ``$FGNN_UPLOAD_DIR`` (default: ``uploads/`` in the dataset cache
directory), one folder per content hash, with a sanitised file name. Never inside the
checkpoints folder, so an upload can never replace or touch a run.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
from pathlib import Path

from fgnn.app.serving import ENV_UPLOAD_MB, MB, clean_uploads, current_policy, upload_root
from fgnn.atomic import write_atomic
from fgnn.data.dataset import PreparedDataset
from fgnn.data.readers import FORMATS, content_withheld
from fgnn.data.registry import REGISTRY, load_dataset
from fgnn.data.spec import READ_OPTIONS, DatasetSpec
from fgnn.errors import DataError

#: The file types the Dataset page accepts for an uploaded click log.
SUFFIXES = (".csv", ".tsv", ".txt", ".dat", ".parquet")  # a Parquet log is known by its suffix
#: Streamlit's own cap on one uploaded file, in MB (``server.maxUploadSize``, default 200): a larger
#: file is refused by the uploader in the browser and never reaches the app.
UPLOADER_OPTION = "server.maxUploadSize"
#: Where no upload limit applies: the command line reads a file of any size from disk.
CLI_ROUTE = ("python -m fgnn prepare FILE --out FOLDER (the same columns and protocol options as "
             "here; FOLDER holds the prepared sessions, which this page reads as a path on this machine "
             "where FGNN_ALLOW_SERVER_PATHS allows it), or train on it directly with python -m fgnn train "
             "--dataset FILE")


def upload_limit_bytes(policy=None, uploader_mb: float | None = None) -> int:
    """The largest file an upload can be: the app's cap (``FGNN_UPLOAD_MAX_MB``) or Streamlit's
    uploader's (``server.maxUploadSize``, MB, where given), whichever is smaller."""

    policy = policy if policy is not None else current_policy()
    limits = [policy.upload_max_bytes] + ([int(uploader_mb * MB)] if uploader_mb else [])
    return min(limits)


def _mb(n_bytes: int) -> str:

    return f"{round(n_bytes / MB, 2):g}"


def _limit_text(policy, uploader_mb: float | None) -> str:

    return (f"the upload limit of {_mb(upload_limit_bytes(policy, uploader_mb))} MB (set by {ENV_UPLOAD_MB}, and by Streamlit's "
            f"{UPLOADER_OPTION} option for the uploader itself: raise both to take larger files)")


def over_limit_message(name: str, size: int, policy=None, uploader_mb: float | None = None) -> str:
    """What to say of an uploaded file of ``size`` bytes over the limit: the limit, its settings and
    the command-line route, where no limit applies."""

    policy = policy if policy is not None else current_policy()
    return (f"{name}: {_mb(size)} MB is more than this app accepts per upload: the file is over "
            f"{_limit_text(policy, uploader_mb)}; upload a smaller log, or prepare this one on the command "
            f"line: {CLI_ROUTE}")


def no_upload_message(policy=None, uploader_mb: float | None = None) -> str:
    """What "Run the protocol" says when no uploaded file reached the app: none was chosen, or the
    uploader refused it for its size (Streamlit refuses it in the browser, so the app cannot tell)."""

    policy = policy if policy is not None else current_policy()
    return (f"no uploaded click log reached the app: choose a file to upload first. A file over "
            f"{_limit_text(policy, uploader_mb)} is refused by the uploader; prepare such a log on the "
            f"command line instead: {CLI_ROUTE}")



def safe_file_name(name: str) -> str:
    """The base name of an uploaded file with only ``[A-Za-z0-9._-]``, no leading dot."""
    base = re.split(r"[\\/]", str(name))[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")[:120]
    return cleaned or "upload.csv"


def save_upload(name: str, data: bytes, root=None, policy=None) -> Path:
    """Write uploaded bytes to ``root/<sha256[:16]>/<safe name>`` (atomic; same bytes, same path).

    The serving policy (:mod:`fgnn.app.serving`, from the environment unless given) caps the size of
    one upload and of all of them, and deletes uploads unused for longer than its age limit."""

    policy = policy if policy is not None else current_policy()
    decision = policy.may_upload()
    if not decision:
        raise DataError(f"{name}: not uploaded: {decision.reason}")
    if not data:
        raise DataError(f"{name}: the uploaded file is empty; upload a click log with a header and rows")
    if len(data) > policy.upload_max_bytes:
        raise DataError(over_limit_message(name, len(data), policy))
    root = Path(root) if root is not None else upload_root()
    folder = root / hashlib.sha256(data).hexdigest()[:16]
    clean_uploads(root, policy, incoming=0 if folder.is_dir() else len(data))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe_file_name(name)
    if not path.is_file() or path.stat().st_size != len(data):
        write_atomic(path, lambda fh: fh.write(data))
    os.utime(folder)  # used now: the age limit counts from the last use
    return path


def is_upload(path, root=None) -> bool:
    """Whether ``path`` is a file kept under the upload folder (a visitor's own upload)."""
    root = Path(root) if root is not None else upload_root()
    try:
        return root.resolve() in Path(path).resolve().parents
    except (OSError, RuntimeError):
        return False


#: How an upload is named in a page's URL (fgnn.app.url_state): ``upload:<hash>/<file name>``.
UPLOAD_ID_PREFIX = "upload:"
_UPLOAD_FOLDER = re.compile(r"[0-9a-f]{16}")


def upload_id(path, root=None) -> str | None:
    """The id of a kept upload (``upload:<hash>/<file name>``, its place under the upload folder),
    ``None`` for any other path: what a URL carries instead of the server's path."""
    root = Path(root) if root is not None else upload_root()
    try:
        parts = Path(path).resolve().relative_to(root.resolve()).parts
    except (ValueError, OSError, RuntimeError):
        return None
    if len(parts) != 2 or not _UPLOAD_FOLDER.fullmatch(parts[0]) or safe_file_name(parts[1]) != parts[1]:
        return None
    return f"{UPLOAD_ID_PREFIX}{parts[0]}/{parts[1]}"


def live_uploads(root=None) -> dict[str, str]:
    """Every upload kept now: its id (:func:`upload_id`) -> its path. Only the folders and regular
    files the uploads made are listed (no link, nothing else); no file is opened."""
    root = Path(root) if root is not None else upload_root()
    out = {}
    try:
        folders = [f for f in root.iterdir() if _UPLOAD_FOLDER.fullmatch(f.name) and f.is_dir() and not f.is_symlink()]
        for folder in folders:
            for file in folder.iterdir():
                if safe_file_name(file.name) == file.name and file.is_file() and not file.is_symlink():
                    out[f"{UPLOAD_ID_PREFIX}{folder.name}/{file.name}"] = str(file)
    except OSError:
        pass
    return out


def load_user_log(path, format: str | None = None, session_col: str | None = None,
                  item_col: str | None = None, time_col: str | None = None,
                  **protocol) -> PreparedDataset:
    """Run the protocol on a user's click log. A file that cannot be used raises :class:`DataError`
    naming the file and what to change (format, columns, content): the readers and the protocol
    raise it where they find the problem (tests/test_uploads.py feeds them malformed logs). Any
    other exception is a bug and is raised as itself."""
    if format in ("", "auto"):
        format = None
    if format is not None and format not in FORMATS:
        raise DataError(f"{path}: unknown format {format!r}; use one of {', '.join(FORMATS)}")
    given = {"session_col": session_col, "item_col": item_col, "time_col": time_col, **protocol}
    given = {k: (v.strip() or None) if isinstance(v, str) and k in READ_OPTIONS else v for k, v in given.items()}
    try:
        return load_dataset(str(path), format=format, **given)
    except OSError as exc:  # the file went away or failed while it was read (the readers check it first)
        raise DataError(f"{Path(path).name}: cannot be read ({exc.strerror or type(exc).__name__}); "
                        "check the file and its permissions") from None


def load_source(spec: DatasetSpec) -> PreparedDataset:
    """Load a dataset the way the app does (its one cached loader, ``pages/_shared.py``).

    Errors about a file on the server (neither a registry name nor an upload) name the column and
    line but quote none of its content (docs/serving.md); an upload in use is not cleaned for its age."""
    source, options = spec.source, spec.load_kwargs()
    if source in REGISTRY:
        return load_user_log(source, **options)
    if is_upload(source):
        with contextlib.suppress(OSError):
            os.utime(Path(source).parent)  # in use: not cleaned for its age
        return load_user_log(source, **options)
    with content_withheld():
        return load_user_log(source, **options)


# The Dataset page's form fields for the CLI flags that the readers' messages name.
FORM_FIELDS = {
    "--session-col": "the 'session column' field", "--item-col": "the 'item column' field",
    "--time-col": "the 'time column' field", "--user-col": "the 'user column' field",
    "--session-gap": "the 'session gap' field", "--event-col": "the 'event column' field",
    "--keep": "the 'keep events' field", "--items": "the 'items file' field",
    "--test-days": "the 'test window in days' field", "--collapse-repeats": "the 'collapse repeats' box",
    "--fraction": "the fraction setting",
}


def form_message(message: str, uploads: dict | None = None) -> str:
    """A reader's message in the words of the Dataset page: ``--session-col`` becomes "the
    'session column' field", ``--format csv`` becomes "format 'csv'" (the CLI keeps the flags), and
    where the file was uploaded, the server's copy (``uploads``: saved path -> the name the visitor
    gave it) is named by the visitor's name, never by its path on the server."""
    text = str(message)
    for saved, name in (uploads or {}).items():
        text = text.replace(str(saved), name)
    text = re.sub(r"--format\s+([A-Za-z0-9_-]+)", r"format '\1'", text)
    return re.sub(r"--[a-z][a-z-]*", lambda m: FORM_FIELDS.get(m.group(0), m.group(0)), text)

