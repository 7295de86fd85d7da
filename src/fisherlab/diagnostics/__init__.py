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

import importlib
import pkgutil
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


#: name -> diagnostic, in the order of their modules' names (the page's order is the
#: sections')
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
    (:class:`fisherlab.run.dataset.Estimates`), a unit at a time. Diagnostics with the same
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


def _discover() -> None:
    """Import every diagnostic module of this package (each registers itself), in the
    order of their names; a module whose name starts with ``_`` holds helpers."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


_discover()

#: the table names, in the order of their modules' names
TABLES = tuple(REGISTRY)

__all__ = ["CELL", "ONCE", "REGISTRY", "TABLES", "Diagnostic", "diagnostic", "run_all",
           "stream_all"]
