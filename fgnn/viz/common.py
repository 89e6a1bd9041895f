"""Helpers the figure families share: number formatting, 1-D arrays, legends above a chart."""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go


def as_1d(values, name: str, length: int | None = None) -> np.ndarray:
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    elif isinstance(values, (pd.Series, pd.Index)):
        values = values.to_numpy()
    arr = np.asarray(values, dtype=float).reshape(-1)
    if length is not None and arr.size != length:
        raise ValueError(f"{name} has {arr.size} values, expected {length}")
    return arr


def fmt(value: float, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}g}"


def number_or_none(value) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


#: Space between the plot area and a legend above it: the panel titles sit there.
LEGEND_GAP_PX = 26


def legend_above(fig: go.Figure, title: str = "", margin: Mapping[str, int] | None = None) -> None:
    """One horizontal legend row above the panel titles and under the figure title (a legend under
    the plot covered the first category's tick label; beside it took a third of a half-width panel)."""
    m = {"l": 50, "r": 10, "t": 110, "b": 50, **(margin or {})}
    plot_px = fig.layout.height - m["t"] - m["b"]
    fig.update_layout(margin=m, title={"y": 1.0, "yanchor": "top", "pad": {"t": 12}},
                      legend={"title": {"text": title}, "orientation": "h", "x": 0.0, "xanchor": "left",
                              "y": 1 + LEGEND_GAP_PX / plot_px, "yanchor": "bottom"})

