"""A model defined in a file outside the repository, registered with FGNN_MODELS=module:Class:
trained, evaluated, predicted and explained through the CLI; without FGNN_MODELS its checkpoint is
refused with one message and exit 2; a checkpoint naming an unregistered model (``os:system``, or a
module that would write a file if it were imported) imports nothing."""
from __future__ import annotations

import textwrap

import pytest
import torch
from own_model import MY_MODEL
from plugin_support import ITEM, SESSION, cli_env, fgnn, train_evaluate_predict_explain

pytestmark = pytest.mark.slow

TRAP = textwrap.dedent('''
    import pathlib
    pathlib.Path(__file__).with_name("IMPORTED").write_text("imported")

    class Evil:
        name = "evil"
''')


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("own-model")
    (root / "my_model.py").write_text(MY_MODEL)
    env = cli_env(PYTHONPATH=f"{cli_env()['PYTHONPATH']}:{root}", FGNN_MODELS="my_model:MeanModel")
    out = train_evaluate_predict_explain("meanclicks", root / "run", env, "--scale", 0.5)
    return root, env, out


def test_a_model_in_a_file_outside_the_repository(trained):
    _, env, out = trained
    ckpt = torch.load(out["checkpoint"], weights_only=True)
    assert ckpt["plugin"]["class"] == "my_model:MeanModel" and ckpt["model_config"]["scale"] == 0.5
    assert len(out["predict"]["topk"]) == 5
    assert out["explain"]["method"] == "ig"
    # it returns no attention: said so clearly
    proc = fgnn("explain", "--checkpoint", out["checkpoint"], "--session", *SESSION, "--item", ITEM,
                "--method", "attention", env=env)
    assert proc.returncode == 2 and "exposes no attention" in proc.stderr, proc.stderr


def test_its_checkpoint_without_the_plugin_is_refused_with_one_message(trained):
    _, _, out = trained
    for verb in (("evaluate",), ("predict", "--session", *SESSION),
                 ("explain", "--session", *SESSION, "--item", ITEM, "--method", "ig")):
        proc = fgnn(verb[0], "--checkpoint", out["checkpoint"], *verb[1:])
        assert proc.returncode == 2, (verb, proc.stderr)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, proc.stderr
        assert "model 'meanclicks'" in lines[0] and "is not registered" in lines[0]
        assert "FGNN_MODELS=my_model:MeanModel" in lines[0]


@pytest.mark.parametrize("recorded", ["os:system", "trap_module:Evil"])
def test_a_checkpoint_naming_an_unregistered_class_imports_nothing(trained, tmp_path, recorded):
    _, _, out = trained
    (tmp_path / "trap_module.py").write_text(TRAP)
    ckpt = torch.load(out["checkpoint"], weights_only=True)
    name = recorded.split(":")[1].lower()
    ckpt["model_name"] = name
    ckpt["plugin"] = {"name": name, "class": recorded, "package": None, "version": None}
    forged = tmp_path / "forged.pt"
    torch.save(ckpt, forged)
    env = cli_env(PYTHONPATH=f"{cli_env()['PYTHONPATH']}:{tmp_path}")
    proc = fgnn("predict", "--checkpoint", forged, "--session", *SESSION, env=env)
    assert proc.returncode == 2 and f"model '{name}'" in proc.stderr and "is not registered" in proc.stderr
    assert not (tmp_path / "IMPORTED").exists(), "the module a checkpoint names was imported"


def test_a_plugin_may_not_shadow_a_built_in_model(tmp_path, monkeypatch):
    (tmp_path / "shadow_model.py").write_text(MY_MODEL.replace('name = "meanclicks"', 'name = "srgnn"'))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("FGNN_MODELS", "shadow_model:MeanModel")
    from fgnn.models import model_spec, plugins

    plugins.reload()
    try:
        with pytest.warns(plugins.PluginWarning, match="may not replace a built-in model"):
            spec = model_spec("srgnn")
        assert spec.plugin is None and spec.class_path == "fgnn.models.srgnn:SRGNN"
        assert any("shadow_model:MeanModel" in p for p in plugins.problems())
    finally:
        monkeypatch.delenv("FGNN_MODELS")
        plugins.reload()
