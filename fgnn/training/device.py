"""Which device a run trains on, and how it is named in a run's status (docs/distributed.md)."""
from __future__ import annotations

import torch

from fgnn.errors import DataError


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DataError("device 'cuda' was asked for but no CUDA GPU is available here: use --device auto or cpu")
    return torch.device(name)


def device_description(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"

