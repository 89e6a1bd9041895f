"""Shared sidebar and cached loaders for the pages (UI glue only; logic lives in ``fgnn``).

``st.session_state`` keys every page may read (plain keys so AppTest can set them):

- ``dataset``: the dataset, a :class:`fgnn.data.spec.DatasetSpec` (source, format, columns,
  protocol settings; default ``DatasetSpec()``, the bundled sample). A new visitor starts on
  ``$FGNN_APP_DATASET`` / ``$FGNN_APP_CHECKPOINT`` when they are set (:meth:`DatasetSpec.from_text`;
  a name or path set here by a test is read the same way)
- ``checkpoint``: path (str) of the checkpoint the whole app uses (default: the shipped FGNN,
  ``checkpoints/fgnn-sample/best.pt`` under :func:`fgnn.runs.folders.checkpoints_root`)
- ``top_k``: K for predictions and metrics (default 20)
- ``session_items``: the session being built, a list of original item ids (default ``[]``)
- ``highlight_item``: an original item id the session builder rings in the graph and the
  top-K (e.g. the true next item when the Inspect page opens a test session), or ``None``

The sidebar widgets follow these plain keys (they have their own ``_sidebar_*`` keys), so any
page may set them at any time. To open a session in the builder from another page::

    st.session_state["session_items"] = [original ids ...]
    st.session_state["highlight_item"] = true_next_item   # or None
    st.switch_page("pages/1_Session_builder.py")

The page's URL carries ``dataset`` (a bundled name or an upload's id), ``checkpoint`` (its label),
``k`` and ``session`` (:mod:`fgnn.app.url_state`, docs/serving.md): :func:`keep_url` writes them
(the sidebar on every run, the Session builder's fragment after each click), and
:func:`follow_deep_link` reads them once per visitor's session, each checked against what the page
offers (a value refused keeps the default and the sidebar names it in one warning).

Every page loads a dataset through :func:`get_dataset` (one cache of prepared datasets, keyed by
the spec); :func:`checkpoint_dataset_spec` says which one a checkpoint was trained on.

Loaders raise :class:`fgnn.data.dataset.DataError` (``CheckpointError`` is one) with a message a
person can act on; :func:`show_errors` turns those into ``st.error`` at the page boundary, and
:func:`require_dataset` / :func:`require_model` show the error and stop the page.
"""
from __future__ import annotations

import contextlib
import os

import streamlit as st
import torch

from fgnn.app import choices as _choices
from fgnn.app import preload as _preload
from fgnn.app import url_state as _url
from fgnn.app.builder import item_map_table
from fgnn.app.choices import DEFAULT_TOP_K, MAX_TOP_K, clamped_top_k, clipped_range, kept_choices, with_current
from fgnn.app.serving import current_policy
from fgnn.app.uploads import live_uploads, load_source, upload_id
from fgnn.data.dataset import PreparedDataset
from fgnn.data.registry import list_datasets
from fgnn.data.spec import DatasetSpec, dataset_label
from fgnn.errors import DataError, FGNNError
from fgnn.models import build_model
from fgnn.models.checkpoint import check_dataset, load_checkpoint, missing_config_fields, model_from_checkpoint
from fgnn.runs.folders import checkpoints_root, list_runs
from pages import _widgets as ui

DEFAULT_DATASET = DatasetSpec()
DEFAULT_RUN = "fgnn-sample"

# The app scores one session at a time: tiny tensors, for which intra-op threads only add
# overhead (5x slower here with 2 busy cores). Training runs in its own process and is unaffected.
torch.set_num_threads(max(1, int(os.environ.get("FGNN_APP_THREADS", "1") or 1)))


def default_checkpoint() -> str:
    """The shipped FGNN (``<checkpoints root>/fgnn-sample/best.pt``), else the first run's best
    checkpoint, else the expected path of the shipped one (its loading then says it is missing)."""
    root = checkpoints_root()
    shipped = root / DEFAULT_RUN / "best.pt"
    if shipped.is_file():
        return str(shipped)
    for choice in checkpoint_choices():
        return choice
    return str(shipped)


