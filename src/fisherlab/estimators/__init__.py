"""The estimators: each declared once, in a module of this package, and registered by
name (:mod:`.registry`); every module of this package is imported here, so a new
estimator is its module alone. Then the modules named in ``FISHERLAB_PLUGINS``
(:mod:`fisherlab.core.registry`), which register theirs the same way."""

from __future__ import annotations

from ..core.registry import import_submodules, load_plugins
from .base import EstimandFit, Estimator
from .registry import (
    estimator_class,
    estimator_names,
    estimators_for,
    make_estimator,
    maximum_likelihood_for,
    register,
)

import_submodules(__name__, __path__)
load_plugins()

__all__ = ["EstimandFit", "Estimator", "estimator_class", "estimator_names",
           "estimators_for", "make_estimator", "maximum_likelihood_for", "register"]
