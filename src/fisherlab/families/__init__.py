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


def get_family(name: str, design: dict | None = None) -> Family:
    """An instance of the family called ``name``, specialised by a study's
    ``model.design`` when given; KeyError when there is no such family.

    Besides the registered names: ``scipy.<name>`` is any continuous ``scipy.stats``
    distribution (see :mod:`.scipy_dist`), ``python:<module>:<object>`` a user's own
    Family subclass (see :mod:`.python_family` and docs/families.md).
    """
    if name.startswith("scipy."):
        from .scipy_dist import scipy_family

        fam = scipy_family(name[len("scipy."):])()
    elif name.startswith("python:"):
        from .python_family import python_family

        fam = python_family(name)()
    else:
        fam = _REGISTRY[name]()
    return fam.configure(design) if design else fam


# Importing the modules registers the families.
from . import (  # noqa: E402,F401
    bernoulli,
    beta,
    binomial,
    exponential,
    gamma,
    gaussian_mixture,
    geometric,
    linear_regression,
    logistic_regression,
    lognormal,
    negative_binomial,
    normal,
    poisson,
    uniform,
    weibull,
)

__all__ = ["Derived", "Family", "Param", "Point", "family_names", "get_family", "register"]
