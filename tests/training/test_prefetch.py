"""Batches built ahead by a background thread (fgnn.training.prefetch): the loader's batches in its order,
resume and shards kept, the thread gone after the end, a close, an error in the loader or in the
loop; a run with the thread ends with the weights of the same run built batch by batch in the loop."""
import dataclasses
import threading

import pytest
import torch

import fgnn.training.loop as train_module
from fgnn.data.sessions import GraphBatchLoader
from fgnn.runs.folders import read_metrics
from fgnn.training.config import TrainConfig
from fgnn.training.loop import train
from fgnn.training.prefetch import BatchPrefetcher

pytestmark = pytest.mark.usefixtures("private_cache")


def prefetch_threads() -> list:
    return [t for t in threading.enumerate() if t.name == "fgnn-batch-prefetch" and t.is_alive()]


def same_batch(a, b) -> bool:
    fa, fb = dataclasses.asdict(a), dataclasses.asdict(b)
    return fa.keys() == fb.keys() and all(
        torch.equal(fa[k], fb[k]) if isinstance(fa[k], torch.Tensor) else fa[k] == fb[k] for k in fa)


def loader(sample, **kw):
    return GraphBatchLoader(sample.train, 50, shuffle=True, generator=torch.Generator().manual_seed(7), **kw)


@pytest.mark.parametrize("depth", [1, 2, 5])
@pytest.mark.parametrize("kw", [{}, {"start": 9}, {"shard": (1, 2)}])
def test_the_loaders_batches_in_its_order(sample, depth, kw):
    straight = list(loader(sample, **kw))
    with BatchPrefetcher(loader(sample, **kw), depth=depth) as batches:
        ahead = list(batches)
    assert len(ahead) == len(straight) == len(loader(sample)) - kw.get("start", 0)
    assert all(same_batch(a, b) for a, b in zip(ahead, straight, strict=True))
    assert len(batches.waits) == len(straight) and batches.wait_s >= 0
    assert not prefetch_threads()


def test_a_close_mid_epoch_stops_the_thread_and_no_batch_comes_after(sample):
    batches = BatchPrefetcher(loader(sample), depth=2).start()
    first = [next(batches), next(batches)]
    assert prefetch_threads()
    batches.close()
    assert not prefetch_threads()
    assert list(batches) == [] and len(first) == 2
    batches.close()  # a second close changes nothing


def test_an_error_in_the_loader_is_raised_in_the_loop_and_ends_the_thread(sample):
    def failing():
        yield from [sample.train.batch(torch.arange(5))] * 3
        raise OSError("disk gone")

    got = {"n": 0}
    with pytest.raises(OSError, match="disk gone"), BatchPrefetcher(failing(), depth=2) as batches:
        for _ in batches:
            got["n"] += 1
    assert got["n"] == 3  # the batches before the error came through
    assert not prefetch_threads()


def test_an_error_in_the_loop_ends_the_thread(sample):
    with pytest.raises(RuntimeError, match="step failed"), BatchPrefetcher(loader(sample), depth=2) as batches:
        for i, _ in enumerate(batches):
            if i == 1:
                raise RuntimeError("step failed")
    assert not prefetch_threads()


def test_depth_below_one_is_refused(sample):
    with pytest.raises(ValueError, match="at least 1"):
        BatchPrefetcher(loader(sample), depth=0)


class _InLoop:
    """BatchPrefetcher's interface with every batch built in the loop: training as it was before."""

    def __init__(self, batches, depth=2, device=None):
        self.batches, self.wait_s = batches, 0.0

    def __iter__(self):
        return iter(self.batches)

    def __len__(self):
        return len(self.batches)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def small_config(**kw):
    base = {"model": "fgnn", "epochs": 2, "batch_size": 20, "log_every": 5, "num_threads": 1,
            "model_params": {"hidden_size": 32, "dropout": 0.2}}
    return TrainConfig(**{**base, **kw})


def test_training_with_the_thread_ends_with_the_weights_of_batches_built_in_the_loop(tmp_path, sample, monkeypatch):
    ahead = train(small_config(), tmp_path / "ahead", progress=False, dataset=sample)
    with monkeypatch.context() as m:
        m.setattr(train_module, "BatchPrefetcher", _InLoop)
        in_loop = train(small_config(), tmp_path / "in-loop", progress=False, dataset=sample)
    a = torch.load(tmp_path / "ahead" / "last.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "in-loop" / "last.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert ahead["best"] == in_loop["best"] and ahead["step"] == in_loop["step"]
    rows = [r for r in read_metrics(tmp_path / "ahead") if r["kind"] == "eval"]
    assert all(0 <= r["loader_wait_s"] <= r["train_s"] for r in rows)
    assert not prefetch_threads()


def test_a_cancel_or_a_failing_step_leaves_no_thread_behind(tmp_path, sample, monkeypatch):
    calls = {"n": 0}

    def stop_after_three(self):
        calls["n"] += 1
        return calls["n"] >= 3

    with monkeypatch.context() as m:
        m.setattr(train_module._StopFlag, "__bool__", stop_after_three)
        cancelled = train(small_config(), tmp_path / "cancelled", progress=False, dataset=sample)
    assert cancelled["state"] == "cancelled" and cancelled["step"] == 3
    assert not prefetch_threads()

    real_step = train_module.NeuralRun.train_step

    def failing_step(self, batch, batch_no):
        if batch_no == 4:
            raise RuntimeError("CUDA error: an illegal memory access")
        return real_step(self, batch, batch_no)

    with monkeypatch.context() as m:
        m.setattr(train_module.NeuralRun, "train_step", failing_step)
        with pytest.raises(RuntimeError, match="illegal memory access"):
            train(small_config(), tmp_path / "failed", progress=False, dataset=sample)
    assert not prefetch_threads()


def test_on_cuda_the_thread_works_for_the_loops_gpu(monkeypatch):
    """A new thread's current GPU is GPU 0 whatever the loop's is: before its first batch the thread
    makes the GPU named in ``device`` its own, or the loop's current GPU when none is named
    (``torch.cuda.set_device`` refuses a bare "cuda"). Checked without a GPU: no tensor goes there."""
    calls = []
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 3)
    monkeypatch.setattr(torch.cuda, "set_device", lambda i: calls.append((threading.current_thread().name, i)))
    for device, index in (("cuda", 3), ("cuda:1", 1), (torch.device("cuda", 2), 2)):
        calls.clear()
        with BatchPrefetcher([10, 11, 12], device=device) as batches:
            assert list(batches) == [10, 11, 12]
        assert calls == [("fgnn-batch-prefetch", index)]
    calls.clear()
    with BatchPrefetcher([10], device="cpu") as batches:
        assert list(batches) == [10]
    assert calls == []
