"""The one boundary for values that come from the browser (docs/serving.md, "One boundary").

A visitor can send any value for any widget over the page's websocket: a selectbox hands the app a
string that was never among its options, a number input any number, a disabled button a click.
So every widget of every page is drawn through this module, which knows what the page offered
and lets nothing else through:

- before the widget is drawn, a value that was not offered is dropped from the session (the widget
  then shows its default) and logged once on the server;
- a callback (``on_change`` / ``on_click``) runs only for an offered value: callbacks run before
  the page, so they are checked against what the page offered on its last run;
- what the widget returns is checked again against what is offered now (options that changed since,
  a disabled button's click), and a value that fails gives the widget's default instead.

Paths never come from the page: a page offers labels the server made (its options are the server's
own values), and a free-text field is text, capped in length, that the page itself interprets.
The same rule serves the custom components' trigger values (:func:`trigger_value`).
"""
from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

log = logging.getLogger("fgnn.boundary")

MAX_TEXT = 20_000          # characters a text field takes at most (the page's own max_chars if lower)
_OFFERS = "_boundary_offers"   # session key: what each widget offered on its last run
_LOGGED = "_boundary_logged"   # session key: (widget, value) pairs already logged


@dataclass(frozen=True)
class Offer:
    """What a widget offered: ``accepts(value)`` says whether a value is one of them."""

    accepts: Callable[[Any], bool]
    what: str   # in words, for the log


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _in(options: Sequence) -> Callable[[Any], bool]:
    def accepts(value) -> bool:
        try:
            return any(value == o and type(value) is type(o) for o in options)
        except Exception:  # noqa: BLE001 (a hostile value's __eq__ must not break the page)
            return False
    return accepts


def _between(lo, hi, integer: bool) -> Callable[[Any], bool]:
    def accepts(value) -> bool:
        if not _number(value) or (integer and not float(value).is_integer()):
            return False
        return (lo is None or value >= lo) and (hi is None or value <= hi)
    return accepts


def _text(max_chars: int) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and len(value) <= max_chars and "\x00" not in value


PAGE_NUMBER = Offer(lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "a page number")


def _rejected(key: str, value, offer: Offer) -> None:
    """Log a value that was not offered, once per widget and value, on the server only."""
    logged = st.session_state.setdefault(_LOGGED, set())
    mark = (key, repr(value)[:200])
    if mark not in logged:
        logged.add(mark)
        log.warning("ignored a value not offered by widget %r (%s): %.200r", key, offer.what, value)


def screen(key: str, offer: Offer) -> None:
    """Drop a value of ``key`` that ``offer`` does not accept (before its widget is drawn). A value
    of the wrong type can make Streamlit's own reading of it fail (a number input sent text, an
    uploader sent a string): that value is dropped too, before the widget would raise on it."""
    ss = st.session_state
    if key not in ss:
        return
    try:
        value = ss[key]
        ok = offer.accepts(value)
    except Exception as exc:  # noqa: BLE001 (Streamlit's deserializer on a forged value)
        value, ok = f"<unreadable: {type(exc).__name__}>", False
    if not ok:
        _rejected(key, value, offer)
        del ss[key]


def _guarded(key: str, callback):
    """``callback`` run only when the widget's value was offered on the page's last run."""
    if callback is None:
        return None

    def run(*args, **kwargs):
        offer = st.session_state.get(_OFFERS, {}).get(key)
        if offer is not None:
            screen(key, offer)
        if key in st.session_state:  # (offered: kept by screen)
            return callback(*args, **kwargs)
        return None
    return run


# --------------------------------------------------------------------------- values Streamlit cannot read
class Unreadable:
    """A widget value Streamlit's own reader failed on (a number input sent text, an uploader sent
    a string): no offer accepts it, and it compares equal to nothing."""

    __slots__ = ("error",)
    __hash__ = None

    def __init__(self, error: str):
        self.error = error

    def __eq__(self, other) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<unreadable value: {self.error}>"


