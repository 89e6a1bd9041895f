"""fgnn.testing.check_model on every registered model: the built-in seven and the installed examples."""
from __future__ import annotations

import pytest

from fgnn.models import MODELS
from fgnn.testing import check_model


@pytest.mark.parametrize("name", list(MODELS))
def test_check_model(name):
    done = check_model(MODELS[name].model_class)
    assert {"contract", "shapes", "determinism", "state_dict"} <= set(done)
    if MODELS[name].kind == "neural":
        assert {"gradient", "attention", "attribution"} <= set(done)


def test_check_model_names_a_broken_contract():
    from dataclasses import dataclass

    import torch

    from fgnn.models import SessionRecommender

    @dataclass
    class Config:
        n_items: int

    class PaddingScored(SessionRecommender):
        name, label, config_class = "padded", "Padded", Config

        def forward(self, batch):
            return torch.zeros(batch.num_graphs, self.n_items + 1)  # a column for the padding item

    with pytest.raises(AssertionError, match="padding item 0 gets no column"):
        check_model(PaddingScored)

    class NoLabel(SessionRecommender):
        name, config_class = "nolabel", Config

    with pytest.raises(AssertionError, match="needs a class attribute label"):
        check_model(NoLabel)
