"""Layers and readouts of the session-graph models."""
from .readouts import GRUSet2Set, SRGNNAttentionReadout
from .srgnn_conv import SRGNNConv
from .wgat import WeightedGATConv

__all__ = ["GRUSet2Set", "SRGNNAttentionReadout", "SRGNNConv", "WeightedGATConv"]
