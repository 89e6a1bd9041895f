"""Starting, resuming, cancelling and deleting runs: the training process is a child
``python -m fgnn train`` writing its run folder (docs/run-folders.md)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from fgnn.errors import DataError
from fgnn.runs.folders import (
    _CHILDREN,
    LAUNCHER_FILE,
    SHIPPED_RUNS,
    _child_key,
    checkpoints_root,
    next_step,
    process_start_time,
    read_json,
    read_status,
    verified_run_pid,
    write_json_atomic,
)
from fgnn.runs.guard import _forget_run, describe_holder, lock_holder


def launch_run(config: dict, run_dir, python: str = sys.executable, resume: bool = False,
               start_again: bool = False) -> subprocess.Popen:
    """Start ``python -m fgnn train --config run_dir/config.json`` as its own process session:
    it survives the Streamlit script rerun and a closed browser tab. Output goes to stdout.log.

    ``resume=True`` goes on with the run already in ``run_dir`` (``--resume``): its config, best
    metrics and ``last.pt`` are kept (see :func:`resume_run`). ``start_again=True`` starts a new run
    with ``config`` in the folder of one that ended (failed, cancelled) without a checkpoint
    (:func:`can_start_again`): its rows and STOP file go, config.json is rewritten, stdout.log goes on.
    Without either, ``run_dir`` must not exist.

    The queued status.json carries a one-off launch token that the child passes back (so a new run may
    start in the folder launch_run prepared for it, and nowhere that holds another run); launcher.json
    keeps the child's pid and start time (so cancel_run signals that process and no other); a
    thread waits for the child and records a death by signal (its name) in stdout.log and status.json."""
    run_dir = Path(run_dir).resolve()  # the child runs from the repository, not from our cwd
    token = uuid.uuid4().hex
    if resume and start_again:
        raise DataError("a run either resumes (resume=True) or starts again (start_again=True), not both")
    if start_again:
        _refuse_unless_startable_again(run_dir)

        (run_dir / "STOP").unlink(missing_ok=True)  # the cancel that stopped it is done
        (run_dir / LAUNCHER_FILE).unlink(missing_ok=True)  # the old launcher's pid is not this one
        _forget_run(run_dir)  # the old run's rows and events; the child keeps a folder queued for its token
        write_json_atomic(run_dir / "config.json", config)
        write_json_atomic(run_dir / "status.json", {"state": "queued", "created": time.time(), "launch_token": token})
    elif resume:
        status = read_json(run_dir / "status.json", default={}) or {}
        (run_dir / "STOP").unlink(missing_ok=True)  # the cancel that stopped it is done
        (run_dir / LAUNCHER_FILE).unlink(missing_ok=True)  # the old launcher's pid is not this one
        status.update(state="queued", pid=None, pid_start=None, error=None, finished=None, queued=time.time(),
                      launch_token=token)
        write_json_atomic(run_dir / "status.json", status)
    else:
        run_dir.mkdir(parents=True, exist_ok=False)
        write_json_atomic(run_dir / "config.json", config)
        write_json_atomic(run_dir / "status.json", {"state": "queued", "created": time.time(), "launch_token": token})
    log = open(run_dir / "stdout.log", "ab")  # noqa: SIM115 (the child's stdout, inherited by the process)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [python, "-m", "fgnn", "train", "--config", str(run_dir / "config.json"), "--run-dir", str(run_dir),
         "--launch-token", token, *(["--resume"] if resume else [])],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        cwd=str(Path(__file__).resolve().parents[2]), env=env,
    )
    log.close()
    # The pid goes to its own file: rewriting status.json here could overwrite a "running"
    # that the child wrote in the meantime. The child records its own pid in status.json.
    write_json_atomic(run_dir / LAUNCHER_FILE, {"pid": proc.pid, "pid_start": process_start_time(proc.pid),
                                                "started": time.time(), "launch_token": token})
    _CHILDREN[_child_key(run_dir)] = proc
    threading.Thread(target=_watch_child, args=(proc, run_dir), daemon=True, name=f"fgnn-watch-{proc.pid}").start()
    return proc


def can_resume(run: dict) -> bool:
    """Whether a run (as :func:`list_runs` gives it) can go on: cancelled, or failed with a
    ``last.pt``. A run cancelled before its first batch starts again from the beginning."""
    state = (run.get("status") or {}).get("state")
    has_last = (Path(run["path"]) / "last.pt").is_file()
    return bool(run.get("config")) and (state == "cancelled" or (state == "failed" and has_last))


def _start_again_refusal(run_dir: Path, status: dict) -> str | None:
    """Why the run in ``run_dir`` cannot start again from the beginning there, or None when it can."""
    state = status.get("state")
    if state not in ("failed", "cancelled"):
        return f"it is {state or 'in an unknown state'}: only a failed or cancelled run starts again"
    saved = [name for name in ("best.pt", "last.pt") if (run_dir / name).exists()]
    if saved:
        return (f"it saved {' and '.join(saved)}, which a new run would replace: resume it, or start a "
                "new run in another folder")

    holder = lock_holder(run_dir)
    if holder is not None:
        return f"it is in use by {describe_holder(holder)}"
    return None


def _refuse_unless_startable_again(run_dir: Path) -> None:
    why = _start_again_refusal(run_dir, read_status(run_dir)) if run_dir.is_dir() else "there is no such folder"
    if why is not None:
        raise DataError(f"run {run_dir.name} cannot be started again: {why}")


def can_start_again(run: dict) -> bool:
    """Whether a run (as :func:`list_runs` gives it) can start again from the beginning in its own
    folder with its config: it ended failed or cancelled, saved neither ``best.pt`` nor ``last.pt``
    (so nothing is lost) and no process holds the folder."""
    status = run.get("status") or {}
    return bool(run.get("config")) and _start_again_refusal(Path(run["path"]), status) is None


def start_again_run(run_dir, python: str = sys.executable) -> subprocess.Popen:
    """Start a failed or cancelled run that saved no checkpoint again, from the beginning, in its own
    folder with the config.json there (:func:`can_start_again`); a run that cannot is refused with a
    :class:`~fgnn.data.dataset.DataError` saying why."""
    run_dir = Path(run_dir)
    config = read_json(run_dir / "config.json", default=None)
    if not isinstance(config, dict) or not config:
        raise DataError(f"run {run_dir.name} cannot be started again: its config.json is missing or unreadable; "
                        "start a new run instead")
    return launch_run(config, run_dir, python=python, start_again=True)


def resume_run(run_dir, python: str = sys.executable) -> subprocess.Popen:
    """Go on with a cancelled or failed run in its own folder (``fgnn train --resume``); a run that
    cannot go on is refused with a :class:`~fgnn.data.dataset.DataError` saying why."""
    run_dir = Path(run_dir)
    run = {"path": str(run_dir), "status": read_status(run_dir), "config": read_json(run_dir / "config.json")}
    if not can_resume(run):
        raise DataError(f"run {run_dir.name} is {run['status'].get('state')} and cannot be resumed: "
                         "only a cancelled run, or a failed one with last.pt, can go on")
    return launch_run(run["config"], run_dir, python=python, resume=True)


def fail_queued_run(run_dir, launch_token: str, error: str) -> None:
    """Record ``error`` in a folder launch_run queued for this token, when the run is refused before
    it could write its own status (a bad value in its config, say)."""
    status = read_json(Path(run_dir) / "status.json", default=None)
    if (isinstance(status, dict) and status.get("state") == "queued" and status.get("launch_token") == launch_token
            and lock_holder(run_dir) is None):  # not while another process writes the folder
        status.update(state="failed", error=error, finished=time.time(), pid=os.getpid())
        try:
            write_json_atomic(Path(run_dir) / "status.json", status)
        except OSError:
            pass


def signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def _watch_child(proc: subprocess.Popen, run_dir: Path) -> None:
    """Wait for a launched run; when a signal ended it, say which in stdout.log and status.json."""
    rc = proc.wait()
    _CHILDREN.pop(_child_key(run_dir), None)
    if rc >= 0:
        return
    name = signal_name(rc)
    message = f"the training process was killed by {name} (exit code {rc})"
    try:
        with open(run_dir / "stdout.log", "a") as fh:
            fh.write(f"\n[fgnn] {message}\n")
    except OSError:
        pass
    status = read_json(run_dir / "status.json", default=None)
    if not isinstance(status, dict):
        return
    if status.get("state") in ("running", "queued"):
        if name == "SIGTERM" and (run_dir / "STOP").exists():  # cancelled before it could stop cleanly
            status.update(state="cancelled", error=None, finished=time.time())
        else:
            status.update(state="failed", error=message + next_step(run_dir),
                          finished=time.time(), pid=status.get("pid") or proc.pid)
        try:
            write_json_atomic(run_dir / "status.json", status)
        except OSError:
            pass


def cancel_run(run_dir) -> None:
    """Ask a run to stop: a STOP file (seen within a few batches) and SIGTERM to its process, sent
    only when that process is known for sure to be the run's (:func:`verified_run_pid`).

    A queued run (its process still starting, without its SIGTERM handler) gets only the STOP
    file: it stops after its first batch, cancelled and resumable, instead of being killed."""
    run_dir = Path(run_dir)
    (run_dir / "STOP").touch()
    status = read_status(run_dir)
    if status.get("state") != "running":
        return
    pid = verified_run_pid(run_dir, status)
    if pid is not None:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass


def deletion_confirmed(typed: str, name: str) -> bool:
    """Whether what a visitor typed confirms deleting run ``name``: the name exactly (a folder named
    with a trailing space included), or with stray spaces around it when no space ends the name."""
    if not name.strip():
        return False
    return typed == name or typed.strip() == name


def delete_run(run_dir, root=None) -> None:
    """Delete a run folder that is not running; refuses (:class:`~fgnn.data.dataset.DataError`)
    anything outside the checkpoints root, a shipped run and a run in use.

    A symbolic link in the root is removed as a link: its target, inside the root or not, stays
    (docs/run-folders.md). The folder's name is taken as it is (a trailing space is part of it)."""
    root = Path(root) if root is not None else checkpoints_root()
    given = Path(os.path.abspath(run_dir))  # not resolved: the last part may be a link, removed as one
    run_dir = given.parent.resolve() / given.name
    if given.name in ("", ".", "..") or root.resolve() not in run_dir.parents:
        raise DataError(f"{run_dir} is not inside {root}: refusing to delete it")
    if run_dir.name in SHIPPED_RUNS:
        raise DataError(f"run {run_dir.name} ships with FGNN Studio (a default model): refusing to delete it")
    if run_dir.is_symlink():
        run_dir.unlink()  # the link only: never the run (or folder) it points at
        return
    if read_status(run_dir).get("state") in ("running", "queued"):
        raise DataError(f"run {run_dir.name} is still running: cancel it first")

    holder = lock_holder(run_dir)
    if holder is not None:
        raise DataError(f"run {run_dir.name} is in use by {describe_holder(holder)}: cancel it first")
    shutil.rmtree(run_dir)  # (rmtree removes links inside the folder as links, never their targets)

