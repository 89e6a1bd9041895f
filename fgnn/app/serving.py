"""What a visitor of a served app may do: one policy, read from the environment of whoever
started the app, asked by every page (docs/serving.md).

* ``FGNN_READ_ONLY=1``: explore and predict only; no training, upload, deletion or cancel.
* ``FGNN_ALLOW_SERVER_PATHS=/data/a:/data/b``: folders whose files a visitor may load by path
  (symlinks resolved, ``..`` cannot leave them); unset, the app reads no path a visitor types.
* ``FGNN_MAX_TRAINING_RUNS`` (default 1): training processes that may run at once.
* ``FGNN_UPLOAD_MAX_MB`` (default 200) per uploaded file, ``FGNN_UPLOADS_TOTAL_MB`` (default
  2048) for all uploads together (the oldest go first), ``FGNN_UPLOAD_MAX_AGE_HOURS`` (default 24):
  uploads not used for that long are deleted.

Every question gets a :class:`Decision` (allowed, and why not in words a visitor can act on), or
for paths a :class:`~fgnn.data.dataset.DataError`; the core never imports Streamlit.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fgnn.data.registry import cache_dir
from fgnn.errors import DataError
from fgnn.runs.folders import SHIPPED_RUNS, checkpoints_root, list_runs

ENV_READ_ONLY = "FGNN_READ_ONLY"
ENV_SERVER_PATHS = "FGNN_ALLOW_SERVER_PATHS"
ENV_MAX_RUNS = "FGNN_MAX_TRAINING_RUNS"
ENV_UPLOAD_MB = "FGNN_UPLOAD_MAX_MB"
ENV_UPLOADS_TOTAL_MB = "FGNN_UPLOADS_TOTAL_MB"
ENV_UPLOAD_AGE_H = "FGNN_UPLOAD_MAX_AGE_HOURS"
READ_ONLY_REASON = ("this app is served read-only (FGNN_READ_ONLY): you can explore and predict, "
                    "but not train, upload, cancel or delete")
_TRUE = ("1", "true", "yes", "on")
MB = 2**20


@dataclass(frozen=True)
class Decision:
    """The answer to "may I …": ``bool(decision)`` is whether it is allowed; ``reason`` says why not."""

    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


def _number(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{name}={text!r} is not a number; set it to a number >= {minimum:g} or unset it") from None
    if not value >= minimum or value == float("inf"):
        raise DataError(f"{name}={text!r} is out of range; set it to a finite number >= {minimum:g} or unset it")
    return value


@dataclass(frozen=True)
class ServingPolicy:
    """What visitors may do; :meth:`from_env` reads it from the environment."""

    read_only: bool = False
    server_folders: tuple = ()  # resolved Paths; empty: no server paths
    max_training_runs: int = 1
    upload_max_bytes: int = 200 * MB
    uploads_total_bytes: int = 2048 * MB
    upload_max_age_s: float = 24 * 3600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServingPolicy:
        env = os.environ if env is None else env
        folders = []
        for part in (env.get(ENV_SERVER_PATHS) or "").split(os.pathsep):
            part = part.strip()
            if not part:
                continue
            folder = Path(part).expanduser()
            if not folder.is_absolute():
                raise DataError(f"{ENV_SERVER_PATHS}: {part!r} is not an absolute folder; "
                                f"name folders as /data/a{os.pathsep}/data/b")
            folders.append(folder.resolve())
        return cls(
            read_only=(env.get(ENV_READ_ONLY) or "").strip().lower() in _TRUE,
            server_folders=tuple(folders),
            max_training_runs=int(_number(env, ENV_MAX_RUNS, 1, 0)),
            upload_max_bytes=int(_number(env, ENV_UPLOAD_MB, 200, 0.001) * MB),
            uploads_total_bytes=int(_number(env, ENV_UPLOADS_TOTAL_MB, 2048, 0.001) * MB),
            upload_max_age_s=_number(env, ENV_UPLOAD_AGE_H, 24, 0.001) * 3600.0,
        )

    # ------------------------------------------------------------------ questions
    def may_upload(self) -> Decision:
        return Decision(False, READ_ONLY_REASON) if self.read_only else ALLOWED

    def may_cancel(self) -> Decision:
        return Decision(False, READ_ONLY_REASON) if self.read_only else ALLOWED

    def may_delete(self, run_dir) -> Decision:
        if self.read_only:
            return Decision(False, READ_ONLY_REASON)
        if Path(run_dir).name in SHIPPED_RUNS:
            return Decision(False, f"{Path(run_dir).name} ships with FGNN Studio (the app's default models) "
                                   "and cannot be deleted from the app")
        return ALLOWED

    def may_train(self, root=None) -> Decision:
        """Whether one more training process may start now (read-only, and the run limit)."""
        if self.read_only:
            return Decision(False, READ_ONLY_REASON)
        if self.max_training_runs <= 0:
            return Decision(False, f"training is switched off in this app ({ENV_MAX_RUNS}=0)")
        active = active_runs(root)
        if len(active) >= self.max_training_runs:
            names = ", ".join(Path(p).name for p in active[:5])
            return Decision(False, f"{len(active)} training run(s) are going ({names}) and this app allows "
                                   f"{self.max_training_runs} at a time ({ENV_MAX_RUNS}); wait for one to "
                                   "finish or cancel it")
        return ALLOWED

    @contextlib.contextmanager
    def training_slot(self, root=None):
        """Hold the launch lock of the checkpoints root while a run is started: two visitors who
        press Start together cannot both pass the limit. Raises :class:`DataError` when full."""
        root = Path(root) if root is not None else checkpoints_root()
        root.mkdir(parents=True, exist_ok=True)
        with open(root / ".launch.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                decision = self.may_train(root)
                if not decision:
                    raise DataError(f"no new run: {decision.reason}")
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def server_paths_allowed(self) -> Decision:
        if self.server_folders:
            return ALLOWED
        return Decision(False, "reading files on the server is off in this app: upload the file instead "
                               f"(whoever starts the app can allow folders with {ENV_SERVER_PATHS}=/data/a"
                               f"{os.pathsep}/data/b)")

    def server_path(self, text: str) -> Path:
        """The resolved path of a file or folder a visitor typed, if it lies in an allowed folder.

        Raises :class:`DataError` otherwise, with the same words whether the path exists or not
        (a visitor cannot probe the server): symlinks are resolved and ``..`` cannot escape.
        """
        decision = self.server_paths_allowed()
        if not decision:
            raise DataError(decision.reason)
        text = str(text or "").strip()
        if not text:
            raise DataError("type the path of a click log first")
        typed = Path(text).expanduser()
        allowed = ", ".join(str(f) for f in self.server_folders)
        outside = DataError(f"{text}: this app reads only files under {allowed}; give a path there, "
                            "or upload the file")
        if not typed.is_absolute() or "\0" in text:
            raise outside
        try:
            resolved = typed.resolve()
        except (OSError, RuntimeError):  # a symlink loop
            raise outside from None
        if not any(resolved == f or f in resolved.parents for f in self.server_folders):
            raise outside
        return resolved


def active_runs(root=None) -> list[str]:
    """Paths of the runs under ``root`` that are queued or running (a dead process does not count)."""
    return [r["path"] for r in list_runs(root) if r["status"].get("state") in ("queued", "running")]


def current_policy() -> ServingPolicy:
    """The policy of this process's environment (read on every call: cheap, and tests can set it)."""
    return ServingPolicy.from_env()


