"""fgnn.runs.folders: launch, cancel, a killed process marked failed, two runs back to back, safe names,
a half-written metrics line. Every run lives under a temporary FGNN_CHECKPOINT_DIR."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from app_support import wait_for

from fgnn.errors import DataError
from fgnn.runs.folders import (
    checkpoints_root,
    list_runs,
    pid_alive,
    process_start_time,
    read_metrics,
    read_status,
    safe_run_name,
    unique_run_dir,
    write_json_atomic,
)
from fgnn.runs.launch import can_resume, can_start_again, cancel_run, delete_run, launch_run, start_again_run

TINY = {"dataset": "diginetica-sample", "model": "fgnn", "epochs": 1, "max_train_pairs": 60, "max_test_pairs": 30,
        "batch_size": 20, "log_every": 1, "num_threads": 1, "device": "cpu",
        "model_params": {"hidden_size": 16, "heads": 2}}


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("FGNN_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    (tmp_path / "checkpoints").mkdir()
    return tmp_path / "checkpoints"


def assert_intact(run_dir: Path, epochs: int = 1) -> None:
    assert {"config.json", "status.json", "metrics.jsonl", "best.pt", "last.pt", "stdout.log"} <= {
        p.name for p in run_dir.iterdir()}
    assert json.loads((run_dir / "config.json").read_text())["epochs"] == epochs
    rows = read_metrics(run_dir)
    evals = [r for r in rows if r["kind"] == "eval"]
    assert [r["epoch"] for r in evals] == list(range(1, epochs + 1))
    assert all(r["kind"] in ("train", "eval") for r in rows)
    assert not list(run_dir.glob("*.tmp*")), "a temporary file was left behind"


def test_checkpoints_root_follows_env(root):
    assert checkpoints_root() == root


def test_launch_tiny_run_finishes(root):
    run_dir = unique_run_dir(root, "tiny run")
    proc = launch_run(dict(TINY), run_dir)
    assert read_status(run_dir)["state"] in ("queued", "running", "finished")
    proc.wait(timeout=180)
    status = wait_for(run_dir, ("finished", "failed"))
    assert status["state"] == "finished", status
    assert status["pid"] == proc.pid and status["epoch"] == 1 and "hit@20" in status["best"]
    assert_intact(run_dir)
    assert [r["name"] for r in list_runs()] == ["tiny-run"]


def test_two_runs_back_to_back_both_finish(root):
    a = unique_run_dir(root, "same")
    pa = launch_run(dict(TINY), a)
    b = unique_run_dir(root, "same")  # the first exists now: a different folder
    assert b != a and b.name == "same-2"
    pb = launch_run(dict(TINY, seed=1), b)
    pa.wait(timeout=240)
    pb.wait(timeout=240)
    for run_dir in (a, b):
        assert wait_for(run_dir, ("finished", "failed"))["state"] == "finished"
        assert_intact(run_dir)
    assert json.loads((b / "config.json").read_text())["seed"] == 1
    assert {r["name"] for r in list_runs()} == {"same", "same-2"}


def test_cancel_stops_a_running_run(root):
    run_dir = unique_run_dir(root, "long")
    proc = launch_run(dict(TINY, epochs=500, max_train_pairs=400), run_dir)
    wait_for(run_dir, ("running",))
    deadline = time.monotonic() + 120
    while not read_metrics(run_dir) and time.monotonic() < deadline:  # training has really begun
        time.sleep(0.3)
    cancel_run(run_dir)
    proc.wait(timeout=120)
    status = read_status(run_dir)
    assert status["state"] == "cancelled", status
    assert (run_dir / "last.pt").is_file()
    assert status["epoch"] < 500


def test_killed_process_is_marked_failed_with_the_signal_name(root):
    run_dir = unique_run_dir(root, "killed")
    proc = launch_run(dict(TINY, epochs=500, max_train_pairs=400), run_dir)
    status = wait_for(run_dir, ("running",))
    os.kill(status["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 30  # the launcher's watcher names the signal once it has reaped the child
    while "SIGKILL" not in (read_status(run_dir).get("error") or "") and time.monotonic() < deadline:
        time.sleep(0.2)
    status = read_status(run_dir)
    assert status["state"] == "failed" and "killed by SIGKILL" in status["error"], status
    assert json.loads((run_dir / "status.json").read_text())["state"] == "failed"  # persisted
    assert "killed by SIGKILL" in (run_dir / "stdout.log").read_text()
    assert list_runs()[0]["status"]["state"] == "failed"
    assert proc.wait(timeout=10) == -signal.SIGKILL


def test_a_gone_or_reused_pid_reads_as_failed(root):
    """A run whose process is gone (or whose pid now belongs to another process, told apart by its
    start time) is failed on the next look, also when no launcher of this process watches it."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    for name, status in (("gone", {"state": "running", "pid": gone.pid}),
                         ("reused", {"state": "running", "pid": os.getpid(),
                                     "pid_start": (process_start_time(os.getpid()) or 0) + 1})):
        run_dir = root / name
        run_dir.mkdir()
        (run_dir / "status.json").write_text(json.dumps(status))
        status = read_status(run_dir)
        assert status["state"] == "failed" and "killed or crashed" in status["error"], name
    alive = root / "alive"
    alive.mkdir()
    (alive / "status.json").write_text(json.dumps({"state": "running", "pid": os.getpid(),
                                                   "pid_start": process_start_time(os.getpid())}))
    assert read_status(alive)["state"] == "running"


