"""The hyperparameters of every model, one dataclass per model (docs/models.md).

A config is what a checkpoint stores (``model_config``), what ``fgnn train`` turns into
flags and what the Train page turns into a form: :mod:`fgnn.models.hyperparams` derives both from
these fields, :mod:`fgnn.models.validation` holds their ranges. They live apart from the models so
that the CLI and the forms can read them without importing the layers (and torch-geometric).
``n_items`` is set from the dataset, never by hand.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FGNNConfig:
    """Hyperparameters of FGNN. The defaults follow the authors' run tag "s2s3 ... gat8-1":
    3 readout steps, a WGAT layer of 8 heads (concatenated) then one of 1 head."""

    n_items: int
    hidden_size: int = 100
    num_layers: int = 2
    heads: int = 8  # heads of every layer but the last
    last_heads: int = 1  # heads of the last layer (averaged)
    readout_steps: int = 3
    negative_slope: float = 0.2
    dropout: float = 0.0
    activation: str = "relu"  # between WGAT layers
    # Not in the FGNN paper: also map the last click's node embedding into the session embedding,
    # s = W [readout || h_last], as SR-GNN's readout does (the Set2Set readout alone is order-blind).
    last_click: bool = False
    # Ablation switches (docs/fgnn-study.md); the defaults are the paper's model.
    attention_norm: str = "dst"  # "dst": softmax over in-neighbours (paper); "src": over senders (authors' code)
    concat_heads: bool = True  # heads of every layer but the last concatenated (paper) or averaged
    last_activation: bool = False  # also apply `activation` after the last WGAT layer

    def layer_heads(self) -> list[int]:
        return [self.heads] * (self.num_layers - 1) + [self.last_heads]


@dataclass
class SRGNNConfig:
    n_items: int
    hidden_size: int = 100
    steps: int = 1  # gated propagation steps (the paper's default)


@dataclass
class POPConfig:
    n_items: int


@dataclass
class SPOPConfig:
    n_items: int


@dataclass
class MarkovConfig:
    n_items: int


@dataclass
class SKNNConfig:
    n_items: int
    k: int = 100  # neighbours
    sample_size: int = 500  # most recent candidate sessions considered (0 = all)


@dataclass
class VSKNNConfig:
    n_items: int
    k: int = 100  # neighbours
    sample_size: int = 500  # most recent candidate sessions considered (0 = all)
    weighting: str = "div"  # decay of the current session's clicks: same | div | quadratic | log
    weighting_score: str = "div"  # decay of a neighbour's votes: same | div | quadratic | log
    idf_weighting: float = 0.0  # 0 = off (session-rec default False); w > 0: vote * (1 + w idf)
