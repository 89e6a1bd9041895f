"""Evaluation: metrics, batched ranking of test pairs, top-K and target ranks of one session, per-pair ranks and their cache (docs/evaluation.md)."""