def init_state() -> None:
    """Set every shared key that is missing to its default (a value set by a test is kept)."""
    ss = st.session_state
    # FGNN_APP_DATASET / FGNN_APP_CHECKPOINT: what a new visitor starts on (the browser benchmark)
    ss.setdefault("dataset", os.environ.get("FGNN_APP_DATASET") or DEFAULT_DATASET)
    if not isinstance(ss["dataset"], DatasetSpec):  # a name, a path or a spec's text
        try:
            ss["dataset"] = DatasetSpec.from_text(str(ss["dataset"]))
        except FGNNError as exc:
            st.error(f"The dataset cannot be used: {exc}", icon=":material/error:")
            ss["dataset"] = DEFAULT_DATASET
    if not ss.get("checkpoint"):
        ss["checkpoint"] = os.environ.get("FGNN_APP_CHECKPOINT") or default_checkpoint()
    ss.setdefault("top_k", DEFAULT_TOP_K)
    ss.setdefault("session_items", [])
    ss.setdefault("highlight_item", None)


# --------------------------------------------------------------------------- cached loaders
def _file_key(path) -> tuple[str, int, int]:
    """(path, mtime_ns, size): a rewritten checkpoint (a run still training) is reloaded."""
    return _choices.file_version(path)


def current_dataset() -> DatasetSpec:
    """The app's dataset (``session_state['dataset']``)."""
    return st.session_state.get("dataset") or DEFAULT_DATASET


@st.cache_resource(show_spinner="Preparing the dataset…", max_entries=6)
def _dataset(spec: DatasetSpec) -> PreparedDataset:
    return load_source(spec)


def get_dataset(spec: DatasetSpec | None = None) -> PreparedDataset:
    """The prepared dataset of ``spec`` (the app's dataset by default): the one cache of prepared
    datasets every page loads through. Raises :class:`DataError` with a clear message for an
    unknown name or a bad file (a server file's content is never quoted: docs/serving.md)."""
    return _dataset(spec or current_dataset())


@st.cache_data(show_spinner=False, max_entries=32)
def _checkpoint_spec(path: str, mtime_ns: int, size: int) -> DatasetSpec:  # noqa: ARG001 (the cache key)
    return DatasetSpec.of_checkpoint(load_checkpoint(path))


def checkpoint_dataset_spec(path: str) -> DatasetSpec:
    """The dataset a checkpoint was trained on (:meth:`DatasetSpec.of_checkpoint`), read once per
    file version. Raises :class:`CheckpointError` / :class:`DataError`."""
    return _checkpoint_spec(*_file_key(path))


@st.cache_resource(show_spinner="Loading the checkpoint…", max_entries=8)
def _model(path: str, mtime_ns: int, size: int, spec: DatasetSpec):  # noqa: ARG001 (part of the cache key)
    ckpt = load_checkpoint(path)
    label = checkpoint_label(path)  # (a warning names the run's file, not its server path)
    warnings = check_dataset(ckpt, _dataset(spec), label) + missing_config_fields(ckpt, label)
    model = model_from_checkpoint(ckpt, path)
    return model, ckpt, warnings


def get_model(path: str | None = None, spec: DatasetSpec | None = None):
    """``(model, ckpt, warnings)`` of a checkpoint checked against the dataset, cached per file
    version. Raises :class:`CheckpointError` for a missing, corrupted or mismatched checkpoint."""
    path = str(path or st.session_state.get("checkpoint") or default_checkpoint())
    return _model(*_file_key(path), spec or current_dataset())


@st.cache_resource(show_spinner="Fitting the baseline…", max_entries=8)
def _baseline(name: str, spec: DatasetSpec):
    ds = _dataset(spec)
    return build_model(name, ds.n_items).fit(ds).eval()


