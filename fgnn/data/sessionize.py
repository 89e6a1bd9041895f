"""Steps before the protocol: keep some event types, cut user histories into sessions, collapse
immediate repeats (see ``docs/data-formats.md``).

A log with a user column and no session column (RetailRocket's ``events.csv``, a listening
history, a shop's server log) is cut the way session-rec does it: each user's events in time
order, a new session wherever the gap to the user's previous event is longer than the threshold
(:data:`~fgnn.data.options.DEFAULT_SESSION_GAP_MINUTES` by default; a gap exactly equal to it stays in the session). Everything is vectorised
(one sort, one comparison, one cumulative sum); no Python loop runs per event or per user.

:func:`prepare_log` applies the steps that were asked for to the tidy table of
:mod:`fgnn.data.readers` and returns the table the protocol expects (a ``session`` column) plus
one statistics row per step, in the protocol's own row format, so the Dataset page and
``fgnn prepare`` show them as the first protocol steps.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from fgnn.data.options import DEFAULT_SESSION_GAP_MINUTES, protocol_rule
from fgnn.data.protocol import _stat
from fgnn.data.readers import shown
from fgnn.errors import DataError

#: The options of the steps before the protocol, with their "not asked for" values.
LOG_SETTINGS = {"session_gap": None, "keep": None, "collapse_repeats": False}


def check_session_gap(minutes) -> float:
    """The session gap in minutes as a positive finite float, else :class:`DataError`."""
    try:
        value = float(minutes)
    except (TypeError, ValueError):
        value = math.nan
    if protocol_rule("session_gap").broken(value):
        raise DataError(f"session gap {minutes!r} is not a positive number of minutes; give e.g. "
                        f"--session-gap {DEFAULT_SESSION_GAP_MINUTES:g} (a new session starts after "
                        f"{DEFAULT_SESSION_GAP_MINUTES:g} minutes without an event)")
    return value


def keep_values(keep) -> str | None:
    """``keep`` (``"view"``, ``"view, addtocart"`` or a list) as one canonical string: the
    distinct values, stripped, sorted, comma-joined; ``None`` when nothing is given."""
    if keep is None:
        return None
    parts = keep.split(",") if isinstance(keep, str) else [str(k) for k in keep]
    values = sorted({p.strip() for p in parts if p.strip()})
    return ",".join(values) if values else None


def resolve_log_settings(**given) -> dict:
    """The log options that were asked for, checked and canonical (absent = not asked for).

    Only what was given enters the result, so a session log's settings (and so its cache key and
    fingerprint) are the same as before these options existed.
    """
    unknown = set(given) - set(LOG_SETTINGS)
    if unknown:
        raise TypeError(f"unknown log setting(s): {', '.join(sorted(unknown))}")
    out = {}
    if given.get("session_gap") is not None:
        out["session_gap"] = check_session_gap(given["session_gap"])
    keep = keep_values(given.get("keep"))
    if keep is not None:
        out["keep"] = keep
    if given.get("collapse_repeats"):
        out["collapse_repeats"] = True
    return out


_KEY_BITS = 62
_RESOLUTIONS = (1e-6, 1e-3, 1.0)  # seconds, finest first


def _sorted_by_user_and_time(user: np.ndarray, time: np.ndarray):
    """``(order, user codes, times)``, the latter two in ``order``: events sorted by user, then time.

    The order of equal times is free (they are never more than the gap apart), so one unstable
    ``argsort`` of an int64 key ``user * span + quantised time`` does it where the key fits; the
    result is checked (times within a user non-decreasing), else ``np.lexsort`` decides.
    """
    codes = user.astype(np.int64, copy=False)
    t = np.asarray(time, dtype=np.float64)
    if user.size > 1 and np.issubdtype(user.dtype, np.integer):
        u_lo, u_hi = int(user.min()), int(user.max())
        if u_hi - u_lo >= 1 << 40:  # sparse huge ids: number them densely, in id order
            codes = pd.factorize(user, sort=True)[0].astype(np.int64)
        else:
            codes = codes - u_lo
        n_users = int(codes.max()) + 1
        t_lo, t_hi = float(t.min()), float(t.max())
        for res in _RESOLUTIONS:
            span = int((t_hi - t_lo) / res) + 2
            if n_users * span < 1 << _KEY_BITS:
                order = np.argsort(codes * span + ((t - t_lo) / res).astype(np.int64))
                u_s, t_s = codes[order], t[order]
                if not ((u_s[1:] == u_s[:-1]) & (t_s[1:] < t_s[:-1])).any():
                    return order, u_s, t_s
                break
    order = np.lexsort((t, codes))
    return order, codes[order], t[order]


def sessionize(user: np.ndarray, time: np.ndarray, gap_seconds: float) -> np.ndarray:
    """Session number (``0..S-1``) of every event of a user log.

    Each user's events are ordered by time; a new session starts at a user's first event and
    after every gap strictly longer than ``gap_seconds`` (equal times are never apart, so their
    order does not matter). Sessions are numbered by user id, then by time.

    Args:
        user: ``[n]`` integer user ids, in any order.
        time: ``[n]`` times in seconds (int or float), in any order.
        gap_seconds: the inactivity threshold (> 0).

    Returns:
        ``[n]`` int64 session numbers, aligned with the input.
    """
    user = np.asarray(user)
    n = user.size
    out = np.empty(n, dtype=np.int64)
    if n == 0:
        return out
    order, u, t = _sorted_by_user_and_time(user, np.asarray(time))
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(u[1:], u[:-1], out=new[1:])
    new[1:] |= (t[1:] - t[:-1]) > gap_seconds
    out[order] = np.cumsum(new) - 1
    return out


def collapse_repeats(session: np.ndarray, item: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Mask of the clicks to keep when a click of the same item straight after itself (in its
    session's time order, ties in input order) is dropped."""
    n = session.size
    keep = np.ones(n, dtype=bool)
    if n < 2:
        return keep
    order = np.lexsort((np.arange(n), time, session))
    s, i = session[order], item[order]
    repeat = np.zeros(n, dtype=bool)
    repeat[1:] = (s[1:] == s[:-1]) & (i[1:] == i[:-1])
    keep[order[repeat]] = False
    return keep


