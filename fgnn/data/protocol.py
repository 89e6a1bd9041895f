"""The SR-GNN preprocessing protocol (docs/protocol.md), vectorised with numpy/pandas.

:func:`apply_protocol` turns the tidy click table of :mod:`fgnn.data.readers` into a
:class:`~fgnn.data.dataset.PreparedDataset`, recording statistics after every step so the app
can show what each filter removed:

1. order the clicks of each session by time (ties: file order); date each session by its last click;
2. drop sessions shorter than ``min_session_length`` (2);
3. count items once over the remaining sessions, drop items seen < ``min_item_support`` (5) times,
   then drop sessions left shorter than ``min_session_length``;
4. split by date: test = sessions dated after ``max date - test_days`` (7 DIGINETICA, 1 otherwise),
   train = dated before; sessions on the split instant itself are dropped;
5. order sessions by date (ties: the session's first row in the file); re-index items 1..N by
   first appearance in the training sessions; remove unseen items from test sessions and drop
   those left too short;
6. expand every session ``[v1..vn]`` into pairs ``([v1..vn-i], vn-i+1)``, session by session,
   longest prefix first;
7. with ``fraction`` k > 1, keep the most recent ``int(P / k)`` training pairs (the YOOCHOOSE 1/4,
   1/64 convention; the item vocabulary is kept whole, as SR-GNN does).

Not in SR-GNN's protocol, off by default: a validation split (``valid_days``, or ``valid_fraction``
for the SR-GNN pickles, which carry no dates) moves the most recent training sessions into
``dataset.valid`` between steps 6 and 7, so that choices (best epoch, variants) are made without
the test set (docs/fgnn-study.md). Items and test pairs stay exactly as without it.

Every sort is stable. :func:`prepared_from_srgnn` builds the dataset from the SR-GNN pickle
layout, where this protocol has already been applied.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from fgnn.data.dataset import PreparedDataset
from fgnn.data.options import SESSION_DATES, protocol_default, protocol_rule
from fgnn.data.progress import report
from fgnn.data.readers import SrgnnFolder, item_tokens
from fgnn.data.sessions import SessionPairs
from fgnn.errors import DataError

SECONDS_PER_DAY = 86400
DEFAULT_TEST_DAYS = {"diginetica": 7, "yoochoose": 1, "csv": 1}
SESSION_DATE_RULES = SESSION_DATES


def default_settings(format: str = "diginetica") -> dict:
    """The protocol's parameters with their docs/protocol.md values for a source format."""
    return {
        "min_session_length": protocol_default("min_session_length"),
        "min_item_support": protocol_default("min_item_support"),
        "test_days": DEFAULT_TEST_DAYS.get(format, 1),
        "fraction": protocol_default("fraction"),
        "session_date": protocol_default("session_date"),
    }


def resolve_settings(format: str, **overrides) -> dict:
    """Defaults for ``format`` updated with the given values (``None`` means default)."""
    settings = default_settings(format)
    unknown = set(overrides) - set(settings)
    if unknown:
        raise TypeError(f"unknown protocol setting(s): {', '.join(sorted(unknown))}; "
                        f"known: {', '.join(settings)}")
    settings.update({k: v for k, v in overrides.items() if v is not None})
    # the ranges are the settings' own (fgnn.data.options.ProtocolSettings); the words say why
    for key, why in (("min_session_length", "min_session_length must be at least 2: a pair needs a prefix and a target"),
                     ("min_item_support", "min_item_support must be at least 1"),
                     ("test_days", "test_days must be positive"),
                     ("fraction", "fraction must be 1 (all training pairs) or more (keep the latest 1/fraction)"),
                     ("session_date", f"session_date must be one of {', '.join(SESSION_DATE_RULES)}")):
        if protocol_rule(key).broken(_number(settings[key])):
            raise DataError(why)
    return settings