def get_baseline(name: str = "sknn", spec: DatasetSpec | None = None):
    """A count-based baseline (``pop``, ``spop``, ``markov``, ``sknn``, ``vsknn``) fitted once on
    the dataset's training sessions and kept for every session of the app."""
    return _baseline(name, spec or current_dataset())


@st.cache_data(show_spinner="Projecting the item embeddings…", max_entries=8)
def _item_map(path: str, mtime_ns: int, size: int, spec: DatasetSpec):
    model, _, _ = _model(path, mtime_ns, size, spec)
    return item_map_table(model, _dataset(spec))


def item_map_cached(path: str | None = None, spec: DatasetSpec | None = None):
    """The item map table (``item, x, y, popularity, category``) of a checkpoint, computed once
    per checkpoint file version. Raises ``ValueError`` for a model without item embeddings."""
    path = str(path or st.session_state.get("checkpoint") or default_checkpoint())
    return _item_map(*_file_key(path), spec or current_dataset())


# --------------------------------------------------------------------------- the first visit
def loading_stages(spec: DatasetSpec | None = None, path: str | None = None, *, item_map: bool = True) -> list:
    """What a first visit waits for, as :class:`fgnn.app.preload.Stage` s: the dataset ``spec``,
    the checkpoint ``path`` checked against it, and (``item_map``) its item map (by default the
    session's dataset and checkpoint). Each loads through the loaders above, so the server's
    preload and a visitor share one cached value."""
    spec = spec or current_dataset()
    path = str(path or st.session_state.get("checkpoint") or default_checkpoint())
    version = _file_key(path)  # ((path, 0, 0) for a missing file: the page says so)
    stages = [
        _preload.Stage(("data", spec), f"Loading the data: {dataset_label(spec)}…", lambda: get_dataset(spec)),
        _preload.Stage(("model", version, spec), f"Loading the model: {checkpoint_label(path)}…",
                       lambda: get_model(path, spec)),
    ]
    if item_map:
        stages.append(_preload.Stage(("item map", version, spec), "Projecting the item map…",
                                     lambda: item_map_cached(path, spec)))
    return stages


def server_stages() -> list:
    """:func:`loading_stages` of what a new visitor starts on (``$FGNN_APP_DATASET`` /
    ``$FGNN_APP_CHECKPOINT``, else the bundled sample and the shipped model): the server's preload."""
    spec = DEFAULT_DATASET
    if os.environ.get("FGNN_APP_DATASET"):
        try:
            spec = DatasetSpec.from_text(os.environ["FGNN_APP_DATASET"])
        except FGNNError:
            pass  # the first visit says why
    return loading_stages(spec, os.environ.get("FGNN_APP_CHECKPOINT") or default_checkpoint())


# which stages each page waits for before it draws (the others load what they need themselves)
PAGE_STAGES = {"Session builder": {"item_map": True}, "Inspect": {"item_map": False}}


def show_loading(page_title: str, box=None) -> None:
    """Before a page runs: load what it needs that this server has not loaded yet (while the
    server's preload runs, or for another dataset or checkpoint), showing each stage's message in a
    status box (in ``box``, an ``st.empty``, which is emptied after). A stage that fails is left to
    the page, which shows its error. Does nothing (draws nothing) when all is loaded."""
    if page_title in PAGE_STAGES:
        stages = loading_stages(**PAGE_STAGES[page_title])
    else:
        stages = loading_stages()[:1]
    todo = _preload.pending(stages)
    if not todo:
        return
    box = box if box is not None else st.empty()
    with box.status(todo[0].message, expanded=True) as status:
        for stage in todo:
            status.update(label=stage.message)
            st.caption(stage.message)
            try:
                _preload.run_once(stage)
            except Exception:  # noqa: BLE001 (the page shows the error with its own message)
                break
    box.empty()


MEMO_SIZE = 64


