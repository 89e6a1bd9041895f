"""fgnn.app.preload: the books of what the server has loaded once (no Streamlit)."""
from __future__ import annotations

import asyncio
import threading
import time

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


def test_the_server_waits_for_its_preload_at_most_the_time_set():
    """app.py's lifespan: the server listens (answers its health check) once the preload is done,
    or after $FGNN_APP_READY_WAIT_S seconds anyway, saying so."""
    gate, lines = threading.Event(), []
    quick = threading.Thread(target=lambda: None)
    quick.start()
    assert asyncio.run(preload.wait_for(quick, 5, log=lines.append)) and lines == []

    slow = threading.Thread(target=gate.wait, args=(10,), daemon=True)
    slow.start()
    t0 = time.perf_counter()
    assert not asyncio.run(preload.wait_for(slow, 0.2, log=lines.append))
    assert 0.15 < time.perf_counter() - t0 < 5
    assert len(lines) == 1 and "still loading after 0.2 s" in lines[0] and preload.READY_WAIT_ENV in lines[0]
    assert not asyncio.run(preload.wait_for(slow, 0, log=lines.append)) and len(lines) == 1  # 0: no wait, no line

    async def ticks_while_waiting():  # the event loop runs while the server waits
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(tick())
        ended = await preload.wait_for(slow, 0.3, log=lines.append)
        task.cancel()
        return ended, ticks

    gate_later = threading.Timer(0.1, gate.set)
    gate_later.start()
    ended, ticks = asyncio.run(ticks_while_waiting())
    assert ended and ticks >= 3


def test_the_wait_is_read_from_the_environment(capsys):
    assert preload.ready_wait_s({}) == preload.READY_WAIT_S
    assert preload.ready_wait_s({preload.READY_WAIT_ENV: "0"}) == 0
    assert preload.ready_wait_s({preload.READY_WAIT_ENV: "2.5"}) == 2.5
    assert capsys.readouterr().err == ""
    for bad in ("-3", "soon", "nan", "inf"):  # refused in words, the default kept
        assert preload.ready_wait_s({preload.READY_WAIT_ENV: bad}) == preload.READY_WAIT_S
        assert f"{preload.READY_WAIT_ENV}={bad!r} is not a number of seconds" in capsys.readouterr().err
