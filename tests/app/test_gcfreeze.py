"""fgnn.app.gcfreeze: the app's imports leave the garbage collector's full passes (docs/performance.md)."""
import gc
import sys
import types

import pytest

from fgnn.app import gcfreeze


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(gcfreeze, "_modules_frozen", 0)
    yield
    gc.unfreeze()
    sys.modules.pop("fgnn_test_new_module", None)


def test_freezes_once_then_again_only_after_new_imports(fresh):
    assert gcfreeze.freeze_after_imports()
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # pytest, torch, pandas ... are in the permanent generation now
    assert not gcfreeze.freeze_after_imports()  # nothing imported since
    sys.modules["fgnn_test_new_module"] = types.ModuleType("fgnn_test_new_module")
    assert gcfreeze.freeze_after_imports()


def test_a_full_pass_then_skips_the_frozen_objects(fresh):
    gcfreeze.freeze_after_imports()
    assert len(gc.get_objects()) < gc.get_freeze_count() / 10  # what a full pass still walks


def test_frozen_objects_are_still_freed_when_nothing_refers_to_them(fresh):
    import weakref

    class Thing:
        pass

    thing = Thing()
    ref = weakref.ref(thing)
    gcfreeze.freeze_after_imports()
    del thing
    assert ref() is None