def session_memo(kind: str, key: tuple, compute):
    """A result of this visitor's session (a prediction, a what-if, a rank), computed once per
    ``key`` (what it depends on; :func:`model_key` names a checkpoint version) and kept for the
    last ``MEMO_SIZE`` keys: undo, remove and a revisit answer at once (docs/performance.md)."""
    memo = st.session_state.setdefault("_session_memo", {})
    full = (kind, *key)
    if full in memo:
        memo[full] = memo.pop(full)  # most recently used last
        return memo[full]
    value = compute()
    memo[full] = value
    while len(memo) > MEMO_SIZE:
        memo.pop(next(iter(memo)))
    return value


def model_key(path: str | None = None) -> tuple:
    """What a prediction depends on besides the session: the checkpoint's version and the dataset."""
    path = str(path or st.session_state.get("checkpoint") or default_checkpoint())
    return (*_file_key(path), current_dataset())


@st.cache_data(ttl=5, show_spinner=False)
def checkpoint_choices() -> list[str]:
    """Paths of every ``best.pt`` / ``last.pt`` under the checkpoints root, newest run first
    (re-read every few seconds so a new run shows up)."""
    return _choices.run_checkpoints(list_runs())


def checkpoint_label(path: str) -> str:
    """``run/best.pt`` for files under the checkpoints root, the full path otherwise."""
    return _choices.checkpoint_label(path, checkpoints_root())


# --------------------------------------------------------------------------- page boundary
@contextlib.contextmanager
def show_errors(prefix: str = ""):
    """Show a DataError / CheckpointError / ValueError as ``st.error`` instead of a traceback."""
    try:
        yield
    except FGNNError as exc:
        st.error(f"{prefix}{exc}", icon=":material/error:")


def serving_policy():
    """What visitors may do (:mod:`fgnn.app.serving`), or the configuration error and ``st.stop()``."""
    try:
        return current_policy()
    except FGNNError as exc:
        st.error(f"This app is misconfigured: {exc}", icon=":material/error:")
        st.stop()


def require_dataset() -> PreparedDataset:
    """The current dataset, or an error in the page and ``st.stop()``."""
    try:
        return get_dataset()
    except FGNNError as exc:
        st.error(f"The dataset cannot be used: {exc}", icon=":material/error:")
        st.stop()


def require_model():
    """``(model, ckpt)`` of the current checkpoint checked against the current dataset, or an
    error in the page and ``st.stop()``; soft mismatches are shown as warnings."""
    require_dataset()
    try:
        model, ckpt, warnings = get_model()
    except FGNNError as exc:
        st.error(f"The checkpoint cannot be used: {exc}", icon=":material/error:")
        _offer_a_way_out()
        st.stop()
    for w in warnings:
        st.warning(w, icon="ℹ️")
    return model, ckpt


def _back_to_bundled() -> None:
    st.session_state["dataset"] = DEFAULT_DATASET
    st.session_state["checkpoint"] = default_checkpoint()


def _offer_a_way_out() -> None:
    """Under a checkpoint error: train a model on this dataset, or go back to the bundled data."""
    c1, c2 = st.columns(2)
    c1.page_link("pages/3_Train.py", label="Train a model on this dataset now", icon=":material/model_training:")
    if st.session_state.get("dataset") != DEFAULT_DATASET:
        ui.button("Back to the bundled sample and its model", key="back_to_bundled", where=c2, on_click=_back_to_bundled,
                  icon=":material/undo:")


# --------------------------------------------------------------------------- sidebar
def _copy(widget_key: str, state_key: str) -> None:
    st.session_state[state_key] = st.session_state[widget_key]


def _bound(state_key: str) -> dict:
    """Keyword arguments binding a sidebar widget to the plain key ``state_key``.

    The widget has its own key (``_sidebar_<key>``); the plain key stays the truth, so any page
    (or a test) may set ``dataset`` / ``checkpoint`` / ``top_k`` at any time and the widget
    follows on the next run.
    """
    widget_key = f"_sidebar_{state_key}"
    try:
        shown = st.session_state.get(widget_key)
    except Exception:  # noqa: BLE001 (a forged value Streamlit cannot read: replaced just below)
        shown = None
    if shown != st.session_state[state_key]:
        st.session_state[widget_key] = st.session_state[state_key]
    return {"key": widget_key, "on_change": _copy, "args": (widget_key, state_key)}


