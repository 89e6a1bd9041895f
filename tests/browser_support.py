"""Helpers for the real-browser tests: find Chromium, run a Streamlit server, drive it with Playwright.

The fixtures in ``tests/conftest.py`` are thin wrappers around these functions, so a test that needs
something the fixtures do not offer (two servers, a different script) can call them directly.

Chromium comes from Debian (``/usr/bin/chromium``) on this machine and in CI; on a user's machine a
Playwright-managed browser (``playwright install chromium``) is found too.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator, Mapping

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"

# As root in a sandbox with a closed network: no setuid sandbox, no GPU, and no background
# connections (they are refused here, many at a time, and slow the start down).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
)
VIEWPORT = {"width": 1400, "height": 1000}
DEBIAN_CHROMIUM = "/usr/bin/chromium"


def find_chromium() -> str | None:
    """Path of a usable Chromium binary, or None.

    Order: ``$FGNN_CHROMIUM`` (explicit override), Debian's ``/usr/bin/chromium``, ``chromium`` or
    ``chromium-browser`` on PATH, then the browser that ``playwright install chromium`` manages.
    """
    override = os.environ.get("FGNN_CHROMIUM")
    if override:
        return override if os.access(override, os.X_OK) else None
    if os.access(DEBIAN_CHROMIUM, os.X_OK):
        return DEBIAN_CHROMIUM
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return _playwright_managed_chromium()


def _playwright_managed_chromium() -> str | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as pw:
            path = pw.chromium.executable_path
    except Exception:  # no driver, or a broken install: treat as "no browser"
        return None
    return path if path and os.access(path, os.X_OK) else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until Streamlit's health endpoint answers ``ok``.

    ``url`` is the server's base URL (``http://127.0.0.1:8501``) or the health URL itself. When
    ``proc`` is given, a process that exits early fails at once instead of after the timeout.
    Raises ``TimeoutError`` (or ``RuntimeError`` for an exited process).
    """
    health = url if url.rstrip("/").endswith("/_stcore/health") else url.rstrip("/") + "/_stcore/health"
    deadline = time.monotonic() + timeout
    last_error: object = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before {health} answered")
        try:
            with urllib.request.urlopen(health, timeout=5) as response:
                body = response.read().decode("utf-8", "replace").strip()
                if response.status == 200 and body == "ok":
                    return
                last_error = f"HTTP {response.status}: {body!r}"
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            last_error = exc
        time.sleep(0.25)
    raise TimeoutError(f"{health} did not answer 'ok' within {timeout:.0f} s (last: {last_error})")


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "server"


def _stop_process_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group we started (Streamlit and anything it spawned), then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace)
    # children that outlived the leader in the same group
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def run_streamlit(
    script: str | os.PathLike = "app.py",
    *,
    name: str = "app",
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike | None = None,
    port: int | None = None,
    timeout: float = 60.0,
    log_dir: str | os.PathLike | None = None,
    extra_args: tuple[str, ...] = (),
) -> Iterator[str]:
    """Run ``python -m streamlit run SCRIPT`` headless on a free port; yield its base URL.

    The server runs from ``cwd`` (the repo root by default) with ``os.environ`` plus ``env``, in its
    own process group so that teardown stops it and every child it started. Its stdout and stderr
    go to ``<log_dir>/streamlit-<name>.log`` (``test-artifacts/`` by default), which a failed
    start quotes in its error.
    """
    cwd = Path(cwd) if cwd is not None else REPO_ROOT
    log_dir = Path(log_dir) if log_dir is not None else ARTIFACTS_DIR
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"streamlit-{_safe_name(name)}.log"
    port = port or free_port()
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    # the repo on sys.path even when fgnn is not installed
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), full_env.get("PYTHONPATH", "")) if p
    )
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        *extra_args,
    ]
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            try:
                wait_for_health(url, timeout=timeout, proc=proc)
            except (TimeoutError, RuntimeError) as exc:
                log.flush()
                tail = log_path.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"streamlit {script} did not start: {exc}\n--- {log_path} ---\n{tail}") from exc
            yield url
        finally:
            _stop_process_group(proc)


@contextlib.contextmanager
def launch_chromium_context(
    executable_path: str,
    *,
    headless: bool = True,
    viewport: Mapping[str, int] | None = None,
    user_data_dir: str | os.PathLike | None = None,
) -> Iterator[object]:
    """A Playwright ``BrowserContext`` on the given Chromium binary, with a new empty profile.

    Playwright cannot download its own browser here, so it always gets ``executable_path``.
    The profile is a new temporary ``user_data_dir`` (removed afterwards) unless one is given.
    """
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack:
        if user_data_dir is None:
            user_data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="fgnn-chromium-"))
        pw = stack.enter_context(sync_playwright())
        context = pw.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=executable_path,
            headless=headless,
            args=list(CHROMIUM_ARGS),
            viewport=dict(viewport or VIEWPORT),
        )
        try:
            yield context
        finally:
            context.close()


def wait_for_streamlit_idle(page, timeout: float = 30.0) -> None:
    """Wait until the Streamlit page has rendered and no script run is in progress.

    Streamlit shows ``[data-testid="stStatusWidget"]`` while a run is going; the app view
    container appears once the first run has drawn something.
    """
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count()
        if not running:
            # one settle tick: a rerun triggered by the last event may start just now
            page.wait_for_timeout(200)
            if not page.locator('[data-testid="stStatusWidget"]').count():
                return
        page.wait_for_timeout(100)
    raise TimeoutError(f"Streamlit page still running after {timeout:.0f} s")
