"""The rank of the true next item on every test pair: the debugger behind the Inspect page.

A checkpoint is evaluated on every test pair of its dataset: ``pair_table`` gives one row per test prefix (original item ids, the target, its rank, hit@K,
prefix length, target popularity and category); ``filter_pairs`` narrows it; ``sliced_metrics``
slices it by prefix length and target popularity (:mod:`fgnn.evaluation.metrics`); ``compare_tables`` puts
two checkpoints side by side on the same pairs, where one hits and the other misses
(:func:`fgnn.viz.plots.rank_comparison_figure` draws that); ``pair_prediction`` says what the model put
first instead of a missed target. Pure functions on tensors and DataFrames: no Streamlit.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from fgnn.data.dataset import PreparedDataset
from fgnn.data.ids import plain_id
from fgnn.data.spec import DatasetSpec
from fgnn.errors import DataError
from fgnn.evaluation.evaluate import rank_targets
from fgnn.evaluation.metrics import length_buckets, popularity_buckets, slice_metrics
from fgnn.evaluation.ranking import predict_topk, target_rank
from fgnn.models.checkpoint import load_checkpoint, load_model

OUTCOMES = ("all", "hit", "miss")


def load_checkpoint_dataset(path) -> PreparedDataset:
    """The prepared dataset a checkpoint was trained on (:meth:`DatasetSpec.of_checkpoint`,
    through the registry and its cache)."""
    return DatasetSpec.of_checkpoint(load_checkpoint(path)).load()


def pair_table(model, dataset: PreparedDataset, k: int = 20, batch_size: int = 500,
                    device="cpu", ranks: torch.Tensor | None = None) -> pd.DataFrame:
    """One row per test pair, in pair order.

    Columns: ``pair`` (index into ``dataset.test``), ``session`` (test session index), ``prefix``
    (list of original item ids: whole numbers, or text where ids are tokens), ``length`` (prefix
    length), ``target`` (original id), ``rank``
    (items scored at least as high as the target, ties against it: :func:`fgnn.evaluation.evaluate.rank_targets`), ``hit`` (rank <= k),
    ``target_popularity`` (training clicks of the target) and ``target_category`` (-1 unknown,
    or None when the dataset has no categories); ``target_name`` after ``target`` when the
    dataset names its items.
    """
    test = dataset.test
    if ranks is None:
        ranks = rank_targets(model, test, batch_size=batch_size, device=device)
    ranks = torch.as_tensor(ranks).long().cpu()
    if ranks.numel() != len(test):
        raise ValueError(f"{ranks.numel()} ranks for {len(test)} test pairs")
    ids = dataset.original_ids()  # (text where ids are tokens: item_ids then holds codes)
    targets = test.targets.long()
    pop = dataset.popularity[targets]
    starts = test.offsets[test.pair_session].tolist()
    lengths = test.pair_length.tolist()
    flat_ids = ids[test.items.long().numpy()].tolist()
    table = pd.DataFrame({
        "pair": np.arange(len(test)),
        "session": test.pair_session.numpy(),
        "prefix": [flat_ids[s:s + n] for s, n in zip(starts, lengths, strict=True)],
        "length": test.pair_length.numpy(),
        "target": ids[targets.numpy()],
        "rank": ranks.numpy(),
        "hit": (ranks <= k).numpy(),
        "target_popularity": pop.numpy(),
    })
    if dataset.categories is not None:
        table["target_category"] = dataset.categories[targets].numpy()
    else:
        table["target_category"] = None
    return dataset.with_item_names(table, column="target", name_column="target_name")


def evaluate_checkpoint(path, dataset: PreparedDataset | None = None, k: int = 20,
                        batch_size: int = 500, device="cpu") -> tuple[pd.DataFrame, dict, PreparedDataset]:
    """Load a checkpoint (and its dataset unless given), rank every test pair: ``(table, ckpt, dataset)``.

    Raises :class:`fgnn.models.checkpoint.CheckpointError` / :class:`DataError` with a message for the app.
    """
    if dataset is None:
        dataset = load_checkpoint_dataset(path)
    model, ckpt = load_model(path, dataset)
    model.to(device)
    return pair_table(model, dataset, k=k, batch_size=batch_size, device=device), ckpt, dataset


def filter_pairs(table: pd.DataFrame, outcome: str = "all", length: tuple | None = None,
                 popularity: tuple | None = None, categories: Sequence[int] | None = None) -> pd.DataFrame:
    """Rows whose outcome (``all``/``hit``/``miss``), prefix length and target popularity lie in
    the given inclusive ranges and whose target category is one of ``categories`` (None = any)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    keep = pd.Series(True, index=table.index)
    if outcome != "all":
        keep &= table["hit"] == (outcome == "hit")
    if length is not None:
        keep &= table["length"].between(length[0], length[1])
    if popularity is not None:
        keep &= table["target_popularity"].between(popularity[0], popularity[1])
    if categories:
        keep &= table["target_category"].isin(list(categories))
    return table[keep]


