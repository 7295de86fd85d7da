"""The families by name: :func:`register` (a class decorator) and the look-ups."""

from __future__ import annotations

from .base import Family
from .python_family import python_family
from .scipy_dist import scipy_family

_REGISTRY: dict[str, type[Family]] = {}


def register(cls: type[Family]) -> type[Family]:
    """Class decorator: make a family available to study files under ``cls.name``."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"family {cls.name!r} is registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def family_names() -> list[str]:
    """Names of every registered family, sorted."""
    return sorted(_REGISTRY)


def get_family(name: str, design: dict | None = None) -> Family:
    """An instance of the family called ``name``, specialised by a study's
    ``model.design`` when given; KeyError when there is no such family.

    Besides the registered names: ``scipy.<name>`` is any continuous ``scipy.stats``
    distribution (see :mod:`.scipy_dist`), ``python:<module>:<object>`` a user's own
    Family subclass (see :mod:`.python_family` and docs/families.md).
    """
    if name.startswith("scipy."):
        fam = scipy_family(name[len("scipy."):])()
    elif name.startswith("python:"):
        fam = python_family(name)()
    else:
        fam = _REGISTRY[name]()
    return fam.configure(design) if design else fam