# ------------------------------------------------------------------ uploads
def clean_uploads(root, policy: ServingPolicy, incoming: int = 0, now: float | None = None) -> list[Path]:
    """Delete upload folders unused for longer than the policy's age, then the oldest until
    ``incoming`` more bytes fit under the total cap. Returns the folders deleted."""
    root = Path(root)
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    entries = []
    for folder in root.iterdir():
        if not folder.is_dir() or folder.is_symlink():
            continue
        try:
            size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
            entries.append((folder.stat().st_mtime, size, folder))
        except OSError:
            continue
    entries.sort()
    removed = []
    total = sum(size for _, size, _ in entries)
    for mtime, size, folder in entries:
        if now - mtime > policy.upload_max_age_s or total + incoming > policy.uploads_total_bytes:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
            total -= size
    return removed


def server_folders() -> dict[str, Path]:
    """The server's folders a visitor may see files of, by the name the app gives them: the
    checkpoints root, the uploads and the dataset cache (for :func:`hide_server_paths`)."""
    return {"checkpoints": checkpoints_root(), "uploads": upload_root(), "cache": cache_dir()}


def hide_server_paths(value, folders: Mapping[str, Path] | None = None):
    """``value`` (text, or JSON-like lists and dicts of it) with every absolute path of a server
    folder written as ``<name>/...`` (``<checkpoints>/run/best.pt``): what a visitor sees of a run's
    config, status, errors and log names no folder of the server (docs/serving.md)."""
    folders = server_folders() if folders is None else folders
    if isinstance(value, str):
        spellings = sorted({(str(p), name) for name, p in folders.items()}
                           | {(str(Path(p).resolve()), name) for name, p in folders.items()},
                           key=lambda pair: -len(pair[0]))
        for path, name in spellings:
            if path and path != "/":
                value = value.replace(path, f"<{name}>")
        return value
    if isinstance(value, dict):
        return {k: hide_server_paths(v, folders) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [hide_server_paths(v, folders) for v in value]
    return value


def upload_root() -> Path:
    """Where uploaded click logs are kept: ``$FGNN_UPLOAD_DIR`` or ``<dataset cache>/uploads``."""
    return Path(os.environ.get("FGNN_UPLOAD_DIR") or cache_dir() / "uploads")

