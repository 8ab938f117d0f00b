"""Models by name: the report's models, those registered at run time, and model files.

The one name resolver, above :mod:`symrecycle.models.model` (the engine's models)
and :mod:`symrecycle.io.modelfile` (model files), which neither imports.
"""

from __future__ import annotations

import functools
import os

from ..core.suggest import did_you_mean
from ..models.catalogue import augmentation, kickstarting
from ..models.model import Model
from .modelfile import load_model, variants

__all__ = ["models", "get_model", "register", "unregister"]


_BUILT_IN = {"kickstarting": kickstarting, "augmentation": augmentation}
_REGISTRY = dict(_BUILT_IN)


def register(name: str, factory) -> None:
    """Add a model factory to the registry under ``name``.

    Examples
    --------
    >>> from symrecycle.models.catalogue import kickstarting
    >>> register("my-kickstarting", kickstarting)
    >>> "my-kickstarting" in models(), get_model("my-kickstarting").name
    (True, 'kickstarting')
    >>> unregister("my-kickstarting")
    >>> "my-kickstarting" in models()
    False
    """
    _REGISTRY[name] = factory
    get_model.cache_clear()


def unregister(name: str) -> None:
    """Remove a model registered with :func:`register` (ValueError for the report's own models).

    Examples
    --------
    >>> unregister("kickstarting")
    Traceback (most recent call last):
    ...
    ValueError: 'kickstarting' is one of the report's models; it cannot be removed
    """
    if name in _BUILT_IN:
        raise ValueError(f"{name!r} is one of the report's models; it cannot be removed")
    if name not in _REGISTRY:
        raise ValueError(f"no model {name!r} is registered; registered: {', '.join(models())}")
    del _REGISTRY[name]
    _named_model.cache_clear()


def models() -> list:
    """The names of the known models, sorted.

    Examples
    --------
    >>> models()
    ['augmentation', 'kickstarting']
    """
    return sorted(_REGISTRY)


def get_model(name) -> Model:
    """The model called ``name``, or the model file at the path ``name``.

    A name ending in ``.toml``, or naming an existing file, is read with
    :func:`symrecycle.io.modelfile.load_model` (afresh each call, so an edited
    file is re-read); a registered name gives its (cached) model, even if
    a file of that name exists; otherwise the name of a model file shipped
    with symrecycle (``"reuse-decay"``).
    ``ValueError`` listing the known names otherwise.

    Examples
    --------
    >>> get_model("kickstarting") is get_model("kickstarting")  # a registered name: cached
    True
    >>> get_model("reuse-decay").source.endswith("reuse-decay.toml")  # a shipped model file
    True
    >>> get_model("no-such-model")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown model 'no-such-model'; known models: augmentation, kickstarting; ...
    """
    if isinstance(name, os.PathLike) or (isinstance(name, str) and name not in _REGISTRY and _is_path(name)):
        return load_model(name)
    if isinstance(name, str) and name not in _REGISTRY:
        shipped = variants()
        if name in shipped:  # a model file shipped with symrecycle, by its name
            return load_model(shipped[name])
    return _named_model(name)


def _is_path(name: str) -> bool:
    """Whether a name is meant as a file: ``*.toml``, a path with a folder in it, or an existing file."""
    seps = [s for s in (os.sep, os.altsep) if s]
    return name.endswith(".toml") or any(s in name for s in seps) or os.path.isfile(name)


@functools.cache
def _named_model(name) -> Model:
    if not isinstance(name, str) or name not in _REGISTRY:
        files = [k for k in sorted(variants()) if k not in _REGISTRY]
        also = f"; shipped model files: {', '.join(files)}" if files else ""
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(models())}{also}; "
                         "or the path of a .toml model file" + did_you_mean(name, [*models(), *files]))
    return _REGISTRY[name]()


get_model.cache_clear = _named_model.cache_clear
