"""Shared fixtures.

Browser tests (marker ``browser``) use ``chromium_path``, ``streamlit_server`` /
``streamlit_server_factory`` and ``browser_page``; the helpers behind them live in
``tests/browser_support.py``.

Where no Chromium exists the browser tests skip with a visible reason, except under CI (env ``CI``
set), where a missing browser is a failure: CI always installs one.
"""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
# `import browser_support` from test modules, and `import fgnn` without an install
for _path in (str(TESTS_DIR), str(REPO_ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import browser_support

SERVER_LOGS = pytest.StashKey[list]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """A browser test that fails saves what it saw (screenshot, page text, server log tails) in
    ``test-artifacts/failures/<test>/`` and prints the text and the tails under its failure, so CI's
    log shows them (the page is still open here: fixtures are torn down after this report)."""
    report = yield
    if report.when == "call" and report.failed and "browser_page" in getattr(item, "funcargs", {}):
        text = browser_support.failure_artifacts(item.funcargs["browser_page"], item.nodeid,
                                                 item.stash.get(SERVER_LOGS, []))
        report.sections.append(("browser failure artifacts", text))
    return report


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``<repo>/test-artifacts`` (git-ignored): screenshots and server logs land here."""
    browser_support.ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return browser_support.ARTIFACTS_DIR


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of a Chromium binary; skips (fails under CI) when there is none."""
    path = browser_support.find_chromium()
    if path:
        return path
    reason = (
        "no Chromium found: install Debian's `chromium` (/usr/bin/chromium), run "
        "`playwright install chromium`, or set FGNN_CHROMIUM to a Chromium binary"
    )
    if _in_ci():
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_available() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        if _in_ci():
            pytest.fail(f"CI is set but playwright is not importable: {exc}", pytrace=False)
        pytest.skip(f"playwright not installed ({exc}): pip install -r requirements-dev.txt")


@pytest.fixture
def streamlit_server_factory(request, artifacts_dir):
    """Start Streamlit servers with extra env; each is stopped at the end of the test.

    ``streamlit_server_factory(script="app.py", env={"FGNN_CHECKPOINT_DIR": str(tmp)}, name=None,
    cwd=None, timeout=60)`` returns the base URL once ``/_stcore/health`` answers ``ok``. The log goes
    to ``test-artifacts/streamlit-<name>.log`` (name defaults to the test's name, with a counter
    for the second and later servers of one test).
    """
    stack = contextlib.ExitStack()
    started = 0

    def start(script="app.py", *, env=None, name=None, cwd=None, timeout=60.0, extra_args=()):
        nonlocal started
        started += 1
        if name is None:
            name = request.node.name + ("" if started == 1 else f"-{started}")
        # (a failed test quotes the tail of every server log it started: pytest_runtest_makereport)
        request.node.stash.setdefault(SERVER_LOGS, []).append(
            artifacts_dir / f"streamlit-{browser_support._browser._safe_name(name)}.log")
        return stack.enter_context(
            browser_support.run_streamlit(
                script, name=name, env=env, cwd=cwd, timeout=timeout,
                log_dir=artifacts_dir, extra_args=tuple(extra_args),
            )
        )

    with stack:
        yield start


@pytest.fixture
def streamlit_server(streamlit_server_factory) -> str:
    """The real app (``app.py`` at the repo root) served headless; yields its base URL."""
    if not (REPO_ROOT / "app.py").exists():
        pytest.fail("app.py does not exist at the repo root", pytrace=False)
    return streamlit_server_factory("app.py")


@pytest.fixture
def browser_context(chromium_path, playwright_available):
    """A Playwright BrowserContext: Chromium with a new temporary profile, viewport 1400x1000."""
    with browser_support.launch_chromium_context(chromium_path) as context:
        yield context


@pytest.fixture
def browser_page(browser_context):
    """A Playwright Page in a fresh Chromium (sync API); default timeout 30 s."""
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    page.set_default_timeout(30_000)
    yield page


SHIPPED_RUNS = REPO_ROOT / "checkpoints"


@pytest.fixture
def private_cache(tmp_path_factory, monkeypatch):
    """Prepared datasets go to a cache of this test session's own (``FGNN_CACHE_DIR``)."""
    monkeypatch.setenv("FGNN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "fgnn-cache"))


@pytest.fixture(scope="session")
def ds():
    """The bundled sample after the preprocessing protocol (309 items)."""
    from fgnn.data.registry import load_dataset

    return load_dataset("diginetica-sample")


@pytest.fixture(scope="session")
def sample(ds):
    """The same prepared sample, under the name the training and checkpoint tests use."""
    return ds


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    """A private checkpoints root holding copies of the shipped FGNN and SR-GNN runs (the app's
    defaults), with uploads kept apart too; tests never touch the real checkpoints/."""
    import shutil

    root = tmp_path / "checkpoints"
    root.mkdir()
    for name in ("fgnn-sample", "srgnn-sample"):
        # (without the ranks a local Inspect visit keeps beside a shipped run: tests start with none)
        shutil.copytree(SHIPPED_RUNS / name, root / name, ignore=shutil.ignore_patterns("inspect-cache"))
    monkeypatch.setenv("FGNN_CHECKPOINT_DIR", str(root))
    monkeypatch.setenv("FGNN_UPLOAD_DIR", str(tmp_path / "uploads"))
    # the tests load their own files by path, as whoever starts the app may allow (docs/serving.md)
    monkeypatch.setenv("FGNN_ALLOW_SERVER_PATHS", str(tmp_path))
    for name in ("FGNN_READ_ONLY", "FGNN_MAX_TRAINING_RUNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(REPO_ROOT)
    return root


@pytest.fixture(scope="session")
def token_dataset_log(tmp_path_factory) -> Path:
    """A small click log whose item ids are tokens (``tests/token_data.py``: "7" and "007" are two items)."""
    from token_data import token_log

    return token_log(tmp_path_factory.mktemp("token-log") / "clicks.csv")


@pytest.fixture(scope="session")
def token_run(tmp_path_factory, token_dataset_log) -> Path:
    """``best.pt`` of a tiny FGNN trained once on :func:`token_dataset_log` (its run folder beside it),
    the prepared dataset in the test session's cache (as ``private_cache``)."""
    from token_data import train_token_run

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FGNN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "fgnn-cache"))
        return train_token_run(token_dataset_log, token_dataset_log.parent / "fgnn-tokens")
