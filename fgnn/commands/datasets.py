"""``fgnn datasets``: the bundled datasets, what the protocol makes of them, where they come from.

    python -m fgnn datasets
    python -m fgnn datasets --json

For every registry name (:data:`fgnn.data.registry.REGISTRY`): items, sessions and pairs after the
protocol (train / test), whether items have names, the source and licence of its bytes, and the
shipped checkpoints trained on it (the run folders in the repository's ``checkpoints/`` whose
``config.json`` names the dataset).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from fgnn.commands.common import fail
from fgnn.data.registry import REGISTRY, list_datasets, load_dataset
from fgnn.errors import FGNNError
from fgnn.runs.folders import DEFAULT_ROOT


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "datasets", help="list the bundled datasets: size after the protocol, source, licence, checkpoints",
        description="List the datasets bundled with FGNN Studio (the registry names that --dataset and "
                    "prepare accept): items, sessions and pairs after the protocol, whether items have "
                    "names, source and licence, and the shipped checkpoints trained on each.")
    p.add_argument("--json", action="store_true", help="print one JSON list instead of the text")
    p.set_defaults(func=run)
    return p


def shipped_checkpoints(name: str, root: Path = DEFAULT_ROOT) -> list[dict]:
    """The run folders under ``root`` whose ``config.json`` names dataset ``name``: run, model, path."""
    found = []
    for config in sorted(Path(root).glob("*/config.json")):
        try:
            cfg = json.loads(config.read_text())
        except (OSError, ValueError):
            continue  # a folder being written, or not a run: not listed
        if isinstance(cfg, dict) and cfg.get("dataset") == name:
            found.append({"run": config.parent.name, "model": cfg.get("model"), "path": str(config.parent)})
    return found


def dataset_entry(name: str, root: Path = DEFAULT_ROOT) -> dict:
    """One bundled dataset as ``--json`` prints it (prepared through the cache, as training reads it)."""
    entry = REGISTRY[name]
    ds = load_dataset(name)
    s = ds.summary()
    return {
        "name": name, "format": entry["format"], "description": entry.get("description", ""),
        "items": s["n_items"],
        "sessions": {"train": s["train_sessions"], "test": s["test_sessions"]},
        "pairs": {"train": s["train_pairs"], "test": s["test_pairs"]},
        "item_names": ds.item_names is not None,
        "categories": ds.categories is not None,
        "source": entry.get("source"), "licence": entry.get("licence"),
        "checkpoints": shipped_checkpoints(name, root),
    }


def format_entry(e: dict) -> str:
    """One dataset as a few lines of text."""
    runs = ", ".join(f"{c['run']} ({c['model']})" for c in e["checkpoints"]) or "none"
    return "\n".join([
        (f"{e['name']} ({e['format']}): {e['items']:,} items, {e['sessions']['train']:,} / "
         f"{e['sessions']['test']:,} train / test sessions, {e['pairs']['train']:,} / {e['pairs']['test']:,} "
         "train / test pairs"),
        f"  item names: {'yes' if e['item_names'] else 'no'}; categories: {'yes' if e['categories'] else 'no'}",
        f"  source: {e['source'] or 'not stated'}",
        f"  licence: {e['licence'] or 'not stated'}",
        f"  checkpoints: {runs}",
    ])


def run(args) -> int:
    try:
        entries = [dataset_entry(name) for name in list_datasets()]
    except FGNNError as exc:
        return fail(exc)
    if args.json:
        print(json.dumps(entries))
    else:
        print("\n\n".join(format_entry(e) for e in entries))
    return 0
