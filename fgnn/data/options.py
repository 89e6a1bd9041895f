"""The protocol settings of a dataset, one typed value (docs/protocol.md, docs/dataset-spec.md).

Every field is a :func:`fgnn.settings.setting`: its words and range sit beside it, and the CLI's
dataset options, the Dataset page's form, the range checks of the data layer and the docs' table
are derived from it. ``None`` means "not asked for": the protocol's default for the source's
format (``unset`` says what that is where it does not depend on the format).
"""
from __future__ import annotations

from dataclasses import dataclass

from fgnn.errors import DataError
from fgnn.settings import get_field, meta, rule_of, setting

#: The default session gap in minutes (session-rec's): a user's events further apart start a new session.
DEFAULT_SESSION_GAP_MINUTES = 30.0
#: How a session is dated (the protocol's split): its last click, or the last row of its log.
SESSION_DATES = ("last_click", "last_row")


@dataclass(frozen=True)
class ProtocolSettings:
    """The settings of the preprocessing protocol, the validation split and the steps before it."""

    min_item_support: int | None = setting(
        None, low=1, means=5, help="Drop items clicked fewer times than this.")
    min_session_length: int | None = setting(
        None, low=2, means=2, help="Drop sessions shorter than this.")
    test_days: float | None = setting(
        None, low=0, low_open=True, unset=0.0, label="test window in days (0 = the format's default)",
        help="Test window in days before the last date (default 7 DIGINETICA, 1 otherwise).")
    fraction: int | None = setting(
        None, low=1, means=1, help="Keep the most recent 1/FRACTION of the training pairs (e.g. 4 or 64).")
    session_date: str | None = setting(
        None, choices=SESSION_DATES, means="last_click",
        help="Date a session by its last click (SR-GNN) or by the last row of its log (the script's own order).")
    valid_days: float | None = setting(
        None, low=0, low_open=True,
        help="Validation split: the training sessions of the last N days of the training period "
             "(default: none, the paper protocol); runs then choose their best epoch on it.")
    valid_fraction: float | None = setting(
        None, low=0, high=1, low_open=True, high_open=True,
        help="Validation split: the most recent fraction of the training sessions (e.g. 0.05; for SR-GNN "
             "pickles, which have no dates; default: none).")
    # the steps before the protocol (fgnn.data.sessionize)
    session_gap: float | None = setting(
        None, low=0, low_open=True, note="minutes", means=DEFAULT_SESSION_GAP_MINUTES, step=5.0,
        label="session gap (minutes)",
        help="With --user-col: a new session starts after this many minutes without an event.")
    keep: str | None = setting(
        None, label="keep events", help="With --event-col: keep only these event types, comma-separated (e.g. view).")
    collapse_repeats: bool | None = setting(
        None, switch=True, label="collapse immediate repeats (a click on the item just clicked)",
        help="Drop a click on the item just clicked in the same session (off by default).")

    @classmethod
    def of(cls, given) -> ProtocolSettings:
        """The settings of a dict, of ``(key, value)`` pairs (the older form of a spec's protocol) or
        of settings; an unknown key is a :class:`~fgnn.errors.DataError`."""
        if isinstance(given, cls):
            return given
        if isinstance(given, dict):
            given = given.items()
        elif not isinstance(given, (tuple, list)):
            raise DataError(f"protocol must be an object, got {given!r}")
        pairs = {str(k): v for k, v in given}
        unknown = sorted(set(pairs) - set(PROTOCOL_FIELDS))
        if unknown:
            raise DataError(f"{unknown[0]!r} is not a protocol setting: those are {', '.join(PROTOCOL_FIELDS)}")
        return cls(**pairs)

    def to_dict(self) -> dict:
        """The settings given (no ``None``, no ``""``), in key order: the layout config files have."""
        return {k: v for k, v in sorted(vars(self).items()) if v is not None and v != ""}


PROTOCOL_FIELDS = tuple(ProtocolSettings.__dataclass_fields__)
#: protocol keys whose text the reader checks (``keep`` is a list of event types)
FREE_PROTOCOL_KEYS = ("keep",)


def protocol_rule(name: str):
    """The rule of one protocol setting (for the data layer's own checks)."""
    return rule_of(ProtocolSettings, name)


def protocol_default(name: str):
    """What ``None`` means for a protocol setting (``None`` where it depends on the format or means off)."""
    return meta(get_field(ProtocolSettings, name)).get("means")
