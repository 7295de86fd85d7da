"""Diagnostics: does each estimator behave as theory says, and from which n on?

A diagnostic is a pure function ``(estimates, study) -> table`` registered by name
with :func:`diagnostic`; the diagnose stage writes each table as
``results/<study>/<name>.csv`` and the report only reads and draws those tables. Every
statistic, p-value and verdict a page prints is a column of one of them. Each
diagnostic module also owns the thresholds it judges with (``ALPHA``, ``Z``, ...).

Adding a diagnostic is its module (one decorated function) plus its test; the
workflow's outputs, the diagnose stage and ``fisherlab run`` pick it up from
:data:`REGISTRY`.

The diagnose stage never holds the whole study: :func:`stream_all` calls each function
on one *unit* at a time (one condition's rows by default, with every n, or finer: a
diagnostic declares ``by``, the columns beyond the condition that its groups split on,
and ``columns``, what it reads) and stacks the unit tables in order. That is the
whole-table result exactly, since every diagnostic groups by the condition (and its
``by``) first. In page order:

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


#: the columns that identify a cell beyond its condition
CELL = ("n", "estimator", "estimand")
#: ``by`` of a diagnostic computed once per study, from the study itself (it draws what
#: it needs); it gets the first condition's rows (e.g. for its MAP estimates)
ONCE = ("<study>",)


@dataclass(frozen=True)
class Diagnostic:
    name: str
    fn: Fn
    doc: str
    #: the unit it is called on: one condition × these columns' values
    by: tuple[str, ...] = ()
    #: the estimate columns it reads (condition columns come too); None: all
    columns: tuple[str, ...] | None = None


#: name -> diagnostic, in page order (the order the modules below register)
REGISTRY: dict[str, Diagnostic] = {}


def diagnostic(name: str, by: tuple[str, ...] = (),
               columns: tuple[str, ...] | None = None) -> Callable[[Fn], Fn]:
    """Decorator: register ``fn(estimates, study) -> DataFrame`` as table ``name``;
    ``by`` and ``columns`` say what unit of rows it needs (:func:`stream_all`)."""

    def wrap(fn: Fn) -> Fn:
        if name in REGISTRY and REGISTRY[name].fn is not fn:
            raise ValueError(f"diagnostic {name!r} is registered twice")
        REGISTRY[name] = Diagnostic(name, fn, (fn.__doc__ or "").strip().split("\n")[0],
                                    tuple(by), None if columns is None else tuple(columns))
        return fn

    return wrap


def run_all(df: pd.DataFrame, study) -> dict[str, pd.DataFrame]:
    """Every diagnostic table of one study, keyed by name, from its rows in memory."""
    return {name: d.fn(df, study) for name, d in REGISTRY.items()}


def stream_all(source, study) -> dict[str, pd.DataFrame]:
    """Every diagnostic table of one study from its dataset
    (:class:`fisherlab.dataset.Estimates`), a unit at a time. Diagnostics with the same
    ``by`` share each read (the union of their columns); where ``by`` holds ``n``, one
    condition × n file is read once and split into the units in memory."""
    out: dict[str, list] = {name: [] for name in REGISTRY}
    by_unit: dict[tuple, list[Diagnostic]] = {}
    for d in REGISTRY.values():
        by_unit.setdefault(d.by, []).append(d)
    for by, ds in by_unit.items():
        cols = None if any(d.columns is None for d in ds) else sorted(
            {c for d in ds for c in d.columns} | (set() if by == ONCE else set(by)))
        for frame in _frames(source, by, cols):
            for d in ds:
                out[d.name].append(d.fn(frame, study))
    return {name: _stack(parts) for name, parts in out.items()}


def _frames(source, by: tuple[str, ...], cols):
    """The units of ``by`` in table order, as frames."""
    if by == ONCE:
        units = source.units(())
        if len(units):
            yield source.read(units.iloc[0]["cond"], None, cols)
        return
    if "n" not in by:
        for _, unit in source.units(by).iterrows():
            yield source.read(unit["cond"], None, cols, **{k: unit[k] for k in by})
        return
    rest = [k for k in by if k != "n"]
    for _, unit in source.units(("n",)).iterrows():
        rows = source.read(unit["cond"], unit["n"], cols)
        if not rest:
            yield rows
            continue
        for _, g in rows.groupby(rest, sort=True):
            yield g


def _stack(parts: list[pd.DataFrame]) -> pd.DataFrame:
    full = [p for p in parts if len(p)]
    if not full:
        return parts[0] if parts else pd.DataFrame()
    return pd.concat(full, ignore_index=True)


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

__all__ = ["CELL", "ONCE", "REGISTRY", "TABLES", "Diagnostic", "diagnostic", "run_all",
           "stream_all"]
