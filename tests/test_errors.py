"""One root for a user's mistakes (fgnn.errors): every error a user can cause is an FGNNError and
none is a ValueError, so code that catches a user's mistake never also catches a bug."""
from __future__ import annotations

import importlib

import pytest

from fgnn import errors
from fgnn.data.graph import build_session_graph, make_batch
from fgnn.errors import CannotExplain, CheckpointError, ConfigError, DataError, FGNNError, RunFailed, RunFolderError

USER_ERRORS = (DataError, ConfigError, CheckpointError, RunFolderError, RunFailed, CannotExplain)


@pytest.mark.parametrize("cls", USER_ERRORS)
def test_every_user_error_has_one_root_and_is_not_a_value_error(cls):
    assert issubclass(cls, FGNNError) and not issubclass(cls, ValueError)
    assert not issubclass(FGNNError, ValueError)


@pytest.mark.parametrize(("module", "name"), [
    ("fgnn.data.dataset", "DataError"),  # the old home, still imported by the pages and the commands
    ("fgnn.models.checkpoint", "CheckpointError"),
    ("fgnn.runs.guard", "RunFolderError"),
    ("fgnn.runs.guard", "RunFailed"),
    ("fgnn.explain.attribution", "CannotExplain"),
])
def test_the_old_names_are_the_classes_of_fgnn_errors(module, name):
    assert getattr(importlib.import_module(module), name) is getattr(errors, name)


def test_the_run_failures_are_run_failed():
    from fgnn.runs.guard import RunFolderFailed, TrainingDiverged

    assert issubclass(TrainingDiverged, RunFailed) and issubclass(RunFolderFailed, RunFolderError)
    assert issubclass(RunFolderFailed, RunFailed)


def test_an_empty_session_is_a_data_error_not_a_value_error():
    for build in (lambda: make_batch([[3], []]), lambda: make_batch([]), lambda: build_session_graph([])):
        with pytest.raises(DataError, match="at least one click"):
            build()


def test_a_programming_error_stays_a_value_error():
    import pandas as pd

    from fgnn.app.paging import table_page
    from fgnn.training.prefetch import BatchPrefetcher

    for wrong in (lambda: BatchPrefetcher(iter(()), depth=0), lambda: table_page(pd.DataFrame(), size=0)):
        with pytest.raises(ValueError, match="at least") as raised:
            wrong()
        assert not isinstance(raised.value, FGNNError)
