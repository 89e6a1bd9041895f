"""Large logs: the compact CSV path (chunks, int64/float64 columns, freed table) gives exactly what
the text path and a plain-Python protocol give; progress is reported stage by stage."""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fgnn.benchmarks.large_log import write_log
from fgnn.cli import main
from fgnn.commands import prepare
from fgnn.data import readers
from fgnn.data.progress import reporting
from fgnn.data.protocol import apply_protocol
from fgnn.data.registry import load_dataset

DAY = 86400


def reference_pairs(rows: list[tuple[int, int, float]], test_days: float = 1, min_len: int = 2,
                    min_support: int = 5):
    """docs/protocol.md steps 1-6 in plain Python over ``(session, item, time)`` rows in file order:
    ``(train pairs, test pairs, vocabulary)`` with pairs as ``(prefix tuple, target)`` of item indices."""
    clicks, first_row = defaultdict(list), {}
    for row, (session, item, time) in enumerate(rows):
        clicks[session].append((time, row, item))
        first_row.setdefault(session, row)
    sessions = {s: [i for _, _, i in sorted(c)] for s, c in clicks.items()}
    date = {s: max(c)[0] for s, c in clicks.items()}  # the last click's time (ties: the later row)
    sessions = {s: v for s, v in sessions.items() if len(v) >= min_len}
    counts = Counter(i for v in sessions.values() for i in v)
    sessions = {s: [i for i in v if counts[i] >= min_support] for s, v in sessions.items()}
    sessions = {s: v for s, v in sessions.items() if len(v) >= min_len}
    split = max(date[s] for s in sessions) - test_days * DAY
    ordered = sorted(sessions, key=lambda s: (date[s], first_row[s]))
    vocab: dict[int, int] = {}
    for s in ordered:
        if date[s] < split:
            for i in sessions[s]:
                vocab.setdefault(i, len(vocab) + 1)

    def pairs(part):
        out = []
        for s in part:
            seq = [vocab[i] for i in sessions[s] if i in vocab]
            if len(seq) >= min_len:
                out += [(tuple(seq[:n]), seq[n]) for n in range(len(seq) - 1, 0, -1)]
        return out

    return (pairs([s for s in ordered if date[s] < split]), pairs([s for s in ordered if date[s] > split]),
            list(vocab))


def dataset_pairs(pairs) -> list[tuple[tuple, int]]:
    prefixes = [tuple(pairs.prefix(p)) for p in range(len(pairs))]
    return list(zip(prefixes, pairs.targets.tolist(), strict=True))


@pytest.fixture
def generated_log(tmp_path) -> Path:
    path = tmp_path / "clicks.csv"
    write_log(path, 20_000, "csv", seed=5)
    return path


def test_a_generated_log_gives_the_pairs_of_a_plain_python_protocol(generated_log):
    table = pd.read_csv(generated_log)
    rows = list(zip(table["session_id"], table["item_id"], table["timestamp"].astype(float), strict=True))
    train, test, vocab = reference_pairs(rows)
    ds = load_dataset(generated_log, use_cache=False)
    assert ds.item_ids[1:].tolist() == vocab
    assert dataset_pairs(ds.train) == train
    assert dataset_pairs(ds.test) == test
    assert len(train) > 5_000 and len(test) > 100


def test_the_compact_path_reads_the_table_of_the_text_path(generated_log, monkeypatch):
    compact = readers.read_clicks(generated_log)
    monkeypatch.setattr(readers, "_read_csv_compact", lambda *a, **k: None)
    text = readers.read_clicks(generated_log)
    pd.testing.assert_frame_equal(compact, text)
    assert compact.attrs == text.attrs


def test_chunks_join_into_one_table(generated_log, monkeypatch):
    whole = readers.read_clicks(generated_log)
    monkeypatch.setattr(readers, "CSV_CHUNK_ROWS", 997)
    pd.testing.assert_frame_equal(readers.read_clicks(generated_log), whole)


@pytest.mark.parametrize("value", ["5.0", "99999999999999999999", "abc"])
def test_ids_the_parser_cannot_take_as_integers_go_the_exact_text_path(tmp_path, value):
    path = tmp_path / "clicks.csv"
    path.write_text("session,item,time\n" + "".join(f"{s},{s % 3 + 1},{1_400_000_000 + s}\n" for s in range(40))
                    + f"{value},2,1400000100\n")
    clicks = readers.read_clicks(path)  # the text path: 5.0 is session 5; a 20-digit key or a token numbers sessions 0..S-1
    assert len(clicks) == 41 and clicks["item"].tolist()[:3] == [1, 2, 3]
    assert clicks["session"].iloc[-1] == (5 if value == "5.0" else 40)


def test_progress_reports_reading_sessions_and_pairs(generated_log):
    heard = []
    with reporting(lambda message, fraction: heard.append((message, fraction))):
        load_dataset(generated_log, use_cache=False)
    text = "\n".join(m for m, _ in heard)
    assert "reading clicks.csv: 20,000 rows..." in text
    assert "sessions: ordering 20,000 clicks" in text
    assert "pairs (train): expanding" in text and "pairs (test): expanding" in text
    assert all(f is None or 0 <= f <= 1 for _, f in heard)


def test_the_click_table_is_released_once_read(generated_log):
    clicks = readers.read_clicks(generated_log)
    kept = apply_protocol(clicks.copy(), format="csv")
    consumed = apply_protocol(clicks, format="csv", consume=True)
    assert clicks.columns.empty and clicks.attrs["source"] == str(generated_log)
    assert np.array_equal(kept.train.targets.numpy(), consumed.train.targets.numpy())


def test_prepare_prints_stage_lines_to_stderr_for_a_large_source(generated_log, monkeypatch, capsys):
    assert main(["prepare", str(generated_log), "--no-cache", "--json"]) == 0
    assert capsys.readouterr().err == ""  # a small source on a non-terminal stderr: no stage lines
    monkeypatch.setattr(prepare, "PROGRESS_MIN_BYTES", 0)
    assert main(["prepare", str(generated_log), "--no-cache", "--json"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert any(line.endswith("read 20,000 rows of clicks.csv") for line in err)
    assert any("sessions: ordering 20,000 clicks" in line for line in err)
    assert any("pairs (train): expanding" in line for line in err)
    assert all(line.startswith("[") and " s] " in line for line in err)
