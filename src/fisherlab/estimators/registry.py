"""The estimators by name: :func:`register` (a class decorator) and the look-ups."""

from __future__ import annotations

from ..core.registry import Registry
from .base import Estimator

#: estimator classes by name
_REGISTRY: Registry = Registry("estimator")
#: class decorator: make a estimator available to study files under ``cls.name``
register = _REGISTRY.register


def estimator_names() -> list[str]:
    return sorted(_REGISTRY)


def estimator_class(name: str) -> type[Estimator]:
    return _REGISTRY[name]


def make_estimator(name: str, options: dict | None = None) -> Estimator:
    return _REGISTRY[name](**(options or {}))


def maximum_likelihood_for(family) -> Estimator:
    """An estimator with the ``maximum_likelihood`` trait that applies to ``family``, at
    its default options (for a diagnostic that needs the MLE of a study without one)."""
    for _, cls in sorted(_REGISTRY.items()):
        if cls.maximum_likelihood and cls.applies_to(family):
            return cls()
    raise LookupError(f"no maximum-likelihood estimator applies to {family.name}")


def estimators_for(family) -> list[str]:
    """Names of the estimators that apply to ``family``."""
    return [n for n, c in sorted(_REGISTRY.items()) if c.applies_to(family)]
