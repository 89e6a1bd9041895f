"""Run folders (docs/run-folders.md): config.json, status.json, metrics.jsonl, checkpoints, stdout.log and
launcher.json (the pid of a run the app started, until the process writes status.json).

Everything here reads and writes plain files, so the app, the CLI and a training process in
another process agree on a run's state without sharing memory.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

STATES = ("queued", "running", "finished", "failed", "cancelled")
DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "checkpoints"
#: Runs that ship with the repository: the app's default models, never deleted from the app.
SHIPPED_RUNS = ("fgnn-sample", "srgnn-sample", "vsknn-sample")
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
    path = Path(path)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=2, default=str))
    os.replace(tmp, path)


def read_json(path: Path, default=None):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return default


def read_metrics(run_dir) -> list[dict]:
    """Rows of ``metrics.jsonl``; a half-written or corrupt line is skipped, never fatal."""
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
    return rows


class MetricsWriter:
    """Appends one JSON line per row and flushes it at once."""

    def __init__(self, run_dir):
        self.file = open(Path(run_dir) / "metrics.jsonl", "a", buffering=1)

    def write(self, row: dict) -> None:
        self.file.write(json.dumps(row, default=float) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def pid_alive(pid) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    # a zombie (finished, not yet reaped) is not alive
    try:
        with open(f"/proc/{int(pid)}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def read_status(run_dir) -> dict:
    """The run's status; a run marked running/queued whose process is gone becomes failed."""
    run_dir = Path(run_dir)
    status = read_json(run_dir / "status.json", default=None)
    if not isinstance(status, dict):
        return {"state": "failed", "error": "status.json is missing or unreadable"}
    if status.get("state") == "queued" and not status.get("pid"):
        launcher = read_json(run_dir / LAUNCHER_FILE, default={}) or {}
        if launcher.get("pid"):
            status["pid"] = launcher["pid"]
    if status.get("state") in ("running", "queued") and status.get("pid") and not pid_alive(status["pid"]):
        # give a just-finished process a moment to write its final status
        time.sleep(0.05)
        again = read_json(run_dir / "status.json", default=status)
        if not again.get("pid"):  # still queued: the pid is the launcher's
            again["pid"] = status["pid"]
        if again.get("state") in ("running", "queued"):
            again.update(state="failed", error="the training process ended without finishing "
                         "(killed or crashed); see stdout.log. Resume it or start a new run.",
                         finished=time.time())
            if again.get("processes"):  # a data-parallel run: name the processes that are gone
                from .distributed import lost_message, lost_processes

                lost = lost_processes(again)
                if lost:
                    again.update(error=lost_message(lost, " (killed or crashed; see stdout.log)"),
                                 lost_rank=lost[0]["rank"])
            try:
                write_json_atomic(run_dir / "status.json", again)
            except OSError:
                pass
        status = again
    return status


def metrics_dict(value) -> dict:
    """The ``best`` / ``last`` figures of a status.json as ``{name: finite number}``: a value that is
    not an object (a damaged or hand-edited file) gives ``{}``, a non-number entry is left out."""
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def list_runs(root=None) -> list[dict]:
    """Every run folder under ``root`` with its status, config and best metrics, newest first."""
    root = Path(root) if root is not None else checkpoints_root()
    runs = []
    if not root.is_dir():
        return runs
    for d in root.iterdir():
        if not d.is_dir() or not (d / "config.json").exists():
            continue
        status = read_status(d)
        config = read_json(d / "config.json", default={})
        config = config if isinstance(config, dict) else {}
        runs.append({"name": d.name, "path": str(d), "status": status, "config": config,
                     "best": metrics_dict(status.get("best")), "mtime": d.stat().st_mtime})
    runs.sort(key=lambda r: r["mtime"], reverse=True)
    return runs


def best_checkpoint(run_dir) -> Optional[Path]:
    for name in ("best.pt", "last.pt"):
        p = Path(run_dir) / name
        if p.is_file():
            return p
    return None


