"""Diagnostics: does each estimator behave as theory says, and from which n on?

A diagnostic is a pure function ``(estimates, study) -> table`` registered by name
with :func:`diagnostic`; the diagnose stage writes each table as
``results/<study>/<name>.csv`` and the report only reads and draws those tables. Every
statistic, p-value and verdict a page prints is a column of one of them. Each
diagnostic module also owns the thresholds it judges with (``ALPHA``, ``Z``, ...).

Adding a diagnostic is its module (one decorated function) plus its test; the
workflow's outputs, the diagnose stage and ``fisherlab run`` pick it up from
:data:`REGISTRY`. In page order:

* ``consistency``: slope of log RMSE on log n against -1/2 (regular) or -1;
* ``bessel``: biased vs unbiased estimators: bias against theory, and MSE;
* ``efficiency``: n Var(theta_hat) I(theta) against the Cramér-Rao bound 1;
* ``information``: the Fisher information per observation, where it comes from, checked;
* ``score``: the score at the truth: mean 0 and variance n I(theta) (Bartlett);
* ``normality``: standardised estimates against N(0, 1), per n;
* ``coverage``: actual against nominal coverage, with MCSE bands;
* ``intervals``: interval methods (Wald, likelihood ratio, score) side by side;
* ``calibration``: simulation-based calibration, PIT uniformity (truths from a prior);
* ``flags``: sampler warnings (divergences, R-hat, ESS) by kind, and the measures with
  and without the flagged replicates;
* ``likelihood``: the log-likelihood (or profile) around the MLE, for the explorer;
* ``optimiser``: optimisers compared: convergence, iterations, agreement;
* ``failures``: failed fits, grouped by kind of reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

Fn = Callable[[pd.DataFrame, "object"], pd.DataFrame]


@dataclass(frozen=True)
class Diagnostic:
    name: str
    fn: Fn
    doc: str


#: name -> diagnostic, in page order (the order the modules below register)
REGISTRY: dict[str, Diagnostic] = {}


def diagnostic(name: str) -> Callable[[Fn], Fn]:
    """Decorator: register ``fn(estimates, study) -> DataFrame`` as table ``name``."""

    def wrap(fn: Fn) -> Fn:
        if name in REGISTRY and REGISTRY[name].fn is not fn:
            raise ValueError(f"diagnostic {name!r} is registered twice")
        REGISTRY[name] = Diagnostic(name, fn, (fn.__doc__ or "").strip().split("\n")[0])
        return fn

    return wrap


def run_all(df: pd.DataFrame, study) -> dict[str, pd.DataFrame]:
    """Every diagnostic table of one study, keyed by name."""
    return {name: d.fn(df, study) for name, d in REGISTRY.items()}


# importing the modules registers them, in page order
from . import (  # noqa: E402,F401
    bessel,
    calibration,
    consistency,
    coverage,
    efficiency,
    failures,
    flags,
    information,
    intervals,
    likelihood,
    normality,
    optimiser,
    score,
)

#: the table names, in page order
TABLES = tuple(REGISTRY)

__all__ = ["REGISTRY", "TABLES", "Diagnostic", "diagnostic", "run_all"]
