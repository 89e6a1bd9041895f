"""The foundation: the CLI entry points, the pinned requirements, and the browser-test fixtures."""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import browser_support
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPILED_EXTENSIONS = {"torch-scatter", "torch-sparse", "pyg-lib", "torch-cluster", "torch-spline-conv"}


def _requirement_names(path: Path) -> dict[str, str]:
    """{normalised name: full line} of a requirements file, comments and options left out."""
    names = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name = re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0]
        names[re.sub(r"[-_.]+", "-", name).lower()] = line
    return names


def _cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _existing_verbs() -> list[str]:
    from fgnn.cli import VERBS

    return [v for v in VERBS if (REPO_ROOT / "fgnn" / "commands" / f"{v}.py").exists()]


def test_module_help_lists_verbs():
    result = subprocess.run(
        [sys.executable, "-m", "fgnn", "--help"], cwd=REPO_ROOT, env=_cli_env(),
        check=False, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: fgnn" in result.stdout
    assert "VERB" in result.stdout
    for verb in _existing_verbs():
        assert re.search(rf"\b{verb}\b", result.stdout), f"verb {verb!r} missing from --help:\n{result.stdout}"


def test_cli_main_returns_exit_code_for_help():
    from fgnn.cli import main

    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0


def test_console_script_installed_and_equivalent():
    try:
        dist = importlib.metadata.distribution("fgnn-studio")
    except importlib.metadata.PackageNotFoundError:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(".ci/run installs the package before the tests, yet fgnn-studio is not installed")
        pytest.skip("fgnn-studio is not installed (pip install -e . gives the `fgnn` command)")
    entry = [ep for ep in dist.entry_points if ep.group == "console_scripts" and ep.name == "fgnn"]
    assert entry and entry[0].value == "fgnn.cli:main"
    script = Path(sys.executable).parent / "fgnn"
    exe = str(script) if script.exists() else shutil.which("fgnn")
    if exe is None:
        pytest.skip("fgnn-studio is installed but its `fgnn` script is not on PATH")
    via_script = subprocess.run([exe, "--help"], check=False, capture_output=True, text=True, timeout=120)
    via_module = subprocess.run(
        [sys.executable, "-m", "fgnn", "--help"], cwd=REPO_ROOT, env=_cli_env(),
        check=False, capture_output=True, text=True, timeout=120,
    )
    assert via_script.returncode == 0, via_script.stderr
    assert via_script.stdout == via_module.stdout


def test_requirements_pin_torch_and_need_no_compiler():
    names = _requirement_names(REPO_ROOT / "requirements.txt")
    assert names.get("torch") == "torch==2.13.0"
    for needed in ("torch-geometric", "streamlit", "plotly", "networkx", "pandas", "tensorboard"):
        assert needed in names, f"{needed} missing from requirements.txt"
    assert not COMPILED_EXTENSIONS & names.keys(), "compiled-extension packages must stay optional"


def test_dev_requirements_include_runtime_and_match_pyproject():
    dev_path = REPO_ROOT / "requirements-dev.txt"
    lines = [line.strip() for line in dev_path.read_text().splitlines()]
    assert "-r requirements.txt" in lines
    dev = _requirement_names(dev_path)
    for tool in ("pytest", "hypothesis", "playwright"):
        assert tool in dev, f"{tool} missing from requirements-dev.txt"
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    extras = {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower(): r for r in project["optional-dependencies"]["dev"]}
    assert extras == dev, "pyproject's [dev] extra and requirements-dev.txt disagree"
    assert project["scripts"]["fgnn"] == "fgnn.cli:main"


def test_wait_for_health_fails_fast_on_a_dead_port():
    port = browser_support.free_port()
    # gives up at its own deadline, naming it and the refused connection (no retry beyond it)
    with pytest.raises(TimeoutError, match=r"within 1 s \(last: .*(refused|Errno 111)"):
        browser_support.wait_for_health(f"http://127.0.0.1:{port}", timeout=1.0)


SMOKE_APP = textwrap.dedent(
    """
    import os
    import streamlit as st

    st.title("Foundation smoke test")
    st.session_state.setdefault("clicks", 0)
    if st.button("Click me"):
        st.session_state.clicks += 1
    st.write(f"clicks: {st.session_state.clicks}")
    st.write(f"marker: {os.environ.get('FGNN_SMOKE_MARKER', 'unset')}")
    """
)


@pytest.mark.browser
def test_browser_fixtures_end_to_end(streamlit_server_factory, browser_page, artifacts_dir, tmp_path):
    """A throwaway Streamlit script, served and clicked in Chromium: proves the fixtures work."""
    script = tmp_path / "smoke_app.py"
    script.write_text(SMOKE_APP)
    url = streamlit_server_factory(
        script, cwd=tmp_path, env={"FGNN_SMOKE_MARKER": "from-factory"}, name="foundation-smoke"
    )
    page = browser_page
    page.goto(url)
    page.get_by_text("Foundation smoke test").wait_for()
    page.get_by_text("marker: from-factory").wait_for()
    page.get_by_text("clicks: 0").wait_for()
    page.get_by_role("button", name="Click me").click()
    page.get_by_text("clicks: 1").wait_for()
    browser_support.wait_for_streamlit_idle(page)
    shot = artifacts_dir / "foundation-smoke.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000
    assert (artifacts_dir / "streamlit-foundation-smoke.log").exists()
