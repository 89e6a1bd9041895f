"""The one root of every error a user can cause (docs/architecture.md).

Anything raised as an :class:`FGNNError` is a mistake in what was asked for or given (a data
source, a value, a checkpoint, a run folder, an explanation that does not apply): its message
names the problem and what to do, and the app and the CLI show it as it is. Anything else that
escapes is a bug. :class:`FGNNError` is deliberately not a :class:`ValueError`, so code that
catches a user's mistake never also catches a programming error.
"""
from __future__ import annotations


class FGNNError(Exception):
    """A user's mistake: the message names the problem and what to do."""


class DataError(FGNNError):
    """A data source cannot be used. The message names the source and the problem and says
    what to do; the app shows it as is."""


class ConfigError(DataError):
    """A value of a run's configuration (or of a CLI option) is outside its allowed range."""


class CheckpointError(DataError):
    """A checkpoint cannot be used: unreadable, not ours, or made for another dataset."""


class RunFolderError(DataError):
    """The run folder cannot be used as asked: in use, holds another run, not writable, full."""


class RunFailed(FGNNError):
    """The run started and ended ``failed`` (diverged, its folder stopped taking writes; status.json
    says why, where it could be written): ``fgnn train`` exits with code 1, not 2 (a refusal before
    any work)."""


class CannotExplain(DataError):
    """An explanation that cannot be made as asked (a method the model has none of, an empty
    session): the message says what applies. Anything else raised while explaining is a bug."""
