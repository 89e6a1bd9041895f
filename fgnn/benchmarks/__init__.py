"""Rerunnable benchmarks: ``python -m fgnn.benchmarks.pipeline`` and ``python -m fgnn.benchmarks.baselines``
(training/evaluation speed: ``python -m fgnn bench``)."""
