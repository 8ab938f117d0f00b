"""Models by name: the report's models, those registered at run time, and model files.

The one name resolver, above :mod:`symrecycle.models.model` (the engine's models)
and :mod:`symrecycle.io.modelfile` (model files), which neither imports.
"""

from __future__ import annotations

import functools
import os

from ..models.catalogue import augmentation, kickstarting
from ..models.model import Model
from .modelfile import load_model, variants

__all__ = ["models", "get_model", "register"]


_REGISTRY = {"kickstarting": kickstarting, "augmentation": augmentation}


def register(name: str, factory) -> None:
    """Add a model factory to the registry under ``name``."""
    _REGISTRY[name] = factory
    get_model.cache_clear()


def models() -> list:
    """The names of the known models, sorted."""
    return sorted(_REGISTRY)


def get_model(name) -> Model:
    """The model called ``name``, or the model file at the path ``name``.

    A name ending in ``.toml``, or naming an existing file, is read with
    :func:`symrecycle.io.modelfile.load_model` (afresh each call, so an edited
    file is re-read); a registered name gives its (cached) model, even if
    a file of that name exists; otherwise the name of a model file shipped
    with symrecycle (``"reuse-decay"``).
    ``ValueError`` listing the known names otherwise.
    """
    if isinstance(name, os.PathLike) or (
        isinstance(name, str) and name not in _REGISTRY
        and (name.endswith(".toml") or os.path.isfile(name))
    ):
        return load_model(name)
    if isinstance(name, str) and name not in _REGISTRY:
        shipped = variants()
        if name in shipped:  # a model file shipped with symrecycle, by its name
            return load_model(shipped[name])
    return _named_model(name)


@functools.cache
def _named_model(name) -> Model:
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(
            f"unknown model {name!r}; known models: {', '.join(models())} "
            "(or a shipped model file's name, or the path of a .toml model file)"
        )
    return _REGISTRY[name]()


get_model.cache_clear = _named_model.cache_clear