def sliced_metrics(table: pd.DataFrame, k: int = 20, model: str | None = None) -> dict[str, pd.DataFrame]:
    """``{"session length": ..., "target popularity": ...}``: HR/MRR/NDCG@k per slice
    (:func:`fgnn.evaluation.metrics.slice_metrics` over :func:`length_buckets` / :func:`popularity_buckets`)."""
    ranks = torch.tensor(table["rank"].to_numpy(dtype=np.int64))
    lengths = torch.tensor(table["length"].to_numpy(dtype=np.int64))
    pop = torch.tensor(table["target_popularity"].to_numpy(dtype=np.int64))
    out = {}
    for name, (groups, labels) in (("session length", length_buckets(lengths)),
                                   ("target popularity", popularity_buckets(pop))):
        rows = pd.DataFrame(slice_metrics(ranks, groups, labels, k=k))
        if model is not None:
            rows["model"] = model
        out[name] = rows
    return out


def compare_tables(a: pd.DataFrame, b: pd.DataFrame, k: int = 20, names: tuple[str, str] = ("A", "B")) -> pd.DataFrame:
    """Two checkpoints on the same test pairs: ``rank_A``, ``rank_B``, ``hit_A``, ``hit_B`` and an
    ``outcome`` column (``both hit`` / ``only A hits`` / ``only B hits`` / ``both miss``)."""
    if len(a) != len(b) or not np.array_equal(a["target"].to_numpy(), b["target"].to_numpy()):
        raise DataError("the two checkpoints were not evaluated on the same test pairs: "
                        "compare checkpoints trained on the same dataset")
    na, nb = names
    out = a[["pair", "session", "prefix", "length", "target", "target_popularity", "target_category"]].copy()
    out[f"rank_{na}"] = a["rank"].to_numpy()
    out[f"rank_{nb}"] = b["rank"].to_numpy()
    ha, hb = a["rank"].to_numpy() <= k, b["rank"].to_numpy() <= k
    out[f"hit_{na}"], out[f"hit_{nb}"] = ha, hb
    out["outcome"] = np.select([ha & hb, ha & ~hb, ~ha & hb], ["both hit", f"only {na} hits", f"only {nb} hits"],
                               default="both miss")
    out["rank_change"] = out[f"rank_{nb}"] - out[f"rank_{na}"]
    return out


def comparison_counts(comparison: pd.DataFrame) -> pd.DataFrame:
    """How many pairs fall in each outcome of :func:`compare_tables` (all four, zeros included)."""
    names = [c[len("hit_"):] for c in comparison.columns if c.startswith("hit_")]
    order = ["both hit"] + [f"only {n} hits" for n in names] + ["both miss"]
    counts = comparison["outcome"].value_counts()
    return pd.DataFrame({"outcome": order, "pairs": [int(counts.get(o, 0)) for o in order]})


def pair_prediction(model, dataset: PreparedDataset, prefix, target) -> dict:
    """What the model predicted for one test pair: its top-1 (``top1``, ``top1_score``) and where the
    true next item stands (``target``, ``rank``, ``score``), e.g. for a miss on the Inspect page."""
    prefix = [plain_id(i) for i in prefix]
    top = predict_topk(model, dataset, prefix, 1).iloc[0]
    t = target_rank(model, dataset, prefix, plain_id(target))
    return {"top1": plain_id(top["item"]), "top1_score": float(top["score"]), "target": t["item"],
            "rank": t["rank"], "score": t["score"]}
