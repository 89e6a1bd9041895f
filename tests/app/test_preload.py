"""fgnn.app.preload: the books of what the server has loaded once (no Streamlit)."""
from __future__ import annotations

import threading

import pytest

from fgnn.app import preload
from fgnn.app.preload import Stage


@pytest.fixture(autouse=True)
def _fresh():
    preload.forget()
    yield
    preload.forget()


def test_stages_run_once_in_order_and_a_failure_does_not_stop_the_rest():
    calls, lines = [], []

    def boom():
        calls.append("bad")
        raise ValueError("no such file")

    stages = [Stage("a", "Loading a…", lambda: calls.append("a")), Stage("bad", "Loading bad…", boom),
              Stage("b", "Loading b…", lambda: calls.append("b"))]
    report = preload.preload(stages, log=lines.append)
    assert calls == ["a", "bad", "b"]
    assert report["bad"] == "failed: no such file" and isinstance(report["a"], float)
    assert preload.is_done("a") and preload.is_done("b") and not preload.is_done("bad")
    assert preload.has_failed("bad")
    assert preload.pending(stages) == []  # a failed stage is left to the page that needs it
    assert len(lines) == 4 and "Loading bad: failed: no such file" in lines[1]


def test_a_generator_of_stages_runs_lazily_and_in_the_background():
    seen = []
    gate = threading.Event()

    def stages():
        yield Stage("first", "first", lambda: seen.append(1))
        gate.wait(10)  # (the app waits here for Streamlit's runtime)
        yield Stage("second", "second", lambda: seen.append(2))

    thread = preload.start_in_background(stages, log=lambda line: None)
    assert thread.daemon
    gate.set()
    thread.join(10)
    assert seen == [1, 2] and preload.is_done("second")


def test_run_once_reraises_and_pending_keeps_the_order():
    stages = [Stage(k, k, lambda: None) for k in ("x", "y", "z")]
    preload.run_once(stages[1])
    assert [s.key for s in preload.pending(stages)] == ["x", "z"]
    with pytest.raises(KeyError):
        preload.run_once(Stage("w", "w", lambda: {}["missing"]))
