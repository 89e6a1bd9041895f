"""Layers and readouts of the session-graph models."""
from fgnn.nn.readouts import GRUSet2Set, SRGNNAttentionReadout
from fgnn.nn.srgnn_conv import SRGNNConv
from fgnn.nn.wgat import WeightedGATConv

__all__ = ["GRUSet2Set", "SRGNNAttentionReadout", "SRGNNConv", "WeightedGATConv"]
