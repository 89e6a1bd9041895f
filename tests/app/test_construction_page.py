"""fgnn.app.construction_page: what the Graph construction page decides and writes."""
from __future__ import annotations

from types import SimpleNamespace

from fgnn.app import construction_page as cp


def test_default_source():
    assert cp.default_source([]) == "Type a sequence"
    assert cp.default_source([3]) == "The session from the builder"


def test_builder_sequence_markdown():
    assert cp.builder_sequence_markdown([1, 2]) == "**From the Session builder:** `1` → `2`"
    assert cp.builder_sequence_markdown([]) == "**From the Session builder:** *(empty)*"


def test_step_position():
    titles = ["a", "b", "c"]
    assert cp.step_position(titles, "a") == (0, True, False)
    assert cp.step_position(titles, "b") == (1, False, False)
    assert cp.step_position(titles, "c") == (2, False, True)
    assert cp.step_position(["only"], "only") == (0, True, True)


def test_step_tables():
    step = SimpleNamespace(table="main", tables={"x": "tx", "y": "ty"})
    assert cp.step_tables(step) == [("", "main"), ("x", "tx"), ("y", "ty")]
    assert cp.step_tables(SimpleNamespace(table=None, tables={})) == []


def test_empty_warning_names_the_example():
    assert cp.EMPTY_WARNING == ("The sequence is empty: type item ids (for example 1, 3, 2, 2, 1, 3, 4) or build a "
                                "session in the Session builder.")
