"""Importing a registry's members: the modules of a package, and the extra estimators or
families of the modules named in ``FISHERLAB_PLUGINS``; the registries themselves.

    FISHERLAB_PLUGINS=mypkg.estimators,tests.faulty_estimators fisherlab run study.yaml

Each module is imported once, when :mod:`fisherlab.estimators` is first imported, after
the built-in estimators (:func:`load_plugins`); importing it registers what it declares
with the usual ``@register`` decorators. The variable is inherited by the processes
Snakemake starts, so a plugin works in every job. Only module names listed by the user are imported;
nothing in a study file is ever imported or evaluated.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

ENV = "FISHERLAB_PLUGINS"


def plugin_modules(value: str | None = None) -> list[str]:
    """The module names in ``value`` (default: the environment variable), in order."""
    value = os.environ.get(ENV, "") if value is None else value
    return [m.strip() for m in value.split(",") if m.strip()]


def load_plugins(value: str | None = None) -> list[str]:
    """Import every plugin module; an ImportError names the variable and the module."""
    names = plugin_modules(value)
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ImportError(f"{ENV}: cannot import plugin module {name!r}: {exc}") from exc
    return names


def import_submodules(package: str, path) -> list[str]:
    """Import every module of a package (``path``: its ``__path__``), in the order of
    their names, except those whose names start with ``_``: how the registries of
    families, estimators, diagnostics and report sections find their members, so that
    adding one is adding its module."""
    names = sorted(m.name for m in pkgutil.iter_modules(path) if not m.name.startswith("_"))
    for name in names:
        importlib.import_module(f"{package}.{name}")
    return names


class Registry(dict):
    """Classes by their ``name``: what :func:`register` (a class decorator) fills; one
    per kind of thing a study file names (families, estimators)."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def register(self, cls):
        """Class decorator: make ``cls`` available to study files under ``cls.name``."""
        if cls.name in self and self[cls.name] is not cls:
            raise ValueError(f"{self.kind} {cls.name!r} is registered twice")
        self[cls.name] = cls
        return cls


def python_object(spec: str):
    """The object named by ``python:<module>:<object>`` (a study's own family or
    measure), imported with the working directory (the project root) on the path, as
    ``(module, name, object or None)``; KeyError if the name is malformed or the module
    cannot be imported."""
    parts = spec.split(":")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        raise KeyError(f"{spec!r} is not of the form python:<module>:<object>")
    _, module, obj = parts
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.append(cwd)
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise KeyError(f"cannot import module {module!r} for {spec!r}: {exc}") from None
    return module, obj, getattr(mod, obj, None)