def sidebar() -> None:
    """Dataset, checkpoint and K, shared by every page (called once per run from ``app.py``)."""
    init_state()
    ss = st.session_state
    with st.sidebar:
        st.markdown("### FGNN Studio")
        datasets = with_current([DatasetSpec(name) for name in list_datasets()], ss["dataset"])
        # (the current value is the server's own: a page set it, never the browser, since the
        # widget's copy into the plain key goes through the boundary's guarded callback)
        ui.selectbox("Dataset", datasets, format_func=lambda s: dataset_label(s, ss.get("user_datasets")),
                    help="A bundled dataset (the DIGINETICA sample; Online Retail, with product names), or a click log "
                         "loaded on the Dataset page.",
                    **_bound("dataset"))
        ui.selectbox("Model checkpoint", with_current(checkpoint_choices(), ss["checkpoint"]), format_func=checkpoint_label,
                    help="Every best.pt / last.pt of the run folders in the checkpoints root.",
                    **_bound("checkpoint"))
        ss["top_k"] = clamped_top_k(ss["top_k"])
        ui.number_input("K (top-K)", min_value=1, max_value=MAX_TOP_K, step=1,
                       help="How many next items to predict and score.", **_bound("top_k"))
    params = keep_url()
    refused = ss.get("_link_refused")
    if refused and refused[1] == params:  # shown until the visitor changes what the link set
        st.warning(_url.refused_message(refused[0]), icon=":material/link_off:")
    elif refused:
        del ss["_link_refused"]


# --------------------------------------------------------------------------- the page's URL
def _url_name(source) -> str | None:
    """A dataset source's name in a URL: a bundled name, an upload's id; ``None`` for a server path."""
    return source if source in list_datasets() else upload_id(source)


def url_params() -> dict[str, str]:
    """The app's state as the URL carries it (:mod:`fgnn.app.url_state`): labels and ids, no path."""
    ss = st.session_state
    labels = {checkpoint_label(p) for p in checkpoint_choices()}
    label = checkpoint_label(ss["checkpoint"])
    try:
        session = _url.session_values(ss["session_items"])  # whole numbers, or text where ids are tokens
    except (TypeError, ValueError):
        session = []
    return _url.encode(_url.dataset_param(current_dataset(), _url_name), label if label in labels else None,
                       clamped_top_k(ss["top_k"]), session)


def keep_url() -> dict[str, str]:
    """Write the app's state into the page's URL (a reload keeps it, a link shares it); the
    URL's other parameters are left alone. Returns the parameters."""
    params = url_params()
    shown = st.query_params
    for name in _url.PARAMS:
        if name in params and shown.get(name) != params[name]:
            shown[name] = params[name]
        elif name not in params and name in shown:
            del shown[name]
    return params


def link_offers() -> _url.Offered:
    """What a link may choose: the bundled datasets and the uploads kept now, the checkpoints
    listed (by label), the items of the dataset (loaded only for a session to check)."""
    return _url.Offered(datasets={**{n: n for n in list_datasets()}, **live_uploads()},
                        checkpoints={checkpoint_label(p): p for p in checkpoint_choices()},
                        items_of=_items_of)


def _items_of(spec: DatasetSpec) -> dict:
    """The item ids of a link's dataset (loaded through the one cache); a DataError when it cannot be loaded."""
    try:
        return get_dataset(spec).index_of()
    except (OSError, ValueError) as exc:
        raise DataError(f"the dataset cannot be loaded ({type(exc).__name__})") from None


def _apply_link(params) -> None:
    """Set the state a link's ``params`` choose, each checked against what the page offers; the
    parameters refused are kept for the one warning the sidebar shows."""
    if not any(name in params for name in _url.PARAMS):
        return
    decoded = _url.decode(params, link_offers(), current_dataset())
    st.session_state.update(decoded.state)
    if decoded.state.get("session_items"):
        st.session_state["highlight_item"] = None
    if decoded.refused:
        st.session_state["_link_refused"] = (decoded.refused, url_params())


