"""Unit tests of the pure helpers of ``tests/browser_support.py`` (no browser)."""
from __future__ import annotations

import math

from browser_support import overlapping_texts


def box(text, x, y, w, h, kind="text"):
    return {"text": text, "kind": kind, "x": x, "y": y, "width": w, "height": h}


def rotated(text, cx, cy, w, h, degrees):
    """A ``w`` x ``h`` box centred on ``(cx, cy)`` and turned by ``degrees``, as corners."""
    a = math.radians(degrees)
    cos, sin = math.cos(a), math.sin(a)
    corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    return {"text": text, "kind": "tick", "corners": [(cx + x * cos - y * sin, cy + x * sin + y * cos) for x, y in corners]}


def test_apart_touching_and_slightly_overlapping_boxes_pass():
    texts = [box("a", 0, 0, 50, 12), box("b", 60, 0, 50, 12), box("c", 0, 12, 50, 12),  # apart, touching
             box("d", 107, 0, 40, 12),      # 3 px into "b" horizontally: within the tolerance
             box("e", 0, 22, 50, 12)]       # 2 px into "c" vertically
    assert overlapping_texts(texts) == []


def test_an_overlap_in_both_directions_is_named_with_its_depth():
    legend, tick = box("Q1 (1-2 clicks)", 100, 200, 90, 14, "legend"), box("Q1 (1-2 clicks)", 120, 205, 80, 14, "xtick")
    far = box("far", 500, 500, 10, 10)
    [(a, b, depth)] = overlapping_texts([far, tick, legend])
    assert {a["kind"], b["kind"]} == {"legend", "xtick"}
    assert depth == 9.0  # 70 px wide, 9 px high: the smaller of the two
    assert overlapping_texts([tick, legend], tolerance=10) == []


def test_deepest_first():
    texts = [box("a", 0, 0, 20, 20), box("b", 10, 10, 20, 20), box("c", 100, 0, 20, 20), box("d", 104, 4, 20, 20)]
    assert [(a["text"], b["text"], d) for a, b, d in overlapping_texts(texts)] == [("c", "d", 16.0), ("a", "b", 10.0)]


def test_rotated_labels_are_judged_by_their_own_boxes_not_their_hulls():
    # two 45-degree labels side by side: their axis-aligned hulls overlap, the labels do not
    left, right = rotated("step one", 100, 100, 80, 10, 45), rotated("step two", 118, 100, 80, 10, 45)
    assert overlapping_texts([left, right]) == []
    # closer, they do
    assert len(overlapping_texts([left, rotated("step two", 104, 100, 80, 10, 45)])) == 1