def test_reading_a_gone_run_never_writes_and_every_look_agrees(root):
    """A read path does not write: status.json of a run whose process is gone stays as it is, and
    every look gives the same failure, ended when the process last wrote its status."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    run_dir = root / "gone"
    run_dir.mkdir()
    raw = json.dumps({"state": "running", "pid": gone.pid, "started": 100.0, "updated": 160.0})
    (run_dir / "status.json").write_text(raw)
    first, second = read_status(run_dir), read_status(run_dir)
    assert first == second and first["state"] == "failed" and first["finished"] == 160.0
    assert (run_dir / "status.json").read_text() == raw and [p.name for p in run_dir.iterdir()] == ["status.json"]
    (run_dir / "config.json").write_text(json.dumps(TINY))
    assert list_runs()[0]["status"] == first and (run_dir / "status.json").read_text() == raw
    (run_dir / "status.json").write_text(json.dumps({"state": "finished", "pid": gone.pid}))
    assert read_status(run_dir)["state"] == "finished"  # what the process wrote before it ended wins


@pytest.mark.parametrize("pid", [-1, 0, 1, None, "x", True])
def test_pid_alive_refuses_special_pids(pid):
    assert pid_alive(pid) is False


def test_cancel_signals_only_the_recorded_process(root):
    """A stale status.json whose pid now belongs to an unrelated process (another start time) gets
    no signal; the same pid with its recorded start time does; -1 (everyone) never."""
    other = subprocess.Popen(["sleep", "30"])
    try:
        run_dir = root / "stale"
        run_dir.mkdir()
        start = process_start_time(other.pid)
        assert start is not None
        for pid, pid_start in ((other.pid, start + 1), (other.pid, None), (-1, None), (1, None)):
            (run_dir / "status.json").write_text(json.dumps({"state": "running", "pid": pid, "pid_start": pid_start}))
            cancel_run(run_dir)
            time.sleep(0.2)
            assert other.poll() is None, f"pid {pid} start {pid_start} was signalled"
        (run_dir / "status.json").write_text(json.dumps({"state": "running", "pid": other.pid, "pid_start": start}))
        cancel_run(run_dir)
        assert other.wait(timeout=10) == -signal.SIGTERM
    finally:
        other.kill()
        other.wait()


def test_launch_with_a_relative_run_folder(root, monkeypatch):
    monkeypatch.chdir(root)
    proc = launch_run(dict(TINY, model="pop", model_params={}), "relative-run")
    proc.wait(timeout=180)
    status = wait_for(root / "relative-run", ("finished", "failed"))
    assert status["state"] == "finished", status
    assert (root / "relative-run" / "best.pt").is_file()


def test_killed_before_it_starts_is_marked_failed(root):
    """Killed while still importing (status 'queued' with the pid launch_run wrote): failed too."""
    run_dir = root / "early"
    proc = launch_run(dict(TINY, epochs=500), run_dir)
    os.kill(proc.pid, signal.SIGKILL)
    time.sleep(1.0)  # not reaped: a zombie still counts as gone
    status = wait_for(run_dir, ("failed",), timeout=30)
    assert status["state"] == "failed" and status["pid"] == proc.pid
    proc.wait(timeout=10)


def test_launch_never_rewrites_the_childs_status(root, tmp_path):
    """launch_run keeps the pid in launcher.json and leaves status.json to the child, so a
    child that has already written "running" is never set back to "queued"."""
    fake = tmp_path / "fake-python"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")  # a child that starts and writes nothing
    fake.chmod(0o755)
    run_dir = root / "pidfile"
    proc = launch_run(dict(TINY), run_dir, python=str(fake))
    try:
        raw = json.loads((run_dir / "status.json").read_text())
        assert raw["state"] == "queued" and "pid" not in raw
        assert json.loads((run_dir / "launcher.json").read_text())["pid"] == proc.pid
        status = read_status(run_dir)
        assert status["state"] == "queued" and status["pid"] == proc.pid
        # the child's own write wins, whatever its timing
        (run_dir / "status.json").write_text(json.dumps({"state": "running", "pid": proc.pid}))
        assert read_status(run_dir)["state"] == "running"
        cancel_run(run_dir)  # SIGTERM reaches the launched pid
        assert proc.wait(timeout=10) != 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("name, expected", [
    ("my run", "my-run"),
    ("../../etc/passwd", "etc-passwd"),
    ("a/b\\c", "a-b-c"),
    ("..", None),
    ("", None),
    (".hidden", "hidden"),
    ("x..y", "x.y"),
    ("fgnn 🚀 sample", "fgnn-sample"),
])
def test_safe_run_name(name, expected):
    safe = safe_run_name(name)
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".") and ".." not in safe
    assert safe
    if expected is not None:
        assert safe == expected


@pytest.mark.parametrize("name", ["../escape", "/abs/path", "..", "a/../../b", "~/x"])
def test_unique_run_dir_stays_inside_root(root, name):
    path = unique_run_dir(root, name)
    assert path.parent == root
    assert root.resolve() in path.resolve().parents


def test_half_written_metrics_line_is_skipped(tmp_path):
    rows = [{"kind": "train", "epoch": 1, "step": 1, "loss": 5.0},
            {"kind": "eval", "epoch": 1, "step": 1, "loss": 4.5, "hit@20": 10.0}]
    text = "".join(json.dumps(r) + "\n" for r in rows) + '{"kind": "train", "epoch": 2, "st'
    (tmp_path / "metrics.jsonl").write_text(text)
    assert read_metrics(tmp_path) == rows
    (tmp_path / "metrics.jsonl").write_text("garbage\n[1, 2]\n\n" + json.dumps(rows[0]) + "\n")
    assert read_metrics(tmp_path) == rows[:1]
    assert read_metrics(tmp_path / "missing") == []


def test_missing_status_reads_as_failed(tmp_path):
    assert read_status(tmp_path)["state"] == "failed"


def test_delete_run_refuses_outside_root_and_running(root, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    with pytest.raises(DataError, match="not inside"):
        delete_run(outside)
    running = root / "busy"
    running.mkdir()
    (running / "status.json").write_text(json.dumps({"state": "running", "pid": os.getpid()}))
    with pytest.raises(DataError, match="still running"):
        delete_run(running)
    assert running.exists()
    done = root / "done"
    done.mkdir()
    (done / "status.json").write_text(json.dumps({"state": "finished"}))
    delete_run(done)
    assert not done.exists()


def test_cancel_while_queued_ends_cancelled_and_resumes_to_the_end(root):
    """Cancel in the first seconds (the process still importing, state queued)
    ends the run cancelled, not failed (killed before its SIGTERM handler); Resume then trains
    it to the end in the same folder, with the epochs that were asked."""
    from fgnn.runs.launch import can_resume, resume_run

    run_dir = unique_run_dir(root, "early-cancel")
    proc = launch_run(dict(TINY, epochs=2), run_dir)
    assert read_status(run_dir)["state"] == "queued"
    cancel_run(run_dir)
    proc.wait(timeout=120)
    status = read_status(run_dir)
    assert status["state"] == "cancelled", (status, (run_dir / "stdout.log").read_text()[-2000:])
    assert not (run_dir / "STOP").exists()  # consumed: a resume must not stop again
    run = next(r for r in list_runs() if r["path"] == str(run_dir))
    assert can_resume(run)
    proc = resume_run(run_dir)
    proc.wait(timeout=180)
    status = read_status(run_dir)
    assert status["state"] == "finished", (status, (run_dir / "stdout.log").read_text()[-2000:])
    assert status["epoch"] == 2 and status["epochs"] == 2
    assert_intact(run_dir, epochs=2)
    assert not can_resume(next(r for r in list_runs() if r["path"] == str(run_dir)))
    with pytest.raises(DataError, match="cannot be resumed"):
        resume_run(run_dir)


def test_launched_run_with_a_bad_value_fails_with_the_reason(root):
    run_dir = root / "bad-value"
    proc = launch_run(dict(TINY, batch_size=0), run_dir)
    assert proc.wait(timeout=120) == 2
    status = wait_for(run_dir, ("failed",), timeout=30)
    assert "batch_size must be an integer >= 1, got 0" in status["error"], status
    assert not (run_dir / "best.pt").exists()


def test_run_status_writes_the_whole_dict_atomically_and_only_where_it_may(tmp_path):
    from fgnn.runs.folders import RunStatus

    status = RunStatus(tmp_path, {"state": "queued", "epochs": 3})
    status.update(step=5)  # not written yet
    assert not (tmp_path / "status.json").exists()
    status.write(state="running", epoch=1)
    assert json.loads((tmp_path / "status.json").read_text()) == {"state": "running", "epochs": 3, "step": 5, "epoch": 1}
    status.end("finished", epoch=3)
    saved = json.loads((tmp_path / "status.json").read_text())
    assert saved["state"] == "finished" and saved["epoch"] == 3 and saved["finished"] == saved["updated"]
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]  # no temporary file left
    other = tmp_path / "rank1"
    other.mkdir()
    silent = RunStatus(other, writes=False)  # a data-parallel process other than rank 0
    silent.end("finished")
    assert silent.get("state") == "finished" and not any(other.iterdir())


def test_refusing_to_resume_or_delete_is_a_data_error_the_pages_show(root, tmp_path):
    """The Train and Runs pages show a DataError as the refusal it is and no other ValueError."""
    from fgnn.runs.launch import resume_run

    done = root / "done"
    done.mkdir()
    (done / "status.json").write_text(json.dumps({"state": "finished"}))
    (done / "config.json").write_text(json.dumps(TINY))
    with pytest.raises(DataError, match="is finished and cannot be resumed"):
        resume_run(done)
    with pytest.raises(DataError, match="not inside"):
        delete_run(tmp_path)
    (done / "status.json").write_text(json.dumps({"state": "running", "pid": os.getpid()}))
    with pytest.raises(DataError, match="still running"):
        delete_run(done)
    assert done.is_dir()


def test_a_failed_run_without_a_checkpoint_starts_again_in_its_own_folder(root):
    """A run refused for a bad value saves nothing: it cannot be resumed, a new run cannot take its
    folder, but it starts again there, with its config.json (fixed by hand) or a config given anew."""
    run_dir = root / "again"
    tiny = dict(TINY, model_params={"hidden_size": 8, "heads": 2})
    assert launch_run(dict(tiny, batch_size=0), run_dir).wait(timeout=120) == 2
    assert wait_for(run_dir, ("failed",), timeout=30)["state"] == "failed"
    run = next(r for r in list_runs() if r["name"] == "again")
    assert can_start_again(run) and not can_resume(run)
    with pytest.raises(FileExistsError):
        launch_run(tiny, run_dir)  # a new run never takes a folder that holds one
    (run_dir / "metrics.jsonl").write_text('{"kind": "train", "step": 1, "loss": 99.0}\n')  # the old run's rows
    write_json_atomic(run_dir / "config.json", tiny)  # the bad value fixed by hand
    proc = start_again_run(run_dir)
    proc.wait(timeout=180)
    status = wait_for(run_dir, ("finished", "failed"))
    assert status["state"] == "finished" and status["pid"] == proc.pid, status
    assert_intact(run_dir)
    assert all(r.get("loss") != 99.0 for r in read_metrics(run_dir))
    assert not (run_dir / "launcher.json").exists() or json.loads((run_dir / "launcher.json").read_text())["pid"] == proc.pid
    # finished, with checkpoints: nothing starts again over it, either way
    run = next(r for r in list_runs() if r["name"] == "again")
    assert not can_start_again(run)
    with pytest.raises(DataError, match="cannot be started again: it is finished"):
        start_again_run(run_dir)
    with pytest.raises(DataError, match="cannot be started again"):
        launch_run(tiny, run_dir, start_again=True)
    assert json.loads((run_dir / "status.json").read_text())["state"] == "finished"


def test_only_an_ended_run_without_checkpoints_may_start_again(root):
    run_dir = root / "states"
    run_dir.mkdir()
    write_json_atomic(run_dir / "config.json", dict(TINY))
    run = {"path": str(run_dir), "config": dict(TINY)}
    for state in ("failed", "cancelled"):
        assert can_start_again(dict(run, status={"state": state}))
    for state in ("finished", "running", "queued", None):
        assert not can_start_again(dict(run, status={"state": state}))
    assert not can_start_again(dict(run, config={}, status={"state": "failed"}))
    (run_dir / "best.pt").write_bytes(b"")
    assert not can_start_again(dict(run, status={"state": "failed"}))
    (run_dir / "best.pt").unlink()
    # a status that says running, with a live process (this one): not over, so refused
    write_json_atomic(run_dir / "status.json", {"state": "running", "pid": os.getpid(),
                                                 "pid_start": process_start_time(os.getpid())})
    with pytest.raises(DataError, match="cannot be started again: it is running"):
        start_again_run(run_dir)
    with pytest.raises(DataError, match="not both"):
        launch_run(dict(TINY), run_dir, resume=True, start_again=True)
