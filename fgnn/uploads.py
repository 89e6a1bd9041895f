"""A user's own click log: keep an uploaded file in a safe place, then run the protocol on it.

Uploads are written under ``$FGNN_UPLOAD_DIR`` (default: ``uploads/`` in the dataset cache
directory), one folder per content hash, with a sanitised file name. Never inside the
checkpoints folder, so an upload can never replace or touch a run.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Optional

from .data.dataset import DataError, PreparedDataset
from .data.readers import FORMATS

MAX_UPLOAD_BYTES = 2 << 30
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


def save_upload(name: str, data: bytes, root=None) -> Path:
    """Write uploaded bytes to ``root/<sha256[:16]>/<safe name>`` (atomic; same bytes, same path)."""
    if not data:
        raise DataError(f"{name}: the uploaded file is empty; upload a click log with a header and rows")
    if len(data) > MAX_UPLOAD_BYTES:
        raise DataError(f"{name}: {len(data) / 2**20:.0f} MB is too large to upload; give its path instead")
    root = Path(root) if root is not None else upload_root()
    folder = root / hashlib.sha256(data).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe_file_name(name)
    if not path.is_file() or path.stat().st_size != len(data):
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return path


def load_user_log(path, format: Optional[str] = None, session_col: Optional[str] = None,
                  item_col: Optional[str] = None, time_col: Optional[str] = None,
                  **protocol) -> PreparedDataset:
    """Run the protocol on a user's click log; every failure is a :class:`DataError` whose
    message names the file and says what to change (format, columns, content)."""
    from .data.registry import load_dataset

    if format in ("", "auto"):
        format = None
    if format is not None and format not in FORMATS:
        raise DataError(f"{path}: unknown format {format!r}; use one of {', '.join(FORMATS)}")
    cols = {k: (v.strip() or None) if isinstance(v, str) else v
            for k, v in (("session_col", session_col), ("item_col", item_col), ("time_col", time_col))}
    try:
        return load_dataset(str(path), format=format, **cols, **protocol)
    except DataError:
        raise
    except (UnicodeDecodeError, ValueError, KeyError, IndexError, TypeError, OSError) as exc:
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{Path(path).name}: cannot be read as a {format or 'click'} log ({first}); "
                        "check the format, the delimiter and the column names") from None
    except RuntimeError as exc:  # e.g. torch errors on degenerate data
        raise DataError(f"{Path(path).name}: the protocol failed on this file ({str(exc)[:300]}); "
                        "check that it has sessions of 2+ clicks over several days") from None
