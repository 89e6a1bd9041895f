"""The design lives in docs/: code cites files there, and every citation resolves."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOC_REF = re.compile(r"docs/([A-Za-z0-9_.-]+\.md)")


def _tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", *patterns], cwd=REPO, capture_output=True, text=True, check=True)
    return [REPO / line for line in out.stdout.splitlines() if (REPO / line).is_file()]


def _sources() -> list[Path]:
    return _tracked("*.py", "*.md", ".ci/run")


OUTSIDE_CITATION = "DESIGN" + " §"  # spelled in two parts so that this file does not cite it


def test_no_citation_of_a_design_file_outside_the_repository():
    offenders = [f"{p.relative_to(REPO)}:{i}" for p in _sources() if "docs" not in p.parts
                 for i, line in enumerate(p.read_text(errors="replace").splitlines(), 1) if OUTSIDE_CITATION in line]
    assert offenders == []


def test_every_docs_reference_resolves():
    missing = sorted({f"{p.relative_to(REPO)} -> docs/{name}" for p in _sources()
                      for name in DOC_REF.findall(p.read_text(errors="replace")) if not (REPO / "docs" / name).is_file()})
    assert missing == []


def test_docs_index_lists_every_page():
    index = (REPO / "docs" / "README.md").read_text()
    pages = sorted(p.name for p in (REPO / "docs").glob("*.md") if p.name != "README.md")
    assert pages, "docs/ has no pages"
    assert [p for p in pages if p not in index] == []
