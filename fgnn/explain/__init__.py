"""Explanations: attention tables, attributions (integrated gradients, GNNExplainer, occlusion) and their faithfulness (docs/explanations.md)."""
