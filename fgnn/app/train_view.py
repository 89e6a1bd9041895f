"""What the Train page decides that is not drawing: the GPUs it can offer, the devices, which run
it watches (docs/run-folders.md). Pure functions; the page caches and draws them."""
from __future__ import annotations

from fgnn.models import is_neural

ACTIVE = ("queued", "running")


def gpu_names() -> list[str]:
    """The CUDA GPUs of this machine, by name (none without CUDA)."""
    import torch  # noqa: PLC0415 (torch and CUDA only when the page asks for the GPUs)

    if not torch.cuda.is_available():
        return []
    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]


def cuda_summary(names: list[str]) -> tuple[bool, str]:
    """``(has_cuda, words)`` for the Train page's device line."""
    if names:
        return True, f"{names[0]} ({len(names)} GPU)"
    return False, "no CUDA GPU found: runs use the CPU"


def device_choices(has_cuda: bool) -> list[str]:
    return ["auto", "cpu"] + (["cuda"] if has_cuda else [])


def run_to_watch(runs: list[dict], current: str | None) -> str | None:
    """The run the page watches: the one chosen while it still exists, else a run in progress, else
    the newest neural run (a baseline has no loss curves), else the newest; None without runs."""
    paths = [r["path"] for r in runs]
    if not paths:
        return None
    if current in paths:
        return current
    active = [r["path"] for r in runs if r["status"].get("state") in ACTIVE]
    neural_runs = [r["path"] for r in runs if is_neural((r.get("config") or {}).get("model"))]
    return (active or neural_runs or paths)[0]


def hit_key(best: dict, k: int) -> str | None:
    """The HR@K a run's best row shows: HR@k when it has it, else its first HR@."""
    return f"hit@{k}" if f"hit@{k}" in best else next((x for x in best if x.startswith("hit@")), None)


def progress(status: dict) -> tuple[float, str]:
    """The progress bar's fraction and words of a running run's status."""
    steps = status.get("steps_per_epoch") or 0
    total = steps * (status.get("epochs") or 1)
    done = (status.get("step") or 0) / max(total, 1) if steps else 0.0
    return min(max(done, 0.0), 1.0), f"step {status.get('step') or 0} of {total or '?'}"


def curve_k(rows: list[dict], k: int) -> int:
    """The K of the curves: the page's K when the run measured it, else its largest."""
    ks = sorted({int(x.split("@")[1]) for r in rows for x in r if x.startswith("hit@")})
    return k if k in ks or not ks else max(ks)
