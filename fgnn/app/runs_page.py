"""What the Runs page decides and writes, without Streamlit (``pages/4_Runs.py`` draws it): the
runs overlaid by default, which chosen runs are curves and which reference lines, the captions and
what using or deleting a run's checkpoint changes."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from fgnn.models import is_neural

KINDS = (("model", "Models"), ("baseline", "Baselines"))
DEFAULT_OVERLAID = 2


def runs_caption(n_runs: int, k: int) -> str:
    return (f"{n_runs} run(s) in the checkpoints root. Best metrics at K = {k} (the sidebar's K; "
            "a run evaluated at other K shows blanks).")


def no_runs_of_kind_caption(kind: str) -> str:
    """What the Models / Baselines table says when it has no run."""
    return "none yet" + (": fit POP, S-POP, Markov or (V-)SKNN on the Train page for an honest "
                         "comparison" if kind == "baseline" else "")


def default_overlay(table: pd.DataFrame, k: int, n: int = DEFAULT_OVERLAID) -> list[str]:
    """The runs overlaid by default: the ``n`` finished neural runs with the best HR@K (a run
    without one last); baselines are drawn as reference lines, never by default."""
    finished = table[(table["kind"] == "model") & (table["state"] == "finished")]
    return list(finished.sort_values(f"HR@{k}", ascending=False, na_position="last")["run"][:n])


def overlay_split(chosen: Sequence[str], by_name: dict) -> tuple[list[str], list[str]]:
    """``(curves, references)``: the chosen runs of neural models, drawn as training curves, and
    the other chosen runs (baselines), drawn as reference lines; names not in ``by_name`` are
    left out."""
    curves = [n for n in chosen if n in by_name and is_neural(by_name[n]["config"].get("model"))]
    references = [n for n in chosen if n in by_name and n not in curves]
    return curves, references


def compared_pair(chosen: Sequence[str], by_name: dict) -> tuple[str, str] | None:
    """The two runs whose configs are compared: the chosen ones when there are exactly two."""
    if len(chosen) == 2 and all(n in by_name for n in chosen):
        return chosen[0], chosen[1]
    return None


def config_difference_heading(n_settings: int) -> str:
    return f"**Config difference** ({n_settings} setting{'s' * (n_settings != 1)})"


def use_button_label(in_use: bool) -> str:
    return ":material/check: Use this checkpoint in the whole app" if not in_use else ":material/check: In use"


def now_using_message(path) -> str:
    p = Path(path)
    return f"The app now uses {p.parent.name}/{p.name}."


def inside_run(checkpoint, run_path) -> bool:
    """Whether the app's ``checkpoint`` is a file of the run folder ``run_path`` (deleting the run
    then sends the app back to its default checkpoint)."""
    return str(checkpoint or "").startswith(str(Path(run_path)))
