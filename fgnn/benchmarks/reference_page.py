"""The browser benchmark's reference page: a bare Streamlit page, one Plotly chart, one selectbox.

    FGNN_REFERENCE_POINTS=600 streamlit run fgnn/benchmarks/reference_page.py

Started by ``python -m fgnn.benchmarks.browser`` (never imported by the package): the chart has as
many points as the app's item map for the dataset (``FGNN_REFERENCE_POINTS``), and choosing another
option of the selectbox reruns the script and redraws the chart with that option in its title. What
the benchmark times here is what any Streamlit page with such a chart costs on this machine, so that
the app's figures can be given as ratios to it.
"""
from __future__ import annotations

import os

import numpy as np
import plotly.graph_objects as go
import streamlit as st

OPTIONS = [f"option {i}" for i in range(8)]

n = max(1, int(os.environ.get("FGNN_REFERENCE_POINTS", "600")))
st.title("Reference page")
choice = st.selectbox("Reference option", OPTIONS, key="reference_option")
rng = np.random.default_rng(0)
xy = rng.normal(size=(n, 2))
marked = OPTIONS.index(choice) % n
fig = go.Figure([
    go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", customdata=np.arange(n), name="items",
               marker={"size": 6, "color": rng.random(n), "colorscale": "Viridis"}),
    go.Scatter(x=[xy[marked, 0]], y=[xy[marked, 1]], mode="markers", name="marked",
               marker={"size": 14, "symbol": "star", "color": "red"}),
])
fig.update_layout(title=f"Reference map: {choice}", height=520, margin={"l": 10, "r": 10, "t": 40, "b": 10})
st.plotly_chart(fig, key="reference_map")
