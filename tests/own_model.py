"""A model of one's own in a file outside the repository (docs/own-model.md): the CLI and browser
tests write it into a temporary folder and register it with ``FGNN_MODELS=my_model:MeanModel``."""
from __future__ import annotations

import textwrap

MY_MODEL = textwrap.dedent('''
    """A mean-of-clicks model: the session is the mean embedding of its clicks (a sequence model)."""
    from dataclasses import dataclass

    import torch
    from torch import nn

    from fgnn.models import SessionRecommender


    @dataclass
    class MeanConfig:
        n_items: int
        hidden_size: int = 16
        scale: float = 1.0


    class MeanModel(SessionRecommender):
        name = "meanclicks"
        label = "Mean of the clicks"
        config_class = MeanConfig
        trainable = True

        def __init__(self, config):
            super().__init__(config)
            self.embedding = nn.Embedding(config.n_items + 1, config.hidden_size, padding_idx=0)
            self.out = nn.Linear(config.hidden_size, config.hidden_size)

        def forward(self, batch):
            e = self.embedding(batch.sequences)  # [B, L, d]
            mask = (batch.sequences > 0).unsqueeze(-1)
            s = (e * mask).sum(1) / batch.lengths.unsqueeze(-1) * self.config.scale
            return self.out(s) @ self.embedding.weight[1:].t()
''')
