"""Figures: drawing primitives (session graphs) and one module per figure family.

Every figure is a pure function that returns a plotly ``go.Figure`` from plain data (tensors, arrays,
DataFrames, lists of dicts): no files, session state or global settings, so a test can check the
numbers in it. A point a person may click carries the original item id in ``customdata``; traces
have stable ``name`` s so pages and tests can find them; hover text carries the numbers behind
every mark (docs/architecture.md).
"""
