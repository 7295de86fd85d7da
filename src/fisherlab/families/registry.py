"""The families by name: :func:`register` (a class decorator) and the look-ups."""

from __future__ import annotations

from ..core.registry import Registry
from .base import Family
from .python_family import python_family
from .scipy_dist import scipy_family

#: family classes by name
_REGISTRY: Registry = Registry("family")
#: class decorator: make a family available to study files under ``cls.name``
register = _REGISTRY.register


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