def _row(step: str, clicks: int, sessions: int, items: int, note: str) -> dict:
    return _stat(step, "all", clicks, sessions, items, note=note)


def _take(clicks: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    out = clicks.loc[mask].reset_index(drop=True)
    out.attrs.update(clicks.attrs)
    return out


def prepare_log(clicks: pd.DataFrame, settings: dict) -> tuple[pd.DataFrame, list[dict]]:
    """Apply the steps before the protocol to a tidy click table.

    Args:
        clicks: from a reader; ``session`` or ``user`` (int64), ``item``, ``time``, ``date``, and
            ``event`` (str) where the log has an event column. ``attrs['source']`` names the file.
        settings: from :func:`resolve_log_settings`; ``session_gap`` defaults to DEFAULT_SESSION_GAP_MINUTES for a
            user log.

    Returns:
        ``(table with a session column, statistics rows)``; ``settings`` gains ``session_gap``
        when the log was cut into sessions.
    """
    source = clicks.attrs.get("source", "click log")
    stats: list[dict] = []
    has_session = "session" in clicks
    unit = "sessions" if has_session else "users"
    owner = "session" if has_session else "user"

    keep = settings.get("keep")
    if keep is not None:
        if "event" not in clicks:
            raise DataError(f"{source}: --keep {keep} needs an event column; name it with --event-col")
        wanted = keep.split(",")
        mask = clicks["event"].isin(wanted).to_numpy()
        if not mask.any():
            found = ", ".join(shown(v, 30) for v in pd.unique(clicks["event"])[:10])
            raise DataError(f"{source}: no event is one of {', '.join(repr(w) for w in wanted)} "
                            f"(event values found: {found}); pick values from those with --keep")
        clicks = _take(clicks, mask)
        stats.append(_row(f"keep events {keep}", len(clicks), clicks[owner].nunique(), clicks["item"].nunique(),
                          note=f"{int((~mask).sum()):,} other event(s) dropped; sessions column counts {unit}"
                          if not has_session else f"{int((~mask).sum()):,} other event(s) dropped"))

    if not has_session:
        if "user" not in clicks:
            raise DataError(f"{source}: has neither a session nor a user column; name one with "
                            f"--session-col or --user-col")
        gap = settings.setdefault("session_gap", DEFAULT_SESSION_GAP_MINUTES)
        user = clicks["user"].to_numpy(np.int64)
        session = sessionize(user, clicks["time"].to_numpy(), gap * 60.0)
        clicks = clicks.assign(session=session)
        n_users = int(pd.unique(user).size)
        n_sessions = int(session.max()) + 1 if session.size else 0
        stats.append(_row(f"cut user histories at gaps > {gap:g} min", len(clicks), n_sessions,
                          clicks["item"].nunique(), note=f"{n_users:,} users -> {n_sessions:,} sessions"))
    elif settings.get("session_gap") is not None:
        raise DataError(f"{source}: --session-gap applies to a user log (--user-col), but this log has "
                        f"session ids; drop --session-gap or give --user-col instead of --session-col")

    if settings.get("collapse_repeats"):
        mask = collapse_repeats(clicks["session"].to_numpy(np.int64), clicks["item"].to_numpy(np.int64),
                                clicks["time"].to_numpy())
        clicks = _take(clicks, mask)
        stats.append(_row("collapse immediate repeats", len(clicks), clicks["session"].nunique(),
                          clicks["item"].nunique(),
                          note=f"{int((~mask).sum()):,} click(s) of the item just clicked dropped"))
    return clicks, stats
