"""Diagnostics: does each estimator behave as theory says, and from which n on?

A diagnostic is a pure function ``(estimates, study) -> table`` registered by name
with :func:`diagnostic`; the diagnose stage writes each table as
``results/<study>/<name>.csv`` and the report only reads and draws those tables. Every
statistic, p-value and verdict a page prints is a column of one of them. Each
diagnostic module also owns the thresholds it judges with (``ALPHA``, ``Z``, ...).

Adding a diagnostic is its module (one decorated function), found when this package is
imported, plus its test; the workflow's outputs, the diagnose stage and ``fisherlab run``
pick it up from :data:`REGISTRY`, and its page section, if it has one, is a module of
:mod:`fisherlab.report.sections`.

The diagnose stage never holds the whole study: :func:`stream_all` calls each function
on one *unit* at a time (one condition's rows by default, with every n, or finer: a
diagnostic declares ``by``, the columns beyond the condition that its groups split on,
and ``columns``, what it reads) and stacks the unit tables in order. That is the
whole-table result exactly, since every diagnostic groups by the condition (and its
``by``) first.
"""

from __future__ import annotations

import pandas as pd

from ..core.registry import import_submodules
from .registry import CELL, ONCE, REGISTRY, Diagnostic, diagnostic


def run_all(df: pd.DataFrame, study) -> dict[str, pd.DataFrame]:
    """Every diagnostic table of one study, keyed by name, from its rows in memory."""
    return {name: d.fn(df, study) for name, d in REGISTRY.items()}


def stream_all(source, study, names=None) -> dict[str, pd.DataFrame]:
    """Every diagnostic table of one study (or those in ``names``) from its dataset
    (:class:`fisherlab.run.dataset.Estimates`), a unit at a time. Diagnostics with the same
    ``by`` share each read (the union of their columns); where ``by`` holds ``n``, one
    condition × n file is read once and split into the units in memory."""
    chosen = [d for d in REGISTRY.values() if names is None or d.name in names]
    out: dict[str, list] = {d.name: [] for d in chosen}
    by_unit: dict[tuple, list[Diagnostic]] = {}
    for d in chosen:
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


import_submodules(__name__, __path__)

#: the table names, in the order of their modules' names
TABLES = tuple(REGISTRY)

__all__ = ["CELL", "ONCE", "REGISTRY", "TABLES", "Diagnostic", "diagnostic", "run_all",
           "stream_all"]
