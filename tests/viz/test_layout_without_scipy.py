"""Session graph layouts of any size need no scipy (networkx's spring layout does from 500 nodes)."""
from __future__ import annotations

import builtins

import numpy as np
import pytest

from fgnn.app.teaching import MAX_CONSTRUCTION_CLICKS, construction_steps
from fgnn.data.graph import build_session_graph
from fgnn.errors import DataError
from fgnn.viz.drawing import SPRING_LAYOUT_MAX_NODES, session_layout


@pytest.fixture
def no_scipy(monkeypatch):
    real_import = builtins.__import__

    def guarded(name, *args, **kwargs):
        if name == "scipy" or name.startswith("scipy."):
            raise ImportError("scipy is not installed (test)")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", guarded)


@pytest.mark.parametrize("n", [3, SPRING_LAYOUT_MAX_NODES, SPRING_LAYOUT_MAX_NODES + 1, 600])
def test_layout_of_n_distinct_items(no_scipy, n):
    graph = build_session_graph(list(range(1000, 1000 + n)) + [1000])
    xy = session_layout(graph)
    assert xy.shape == (n, 2) and np.isfinite(xy).all() and np.abs(xy).max() <= 1.0 + 1e-9
    assert len({(round(a, 4), round(b, 4)) for a, b in xy}) == n  # no two nodes on one spot


def test_construction_steps_refuse_a_sequence_over_the_cap():
    with pytest.raises(DataError, match=f"{MAX_CONSTRUCTION_CLICKS + 1} clicks"):
        construction_steps(list(range(MAX_CONSTRUCTION_CLICKS + 1)))
