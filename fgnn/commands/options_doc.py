"""The tables of options in docs/, generated from the settings (fgnn.settings): one home for every
setting, and the docs cannot drift from it (tests/test_settings_agreement.py compares them).

    python -m fgnn.commands.options_doc          # rewrite the tables in docs/
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from fgnn.commands.common import RankingOptions
from fgnn.data.options import ProtocolSettings
from fgnn.models.configs import BUILTIN_CONFIGS
from fgnn.settings import options_table
from fgnn.training.config import TrainConfig

DOCS = Path(__file__).resolve().parents[2] / "docs"
BEGIN, END = "<!-- options:{} -->", "<!-- /options:{} -->"


def tables() -> dict[tuple[str, str], str]:
    """``{(docs page, table name): markdown}`` of every generated table."""
    out = {("run-folders.md", "train"): options_table(TrainConfig),
           ("run-folders.md", "ranking"): options_table(RankingOptions),
           ("protocol.md", "protocol"): options_table(ProtocolSettings)}
    for cls in BUILTIN_CONFIGS:
        if any(n != "n_items" for n in cls.__dataclass_fields__):
            out[("models.md", cls.__name__)] = options_table(cls, skip=("n_items",))
    return out


def block(name: str, table: str) -> str:
    return f"{BEGIN.format(name)}\n{table}\n{END.format(name)}"


def pattern(name: str) -> re.Pattern:
    return re.compile(re.escape(BEGIN.format(name)) + r"\n.*?\n" + re.escape(END.format(name)), re.DOTALL)


def in_docs(docs: Path = DOCS) -> dict[tuple[str, str], str | None]:
    """The tables as the docs hold them now (None where a page has none)."""
    out = {}
    for page, name in tables():
        m = pattern(name).search((docs / page).read_text())
        out[(page, name)] = m.group(0) if m else None
    return out


def write(docs: Path = DOCS) -> list[str]:
    """Rewrite every table in place (a page without one gets it appended); the pages changed."""
    changed = []
    for (page, name), table in tables().items():
        path = docs / page
        text = path.read_text()
        new = block(name, table)
        m = pattern(name).search(text)
        text2 = text.replace(m.group(0), new) if m else text.rstrip("\n") + "\n\n" + new + "\n"
        if text2 != text:
            path.write_text(text2)
            changed.append(f"{page} ({name})")
    return changed


if __name__ == "__main__":  # pragma: no cover
    print("\n".join(write()) or "the tables are up to date", file=sys.stderr)
