"""Inspect's rank cache (fgnn/evaluation/rank_cache.py): the ranks of `fgnn evaluate`, computed once per
checkpoint and dataset, kept beside the run, recomputed when the checkpoint changes."""
from __future__ import annotations

import json

import pytest
import torch

from fgnn.cli import main as cli
from fgnn.evaluation import rank_cache
from fgnn.evaluation.evaluate import rank_targets
from fgnn.evaluation.metrics import summarize
from fgnn.models.checkpoint import load_checkpoint, load_model, save_checkpoint


@pytest.fixture()
def ckpt(root):
    rank_cache._in_memory.clear()  # each test starts with only what is on disk
    return root / "fgnn-sample" / "best.pt"


def evaluate_cli(path, capsys) -> dict:
    capsys.readouterr()
    assert cli(["evaluate", "--checkpoint", str(path), "--top-k", "20", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cached_ranks_equal_fgnn_evaluate_and_are_read_back_without_the_model(ckpt, ds, capsys, monkeypatch):
    seen = []
    ranks, cached = rank_cache.target_ranks_cached(ckpt, ds, batch_size=40, progress=lambda d, t: seen.append((d, t)))
    assert not cached
    model, _ = load_model(ckpt, ds)
    assert ranks.tolist() == rank_targets(model, ds.test).tolist()
    assert summarize(ranks, [20]) == evaluate_cli(ckpt, capsys)
    n = len(ds.test)
    assert seen[0] == (0, n) and seen[-1] == (n, n) and len(seen) == 1 + -(-n // 40)
    # kept beside the run, written atomically (no temporary file left)
    kept = ckpt.parent / "inspect-cache"
    assert [p.name for p in kept.iterdir()] == [rank_cache.cache_file(ckpt, ds).name]
    # a second visit (even in a new process: the in-memory copy is dropped) never loads the model
    rank_cache._in_memory.clear()

    def no_model(*_a, **_k):
        raise AssertionError("the model was loaded although the ranks are cached")

    monkeypatch.setattr("fgnn.models.checkpoint.load_model", no_model)
    again, cached = rank_cache.target_ranks_cached(ckpt, ds, progress=lambda d, t: seen.append("again"))
    assert cached and again.tolist() == ranks.tolist() and "again" not in seen
    saved = torch.load(rank_cache.cache_file(ckpt, ds), weights_only=True)
    assert saved["checkpoint_sha256"] == rank_cache.checkpoint_sha256(ckpt) and saved["n_pairs"] == n


def test_a_changed_checkpoint_is_ranked_again(ckpt, ds, capsys):
    before, _ = rank_cache.target_ranks_cached(ckpt, ds)
    # a run that goes on training rewrites best.pt: other weights, same path
    changed = load_checkpoint(ckpt)
    emb = changed["state_dict"]["embedding.weight"]
    changed["state_dict"]["embedding.weight"] = emb[torch.randperm(emb.size(0), generator=torch.Generator().manual_seed(0))]
    save_checkpoint(changed, ckpt)
    after, cached = rank_cache.target_ranks_cached(ckpt, ds)
    assert not cached and after.tolist() != before.tolist()
    assert summarize(after, [20]) == evaluate_cli(ckpt, capsys)
    model, _ = load_model(ckpt, ds)
    assert after.tolist() == rank_targets(model, ds.test).tolist()
    # one file per checkpoint and dataset: overwritten, not added to
    assert len(list((ckpt.parent / "inspect-cache").iterdir())) == 1
    rank_cache._in_memory.clear()
    assert rank_cache.load_cached_ranks(ckpt, ds).tolist() == after.tolist()


@pytest.mark.parametrize("content", [b"not a torch file", "pickle"])
def test_a_damaged_or_foreign_cache_file_is_ignored_and_rewritten(ckpt, ds, content):
    ranks, _ = rank_cache.target_ranks_cached(ckpt, ds)
    path = rank_cache.cache_file(ckpt, ds)
    if content == "pickle":  # a file that would run code under plain pickle: refused by weights_only
        import pickle

        class Boom:
            def __reduce__(self):
                return (exec, ("raise SystemExit('executed')",))

        path.write_bytes(pickle.dumps({"format": rank_cache.FORMAT, "ranks": Boom()}))
    else:
        path.write_bytes(content)
    rank_cache._in_memory.clear()
    assert rank_cache.load_cached_ranks(ckpt, ds) is None
    again, cached = rank_cache.target_ranks_cached(ckpt, ds)
    assert not cached and again.tolist() == ranks.tolist()
    rank_cache._in_memory.clear()
    assert rank_cache.load_cached_ranks(ckpt, ds).tolist() == ranks.tolist()


def test_ranks_kept_for_another_dataset_are_not_served(ckpt, ds):
    _ranks, _ = rank_cache.target_ranks_cached(ckpt, ds)
    path = rank_cache.cache_file(ckpt, ds)
    saved = torch.load(path, weights_only=True)
    saved["ranks"] = saved["ranks"][:-1]  # a file that does not fit the test pairs
    torch.save(saved, path)
    rank_cache._in_memory.clear()
    assert rank_cache.load_cached_ranks(ckpt, ds) is None


def test_forget_drops_the_kept_ranks_of_one_checkpoint(ckpt, ds):
    rank_cache.target_ranks_cached(ckpt, ds)
    other = ckpt.parent.parent / "srgnn-sample" / "best.pt"
    rank_cache.target_ranks_cached(other, ds)
    assert rank_cache.forget(ckpt) == 1
    assert rank_cache.load_cached_ranks(ckpt, ds) is None
    assert rank_cache.load_cached_ranks(other, ds) is not None  # another run's ranks stay
    assert rank_cache.forget(ckpt) == 0
