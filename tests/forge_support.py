"""Forge every widget of every page over the app's own websocket (docs/serving.md).

A visitor of a served app can send any value for any widget: the browser is only one client of
Streamlit's websocket (``/_stcore/stream``, protobuf ``BackMsg`` in, ``ForwardMsg`` out). This
module speaks that protocol from Python, as a hostile client would:

- :class:`Wire` opens a session, runs a page and collects what the server drew: every widget
  (its id and element type, found in the deltas) and every message, so a test can look for
  exceptions and for leaked text;
- :func:`forge_page` runs one page, switches every toggle and checkbox on to reveal what they
  hide, then sends values that were not offered: one round per hostile value with every widget
  given it at once, then one round per widget with a path to a planted file. New widgets are
  covered without writing a new test;
- :func:`audit_env` plants a ``sitecustomize`` in the server that records every ``open`` of a
  watched path (Python's audit hooks), so "nothing outside what was offered was read" is checked
  where it happens, in the server process.
"""
from __future__ import annotations

import json
import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.sync.client import connect

# (run statuses of ScriptFinished: a run that ended early for a rerun is followed by another)
_EARLY = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")


@dataclass
class Widget:
    id: str
    kind: str    # the element type: selectbox, number_input, button, bidi_component, ...
    label: str
    disabled: bool


@dataclass
class RunResult:
    messages: list = field(default_factory=list)
    widgets: dict = field(default_factory=dict)    # id -> Widget
    exceptions: list = field(default_factory=list)  # (type, message) of each exception element
    pages: list = field(default_factory=list)       # (page_script_hash, url_pathname) from navigation


def _walk_elements(msg: ForwardMsg):
    if msg.WhichOneof("type") != "delta":
        return
    delta = msg.delta
    kind = delta.WhichOneof("type")
    if kind == "new_element":
        yield delta.new_element
    elif kind == "add_block":
        yield delta.add_block


def _widget_of(element) -> Widget | None:
    kind = element.WhichOneof("type")
    if kind is None:
        return None
    sub = getattr(element, kind)
    fields = sub.DESCRIPTOR.fields_by_name
    if "id" not in fields or not sub.id:
        return None
    label = sub.label if "label" in fields else ""
    disabled = bool(sub.disabled) if "disabled" in fields else False
    return Widget(sub.id, kind, label, disabled)


class Wire:
    """One Streamlit session over the websocket, as a browser (or anyone) would open it."""

    def __init__(self, url: str, timeout: float = 180.0):
        self.timeout = timeout
        self.ws = connect(url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream",
                          subprotocols=["streamlit"], max_size=None, open_timeout=timeout)

    def close(self) -> None:
        self.ws.close()

    def run(self, page_hash: str = "", page_name: str = "", states: list[WidgetState] = ()) -> RunResult:
        """Ask for a run of ``page_hash`` with ``states`` as the widget values; return what the
        server sent until the run (and any rerun it asked for) finished."""
        back = BackMsg()
        back.rerun_script.page_script_hash = page_hash
        back.rerun_script.page_name = page_name
        back.rerun_script.widget_states.widgets.extend(states)
        self.ws.send(back.SerializeToString())
        result = RunResult()
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(self.ws.recv(timeout=self.timeout))
            result.messages.append(msg)
            kind = msg.WhichOneof("type")
            if kind == "navigation":
                result.pages = [(p.page_script_hash, p.url_pathname) for p in msg.navigation.app_pages]
            for element in _walk_elements(msg):
                widget = _widget_of(element)
                if widget is not None:
                    result.widgets[widget.id] = widget
                if element.WhichOneof("type") == "exception":
                    result.exceptions.append((element.exception.type, element.exception.message))
            if kind == "script_finished" and msg.script_finished != _EARLY:
                return result


