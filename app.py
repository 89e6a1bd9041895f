"""FGNN Studio: ``streamlit run app.py``.

The entry point: one navigation over the pages and the shared sidebar (dataset, checkpoint, K).
Pages are thin; everything they compute or draw comes from the ``fgnn`` package.
"""
from pathlib import Path

import streamlit as st

from fgnn.app.gcfreeze import freeze_after_imports
from pages._shared import follow_deep_link, sidebar
from pages._widgets import harden

st.set_page_config(page_title="FGNN Studio", page_icon=":material/hub:", layout="wide")

HERE = Path(__file__).resolve().parent
PAGES = [
    ("pages/1_Session_builder.py", "Session builder", ":material/hub:"),
    ("pages/2_Graph_construction.py", "Graph construction", ":material/school:"),
    ("pages/3_Train.py", "Train", ":material/model_training:"),
    ("pages/4_Runs.py", "Runs", ":material/monitoring:"),
    ("pages/5_Inspect.py", "Inspect", ":material/search_insights:"),
    ("pages/6_Dataset.py", "Dataset", ":material/dataset:"),
]

nav = st.navigation([st.Page(path, title=title, icon=icon) for path, title, icon in PAGES if (HERE / path).exists()])
sidebar()
follow_deep_link()
try:
    nav.run()
finally:
    # every widget value the next run reads is read safely (the browser boundary: pages/_widgets.py)
    harden()
    # Streamlit's full garbage collection after each run skips what the imports left
    # (about 200 ms per click otherwise; docs/performance.md)
    freeze_after_imports()
