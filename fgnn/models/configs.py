"""The hyperparameters of every model, one dataclass per model (docs/models.md).

A config is what a checkpoint stores (``model_config``), what ``fgnn train`` turns into flags and
what the Train page turns into a form. Each field carries its words (with the paper's value) and
its range beside its default (:func:`fgnn.settings.setting`); the flags, the checks
(:mod:`fgnn.models.options`), the form (:mod:`fgnn.app.forms`) and the docs' table are derived from
them. A plugin model's plain dataclass works too: its fields' types give its flags and widgets.
The configs live apart from the models so that the CLI and the forms can read them without
importing the layers (and torch-geometric). ``n_items`` is set from the dataset, never by hand.

FGNN: Qiu et al., CIKM 2019 (the authors' run "s2s3 ... gat8-1"); SR-GNN: Wu et al., AAAI 2019;
kNN baselines: Ludewig & Jannach 2018 (session-rec defaults).
"""
from __future__ import annotations

from dataclasses import dataclass

from fgnn.settings import setting

ACTIVATIONS = ("relu", "elu", "gelu", "leaky_relu", "selu", "celu", "silu", "mish", "softplus", "tanh",
               "sigmoid", "none")
WEIGHTINGS = ("same", "div", "quadratic", "log")


# settings that several models share: one definition each
def _hidden_size():
    return setting(100, low=1, high=65536, help="Size of item and node embeddings (papers: 100).")


def _k():
    return setting(100, low=1, help="Neighbour sessions that vote (session-rec: 100).")


def _sample_size():
    return setting(500, low=0, note="0 = all candidate sessions",
                   help="Most recent candidate sessions considered, 0 = all (session-rec: 500).")


@dataclass
class FGNNConfig:
    """Hyperparameters of FGNN. The defaults follow the authors' run tag "s2s3 ... gat8-1":
    3 readout steps, a WGAT layer of 8 heads (concatenated) then one of 1 head."""

    n_items: int
    hidden_size: int = _hidden_size()
    num_layers: int = setting(2, low=1, high=64, help="WGAT layers stacked on the session graph (FGNN paper: 2).")
    heads: int = setting(8, low=1, high=256,
                         help="Attention heads of every WGAT layer but the last, concatenated (FGNN paper: 8).")
    last_heads: int = setting(1, low=1, high=256, help="Attention heads of the last WGAT layer, averaged (FGNN paper: 1).")
    readout_steps: int = setting(3, low=1, high=64, help="Set2Set readout steps over the nodes (FGNN paper: 3).")
    negative_slope: float = setting(0.2, low=0, help="LeakyReLU slope inside the attention scores (FGNN paper: 0.2).")
    dropout: float = setting(0.0, low=0, high=1, high_open=True, help="Dropout on the attention coefficients (FGNN paper: 0).")
    activation: str = setting("relu", choices=ACTIVATIONS, help="Non-linearity between WGAT layers (FGNN paper: relu).")
    # Not in the FGNN paper: also map the last click's node embedding into the session embedding,
    # s = W [readout || h_last], as SR-GNN's readout does (the Set2Set readout alone is order-blind).
    last_click: bool = setting(
        False, help="Also feed the last click's embedding to the session vector (not in the FGNN paper: off).")
    # Ablation switches (docs/fgnn-study.md); the defaults are the paper's model.
    attention_norm: str = setting(
        "dst", choices=("dst", "src"),
        help="Softmax over in-neighbours 'dst' (FGNN paper) or over senders 'src' (the authors' code).")
    concat_heads: bool = setting(
        True, help="Concatenate the heads of the inner layers (FGNN paper: on) instead of averaging them.")
    last_activation: bool = setting(False, help="Apply the activation after the last WGAT layer too (FGNN paper: off).")

    def layer_heads(self) -> list[int]:
        return [self.heads] * (self.num_layers - 1) + [self.last_heads]


@dataclass
class SRGNNConfig:
    n_items: int
    hidden_size: int = _hidden_size()
    steps: int = setting(1, low=1, high=64, help="Gated propagation steps on the session graph (SR-GNN paper: 1).")


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
    k: int = _k()
    sample_size: int = _sample_size()


@dataclass
class VSKNNConfig:
    n_items: int
    k: int = _k()
    sample_size: int = _sample_size()
    weighting: str = setting("div", choices=WEIGHTINGS,
                             help="Decay of the current session's older clicks (session-rec: div).")
    weighting_score: str = setting("div", choices=WEIGHTINGS,
                                   help="Decay of a neighbour's votes by position (session-rec: div).")
    idf_weighting: float = setting(0.0, low=0, help="Weight of the idf bonus on votes, 0 = off (session-rec: off).")


#: the built-in configs, for the docs' tables (a plugin's config is found through the registry)
BUILTIN_CONFIGS = (FGNNConfig, SRGNNConfig, POPConfig, SPOPConfig, MarkovConfig, SKNNConfig, VSKNNConfig)