# Widgets whose value should survive a visit to another page (Streamlit drops the state of a
# widget that a run does not draw). Only widgets drawn without a default of their own, so that
# re-setting them through Session State raises no "default value" warning.
PERSISTENT_WIDGETS = (
    "inspect_outcome", "inspect_compare_outcome", "construction_source", "construction_text",
    "construction_all", "construction_step", "builder_baseline", "builder_topk_chart", "builder_whatif", "builder_query", "train_model",
    "inspect_length", "inspect_popularity", "inspect_categories", "builder_add_tab",
)


def range_slider(container, label: str, lo: int, hi: int, *, key: str, **kwargs):
    """A range slider over ``lo..hi`` whose choice survives a visit to another page (it is one of
    :data:`PERSISTENT_WIDGETS`). Its range depends on the data, so a kept choice that no longer
    fits (another checkpoint, another dataset) is clipped into the range, or reset to all of it."""
    st.session_state[key] = clipped_range(st.session_state.get(key), lo, hi)
    return ui.slider(label, lo, hi, key=key, where=container, **kwargs)


def kept_multiselect(container, label: str, options: list, *, key: str, **kwargs):
    """A multiselect whose choice survives a visit to another page, keeping only the chosen values
    that are still options."""
    st.session_state[key] = kept_choices(st.session_state.get(key), options)
    return ui.multiselect(label, options, key=key, where=container, **kwargs)


def keep_widget_state(keys=PERSISTENT_WIDGETS) -> None:
    """Re-set the values of the widgets ``keys`` (by default the persistent widgets): a value set
    through Session State is kept while its widget is not drawn (Streamlit's documented way to
    keep widget state across pages; the builder also uses it for its tabs that are not open)."""
    ss = st.session_state
    for key in keys:
        if key in ss:
            try:
                ss[key] = ss[key]
            except Exception:  # noqa: BLE001 (a forged value Streamlit cannot read: the widget's boundary
                del ss[key]    # would drop it too; pages/_widgets.py)


def ensure_app_shell(page: str) -> None:
    """Send a visit that bypassed ``app.py`` through it.

    Until ``app.py`` has called ``st.navigation`` once in this server, Streamlit serves the
    ``pages/`` folder in its older multipage mode: a first visitor who opens a page's URL
    directly (a bookmark, after a restart) would get that page without the shared sidebar and
    with every file of ``pages/`` in the menu. Each page calls this first; in that mode it goes
    to ``app.py``, which sets up the navigation and then opens ``page``. It also keeps the
    pages' widget state (:func:`keep_widget_state`), since every page calls it first.
    """
    keep_widget_state()
    try:
        from streamlit.runtime.pages_manager import PagesManager  # noqa: PLC0415 (a Streamlit internal, imported where its absence is handled)
    except ImportError:  # a Streamlit without the old mode
        return
    # (AppTest resets Streamlit to that mode before every run of a session that did start in
    # app.py: the session flag tells the two apart)
    if PagesManager.uses_pages_directory and not st.session_state.get("app_shell"):
        st.session_state["deep_link"] = page
        st.session_state["deep_link_params"] = st.query_params.to_dict()  # (the switch drops them)
        st.switch_page("app.py")


def follow_deep_link() -> None:
    """In ``app.py``, before the sidebar: follow the link this session was opened with. On its
    first run, the state its URL carries (:mod:`fgnn.app.url_state`: dataset, checkpoint, K,
    session; a reload's or a shared link's) is checked and set; then the page that
    :func:`ensure_app_shell` was asked for is opened."""
    ss = st.session_state
    ss["app_shell"] = True
    init_state()
    if not ss.get("_link_read"):
        ss["_link_read"] = True
        _apply_link(ss.pop("deep_link_params", None) or st.query_params.to_dict())
    page = ss.pop("deep_link", None)
    if page:
        st.switch_page(page)