def _number(value):
    """A setting as its rule reads it: a numeric text (``"5"``) as a number, as ``int(...)`` read it before."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _stat(step: str, part: str, clicks: int, sessions: int, items: int, pairs: int | None = None,
          note: str = "", **extra) -> dict:
    return {
        "step": step, "part": part, "clicks": int(clicks), "sessions": int(sessions), "items": int(items),
        "pairs": None if pairs is None else int(pairs),
        "mean_length": round(clicks / sessions, 4) if sessions else 0.0,
        "note": note, **extra,
    }


def _iso(seconds: float) -> str:
    ts = pd.Timestamp(round(float(seconds) * 1000), unit="ms", tz="UTC")
    return ts.strftime("%Y-%m-%d") if float(seconds) % SECONDS_PER_DAY == 0 else ts.isoformat()


def _segment_starts(keys: np.ndarray) -> np.ndarray:
    """Start index of every run of equal values in a sorted array."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


@dataclass
class _Sessions:
    """The clicks while the protocol runs: per click its session code and item, per session its
    date and first row in the file. Each step keeps a subset of the clicks."""

    sess: np.ndarray  # session code of each click (0..n_sessions-1), grouped, in time order
    item: np.ndarray  # original item id of each click
    date: np.ndarray  # per session code: the session's date
    first_row: np.ndarray  # per session code: its first row in the file
    source: str
    stats: list = field(default_factory=list)
    clock: np.ndarray | None = None  # seconds since 1970 of each click, for writers (fgnn.data.recbole)

    @property
    def n_sessions(self) -> int:
        return int(self.date.size)

    def keep(self, mask: np.ndarray) -> None:
        self.sess, self.item = self.sess[mask], self.item[mask]
        if self.clock is not None:
            self.clock = self.clock[mask]

    def record(self, step: str, part: str = "all", mask: np.ndarray | None = None, **extra) -> None:
        sess, item = (self.sess, self.item) if mask is None else (self.sess[mask], self.item[mask])
        n_sessions = _runs(sess)
        self.stats.append(_stat(step, part, item.size, n_sessions, _distinct(item), **extra))
        report(f"{step}{'' if part == 'all' else f' ({part})'}: {item.size:,} clicks, {n_sessions:,} sessions")


def _runs(grouped: np.ndarray) -> int:
    """Distinct values of an array whose equal values sit together (session codes): runs, no sort."""
    return int(grouped.size and 1 + np.count_nonzero(grouped[1:] != grouped[:-1]))


def _distinct(values: np.ndarray) -> int:
    """Distinct values, by hashing (no sorted copy of a large array)."""
    return int(pd.unique(values).size)


def _order_and_date(clicks: pd.DataFrame, session_date: str, source: str, consume: bool = False) -> _Sessions:
    """Step 1: clicks grouped by session, by time within it (file order on ties); a session is
    dated by its last click (or by its last row in file order, as SR-GNN's script does).
    ``consume`` empties ``clicks`` once its columns are read, so that a large log's table is freed here."""
    session = clicks["session"].to_numpy(np.int64)
    item = clicks["item"].to_numpy(np.int64)
    time = clicks["time"].to_numpy()
    date = clicks["date"].to_numpy() if "date" in clicks else time
    if session.size == 0:
        raise DataError(f"{source}: holds no clicks; give a log with one click per row")
    clock = _click_clock(clicks)
    if consume:
        for column in list(clicks.columns):
            del clicks[column]
    report(f"sessions: ordering {session.size:,} clicks by session and time...")
    order = np.lexsort((time, session))  # stable: equal times keep file order (the order is the row)
    del time
    starts = _segment_starts(session[order])
    del session
    s_len = np.diff(np.r_[starts, order.size])
    if session_date == "last_click":
        s_date = date[order[starts + s_len - 1]]
    else:
        s_date = date[np.maximum.reduceat(order, starts)]
    del date
    codes = np.arange(starts.size, dtype=np.int32 if starts.size < 2**31 else np.int64)
    s = _Sessions(sess=np.repeat(codes, s_len), item=item[order], date=s_date,
                  first_row=np.minimum.reduceat(order, starts), source=source, clock=clock[order])
    s.record("read", note="clicks ordered by time within each session")
    return s


