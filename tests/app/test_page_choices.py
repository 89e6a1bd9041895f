"""fgnn.app.choices: what the shared sidebar and the kept widgets decide (pages/_shared.py)."""
from __future__ import annotations

import os
from pathlib import Path

from fgnn.app.choices import (
    checkpoint_label,
    clamped_top_k,
    clipped_range,
    file_version,
    kept_choices,
    kept_or_first,
    page_k,
    run_checkpoints,
    with_current,
)


def test_clipped_range():
    assert clipped_range(None, 1, 8) == (1, 8)
    assert clipped_range((2, 3), 1, 8) == (2, 3)
    assert clipped_range((13, 17), 1, 8) == (8, 8)
    assert clipped_range([0, 5], 1, 8) == (1, 5)
    assert clipped_range((6, 2), 1, 8) == (1, 8)
    assert clipped_range((True, 3), 1, 8) == (1, 8)
    assert clipped_range((float("nan"), 3), 1, 8) == (1, 8)
    assert clipped_range((1, 2, 3), 1, 8) == (1, 8)


def test_kept_choices_keeps_only_options():
    assert kept_choices([3, 7, 9], [1, 3, 9]) == [3, 9]
    assert kept_choices(None, [1]) == []
    assert kept_choices("3", ["3"]) == []


def test_kept_or_first():
    assert kept_or_first("b", ["a", "b"]) == "b"
    assert kept_or_first("z", ["a", "b"]) == "a"
    assert kept_or_first(None, ["a"]) == "a"


def test_with_current_adds_a_missing_value_last_without_changing_the_list():
    base = ["a", "b"]
    assert with_current(base, "b") == ["a", "b"]
    assert with_current(base, "c") == ["a", "b", "c"]
    assert base == ["a", "b"]


def test_clamped_top_k_and_page_k():
    assert clamped_top_k(20) == 20
    assert clamped_top_k(0) == 1
    assert clamped_top_k(500) == 100
    assert clamped_top_k("7") == 7
    assert clamped_top_k("x") == 20
    assert clamped_top_k(None) == 20
    assert page_k(None) == 20
    assert page_k(0) == 20
    assert page_k(5) == 5


def test_file_version(tmp_path):
    f = tmp_path / "best.pt"
    assert file_version(f) == (str(f), 0, 0)
    f.write_bytes(b"12345")
    os.utime(f, ns=(1_000_000_000, 2_000_000_000))
    assert file_version(str(f)) == (str(f), 2_000_000_000, 5)


def test_checkpoint_label(tmp_path):
    assert checkpoint_label(tmp_path / "run" / "best.pt", tmp_path) == str(Path("run") / "best.pt")
    assert checkpoint_label("/elsewhere/best.pt", tmp_path) == "/elsewhere/best.pt"


def test_run_checkpoints_lists_existing_best_then_last(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "last.pt").write_bytes(b"x")
    (a / "best.pt").write_bytes(b"x")
    (b / "last.pt").write_bytes(b"x")
    runs = [{"path": str(b)}, {"path": str(a)}, {"path": str(tmp_path / "c")}]
    assert run_checkpoints(runs) == [str(b / "last.pt"), str(a / "best.pt"), str(a / "last.pt")]
