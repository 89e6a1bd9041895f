"""Models of your own, registered without forking FGNN Studio (docs/own-model.md).

A plugin is a subclass of :class:`fgnn.models.SessionRecommender` (any model) or of
:class:`fgnn.models.GraphSessionModel` (a model over the session graph) with the class attributes
``name`` (lower-case letters and digits), ``label`` and ``config_class`` (a dataclass with
``n_items`` and a default for every other field). It is registered in one of two ways:

* the entry-point group ``fgnn.models`` of any installed package
  (``[project.entry-points."fgnn.models"] narm = "fgnn_narm:NARM"`` in its ``pyproject.toml``);
* the environment variable ``FGNN_MODELS=module:Class[,module:Class]`` for a module on the Python path.

Only these two places are ever imported. A checkpoint, a config file or a page names a model, and
the name is looked up in the registry (the allowlist): a name that is not there is refused with
one message (:func:`not_registered`), and the ``module:Class`` a checkpoint records is shown in that
message, never imported. A plugin may not take a built-in model's name, nor one taken by an earlier
plugin: it is refused with a warning naming both, and the rest of the registry works.
"""
from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import os
import re
import warnings
from collections.abc import Mapping
from types import MappingProxyType

from fgnn.errors import FGNNError
from fgnn.models.base import SessionRecommender
from fgnn.models.spec import ModelSpec

ENTRY_POINT_GROUP = "fgnn.models"
ENV = "FGNN_MODELS"
NAME = re.compile(r"^[a-z][a-z0-9]*$")
HOW = f"install its package (entry point '{ENTRY_POINT_GROUP}') or set {ENV}=module:Class"


class PluginError(FGNNError):
    """A plugin that cannot be registered: the message names it and what is wrong."""


class PluginWarning(UserWarning):
    """A plugin was refused (registering it failed); the other models are unaffected."""


_cache: dict = {}


def _where(value: str) -> tuple[str, str]:
    if not isinstance(value, str) or value.count(":") != 1:
        raise PluginError(f"'{value}' is not module:Class")
    module, cls = (part.strip() for part in value.split(":"))
    if not module or not cls:
        raise PluginError(f"'{value}' is not module:Class")
    return module, cls


def _version_of_module(module: str) -> tuple[str | None, str | None]:
    """``(distribution, version)`` of the installed package that provides ``module`` (None: a plain file)."""
    top = module.split(".")[0]
    try:
        dists = importlib.metadata.packages_distributions().get(top) or []
        if dists:
            return dists[0], importlib.metadata.version(dists[0])
    except (importlib.metadata.PackageNotFoundError, ValueError, OSError):
        pass  # metadata of a broken install: no version, the model still loads
    mod = importlib.import_module(module)
    version = getattr(mod, "__version__", None)
    return None, (str(version) if version is not None else None)


def check_class(cls, where: str = "") -> None:
    """Raise :class:`PluginError` unless ``cls`` meets the plugin contract (docs/own-model.md)."""
    what = f"plugin {where}" if where else f"model class {getattr(cls, '__name__', cls)!r}"
    if not (isinstance(cls, type) and issubclass(cls, SessionRecommender)):
        raise PluginError(f"{what} is not a subclass of fgnn.models.SessionRecommender")
    name = cls.__dict__.get("name", getattr(cls, "name", None))
    if not isinstance(name, str) or not NAME.match(name) or name == "base":
        raise PluginError(f"{what}: its class attribute name={name!r} must be lower-case letters and digits, "
                          "starting with a letter (e.g. 'narm')")
    if not isinstance(getattr(cls, "label", None), str) or not cls.label:
        raise PluginError(f"{what}: it needs a class attribute label, a name for people (e.g. 'NARM')")
    config = getattr(cls, "config_class", None)
    if not (isinstance(config, type) and dataclasses.is_dataclass(config)):
        raise PluginError(f"{what}: its class attribute config_class must be a dataclass of its hyperparameters")
    names = [f.name for f in dataclasses.fields(config)]
    if "n_items" not in names:
        raise PluginError(f"{what}: its config_class {config.__name__} has no field n_items")
    bare = [f.name for f in dataclasses.fields(config) if f.name != "n_items"
            and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if bare:
        raise PluginError(f"{what}: the field(s) {', '.join(bare)} of {config.__name__} need a default")


def spec_of(cls, source: str, package: str | None = None, version: str | None = None) -> ModelSpec:
    """The :class:`ModelSpec` of a plugin class (checked against the contract)."""
    where = f"{cls.__module__}:{cls.__qualname__}"
    check_class(cls, where)
    presets = getattr(cls, "presets", None) or {}
    return ModelSpec(cls.name, cls.label, "neural" if getattr(cls, "trainable", False) else "baseline",
                     cls.config_class, where, presets=presets,
                     plugin=MappingProxyType({"class": where, "package": package, "version": version,
                                              "source": source}))


def _load(value: str, source: str, package: str | None = None, version: str | None = None) -> ModelSpec:
    module, name = _where(value)
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 (any failure of someone else's module is reported, not raised)
        raise PluginError(f"plugin {value} ({source}) cannot be imported: {type(exc).__name__}: {exc}") from None
    cls = mod
    for part in name.split("."):
        cls = getattr(cls, part, None)
    if cls is None:
        raise PluginError(f"plugin {value} ({source}): module {module} has no {name}")
    if package is None and version is None:
        package, version = _version_of_module(module)
    return spec_of(cls, source, package, version)


def _sources() -> list[tuple[str, str, str | None, str | None]]:
    """``(module:Class, source, package, version)`` of every plugin, entry points first."""
    out = []
    for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.value, e.name)):
        dist = getattr(ep, "dist", None)
        out.append((ep.value, f"entry point '{ep.name}' of {dist.name if dist else 'a package'}",
                    dist.name if dist else None, dist.version if dist else None))
    for value in (os.environ.get(ENV) or "").split(","):
        if value.strip():
            out.append((value.strip(), ENV, None, None))
    return out


