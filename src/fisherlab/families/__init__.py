"""The family registry: one module per family, registered by name.

>>> from fisherlab.families import get_family
>>> get_family("normal").estimands()
('mu', 'sigma', 'sigma2')
"""

from __future__ import annotations

from .base import Derived, Family, Param, Point

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


def get_family(name: str) -> Family:
    """An instance of the family called ``name``; KeyError when there is none."""
    return _REGISTRY[name]()


# Importing the modules registers the families.
from . import (  # noqa: E402,F401
    bernoulli,
    binomial,
    exponential,
    geometric,
    normal,
    poisson,
    uniform,
)

__all__ = ["Derived", "Family", "Param", "Point", "family_names", "get_family", "register"]