# --------------------------------------------------------------------------- hostile values
def hostile_values(planted: list[str]) -> list[WidgetState]:
    """Values no page offers: paths to planted files and to a system file, a traversal, huge and
    non-finite numbers, wrong types and shapes (one WidgetState each, without an id)."""
    out = []

    def add(**kwargs):
        state = WidgetState()
        for name, value in kwargs.items():
            if isinstance(value, list):
                getattr(state, name).data.extend(value)
            else:
                setattr(state, name, value)
        out.append(state)

    for path in [*planted, "/etc/passwd", "../../../../etc/passwd"]:
        add(string_value=path)
    add(string_value="x" * 20_001)
    add(int_value=10**15)
    add(int_value=-(10**15))
    add(double_value=math.inf)
    add(double_value=math.nan)
    add(double_value=1e308)
    add(string_array_value=[*planted, "/etc/passwd"])
    add(int_array_value=[10**9, -1])
    add(double_array_value=[-1e308, 1e308, 0.5])
    add(bool_value=True)
    add(trigger_value=True)
    add(json_value=json.dumps(planted[0]))
    add(json_value=json.dumps({"selection": {"rows": [10**9], "columns": [], "cells": []}}))
    state = WidgetState()
    state.string_trigger_value.data = planted[0]
    out.append(state)
    add(json_trigger_value=json.dumps({"event": "click", "value": planted[0]}))
    return out


def _with_id(state: WidgetState, widget_id: str) -> WidgetState:
    forged = WidgetState()
    forged.CopyFrom(state)
    forged.id = widget_id
    return forged


def _switched_on(widgets) -> list[WidgetState]:
    """Every toggle and checkbox on (a value the page offers) to reveal what they hide."""
    states = []
    for w in widgets.values():
        if w.kind == "checkbox" and not w.disabled:
            state = WidgetState(id=w.id)
            state.bool_value = True
            states.append(state)
    return states


@dataclass
class ForgeReport:
    runs: int = 0
    widgets: dict = field(default_factory=dict)
    exceptions: list = field(default_factory=list)
    messages: list = field(default_factory=list)


def forge_page(url: str, page_hash: str, page_name: str, planted: list[str]) -> ForgeReport:
    """Run one page, reveal its hidden widgets, then forge every widget (see the module doc)."""
    report = ForgeReport()
    wire = Wire(url)
    try:
        def run(states, what=""):
            result = wire.run(page_hash, page_name, states)
            report.runs += 1
            report.widgets.update(result.widgets)
            report.exceptions += [(what, kind, message[:300]) for kind, message in result.exceptions]
            report.messages += result.messages
            return result

        first = run([])
        revealed = run(_switched_on(first.widgets))
        base = _switched_on(revealed.widgets)
        values = hostile_values(planted)
        # every widget given the same hostile value at once, for each value
        for value in values:
            forged_ids = set(report.widgets)
            run([s for s in base if s.id not in forged_ids] + [_with_id(value, i) for i in forged_ids],
                f"every widget = {str(value).strip()[:80]!r}")
        # then each widget on its own with a planted path (nothing else can mask it)
        for widget_id in list(report.widgets):
            run([s for s in base if s.id != widget_id] + [_with_id(values[0], widget_id)],
                f"{widget_id.rsplit('-', 1)[-1]} = a planted path")
    finally:
        wire.close()
    return report


def leaked(messages, needles: list[str]) -> list[str]:
    """The needles found in any message the server sent."""
    blobs = [m.SerializeToString() for m in messages]
    return [n for n in needles if any(n.encode() in b for b in blobs)]


# --------------------------------------------------------------------------- audit in the server
def audit_env(folder: Path, watched: list[str]) -> dict:
    """Environment for a Streamlit server that logs every ``open`` of a path under ``watched`` to
    ``folder/opened.log`` (a ``sitecustomize`` installing :func:`sys.addaudithook`)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(textwrap.dedent(f"""
        import os, sys
        _WATCHED = {[str(Path(w).resolve()) for w in watched]!r}
        _LOG = {str(folder / "opened.log")!r}

        def _hook(event, args):
            if event != "open" or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
                return
            try:
                path = os.path.realpath(os.fsdecode(args[0]))
            except Exception:
                return
            if any(path == w or path.startswith(w + os.sep) for w in _WATCHED):
                with open(_LOG, "a") as log:
                    log.write(path + "\\n")

        sys.addaudithook(_hook)
    """))
    return {"PYTHONPATH": str(folder)}


def opened(folder: Path) -> list[str]:
    log = folder / "opened.log"
    return log.read_text().splitlines() if log.exists() else []