def registered(builtin: Mapping[str, ModelSpec]) -> Mapping[str, ModelSpec]:
    """``builtin`` then the plugins, found once per value of ``FGNN_MODELS``; a plugin refused is
    reported once as a :class:`PluginWarning` and listed by :func:`problems`."""
    key = os.environ.get(ENV) or ""
    if _cache.get("key") != key or "models" not in _cache:
        models: dict[str, ModelSpec] = dict(builtin)
        found: list[str] = []
        classes: dict[str, str] = {}
        for value, source, package, version in _sources():
            try:
                spec = _load(value, source, package, version)
                if spec.name in builtin:
                    raise PluginError(f"plugin {value} ({source}) is named '{spec.name}', the name of the "
                                      f"built-in model {builtin[spec.name].label}: a plugin may not replace a "
                                      "built-in model; give its class another name")
                if spec.name in models:
                    if classes.get(spec.name) == spec.class_path:
                        continue  # the same class twice (an entry point and FGNN_MODELS): one model
                    raise PluginError(f"plugin {value} ({source}) is named '{spec.name}', already taken by "
                                      f"{classes[spec.name]}: give one of them another name")
            except PluginError as exc:
                found.append(str(exc))
                continue
            models[spec.name] = spec
            classes[spec.name] = spec.class_path
        _cache.update(key=key, models=MappingProxyType(models), problems=tuple(found))
        for text in found:
            warnings.warn(text, PluginWarning, stacklevel=3)
    return _cache["models"]


def problems() -> list[str]:
    """What went wrong registering plugins (empty: every plugin was registered; call after the
    registry was first read, e.g. ``model_names()``)."""
    return list(_cache.get("problems", ()))


def reload() -> None:
    """Look for plugins again on the next read of the registry (after installing one, or in a test)."""
    _cache.clear()


def not_registered(name, known, recorded: Mapping | None = None) -> str:
    """The one message for a model name that is not in the registry; ``recorded``: the plugin a
    checkpoint records (``module:Class``, package, version), named in the message, never imported."""
    shown = str(name)[:60]
    extra = ""
    if isinstance(recorded, Mapping) and isinstance(recorded.get("class"), str):
        cls = recorded["class"][:120]
        pkg = recorded.get("package")
        ver = recorded.get("version")
        made = f" by {cls}" + (f" from {str(pkg)[:60]} {str(ver)[:30] if ver else ''}".rstrip() if pkg else "")
        extra = made
        how = (f"install its package ({str(pkg)[:60]}) or set {ENV}={cls}" if pkg else f"set {ENV}={cls} "
               f"(its module on the Python path) or install its package")
    else:
        how = HOW
    known = ", ".join(known)
    refused = [p for p in problems() if f"'{shown}'" in p]
    why = f" (registering it failed: {refused[0]})" if refused else ""
    return f"model '{shown}'{extra} is not registered{why}: {how}; registered models: {known}"
