"""fgnn.app.inspect_page: what the Inspect page decides and writes."""
from __future__ import annotations

import numpy as np
import pandas as pd

from fgnn.app import inspect_page as ip


def _pairs(categories=(3, -1, 5)):
    return pd.DataFrame({"pair": [0, 1, 2], "prefix": [[1, 2], [3], [4, 5, 6]], "target": [7, 8, 9],
                         "rank": [1, 40, 3], "hit": [True, False, True], "length": [2, 1, 3],
                         "target_popularity": [10, 0, 4], "target_category": list(categories)})


def test_prefixes_as_text():
    assert ip.arrow_prefix([1, 2, 3]) == "1 → 2 → 3"
    assert ip.with_arrow_prefixes(_pairs())["prefix"].tolist() == ["1 → 2", "3", "4 → 5 → 6"]


def test_hit_rate_caption():
    info = {"model": "fgnn", "epoch": 4, "dataset": "sample"}
    text = ip.hit_rate_caption("run/best.pt", info, _pairs(), 20)
    assert text.startswith("Checkpoint **run/best.pt** (fgnn, epoch 4) on the 3 test pairs of **sample**: "
                           "HR@20 66.67% (2 hits).")


def test_filter_bounds():
    assert ip.length_bounds(_pairs()) == (1, 3)
    assert ip.popularity_bounds(_pairs()) == (0, 10)
    empty = _pairs().iloc[:0]
    assert ip.length_bounds(empty) == (1, 2) and ip.popularity_bounds(empty) == (0, 1)


def test_target_categories():
    assert ip.target_categories(_pairs()) == [-1, 3, 5]
    assert ip.target_categories(_pairs((-1, -1, -1))) is None
    assert ip.target_categories(_pairs((np.nan, np.nan, np.nan))) is None


def test_chosen_pair():
    assert ip.chosen_pair([4, 5, 6], 6, 4) == 6        # a row just selected
    assert ip.chosen_pair([4, 5, 6], None, 5) == 5     # the kept pair, on this page
    assert ip.chosen_pair([4, 5, 6], None, 9) == 4     # kept on another page: the first
    assert ip.chosen_pair([4, 5, 6], None, None) == 4


def test_texts():
    table = _pairs().set_index("pair", drop=False)
    assert ip.pair_label(table, 1) == "#1: rank 40, target 8"
    guess = {"top1": 3, "top1_score": 2.5, "target": 8, "rank": 1200, "score": 0.25}
    assert ip.miss_sentence(guess) == ("Miss: the model put item **3** first (score 2.5000); the true next item "
                                       "**8** is at rank **1,200** (score 0.2500).")
    assert ip.faith_item_label("top1") == "the model's first item"
    assert ip.faith_item_label("target") == "the true next item"
    assert ip.ab_caption("a/best.pt", "fgnn", "b/best.pt", "srgnn") == "A = a/best.pt (fgnn), B = b/best.pt (srgnn)."
    assert ip.open_pair_label(12) == ":material/hub: Open pair #12 in the session builder (A and B side by side)"
