"""The README command works: ``streamlit run app.py`` serves the app with the shipped data and
checkpoints, and its health endpoint answers."""
from __future__ import annotations

import urllib.request

from fgnn.runs.folders import checkpoints_root


def test_streamlit_run_app_answers_health(streamlit_server):
    assert (checkpoints_root() / "fgnn-sample" / "best.pt").is_file()
    with urllib.request.urlopen(streamlit_server + "/_stcore/health", timeout=10) as response:
        assert response.status == 200
        assert response.read().decode().strip() == "ok"
    with urllib.request.urlopen(streamlit_server + "/", timeout=10) as response:
        assert response.status == 200 and b"<html" in response.read().lower()