def launch_run(config: dict, run_dir, python: str = sys.executable, resume: bool = False) -> subprocess.Popen:
    """Start ``python -m fgnn train --config run_dir/config.json`` as its own process session:
    it survives the Streamlit script rerun and a closed browser tab. Output goes to stdout.log.

    ``resume=True`` goes on with the run already in ``run_dir`` (``--resume``): its config, best
    metrics and ``last.pt`` are kept (see :func:`resume_run`)."""
    run_dir = Path(run_dir)
    if resume:
        status = read_json(run_dir / "status.json", default={}) or {}
        (run_dir / "STOP").unlink(missing_ok=True)  # the cancel that stopped it is done
        (run_dir / LAUNCHER_FILE).unlink(missing_ok=True)  # the old launcher's pid is not this one
        status.update(state="queued", pid=None, error=None, finished=None, queued=time.time())
        write_json_atomic(run_dir / "status.json", status)
    else:
        run_dir.mkdir(parents=True, exist_ok=False)
        write_json_atomic(run_dir / "config.json", config)
        write_json_atomic(run_dir / "status.json", {"state": "queued", "created": time.time()})
    log = open(run_dir / "stdout.log", "ab")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [python, "-m", "fgnn", "train", "--config", str(run_dir / "config.json"), "--run-dir", str(run_dir),
         *(["--resume"] if resume else [])],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        cwd=str(Path(__file__).resolve().parent.parent), env=env,
    )
    log.close()
    # The pid goes to its own file: rewriting status.json here could overwrite a "running"
    # that the child wrote in the meantime. The child records its own pid in status.json.
    write_json_atomic(run_dir / LAUNCHER_FILE, {"pid": proc.pid, "started": time.time()})
    return proc


def epoch_label(status: dict) -> str:
    """``"2 / 3"``: the epoch in progress while a run trains (status ``epoch`` counts the epochs
    done), the epochs done once it has ended."""
    done, total = int(status.get("epoch") or 0), int(status.get("epochs") or 1)
    if status.get("state") == "running" and done < total:
        return f"{done + 1} / {total}"
    return f"{done} / {total}"


def can_resume(run: dict) -> bool:
    """Whether a run (as :func:`list_runs` gives it) can go on: cancelled, or failed with a
    ``last.pt``. A run cancelled before its first batch starts again from the beginning."""
    state = (run.get("status") or {}).get("state")
    has_last = (Path(run["path"]) / "last.pt").is_file()
    return bool(run.get("config")) and (state == "cancelled" or (state == "failed" and has_last))


def resume_run(run_dir, python: str = sys.executable) -> subprocess.Popen:
    """Go on with a cancelled or failed run in its own folder (``fgnn train --resume``)."""
    run_dir = Path(run_dir)
    run = {"path": str(run_dir), "status": read_status(run_dir), "config": read_json(run_dir / "config.json")}
    if not can_resume(run):
        raise ValueError(f"run {run_dir.name} is {run['status'].get('state')} and cannot be resumed: "
                         "only a cancelled run, or a failed one with last.pt, can go on")
    return launch_run(run["config"], run_dir, python=python, resume=True)


def cancel_run(run_dir) -> None:
    """Ask a run to stop: a STOP file (seen within a few batches) and SIGTERM to its process.

    A queued run (its process still starting, without its SIGTERM handler) gets only the STOP
    file: it stops after its first batch, cancelled and resumable, instead of being killed."""
    run_dir = Path(run_dir)
    (run_dir / "STOP").touch()
    status = read_status(run_dir)
    pid = status.get("pid")
    if status.get("state") == "running" and pid_alive(pid):
        try:
            os.kill(int(pid), signal.SIGTERM)
        except OSError:
            pass


def delete_run(run_dir, root=None) -> None:
    """Delete a run folder that is not running; refuses anything outside the checkpoints root."""
    root = Path(root) if root is not None else checkpoints_root()
    run_dir = Path(run_dir).resolve()
    if root.resolve() not in run_dir.parents:
        raise ValueError(f"{run_dir} is not inside {root}: refusing to delete it")
    if run_dir.name in SHIPPED_RUNS:
        raise ValueError(f"run {run_dir.name} ships with FGNN Studio (a default model): refusing to delete it")
    if read_status(run_dir).get("state") in ("running", "queued"):
        raise ValueError(f"run {run_dir.name} is still running: cancel it first")
    shutil.rmtree(run_dir)
