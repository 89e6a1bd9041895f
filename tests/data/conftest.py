"""Fixtures of the data-pipeline tests: a private dataset cache and the shared data folder."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()
SAMPLE_VIEWS = REPO_ROOT / "fgnn" / "data" / "bundled" / "diginetica-sample" / "train-item-views.csv"


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch) -> Path:
    """Every test gets an empty ``FGNN_CACHE_DIR`` so none reads or pollutes the user's cache."""
    path = tmp_path / "fgnn-cache"
    monkeypatch.setenv("FGNN_CACHE_DIR", str(path))
    return path


def cache_entries(path: Path) -> list:
    return sorted(p.name for p in path.glob("*")) if path.exists() else []


def shared_folder(name: str) -> Path:
    folder = SHARED_DATA / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (the shared data folder ../shared/data is not next to this checkout)")
    return folder
