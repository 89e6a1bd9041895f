"""Server-side pages of a long table: the app ships one page of rows, never the whole table.

A full catalogue (43,097 DIGINETICA items) or a full test set (60,858 pairs) is filtered and
sorted here, on the server; the browser only ever receives :func:`table_page`'s rows
(docs/research-scale.md).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    """One page of a table: ``rows`` (the original index kept), its 1-based ``number`` (clamped
    into ``1..count``), the number of pages ``count`` (at least 1), the ``total`` rows of the
    table and ``start``, the 0-based position of the page's first row in it."""

    rows: pd.DataFrame
    number: int
    count: int
    total: int
    start: int

    def caption(self, what: str = "rows") -> str:
        """``rows 51-100 of 60,858 · page 2 of 1,218`` (``no rows`` for an empty table)."""
        if not self.total:
            return f"no {what}"
        return (f"{what} {self.start + 1:,}-{self.start + len(self.rows):,} of {self.total:,} · "
                f"page {self.number:,} of {self.count:,}")


def table_page(table: pd.DataFrame, number: int = 1, size: int = PAGE_SIZE) -> Page:
    """Rows ``(number - 1) * size`` to ``number * size`` of ``table``; a page number out of range
    is clamped (an empty table has one empty page)."""
    size = int(size)
    if size < 1:
        raise ValueError(f"a page holds at least one row, not {size}")
    total = len(table)
    count = max(1, -(-total // size))
    number = max(1, min(count, int(number)))
    start = (number - 1) * size
    return Page(table.iloc[start:start + size], number, count, total, start)