def _safe(deserializer):
    if getattr(deserializer, "_fgnn_safe", False):
        return deserializer

    def safe(value):
        try:
            return deserializer(value)
        except Exception as exc:  # noqa: BLE001 (any failure to read a visitor's value)
            return Unreadable(type(exc).__name__)
    safe._fgnn_safe = True
    return safe


_NUMBERS = frozenset({"int_value", "double_value"})  # a number input registers one and takes either
_WIRE_LOGGED: set = set()


def _install_wire_check() -> None:
    """Drop, as they arrive, widget values of another type than the widget registered (a
    selectbox's string sent as a number, a button's trigger sent as text): Streamlit itself would
    raise on some of them while storing or re-sending them, before the app could look. Installed
    once per server process on :meth:`SessionState.set_widgets_from_proto`, the one door through
    which the browser's widget values enter a session."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates  # noqa: PLC0415 (Streamlit internals, imported where their absence is handled)
    from streamlit.runtime.state.session_state import SessionState  # noqa: PLC0415 (Streamlit internals, imported where their absence is handled)

    original = SessionState.set_widgets_from_proto
    if getattr(original, "_fgnn_checked", False):
        return

    def set_widgets_from_proto(self, widget_states):
        metadata = self._new_widget_state.widget_metadata
        kept = WidgetStates()
        for state in widget_states.widgets:
            meta = metadata.get(state.id)
            sent = state.WhichOneof("value")
            expected = getattr(meta, "value_type", None)
            if meta is not None and expected and sent != expected and not {sent, expected} <= _NUMBERS:
                if len(_WIRE_LOGGED) < 10_000 and (state.id, sent) not in _WIRE_LOGGED:  # once each
                    _WIRE_LOGGED.add((state.id, sent))
                    log.warning("ignored a %s sent for widget %r, which takes a %s", sent, state.id, expected)
                continue
            kept.widgets.append(state)
        return original(self, kept)

    set_widgets_from_proto._fgnn_checked = True
    SessionState.set_widgets_from_proto = set_widgets_from_proto


try:  # once per server process, when the pages first import this module
    _install_wire_check()
except (AttributeError, ImportError) as exc:  # another Streamlit's internals: the forge test says so
    log.warning("cannot check widget value types on this Streamlit (%s)", exc)


def harden() -> None:
    """Make Streamlit's reading of every widget value registered in this session total.

    Before a run, Streamlit reads the value of every widget (to find the ones that changed and
    call their callbacks) with the deserializer each widget registered on the last run; a value of
    the wrong type makes some of them raise (a number input's ``int(text)``, a component's
    ``json.loads``), and that is a traceback before any line of the app runs. So after each run
    (``app.py``) and after each widget this module draws (fragments rerun alone), every registered
    deserializer is wrapped to return :class:`Unreadable` instead, which :func:`screen` drops.
    This uses Streamlit's session internals; where they are not found it does nothing and the
    forge test (tests/browser/test_forge_every_widget.py) says so."""
    try:
        from streamlit.runtime.state.session_state_proxy import get_session_state  # noqa: PLC0415 (Streamlit internals, imported where their absence is handled)

        widgets = get_session_state()._state._new_widget_state
        metadata = widgets.widget_metadata
        for wid, meta in list(metadata.items()):
            if not getattr(meta.deserializer, "_fgnn_safe", False):
                metadata[wid] = dataclasses.replace(meta, deserializer=_safe(meta.deserializer))
    except (AttributeError, ImportError, TypeError) as exc:  # another Streamlit's internals
        if not getattr(harden, "_warned", False):
            harden._warned = True
            log.warning("cannot harden widget values on this Streamlit (%s)", exc)


def _draw(where, kind: str, key: str, offer: Offer, fallback, *args, **kwargs):
    """Screen, draw ``where.<kind>(*args, key=key, **kwargs)`` with guarded callbacks, check again."""
    if not key:
        raise ValueError(f"every {kind} needs a key: the boundary checks values by key")
    screen(key, offer)
    st.session_state.setdefault(_OFFERS, {})[key] = offer
    for name in ("on_change", "on_click"):
        if kwargs.get(name) is not None:
            kwargs[name] = _guarded(key, kwargs[name])
    value = getattr(where or st, kind)(*args, key=key, **kwargs)
    harden()
    if not offer.accepts(value):
        _rejected(key, value, offer)
        return fallback
    return value


def _default_option(options: Sequence, index):
    return options[index] if index is not None and 0 <= index < len(options) else None


# --------------------------------------------------------------------------- the widgets
def selectbox(label: str, options: Sequence, *, key: str, where=None, index: int | None = 0, **kwargs):
    """``st.selectbox`` that returns one of ``options`` (or None where ``index=None``), never
    anything else a visitor sent."""
    options = list(options)
    accepts = _in(options)
    offer = Offer((lambda v: v is None or accepts(v)) if index is None else accepts, f"one of {len(options)} options")
    return _draw(where, "selectbox", key, offer, _default_option(options, index), label, options,
                 index=index, **kwargs)


def radio(label: str, options: Sequence, *, key: str, where=None, index: int = 0, **kwargs):
    """``st.radio`` that returns one of ``options``."""
    options = list(options)
    return _draw(where, "radio", key, Offer(_in(options), f"one of {len(options)} options"),
                 _default_option(options, index), label, options, index=index, **kwargs)


def multiselect(label: str, options: Sequence, *, key: str, where=None, default=None,
                max_selections: int | None = None, **kwargs):
    """``st.multiselect`` that returns distinct values of ``options`` only."""
    options = list(options)
    one = _in(options)

    def accepts(value) -> bool:
        if not isinstance(value, list) or (max_selections and len(value) > max_selections):
            return False
        return all(one(v) for v in value) and len({repr(v) for v in value}) == len(value)
    extra = {} if default is None else {"default": default}
    return _draw(where, "multiselect", key, Offer(accepts, f"a subset of {len(options)} options"),
                 list(default or []), label, options, max_selections=max_selections, **extra, **kwargs)


def number_input(label: str, min_value=None, max_value=None, value="min", *, key: str, where=None,
                 integer: bool | None = None, **kwargs):
    """``st.number_input`` that returns a finite number within its bounds (a whole one for an
    integer input), else its default."""
    if integer is None:
        integer = all(isinstance(v, int) and not isinstance(v, bool) for v in (min_value, max_value, value,
                      kwargs.get("step")) if v is not None and v != "min")
    fallback = min_value if value == "min" else value
    offer = Offer(_between(min_value, max_value, integer), f"a number in [{min_value}, {max_value}]")
    return _draw(where, "number_input", key, offer, fallback, label, min_value, max_value, value, **kwargs)


def slider(label: str, min_value, max_value, value=None, *, key: str, where=None, **kwargs):
    """``st.slider`` over numbers: one number or an ordered pair within the bounds."""
    integer = isinstance(min_value, int) and isinstance(max_value, int)
    one = _between(min_value, max_value, integer)

    def accepts(v) -> bool:
        if isinstance(v, (tuple, list)):
            return len(v) == 2 and one(v[0]) and one(v[1]) and v[0] <= v[1]
        return one(v)
    fallback = value if value is not None else (min_value, max_value)
    extra = {} if value is None else {"value": value}
    return _draw(where, "slider", key, Offer(accepts, f"within [{min_value}, {max_value}]"), fallback,
                 label, min_value, max_value, **extra, **kwargs)


def text_input(label: str, value: str = "", *, key: str, where=None, max_chars: int | None = None, **kwargs):
    """``st.text_input`` that returns text of at most ``max_chars`` (``MAX_TEXT``) characters."""
    limit = min(max_chars or MAX_TEXT, MAX_TEXT)
    extra = {"value": value} if value else {}
    return _draw(where, "text_input", key, Offer(_text(limit), f"text of at most {limit} characters"),
                 value, label, max_chars=limit, **extra, **kwargs)


def _boolean(where, kind: str, label: str, value: bool, key: str, **kwargs) -> bool:
    extra = {"value": value} if value else {}
    return _draw(where, kind, key, Offer(lambda v: isinstance(v, bool), "true or false"), bool(value),
                 label, **extra, **kwargs)


def toggle(label: str, value: bool = False, *, key: str, where=None, **kwargs) -> bool:
    """``st.toggle`` that returns a bool."""
    return _boolean(where, "toggle", label, value, key, **kwargs)


def checkbox(label: str, value: bool = False, *, key: str, where=None, **kwargs) -> bool:
    """``st.checkbox`` that returns a bool."""
    return _boolean(where, "checkbox", label, value, key, **kwargs)


def button(label: str, *, key: str, where=None, disabled: bool = False, **kwargs) -> bool:
    """``st.button`` whose click counts only while the button is enabled: a forged click on a
    disabled button (a read-only app's Start training or Delete run) does nothing."""
    offer = Offer((lambda v: v is False) if disabled else (lambda v: isinstance(v, bool)),
                  "no click (disabled)" if disabled else "a click")
    return bool(_draw(where, "button", key, offer, False, label, disabled=disabled, **kwargs))


def tabs(labels: Sequence[str], *, key: str, where=None, **kwargs):
    """``st.tabs`` with a key (the open tab is a widget value): only one of ``labels``."""
    labels = list(labels)
    screen(key, Offer(lambda v: v is None or _in(labels)(v), f"one of {len(labels)} tabs"))
    return (where or st).tabs(labels, key=key, **kwargs)


def selected_rows(event, n_rows: int) -> list[int]:
    """The rows a dataframe selection event names, kept only where they are rows of the table
    that was shown (``0 <= row < n_rows``, whole numbers, each once)."""
    try:
        rows = list(event["selection"]["rows"])
    except Exception:  # noqa: BLE001 (no selection, or not one the page could send)
        return []
    out = []
    for r in rows:
        if isinstance(r, int) and not isinstance(r, bool) and 0 <= r < n_rows and r not in out:
            out.append(r)
    return out


def trigger_value(key: str, name: str, accepts: Callable[[Any], bool]):
    """The trigger value ``name`` of the ``components.v2`` component ``key`` in this run when
    ``accepts`` takes it, else ``None`` (a value that was not offered is logged once)."""
    result = st.session_state.get(key)
    value = result.get(name) if hasattr(result, "get") else None
    if value is None:
        return None
    try:
        ok = bool(accepts(value))
    except Exception:  # noqa: BLE001 (a check must not fail on a hostile value)
        ok = False
    if ok:
        return value
    _rejected(f"{key}.{name}", value, Offer(accepts, "a value the component offered"))
    return None


def _rows_within(n_rows: int) -> Callable[[Any], bool]:
    def accepts(value) -> bool:
        if value is None:
            return True
        try:
            selection = value["selection"]
            rows = list(selection["rows"])
        except Exception:  # noqa: BLE001 (any other shape was not sent by the page)
            return False
        return all(isinstance(r, int) and not isinstance(r, bool) and 0 <= r < n_rows for r in rows)
    return accepts


def dataframe(data, *, key: str, where=None, **kwargs):
    """A selectable ``st.dataframe`` (``on_select``): a selection names rows of the table shown."""
    n_rows = len(data.data if type(data).__name__ == "Styler" else data)  # (a styled table: its frame's rows)
    return _draw(where, "dataframe", key, Offer(_rows_within(n_rows), f"rows of a {n_rows}-row table"),
                 None, data, **kwargs)


def file_uploader(label: str, *, key: str, where=None, **kwargs):
    """``st.file_uploader``: a file the browser uploaded through Streamlit's own upload route (or
    none); any other value is dropped before Streamlit would try to read it."""
    def accepts(value) -> bool:
        files = value if isinstance(value, list) else [value]
        return all(f is None or hasattr(f, "file_id") for f in files)
    return _draw(where, "file_uploader", key, Offer(accepts, "an uploaded file"), None, label, **kwargs)
