"""What the Graph construction page decides and writes, without Streamlit
(``pages/2_Graph_construction.py`` draws it): where the sequence comes from, how it reads, the
step shown and the tables of a step."""
from __future__ import annotations

from collections.abc import Sequence

EXAMPLE = "1, 3, 2, 2, 1, 3, 4"
SOURCES = ("Type a sequence", "The session from the builder")
#: The example's shape: a revisit (1 after 3, 2), a repeated click (2, 2: a self-loop) and a new last item.
EXAMPLE_PATTERN = (0, 2, 1, 1, 0, 2, 3)
EMPTY_WARNING = ("The sequence is empty: type item ids (for example " + EXAMPLE + ") or build a "
                 "session in the Session builder.")


def example_text(dataset=None) -> str:
    """The sequence the page starts with: for a dataset whose items have names (the bundled
    online-retail-sample), its four most clicked named items in :data:`EXAMPLE_PATTERN`, so that a
    class sees products it recognises; otherwise :data:`EXAMPLE`."""
    labels = dataset.item_labels() if dataset is not None else {}
    if not labels:
        return EXAMPLE
    ids = dataset.original_ids()
    clicks = dataset.popularity.tolist()
    named = sorted((i for i in range(1, len(ids)) if ids[i] in labels), key=lambda i: (-clicks[i], i))[:4]
    if len(named) < 4:
        return EXAMPLE
    return ", ".join(str(ids[named[k]]) for k in EXAMPLE_PATTERN)


def default_source(builder_items: Sequence[int]) -> str:
    """The builder's session when it has clicks, else a typed sequence."""
    return SOURCES[1] if builder_items else SOURCES[0]


def builder_sequence_markdown(sequence: Sequence[int]) -> str:
    return "**From the Session builder:** " + (" → ".join(f"`{i}`" for i in sequence) or "*(empty)*")


def step_position(titles: Sequence[str], current: str) -> tuple[int, bool, bool]:
    """``(index of the current step, is it the first?, is it the last?)``: the Previous and Next
    buttons are off at the ends."""
    at = list(titles).index(current)
    return at, at == 0, at == len(titles) - 1


def step_tables(step) -> list[tuple[str, object]]:
    """The tables of a construction step as ``(heading, table)``: its main table (no heading)
    first, then its named tables."""
    return ([("", step.table)] if step.table is not None else []) + list(step.tables.items())
