"""Keep the garbage collector's full passes short in the app's long-lived process (docs/performance.md).

Streamlit runs a full collection (``gc.collect(2)``) after every script run. A full pass walks every
container object alive, and the app's imports alone (torch, torch-geometric, pandas, plotly,
Streamlit) leave about 400,000 of them: the pass took about 200 ms here, holding the GIL, so the
server could not send the run's last messages to the browser until it was over. Every click of
the app waited for it. :func:`freeze_after_imports` moves the objects alive after the imports into
the collector's permanent generation (``gc.freeze``), which full passes skip: the same pass then
takes about 1 ms. Frozen objects are still freed when nothing refers to them; only reference
cycles among them are never collected, so the freeze follows a collection.
"""
from __future__ import annotations

import gc
import sys

_modules_frozen = 0


def freeze_after_imports() -> bool:
    """Collect once and freeze every object alive now, when the process has imported modules
    since the last freeze (a page's first visit may import more: captum, PyG's explain module);
    otherwise do nothing. Returns whether it froze."""
    global _modules_frozen
    if len(sys.modules) <= _modules_frozen:
        return False
    gc.collect()
    gc.freeze()
    _modules_frozen = len(sys.modules)
    return True