def _click_clock(clicks: pd.DataFrame) -> np.ndarray:
    """Each click's time in seconds since 1970: ``time`` where it is a clock; for DIGINETICA (``time`` is
    the ``timeframe`` in milliseconds since the session began) its day plus that offset."""
    time = clicks["time"].to_numpy().astype(np.float64, copy=False)  # no copy of a large log's times
    if clicks.attrs.get("format") == "diginetica" and "date" in clicks:
        return clicks["date"].to_numpy().astype(np.float64) + time / 1000.0
    return time


def _run_index(first: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``first[0] .. first[0]+lengths[0]-1, first[1] ..``: the indices of runs, as one int64 array,
    made by one cumulative sum in place (no temporary array of the same size)."""
    keep = lengths > 0
    first, lengths = first[keep], lengths[keep]
    out = np.ones(int(lengths.sum()), dtype=np.int64)
    if lengths.size:
        last = first + lengths - 1
        out[np.cumsum(lengths) - lengths] = first - np.r_[0, last[:-1]]  # jump from the previous run's end
        np.cumsum(out, out=out)
    return out


def _click_times(s: _Sessions, known: np.ndarray | None, parts: list[np.ndarray]) -> list[np.ndarray] | None:
    """The clock of every click of the final sessions: for each array of session codes in order, the
    times of those sessions' clicks on items of the vocabulary (``known``, per click), in order
    (:func:`_latest_clicks` keeps the last ones: the fraction cut and the validation split keep the
    latest sessions)."""
    if s.clock is None:
        return None
    out = []
    for sessions in parts:
        # the clicks of a session sit together (s.sess is grouped): whole runs in the sessions' order,
        # no rank per click and no sort (a large log's clicks, docs/performance.md)
        first = np.searchsorted(s.sess, sessions, side="left")
        sel = _run_index(first, np.searchsorted(s.sess, sessions, side="right") - first)
        out.append(s.clock[sel[known[sel]]])
    return out


def _latest_clicks(clock: np.ndarray, n: int) -> torch.Tensor:
    """The last ``n`` click times of a part, as their own tensor."""
    return torch.from_numpy(clock[clock.size - n:].copy() if n < clock.size else clock)


def _drop_short_sessions(s: _Sessions, min_len: int) -> None:
    """Step 2: sessions of fewer than ``min_len`` clicks go."""
    s.keep(np.bincount(s.sess, minlength=s.n_sessions)[s.sess] >= min_len)
    s.record(f"drop sessions < {min_len} clicks")
    if s.item.size == 0:
        raise DataError(f"{s.source}: every session has fewer than {min_len} clicks, so nothing survives the "
                        f"protocol; check the session column, or give a log with longer sessions")


def _drop_rare_items(s: _Sessions, min_len: int, min_support: int) -> np.ndarray:
    """Step 3: items seen fewer than ``min_support`` times go, then sessions left short.
    Returns the session codes still alive."""
    codes, _ = pd.factorize(s.item, sort=False)  # hashing: no sorted copy nor inverse of a large log
    s.keep(np.bincount(codes)[codes] >= min_support)
    del codes
    s.keep(np.bincount(s.sess, minlength=s.n_sessions)[s.sess] >= min_len)
    alive = np.unique(s.sess)
    s.record(f"drop items < {min_support} clicks, then sessions < {min_len}")
    if alive.size == 0:
        raise DataError(f"{s.source}: no session keeps {min_len} clicks of items seen at least {min_support} "
                        f"times, so nothing survives the protocol; give a larger log or lower "
                        f"--min-item-support")
    return alive


def _split_by_date(s: _Sessions, alive: np.ndarray, test_days: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Step 4: test = sessions dated after ``max date - test_days``, train = dated before; the
    split instant itself belongs to neither. Returns per-session train and test masks and the split."""
    split = float(s.date[alive].max()) - float(test_days) * SECONDS_PER_DAY
    is_train, is_test = s.date < split, s.date > split
    on_split = int((s.date[alive] == split).sum())
    split_iso = _iso(split)
    for part, mask in (("train", is_train), ("test", is_test)):
        note = f"{'before' if part == 'train' else 'after'} {split_iso}"
        if part == "train" and on_split:
            note += f"; {on_split} session(s) on the split date dropped"
        s.record("split by date", part, mask[s.sess], split_date=split_iso, note=note)
    return is_train, is_test, split


def _in_date_order(s: _Sessions, alive: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sessions of ``mask`` ordered by date (ties: first row), and their clicks in that order:
    (session codes, each session's number of clicks, item of each click)."""
    sessions = alive[mask[alive]]
    sessions = sessions[np.lexsort((s.first_row[sessions], s.date[sessions]))]
    # the clicks of a session sit together (s.sess is grouped): gather whole runs in the new order
    first = np.searchsorted(s.sess, sessions, side="left")
    lengths = np.searchsorted(s.sess, sessions, side="right") - first
    return sessions, lengths, s.item[_run_index(first, lengths)]


def _reindex(s: _Sessions, alive: np.ndarray, is_train: np.ndarray, is_test: np.ndarray, min_len: int,
             split: float, test_days: float) -> tuple[tuple, tuple, pd.Index]:
    """Step 5: sessions in date order; items numbered 1..N by first appearance in training; test
    clicks on unseen items removed and test sessions left short dropped.
    Returns (train sessions, item codes, lengths), the same for test, and the vocabulary."""
    tr_sessions, tr_len, tr_items = _in_date_order(s, alive, is_train)
    if tr_sessions.size == 0:
        raise DataError(f"{s.source}: no session is dated before the split date {_iso(split)} "
                        f"(the log spans less than the {test_days}-day test window); "
                        f"give a longer log or a smaller --test-days")
    tr_codes, vocab = pd.factorize(tr_items, sort=False)
    del tr_items
    tr_codes = tr_codes.astype(np.int64, copy=False)
    tr_codes += 1  # in place: no second array of a large log's clicks

    te_sessions, te_len, te_items = _in_date_order(s, alive, is_test)
    te_rank = np.repeat(np.arange(te_sessions.size), te_len)
    te_codes = pd.Index(vocab).get_indexer(te_items).astype(np.int64) + 1
    seen = te_codes > 0
    te_rank, te_codes = te_rank[seen], te_codes[seen]
    te_len = np.bincount(te_rank, minlength=te_sessions.size)
    te_keep = te_len >= min_len
    te_codes, te_len, te_sessions = te_codes[te_keep[te_rank]], te_len[te_keep], te_sessions[te_keep]
    s.stats.append(_stat("re-index items by first appearance in train", "train", tr_codes.size,
                         tr_sessions.size, int(vocab.size)))
    s.stats.append(_stat(f"drop unseen items, then sessions < {min_len}", "test", te_codes.size,
                         te_sessions.size, np.unique(te_codes).size))
    if te_sessions.size == 0:
        raise DataError(f"{s.source}: no test session (dated after {_iso(split)}) keeps {min_len} clicks of "
                        f"items seen in training; give a longer log or a larger --test-days")
    return (tr_sessions, tr_codes, tr_len), (te_sessions, te_codes, te_len), vocab


def _expand_pairs(s: _Sessions, part: str, sessions: np.ndarray, codes: np.ndarray, lengths: np.ndarray,
                  n_items: int) -> tuple[SessionPairs, np.ndarray]:
    """Step 6: every session ``[v1..vn]`` gives its prefix/target pairs; also each session's day."""
    report(f"pairs ({part}): expanding {sessions.size:,} sessions...")
    pairs = SessionPairs.from_csr(torch.from_numpy(codes), torch.from_numpy(lengths))
    s.stats.append(_stat("expand into prefix/target pairs", part, codes.size, sessions.size, n_items, len(pairs)))
    return pairs, np.floor_divide(s.date[sessions], SECONDS_PER_DAY).astype(np.int64)


def keep_latest_fraction(train: SessionPairs, fraction: int, source: str,
                         stats: list) -> tuple[SessionPairs, np.ndarray | None]:
    """Step 7: with ``fraction`` k > 1 only the most recent ``int(P / k)`` training pairs stay (the
    YOOCHOOSE 1/4, 1/64 convention; the item vocabulary is kept whole). Appends its statistics row.
    Returns the pairs and the kept sessions' indices (``None`` when nothing was cut)."""
    if fraction <= 1:
        return train, None
    keep = int(len(train) / fraction)
    if keep == 0:
        raise DataError(f"{source}: 1/{fraction} of {len(train)} training pairs is none; "
                        f"use a smaller --fraction")
    train, kept_sessions = _latest_pairs(train, keep)
    stats.append(_stat(f"keep latest 1/{fraction} of training pairs", "train", int(train.items.numel()),
                       train.num_sessions, int(torch.unique(train.items).numel()), len(train),
                       note="item vocabulary kept whole (SR-GNN convention)"))
    return train, kept_sessions


def _carve_validation_by_date(s: _Sessions, train: SessionPairs, train_days: np.ndarray,
                              train_sessions: np.ndarray, split: float,
                              valid_days: float | None, valid_fraction: float | None):
    """The validation split: the training sessions of the last ``valid_days`` (or the most recent
    ``valid_fraction`` of them; sessions are in date order). Returns train, its days, valid, its days."""
    if valid_days is None and valid_fraction is None:
        return train, train_days, None, None
    if valid_days is not None:
        valid_from = split - float(valid_days) * SECONDS_PER_DAY
        n_valid = int((s.date[train_sessions] > valid_from).sum())
    else:
        n_valid = _fraction_of_sessions(train.num_sessions, valid_fraction)
    train, valid = carve_validation(train, n_valid, s.source)
    s.stats.append(_validation_stat(valid, valid_days, valid_fraction,
                                    valid_from=_iso(valid_from) if valid_days is not None else None))
    return train, train_days[: train.num_sessions], valid, train_days[train.num_sessions:]


def apply_protocol(clicks: pd.DataFrame, *, name: str = "", fingerprint: str = "",
                   categories: pd.DataFrame | None = None, format: str | None = None,
                   valid_days: float | None = None, valid_fraction: float | None = None,
                   consume: bool = False, **settings) -> PreparedDataset:
    """Apply the protocol of docs/protocol.md to a tidy click table (``session, item, time, date``).

    Args:
        clicks: the table from a reader (``attrs['source']`` names the file in errors).
        name: the dataset's name.
        fingerprint: content hash of source + settings (the registry computes it).
        categories: optional table ``item, category`` (original ids) for
            :attr:`PreparedDataset.categories`.
        format: the source format, choosing the default test window (else ``attrs['format']``).
        valid_days, valid_fraction: carve a validation split from the end of the training period
            (off by default; docs/fgnn-study.md).
        consume: empty ``clicks`` once its columns are read (the caller is done with it), so that a
            large log's table is freed before the pairs are made (docs/performance.md).
        **settings: ``min_session_length``, ``min_item_support``, ``test_days``, ``fraction``,
            ``session_date`` ("last_click" = docs/protocol.md; "last_row" = the SR-GNN script, which dates
            a session by its last row in file order).
    """
    source = clicks.attrs.get("source", name or "click log")
    fmt = format or clicks.attrs.get("format", "csv")
    cfg = resolve_settings(fmt, **settings)
    min_len, min_support = int(cfg["min_session_length"]), int(cfg["min_item_support"])

    s = _order_and_date(clicks, cfg["session_date"], source, consume=consume)
    _drop_short_sessions(s, min_len)
    alive = _drop_rare_items(s, min_len, min_support)
    is_train, is_test, split = _split_by_date(s, alive, cfg["test_days"])
    (tr_sessions, tr_codes, tr_len), (te_sessions, te_codes, te_len), vocab = _reindex(
        s, alive, is_train, is_test, min_len, split, cfg["test_days"])
    n_items = int(vocab.size)
    # the clicks are done with: a large log's memory goes before the pairs (docs/performance.md)
    known = None if s.clock is None else pd.Series(s.item, copy=False).isin(vocab).to_numpy()
    s.item = None
    clocks = _click_times(s, known, [tr_sessions, te_sessions])
    s.sess = s.clock = known = None
    train, train_days = _expand_pairs(s, "train", tr_sessions, tr_codes, tr_len, n_items)
    test, test_days = _expand_pairs(s, "test", te_sessions, te_codes, te_len, np.unique(te_codes).size)
    train, train_days, valid, valid_days_out = _carve_validation_by_date(
        s, train, train_days, tr_sessions, split, valid_days, valid_fraction)
    train, kept = keep_latest_fraction(train, int(cfg["fraction"]), source, s.stats)
    if kept is not None:
        train_days = train_days[kept]

    times = None if clocks is None else [
        _latest_clicks(clocks[0], int(train.items.numel()) + (0 if valid is None else int(valid.items.numel()))),
        _latest_clicks(clocks[1], int(test.items.numel()))]
    if times is not None:  # the validation sessions are the last training sessions
        n_valid = 0 if valid is None else int(valid.items.numel())
        times = {"train": times[0][:times[0].numel() - n_valid], "valid": times[0][times[0].numel() - n_valid:],
                 "test": times[1]}
    item_ids = torch.from_numpy(np.r_[-1, vocab.to_numpy(np.int64) if hasattr(vocab, "to_numpy")
                                      else np.asarray(vocab, dtype=np.int64)].astype(np.int64))
    tokens = item_tokens(clicks)
    return PreparedDataset(
        item_tokens=None if tokens is None else [""] + tokens.texts[item_ids[1:].numpy()].tolist(),
        name=name, fingerprint=fingerprint, n_items=n_items, item_ids=item_ids, train=train, test=test,
        stats=s.stats, categories=_category_tensor(item_ids, categories),
        train_dates=torch.from_numpy(train_days), test_dates=torch.from_numpy(test_days),
        split_date=_iso(split), settings={"format": fmt, **cfg, **validation_settings(valid_days, valid_fraction)},
        valid=valid, valid_dates=None if valid_days_out is None else torch.from_numpy(valid_days_out),
        click_times=times,
    )


# --------------------------------------------------------------------------- validation split
def check_validation(valid_days: float | None, valid_fraction: float | None) -> None:
    """Refuse impossible validation settings with a message that says what to give."""
    if valid_days is not None and valid_fraction is not None:
        raise DataError("give --valid-days or --valid-fraction, not both")
    if valid_days is not None and protocol_rule("valid_days").broken(_number(valid_days)):
        raise DataError("valid_days must be positive (the last N days of the training period become validation)")
    if valid_fraction is not None and protocol_rule("valid_fraction").broken(_number(valid_fraction)):
        raise DataError("valid_fraction must be between 0 and 1 (e.g. 0.05: the most recent 5% of the "
                        "training sessions become validation)")


def validation_settings(valid_days: float | None = None, valid_fraction: float | None = None) -> dict:
    """The validation settings that are on (nothing when off, so the paper protocol's settings,
    fingerprints and caches are those of a dataset without the option)."""
    out = {}
    if valid_days is not None:
        out["valid_days"] = float(valid_days)
    if valid_fraction is not None:
        out["valid_fraction"] = float(valid_fraction)
    return out


def _fraction_of_sessions(n_sessions: int, fraction: float) -> int:
    return round(n_sessions * float(fraction))


def carve_validation(train: SessionPairs, n_valid: int, source: str = "dataset") -> tuple[SessionPairs, SessionPairs]:
    """Split the last ``n_valid`` sessions of ``train`` (sessions in date order, pairs session by
    session as :meth:`SessionPairs.from_csr` makes them) off into a validation set.

    Returns ``(train, valid)``; both keep the item indices (the vocabulary stays whole).
    """
    n_sessions = train.num_sessions
    if n_valid <= 0:
        raise DataError(f"{source}: the validation split holds no training session; give more --valid-days "
                        f"or a larger --valid-fraction")
    if n_valid >= n_sessions:
        raise DataError(f"{source}: the validation split would take all {n_sessions} training sessions; "
                        f"give fewer --valid-days or a smaller --valid-fraction")
    lengths = train.session_lengths()
    cut = n_sessions - n_valid
    at = int(train.offsets[cut])
    first = SessionPairs.from_csr(train.items[:at].clone(), lengths[:cut].clone())
    second = SessionPairs.from_csr(train.items[at:].clone(), lengths[cut:].clone())
    if len(first) + len(second) != len(train):  # pairs are not the prefix expansion of the sessions
        raise DataError(f"{source}: its training pairs are not whole sessions, so no validation split by "
                        f"session can be made; drop --valid-days / --valid-fraction")
    if len(second) == 0:
        raise DataError(f"{source}: the validation sessions give no prefix/target pair; give more "
                        f"--valid-days or a larger --valid-fraction")
    return first, second


def _validation_stat(valid: SessionPairs, valid_days, valid_fraction, valid_from=None) -> dict:
    if valid_days is not None:
        note = f"training sessions dated after {valid_from} (the last {valid_days:g} days of training)"
    else:
        note = (f"the most recent {float(valid_fraction):.1%} of the training sessions (file order = date "
                f"order; an approximation of the last days)")
    return _stat("carve validation split", "valid", int(valid.items.numel()), valid.num_sessions,
                 int(torch.unique(valid.items).numel()), len(valid), note=note + "; item vocabulary kept whole")


def _latest_pairs(pairs: SessionPairs, keep: int) -> tuple[SessionPairs, np.ndarray]:
    """The last ``keep`` pairs, with the sessions before the first kept one removed."""
    tail = torch.arange(len(pairs) - keep, len(pairs))
    first = int(pairs.pair_session[tail[0]])
    lo = int(pairs.offsets[first])
    out = SessionPairs(
        items=pairs.items[lo:].clone(), offsets=pairs.offsets[first:] - lo,
        pair_session=pairs.pair_session[tail] - first, pair_length=pairs.pair_length[tail].clone(),
        targets=pairs.targets[tail].clone(),
    )
    return out, np.arange(first, pairs.num_sessions)


def _category_tensor(item_ids: torch.Tensor, categories: pd.DataFrame | None) -> torch.Tensor | None:
    if categories is None:
        return None
    table = categories.drop_duplicates("item", keep="first")
    lookup = pd.Series(table["category"].to_numpy(np.int64), index=table["item"].to_numpy(np.int64))
    cats = lookup.reindex(item_ids.numpy()).fillna(-1).to_numpy().astype(np.int64)
    cats[0] = -1
    return torch.from_numpy(cats)


# --------------------------------------------------------------------------- SR-GNN pickles
def sessions_from_augmented(items: np.ndarray, lengths: np.ndarray, targets: np.ndarray):
    """Rebuild sessions from pairs in SR-GNN augmented order
    (``(s[:-1], s[-1]), (s[:-2], s[-2]), ..., (s[:1], s[1])`` session by session).

    Returns CSR ``(items, lengths)`` of the sessions, or ``None`` if the pairs are not in that order.
    """
    n_pairs = lengths.size
    if n_pairs == 0 or lengths[-1] != 1:
        return None
    offsets = np.r_[0, np.cumsum(lengths)]
    new = np.ones(n_pairs, dtype=bool)
    new[1:] = lengths[:-1] == 1
    cont = np.flatnonzero(~new)
    if not np.all(lengths[cont] == lengths[cont - 1] - 1):
        return None
    if not np.all(targets[cont] == items[offsets[cont - 1] + lengths[cont]]):
        return None
    elem_pair = np.repeat(np.arange(n_pairs), lengths)
    k = np.arange(items.size) - offsets[elem_pair]
    m = ~new[elem_pair]
    if not np.array_equal(items[m], items[offsets[elem_pair[m] - 1] + k[m]]):
        return None
    heads = np.flatnonzero(new)
    s_len = lengths[heads] + 1
    s_off = np.r_[0, np.cumsum(s_len)]
    out = np.empty(int(s_len.sum()), dtype=np.int64)
    session_of_pair = np.cumsum(new) - 1
    h = new[elem_pair]
    out[s_off[session_of_pair[elem_pair[h]]] + k[h]] = items[h]
    out[s_off[1:] - 1] = targets[heads]
    return out, s_len


def pairs_from_prefixes(p) -> tuple[SessionPairs, bool]:
    """Pairs given as prefixes and targets (``p.items`` flat, ``p.lengths``, ``p.targets``: SR-GNN's pickles,
    RecBole's benchmark files), rebuilt into sessions where each session's prefixes come longest first
    (True), else each prefix its own session (False)."""
    rebuilt = sessions_from_augmented(p.items, p.lengths, p.targets)
    if rebuilt is not None:
        pairs = SessionPairs.from_csr(torch.from_numpy(rebuilt[0]), torch.from_numpy(rebuilt[1]))
        if torch.equal(pairs.targets, torch.from_numpy(p.targets)) and \
                torch.equal(pairs.pair_length, torch.from_numpy(p.lengths)):
            return pairs, True
    offsets = torch.from_numpy(np.r_[0, np.cumsum(p.lengths)])
    n = p.lengths.size
    return SessionPairs(torch.from_numpy(p.items), offsets, torch.arange(n), torch.from_numpy(p.lengths),
                        torch.from_numpy(p.targets)), False


def prepared_from_srgnn(folder: SrgnnFolder, *, name: str = "", fingerprint: str = "",
                        valid_fraction: float | None = None) -> PreparedDataset:
    """A :class:`PreparedDataset` from the SR-GNN pickle layout (protocol already applied).

    Items keep their ids (``n_items`` = the largest id; ``item_ids`` is the identity). Training pairs
    are the prefix expansion of ``all_train_seq.txt``, or ``train.txt`` as given when only that is
    present. Test sessions are rebuilt from ``test.txt`` when it is in SR-GNN augmented order;
    otherwise every test prefix counts as its own session (said in the statistics).

    ``valid_fraction`` moves the most recent fraction of the training sessions into ``valid``.
    SR-GNN's ``preprocess.py`` writes the training sessions sorted by date (and numbers items by
    first appearance in that order, which a test checks), so the last sessions are the latest: an
    approximation of "the last days" for a layout without dates.
    """
    check_validation(None, valid_fraction)
    notes = []
    if folder.all_train_seq is not None:
        items, lengths = folder.all_train_seq
        if lengths.size and lengths.min() < 2:
            notes.append(f"{int((lengths < 2).sum())} training session(s) shorter than 2 give no pair")
        train = SessionPairs.from_csr(torch.from_numpy(items), torch.from_numpy(lengths))
    else:
        train, rebuilt = pairs_from_prefixes(folder.train)
        if not rebuilt:
            notes.append("train.txt is not in augmented order: each training prefix counts as a session")
    test, rebuilt = pairs_from_prefixes(folder.test)
    if not rebuilt:
        notes.append("test.txt is not in augmented order: each test prefix counts as a session")
    if len(train) == 0:
        raise DataError(f"{folder.path}: the training data holds no prefix/target pair; "
                        f"give sessions of at least 2 clicks")
    if len(test) == 0:
        raise DataError(f"{folder.path}: test.txt holds no pair; give at least one (prefix, target)")
    maxima = [int(t.max()) for t in (train.items, test.items, test.targets) if t.numel()]
    n_items = max(maxima)
    stats = [
        _stat("loaded SR-GNN pickles (protocol already applied)", part, int(p.items.numel()),
              p.num_sessions, int(torch.unique(torch.cat([p.items, p.targets])).numel()), len(p),
              note="; ".join(notes))
        for part, p in (("train", train), ("test", test))
    ]
    valid = None
    if valid_fraction is not None:
        train, valid = carve_validation(train, _fraction_of_sessions(train.num_sessions, valid_fraction),
                                        str(folder.path))
        stats.append(_validation_stat(valid, None, valid_fraction))
    item_ids = torch.arange(n_items + 1, dtype=torch.long)
    item_ids[0] = -1
    return PreparedDataset(
        name=name, fingerprint=fingerprint, n_items=n_items, item_ids=item_ids, train=train, test=test,
        stats=stats, settings={"format": "srgnn", "files": list(folder.files),
                               **validation_settings(None, valid_fraction)},
        valid=valid,
    )
