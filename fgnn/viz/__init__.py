"""Figures: drawing primitives (session graphs) and the figure families the pages show; every figure is a pure function."""
