"""Shared sidebar and cached loaders for the pages (UI glue only; logic lives in ``fgnn``).

``st.session_state`` keys every page may read (plain keys so AppTest can set them):
- ``dataset``: registry name or path of the dataset (default ``diginetica-sample``)
- ``checkpoint``: path of the checkpoint the whole app uses (default: the shipped FGNN)
- ``top_k``: K for predictions and metrics (default 20)
- ``session_items``: the session being built, a list of original item ids
"""
from __future__ import annotations
