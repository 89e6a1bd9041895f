"""The app's state in its URL, without Streamlit: what a reload keeps and a shared link reproduces.

A page's URL carries (``?dataset=...&checkpoint=...&k=...&session=...``, docs/serving.md):

- ``dataset``: a bundled dataset's name, or an upload's id (``upload:<hash>/<file name>``,
  :func:`fgnn.app.uploads.upload_id`); with read options or protocol settings, the spec's JSON
  (:meth:`fgnn.data.spec.DatasetSpec.to_dict`) with those ids in place of its paths. Never a path
  of the server: a dataset read from a server path is not carried;
- ``checkpoint``: the label the sidebar shows (``fgnn-sample/best.pt``), never a path;
- ``k``: K;
- ``session``: the Session builder's session, its item ids separated by commas (where ids are
  tokens, text, and a JSON list of strings when one of them holds a comma or the first starts
  with ``[``: any token round-trips exactly, ``"007"`` and ``"7"`` stay two items).

:func:`encode` writes them; :func:`decode` reads them back and checks each against what the
page offers (:class:`Offered`), as the widget boundary (``pages/_widgets.py``) checks a widget's
value: a value that is not one of the options is refused, its parameter named, and the default
kept. Nothing here opens a file: a value is only ever compared with what the server listed.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from fgnn.app.choices import MAX_TOP_K
from fgnn.data.ids import plain_id
from fgnn.data.options import ProtocolSettings
from fgnn.data.readers import FORMATS
from fgnn.data.spec import READ_OPTIONS, DatasetSpec
from fgnn.errors import FGNNError
from fgnn.evaluation.ranking import MAX_SESSION_CLICKS
from fgnn.settings import field_problems

#: The parameters, in the order the URL has them.
PARAMS = ("dataset", "checkpoint", "k", "session")
#: The state key of ``st.session_state`` each parameter sets (``pages/_shared.py``).
STATE_KEYS = {"dataset": "dataset", "checkpoint": "checkpoint", "k": "top_k", "session": "session_items"}
#: The longest value read (a longer one is refused before it is parsed).
MAX_VALUE_CHARS = 8_000
#: The longest column name or event list, as the Dataset page's fields take them.
MAX_OPTION_CHARS = 200
_ITEM_ID = re.compile(r"[+-]?[0-9]{1,19}")
_K = re.compile(r"[0-9]{1,3}")


@dataclass(frozen=True)
class Offered:
    """What the page offers, the only values a URL may choose.

    Args:
        datasets: the URL name of each dataset offered -> its source on the server (a bundled
            name -> itself; an upload's id -> its kept copy, :func:`fgnn.app.uploads.live_uploads`).
        checkpoints: the label of each checkpoint listed -> its path.
        items_of: the original item ids of a dataset, whole numbers or, where its ids are tokens,
            their text (called only for a session to check; may raise
            :class:`~fgnn.errors.FGNNError` for a dataset that cannot be loaded).
    """

    datasets: Mapping[str, str] = field(default_factory=dict)
    checkpoints: Mapping[str, str] = field(default_factory=dict)
    items_of: Callable[[DatasetSpec], Collection] | None = None
    max_k: int = MAX_TOP_K
    max_clicks: int = MAX_SESSION_CLICKS


@dataclass(frozen=True)
class Decoded:
    """What a URL chose: ``state`` (state key -> value, only the accepted ones) and the names of
    the parameters refused."""

    state: dict
    refused: tuple[str, ...] = ()


class Refused(ValueError):
    """A parameter's value is not one of the options offered."""


# --------------------------------------------------------------------------- encode
def dataset_param(spec: DatasetSpec, url_name: Callable[[str], str | None]) -> str | None:
    """The ``dataset`` parameter of ``spec``: ``url_name`` gives a source's name in a URL (a bundled
    name, an upload's id) or ``None`` for a path of the server, which is never carried (``None``)."""
    source = url_name(spec.source)
    items = url_name(spec.items) if spec.items else None
    if source is None or (spec.items and items is None):
        return None
    if not spec.options():
        return source
    d = spec.to_dict()
    d["source"] = source
    if items is not None:
        d["items"] = items
    return json.dumps(d, sort_keys=True, separators=(",", ":"))


def session_values(items: Sequence) -> list:
    """The session's item ids as the URL carries them: whole numbers, or text where ids are
    tokens (raises ``TypeError`` / ``ValueError`` for a value that is neither)."""
    return [plain_id(i) for i in items]


def session_param(session: Sequence) -> str | None:
    """The ``session`` parameter: the ids separated by commas; a JSON list of the texts where a
    token holds a comma or the first starts with ``[`` (:func:`decode_session` reads both)."""
    ids = session_values(session)
    if not ids:
        return None
    texts = [str(i) for i in ids]
    if any(isinstance(i, str) for i in ids) and (any("," in t for t in texts) or texts[0].startswith("[")):
        return json.dumps(texts, ensure_ascii=False, separators=(",", ":"))
    return ",".join(texts)


def encode(dataset: str | None, checkpoint: str | None, top_k: int, session: Sequence) -> dict[str, str]:
    """The URL's parameters of the app's state: ``dataset`` (:func:`dataset_param`), ``checkpoint``
    (its label), K and the session's item ids (:func:`session_param`); a value that cannot be
    carried (``None``) or an empty session is left out."""
    out = {"dataset": dataset, "checkpoint": checkpoint, "k": str(int(top_k)),
           "session": session_param(session)}
    return {k: v for k, v in out.items() if v}


# --------------------------------------------------------------------------- decode
def _text(value) -> str:
    """A parameter's value as one string (the last of repeated ones); refused when too long."""
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else ""
    if not isinstance(value, str) or not value or len(value) > MAX_VALUE_CHARS:
        raise Refused
    return value


def _known(name, offered: Mapping[str, str]) -> str:
    if not isinstance(name, str) or name not in offered:
        raise Refused
    return offered[name]


def _checked_options(d: dict) -> None:
    """Read options and protocol settings as the Dataset page's form could give them."""
    for key, value in d.items():
        if key == "format":
            if value not in FORMATS:
                raise Refused
        elif key in READ_OPTIONS:
            if not isinstance(value, str) or not value.strip() or len(value) > MAX_OPTION_CHARS:
                raise Refused
        elif key != "protocol":
            raise Refused
    protocol = d.get("protocol", {})
    if not isinstance(protocol, dict):
        raise Refused
    for value in protocol.values():
        if isinstance(value, str) and len(value) > MAX_OPTION_CHARS:
            raise Refused
    try:
        if field_problems(ProtocolSettings, protocol):
            raise Refused
    except (TypeError, ValueError, OverflowError):
        raise Refused from None


def decode_dataset(value, offered: Offered) -> DatasetSpec:
    """The dataset a ``dataset`` parameter names, or :class:`Refused`."""
    text = _text(value)
    if not text.startswith("{"):
        return DatasetSpec(_known(text, offered.datasets))
    try:
        d = json.loads(text)
    except (ValueError, RecursionError):
        raise Refused from None
    if not isinstance(d, dict):
        raise Refused
    d = dict(d)
    d["source"] = _known(d.get("source"), offered.datasets)
    if "items" in d:
        d["items"] = _known(d["items"], offered.datasets)
    _checked_options({k: v for k, v in d.items() if k != "source"})
    try:
        return DatasetSpec.from_dict(d)
    except (FGNNError, TypeError, ValueError):
        raise Refused from None


def decode_k(value, offered: Offered) -> int:
    """K: a plain whole number within ``1..max_k``."""
    text = _text(value)
    if not _K.fullmatch(text) or not 1 <= int(text) <= offered.max_k:
        raise Refused
    return int(text)


def _session_parts(text: str) -> list[str]:
    """The ids of a ``session`` value as text: a JSON list of strings (``[...]``), else the parts
    between commas."""
    if not text.startswith("["):
        return text.split(",")
    try:
        parts = json.loads(text)
    except (ValueError, RecursionError):
        raise Refused from None
    if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
        raise Refused
    return parts


def decode_session(value, offered: Offered, spec: DatasetSpec) -> list:
    """The session: at most ``max_clicks`` item ids, each an item of the dataset ``spec``: its
    exact text where the dataset's ids are tokens, else a whole number."""
    parts = _session_parts(_text(value))
    if not parts or len(parts) > offered.max_clicks or offered.items_of is None:
        raise Refused
    try:
        known = offered.items_of(spec)
    except FGNNError:
        raise Refused from None
    ids = []
    for part in parts:
        if part in known:  # a token (ids that are text are known by their text)
            ids.append(part)
        elif _ITEM_ID.fullmatch(part) and int(part) in known:
            ids.append(int(part))
        else:
            raise Refused
    return ids


def decode(params: Mapping, offered: Offered, default_dataset: DatasetSpec) -> Decoded:
    """The state a URL's ``params`` choose, each checked against ``offered``; a parameter whose
    value is not offered is refused (named in :attr:`Decoded.refused`) and its state left as it
    is. The session is checked against the dataset the URL chose, else ``default_dataset``.
    Parameters other than :data:`PARAMS` are ignored."""
    state: dict = {}
    refused: list[str] = []
    readers = {"dataset": lambda v: decode_dataset(v, offered),
               "checkpoint": lambda v: _known(_text(v), offered.checkpoints),
               "k": lambda v: decode_k(v, offered),
               "session": lambda v: decode_session(v, offered, state.get("dataset", default_dataset))}
    for name in PARAMS:  # (the dataset first: the session is checked against it)
        if name not in params:
            continue
        try:
            state[STATE_KEYS[name]] = readers[name](params[name])
        except Refused:
            refused.append(name)
    return Decoded(state, tuple(refused))


def refused_message(refused: Sequence[str]) -> str:
    """The one warning for the parameters of a link that were not used."""
    names = ", ".join(f"'{name}'" for name in refused)
    word = "parameter" if len(refused) == 1 else "parameters"
    return (f"This link's {word} {names} named something this app does not offer (an unknown dataset, "
            f"checkpoint or item, or a value out of range): {'it was' if len(refused) == 1 else 'they were'} "
            "ignored and the current choice kept. Choose it in the sidebar or the Session builder instead.")
