"""Run folders (docs/run-folders.md): config.json, status.json, metrics.jsonl, checkpoints, stdout.log,
launcher.json (the pid of a run the app started, until the process writes status.json) and run.lock
(the OS lock of the process writing the folder: fgnn.runs.guard, docs/run-folders.md).

Everything here reads and writes plain files, so the app, the CLI and a training process in
another process agree on a run's state without sharing memory.
"""
from __future__ import annotations

import json
import math
import os
import re
import socket
import time
from pathlib import Path

from fgnn.atomic import write_atomic

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "checkpoints"
#: Runs that ship with the repository: the app's default models, never deleted from the app.
SHIPPED_RUNS = ("fgnn-sample", "srgnn-sample", "vsknn-sample", "fgnn-senders-sample")
LAUNCHER_FILE = "launcher.json"  # the pid launch_run started, until the child writes status.json


def checkpoints_root() -> Path:
    """Where runs live: ``$FGNN_CHECKPOINT_DIR`` or ``checkpoints/`` of the repository."""
    return Path(os.environ.get("FGNN_CHECKPOINT_DIR", DEFAULT_ROOT))


def safe_run_name(name: str) -> str:
    """A typed run name as a safe folder name: no separators, no dots at the start, no escape."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip()).strip(".-_")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)[:80]
    return cleaned or time.strftime("run-%Y%m%d-%H%M%S")


def unique_run_dir(root: Path, name: str) -> Path:
    base = safe_run_name(name)
    path = root / base
    i = 2
    while path.exists():
        path = root / f"{base}-{i}"
        i += 1
    return path


def write_json_atomic(path: Path, obj) -> None:
    """``obj`` as JSON, written atomically (:func:`fgnn.atomic.write_atomic`: no temporary file is
    left behind by a full disk or a read-only folder)."""
    data = json.dumps(obj, indent=2, default=str).encode()
    write_atomic(path, lambda fh: fh.write(data))


class RunStatus:
    """A run's ``status.json`` as the training process keeps it: one dict and the one way to change
    it, :meth:`write` (update the fields, then replace the file atomically). ``writes=False`` for a
    data-parallel process other than rank 0, which never writes the run folder (docs/distributed.md)."""

    def __init__(self, run_dir, fields: dict | None = None, writes: bool = True):
        self.path = Path(run_dir) / "status.json"
        self.fields = dict(fields or {})
        self.writes = writes

    def get(self, key: str, default=None):
        return self.fields.get(key, default)

    def update(self, **fields) -> None:
        """Change fields without writing (the next :meth:`write` takes them along)."""
        self.fields.update(fields)

    def write(self, **fields) -> None:
        """Update ``fields`` and write the whole status atomically (an ``OSError`` goes to the caller)."""
        self.fields.update(fields)
        if self.writes:
            write_json_atomic(self.path, self.fields)

    def end(self, state: str, **fields) -> None:
        """The run is over (``finished``, ``cancelled`` or ``failed``): state, end time, written."""
        now = time.time()
        self.write(state=state, finished=now, updated=now, **fields)


def read_json(path: Path, default=None):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return default


def read_metrics(run_dir) -> list[dict]:
    """Rows of ``metrics.jsonl``; a half-written or corrupt line is skipped, never fatal.

    A row written twice (an epoch trained and evaluated again after the run was killed before its
    ``last.pt``, then resumed) is read once: the last one wins, in its place."""
    path = Path(run_dir) / "metrics.jsonl"
    rows = []
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")  # a damaged line is skipped below
    except OSError:
        return rows
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    last = {_row_key(row): i for i, row in enumerate(rows)}
    return [row for i, row in enumerate(rows) if last[_row_key(row)] == i]


def _row_key(row: dict):
    """What makes a row unique: an ``eval`` row per epoch (and split), a ``train`` row per step."""
    if row.get("kind") == "eval":
        return ("eval", str(row.get("epoch")), str(row.get("split")))
    if row.get("kind") == "train" and row.get("step") is not None:
        return ("train", str(row.get("step")))
    return ("row", id(row))


class MetricsWriter:
    """Appends one JSON line per row and flushes it at once. An :class:`OSError` (a full disk) names
    ``metrics.jsonl``; a half line that a killed process left at the end is closed first, so that
    it never swallows the next row."""

    def __init__(self, run_dir):
        self.path = Path(run_dir) / "metrics.jsonl"
        self.file = open(self.path, "a+b")  # noqa: SIM115 (open while the run writes, closed by close())
        try:
            if self.file.tell() > 0:
                self.file.seek(-1, os.SEEK_END)
                if self.file.read(1) != b"\n":
                    self._put(b"\n")
        except BaseException:
            self.file.close()
            raise

    def _put(self, data: bytes) -> None:
        try:
            self.file.write(data)
            self.file.flush()
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None

    def write(self, row: dict) -> None:
        self._put((json.dumps(row, default=float) + "\n").encode())

    def close(self) -> None:
        try:
            self.file.close()
        except OSError:  # a full disk: the row that did not fit was reported when it was written
            pass


def _pid(pid) -> int | None:
    """A pid that may be signalled: an int > 1 (0 and -1 mean process groups / everyone, 1 is init)."""
    if isinstance(pid, bool):
        return None
    try:
        pid = int(pid)
    except (TypeError, ValueError):
        return None
    return pid if pid > 1 else None


def process_start_time(pid) -> int | None:
    """When process ``pid`` started (clock ticks since boot, /proc/PID/stat field 22), or None where
    there is no /proc or no such process. With the pid it identifies a process for sure: a pid
    reused by another process has another start time."""
    pid = _pid(pid)
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def pid_alive(pid) -> bool:
    pid = _pid(pid)
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, ValueError, OverflowError):
        return False
    except PermissionError:
        return True
    # a zombie (finished, not yet reaped) is not alive
    try:
        with open(f"/proc/{int(pid)}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _expected_start(run_dir: Path, status: dict, pid: int) -> int | None:
    """The start time recorded for ``pid``: by the child in status.json, else by launch_run."""
    if status.get("pid_start") is not None:
        return status.get("pid_start")
    launcher = read_json(run_dir / LAUNCHER_FILE, default={}) or {}
    if isinstance(launcher, dict) and _pid(launcher.get("pid")) == pid:
        return launcher.get("pid_start")
    return None


def run_process_alive(run_dir, status: dict) -> bool:
    """Whether the process recorded in ``status`` still runs (a reused pid, whose start time differs
    from the recorded one, does not count)."""
    pid = _pid(status.get("pid"))
    if pid is None or not pid_alive(pid):
        return False
    expected, actual = _expected_start(Path(run_dir), status, pid), process_start_time(pid)
    return expected is None or actual is None or expected == actual


def verified_run_pid(run_dir, status: dict) -> int | None:
    """The pid of the run's process when it is known for sure to be that process, else None: its
    start time matches the recorded one (Linux), or it is a child this process launched and holds."""
    run_dir = Path(run_dir)
    pid = _pid(status.get("pid"))
    if pid is None or not pid_alive(pid):
        return None
    expected, actual = _expected_start(run_dir, status, pid), process_start_time(pid)
    if expected is not None and actual is not None:
        return pid if expected == actual else None
    proc = _CHILDREN.get(_child_key(run_dir))
    return pid if proc is not None and proc.pid == pid and proc.returncode is None else None


GONE = "the training process ended without finishing (killed or crashed)"


def next_step(run_dir) -> str:
    """What the owner of an ended run can do, as the folder holds it (the one home of these words):
    where its output is (only when ``stdout.log`` exists), then Resume from ``last.pt``, or Start
    again where it saved no checkpoint (docs/run-folders.md), or a new run."""
    run_dir = Path(run_dir)
    where = "; its output is in stdout.log" if (run_dir / "stdout.log").is_file() else ""
    if (run_dir / "last.pt").is_file():
        return f"{where}. Resume it: it goes on from last.pt"
    if not (run_dir / "best.pt").is_file():
        return f"{where}. It saved no checkpoint: start it again (the Train page's Start again, or the same command)"
    return f"{where}. Start a new run in another folder"


def read_status(run_dir) -> dict:
    """The run's status; a run marked running/queued whose process is gone reads as failed.

    Reading never writes: the failure is what a reader can tell, recomputed on every look (its
    ``finished`` is the last time the process wrote its status, so every look agrees). The end
    is recorded in the folder by those who write it: the process itself, the launcher's watcher
    of a run the app started (:func:`_watch_child`), ``fgnn train --nproc``'s agent
    (:func:`fgnn.training.distributed.launch`), and ``--resume``, which takes the folder over."""
    run_dir = Path(run_dir)
    status = read_json(run_dir / "status.json", default=None)
    if not isinstance(status, dict):
        return {"state": "failed", "error": "status.json is missing or unreadable"}
    if status.get("state") == "queued" and not status.get("pid"):
        launcher = read_json(run_dir / LAUNCHER_FILE, default={}) or {}
        if isinstance(launcher, dict) and launcher.get("pid"):
            status["pid"], status["pid_start"] = launcher["pid"], launcher.get("pid_start")
    if status.get("state") in ("running", "queued") and status.get("pid") and not run_process_alive(run_dir, status):
        return _gone(run_dir, status)
    return status


def _gone(run_dir: Path, seen: dict) -> dict:
    """The status of a run whose process is gone: whatever it wrote before it ended is on disk by
    now, so one more read sees a final status it wrote after ``seen`` was read."""
    try:
        last_write = (run_dir / "status.json").stat().st_mtime
    except OSError:
        last_write = None
    status = read_json(run_dir / "status.json", default=seen)
    if not isinstance(status, dict):
        status = dict(seen)
    if not status.get("pid"):  # still queued: the pid is the launcher's
        status["pid"] = seen["pid"]
    if status.get("state") not in ("running", "queued"):
        return status
    status.update(state="failed", error=GONE + next_step(run_dir),
                  finished=status.get("updated") or last_write or time.time())
    if status.get("processes"):  # a data-parallel run: name the processes that are gone

        lost = lost_processes(status)
        if lost:
            status.update(error=lost_message(lost, " (killed or crashed; see stdout.log)"), lost_rank=lost[0]["rank"])
    return status


def metrics_dict(value) -> dict:
    """The ``best`` / ``last`` figures of a status.json as ``{name: finite number}``: a value that is
    not an object (a damaged or hand-edited file) gives ``{}``, a non-number entry is left out."""
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def list_runs(root=None) -> list[dict]:
    """Every run folder under ``root`` with its status, config and best metrics, newest first.

    A symbolic link is not a run folder and is not listed: it points at a run listed under its own
    name, or at a folder outside the root that the app must not write (docs/run-folders.md)."""
    root = Path(root) if root is not None else checkpoints_root()
    runs = []
    if not root.is_dir():
        return runs
    for d in root.iterdir():
        if d.is_symlink() or not d.is_dir() or not (d / "config.json").exists():
            continue
        status = read_status(d)
        config = read_json(d / "config.json", default={})
        config = config if isinstance(config, dict) else {}
        runs.append({"name": d.name, "path": str(d), "status": status, "config": config,
                     "best": metrics_dict(status.get("best")), "mtime": d.stat().st_mtime})
    runs.sort(key=lambda r: r["mtime"], reverse=True)
    return runs


def best_checkpoint(run_dir) -> Path | None:
    for name in ("best.pt", "last.pt"):
        p = Path(run_dir) / name
        if p.is_file():
            return p
    return None


_CHILDREN: dict = {}  # run folder -> the Popen of a run this process launched (a handle for cancel)



def epoch_label(status: dict) -> str:
    """``"2 / 3"``: the epoch in progress while a run trains (status ``epoch`` counts the epochs
    done), the epochs done once it has ended."""
    done, total = int(status.get("epoch") or 0), int(status.get("epochs") or 1)
    if status.get("state") == "running" and done < total:
        return f"{done + 1} / {total}"
    return f"{done} / {total}"



def lost_processes(status: dict) -> list[dict]:
    """Entries of ``status["processes"]`` that ran on this host and are gone."""
    host = socket.gethostname()
    return [p for p in status.get("processes") or [] if p.get("host") == host and not pid_alive(p.get("pid"))]


def lost_message(lost: list[dict], cause: str = "") -> str:
    names = ", ".join(f"rank {p['rank']} (pid {p['pid']})" for p in lost) or "another process (on another machine)"
    return (f"{names} ended before the run finished{cause}; every process is needed, so the run stopped. "
            "Resume it with --resume (last.pt holds the last finished epoch) or start a new run.")


def _child_key(run_dir) -> str:
    return str(Path(run_dir).resolve())

