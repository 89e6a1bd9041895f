"""FGNN Studio: ``streamlit run app.py``.

The entry point: one navigation over the pages and the shared sidebar (dataset, checkpoint, K).
Pages are thin; everything they compute or draw comes from the ``fgnn`` package.

This file is read two ways (docs/performance.md, "The first visit"):

- ``streamlit run app.py`` finds the ``app = st.App("app.py", lifespan=...)`` below and serves it
  under uvicorn: it imports this file once as the module ``app`` (``__name__ == "app"``), whose
  import starts the **preload** (the imports, then, once its lifespan has started Streamlit's
  runtime, the dataset, the model and the item map of what a new visitor starts on, in a
  background thread, into the same ``st.cache_resource`` / ``st.cache_data`` caches the pages use),
  and the lifespan waits for it (at most ``$FGNN_APP_READY_WAIT_S``, 30 s) before the server
  listens: its health check answers when a first visitor can be served at once (a readiness probe);
- every run of a visitor's session (and ``AppTest.from_file("app.py")``) executes it as the
  script ``__main__``: :func:`render` draws the page. A visitor who arrives during the preload
  waits on the same cached loaders and is shown each stage's message (:func:`pages._shared.show_loading`).
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import logging
import threading
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
PAGES = [
    ("pages/1_Session_builder.py", "Session builder", ":material/hub:"),
    ("pages/2_Graph_construction.py", "Graph construction", ":material/school:"),
    ("pages/3_Train.py", "Train", ":material/model_training:"),
    ("pages/4_Runs.py", "Runs", ":material/monitoring:"),
    ("pages/5_Inspect.py", "Inspect", ":material/search_insights:"),
    ("pages/6_Dataset.py", "Dataset", ":material/dataset:"),
]
IMPORTS_MESSAGE = "Loading PyTorch, PyG, Plotly and the app's modules…"


def import_modules() -> None:
    """Import the shared page code and every module a page imports (read from the pages' own
    import statements), so that no visit pays for an import. A module that fails to import is
    left to the page that needs it, which shows the error."""
    importlib.import_module("pages._shared")
    importlib.import_module("pages._widgets")
    for path, _, _ in PAGES:
        try:
            tree = ast.parse((HERE / path).read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        names = [n.module for n in tree.body if isinstance(n, ast.ImportFrom) and n.module and not n.level]
        names += [a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names]
        for name in names:
            with contextlib.suppress(Exception):
                importlib.import_module(name)


def _imports_stage():
    from fgnn.app.preload import Stage  # noqa: PLC0415 (light; kept with the stage it makes)

    return Stage("imports", IMPORTS_MESSAGE, import_modules)


# set by the lifespan once Streamlit's runtime (and so its caches) has started
RUNTIME_STARTED = threading.Event()
_PRELOAD: list[threading.Thread] = []  # the server's preload thread, once started


def server_stages():
    """The preload, stage by stage (a generator: it imports the page code once the imports are in,
    and loads into the caches once the runtime has started)."""
    yield _imports_stage()
    RUNTIME_STARTED.wait()
    from pages._shared import server_stages as data_stages  # noqa: PLC0415 (torch: only once the imports stage ran)

    yield from data_stages()
    from fgnn.app.gcfreeze import freeze_after_imports  # noqa: PLC0415 (after the heavy imports)

    freeze_after_imports()  # (the first visit's run would otherwise pay the collection)


def start_preload() -> None:
    """Start the preload in a background thread (when the server imports this file, before the
    runtime starts: the imports need no runtime; the loads wait for :data:`RUNTIME_STARTED`)."""
    from fgnn.app.preload import start_in_background  # noqa: PLC0415 (only where the server imports this file)

    # (the cached loaders look for a visitor's session, which the preload has not: no warning for it)
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: not str(record.args and record.args[0]).startswith("fgnn-preload"))
    _PRELOAD.append(start_in_background(server_stages))


@contextlib.asynccontextmanager
async def preload_lifespan(_app):
    """``st.App``'s lifespan (Streamlit's runtime has started): let the preload fill the caches
    and wait for it, at most ``$FGNN_APP_READY_WAIT_S`` (30 s), before serving: uvicorn listens,
    and so answers the health check, once the lifespan's startup is done (a readiness probe). A
    stage that fails does not stop the server: the page that needs it shows the error."""
    from fgnn.app.preload import ready_wait_s, wait_for  # noqa: PLC0415 (only where the server imports this file)

    RUNTIME_STARTED.set()
    if _PRELOAD:
        await wait_for(_PRELOAD[0], ready_wait_s())
    yield


def render() -> None:
    st.set_page_config(page_title="FGNN Studio", page_icon=":material/hub:", layout="wide")
    from fgnn.app import preload  # noqa: PLC0415 (this file is also imported by the server: no import there but st)

    box = None
    imports = _imports_stage()
    if preload.pending([imports]):  # the server is still importing (or this process never preloaded)
        box = st.empty()
        with box.status(imports.message, expanded=True):
            st.caption(imports.message)
            preload.run_once(imports)
        box.empty()

    # the heavy imports, after the status box that says they are loading (noqa: PLC0415 for them)
    from fgnn.app.gcfreeze import freeze_after_imports  # noqa: PLC0415
    from pages._shared import follow_deep_link, show_loading, sidebar  # noqa: PLC0415
    from pages._widgets import harden  # noqa: PLC0415

    nav = st.navigation([st.Page(path, title=title, icon=icon) for path, title, icon in PAGES
                         if (HERE / path).exists()])
    follow_deep_link()  # (the state a link or a reload carries, before the sidebar draws it)
    sidebar()
    try:
        show_loading(nav.title, box)  # the data, the model, the item map, when not loaded yet
        nav.run()
    finally:
        # every widget value the next run reads is read safely (the browser boundary: pages/_widgets.py)
        harden()
        # Streamlit's full garbage collection after each run skips what the imports left
        # (about 200 ms per click otherwise; docs/performance.md)
        freeze_after_imports()


if __name__ == "__main__":  # a run of a visitor's session (Streamlit runs the script as __main__)
    render()
else:  # imported by `streamlit run app.py` (as the module `app`): the server, with its preload
    app = st.App("app.py", lifespan=preload_lifespan)
    start_preload()
