"""Helpers shared by the AppTest tests and the run-folder tests."""
from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from fgnn.runs.folders import read_status

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 180


def app(page: str, **state) -> AppTest:
    """Run app.py with ``state`` in ``st.session_state``, then switch to ``page``; no exception."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_payloads(at) -> list[tuple[dict, int]]:
    """Every plotly figure on the page with the size of what carries it to the browser: the specs
    of ``st.plotly_chart`` and the figures of the builder's live charts (``pages/_live_chart.py``,
    a ``components.v2`` component whose data carries the plotly JSON as ``figure``)."""
    out = [(json.loads(c.proto.spec), len(c.proto.spec.encode())) for c in at.get("plotly_chart")]
    for c in at.get("bidi_component"):
        if c.proto.component_name.endswith("fgnn_live_chart"):
            out.append((json.loads(c.proto.json)["figure"], len(c.proto.json.encode())))
    return out


def strip_clicks(at) -> list[tuple[int, int, str]]:
    """The Session builder's strip (``pages/_session_strip.py``, a ``components.v2`` component) as
    ``(position, item id, label)`` of each click it draws."""
    for c in at.get("bidi_component"):
        if c.proto.component_name.endswith("fgnn_session_strip"):
            return [(c["pos"], c["item"], c["label"]) for c in json.loads(c.proto.json)["clicks"]]
    return []


def chart_specs(at) -> list[dict]:
    """The figures of :func:`chart_payloads`, without their sizes."""
    return [spec for spec, _ in chart_payloads(at)]


def plotly_values(value) -> list:
    """A figure array as plotly's JSON carries it: a plain list, or numpy data sent as
    ``{"dtype": "i8", "bdata": base64}`` (plotly >= 6), decoded to a list."""
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return arr.reshape(value["shape"]).tolist() if "shape" in value else arr.tolist()
    return list(value)


def wait_for(run_dir, states, timeout=180.0) -> dict:
    """Poll a run folder until its state is one of ``states``; fail with the log tail if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = read_status(run_dir)
        if status.get("state") in states:
            return status
        time.sleep(0.3)
    log = Path(run_dir) / "stdout.log"
    raise AssertionError(f"{run_dir} did not reach {states} in {timeout}s: {read_status(run_dir)}\n"
                         + (log.read_text(errors="replace")[-2000:] if log.exists() else ""))
