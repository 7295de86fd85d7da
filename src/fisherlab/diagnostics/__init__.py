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
``by``) first. A ``by`` that holds ``n`` is called on one condition × n (its one
file, read once for every diagnostic), which its own grouping splits further.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..core.labels import param_columns, prior_columns
from ..core.layout import ESTIMATES, part_path
from ..core.registry import import_submodules
from .registry import CELL, ONCE, REGISTRY, Diagnostic, diagnostic


def run_all(df: pd.DataFrame, study) -> dict[str, pd.DataFrame]:
    """Every diagnostic table of one study, keyed by name, from its rows in memory."""
    return {name: d.fn(df, study) for name, d in REGISTRY.items()}


def stream_all(source, study, names=None) -> dict[str, pd.DataFrame]:
    """Every diagnostic table of one study (or those in ``names``) from its dataset
    (:class:`fisherlab.run.dataset.Estimates`), a unit at a time, a condition at a time:
    each condition × n file is decoded once (:class:`_Condition`, the union of the
    columns the chosen diagnostics read) and every unit of that condition is cut from
    it. Where ``by`` holds ``n``, a unit is a split in memory of that n's rows."""
    chosen = [d for d in REGISTRY.values() if names is None or d.name in names]
    out: dict[str, list] = {d.name: [] for d in chosen}
    by_unit: dict[tuple, list[Diagnostic]] = {}
    for d in chosen:
        by_unit.setdefault(d.by, []).append(d)
    plan = []  # (by, its diagnostics, the columns they read (None: all), its units)
    for by, ds in by_unit.items():
        cols = None if any(d.columns is None for d in ds) else sorted(
            {c for d in ds for c in d.columns} | (set() if by == ONCE else set(by)))
        plan.append((by, ds, cols, source.units(() if by == ONCE else by)))
    wanted = None if any(cols is None for _, _, cols, _ in plan) else sorted(
        {c for _, _, cols, _ in plan for c in cols})
    conds = source.units(())["cond"]
    for i, cond in enumerate(conds):
        rows = _Condition(source, cond, wanted)
        for by, ds, cols, units in plan:
            if by == ONCE and i > 0:  # the first condition's rows only
                continue
            for frame in _frames(rows, by, cols, units[units["cond"] == cond]):
                for d in ds:
                    out[d.name].append(d.fn(frame, study))
                del frame  # (not held while the next one is converted: a cell's rows)
    return {name: _stack(parts) for name, parts in out.items()}


class _Condition:
    """One condition's estimates, each of its condition × n files decoded once (only
    ``columns``, None: all), answering :meth:`read` as
    :meth:`fisherlab.run.dataset.Estimates.read` does from the files: the same rows, in
    the same order, columns and dtypes (the selection and filter are Arrow's, before
    the one conversion to pandas)."""

    def __init__(self, source, cond: str, columns):
        self.source, self.cond = source, cond
        cells = source.cells
        self.sizes = sorted(int(v) for v in cells.loc[cells["cond"] == cond, "n"].unique())
        self.tables = {n: self._decode(part_path(source.folder, ESTIMATES, cond, n), columns)
                       for n in self.sizes}

    @staticmethod
    def _decode(path, columns) -> pa.Table:
        if columns is not None:  # with the condition columns, as every read has them
            names = pq.read_schema(path).names
            columns = [*_lead(names), *(c for c in columns if c in names)]
        return pq.read_table(path, columns=columns)

    def read(self, n: int | None = None, columns=None, **equal) -> pd.DataFrame:
        parts = [self.tables[int(n)]] if n is not None else [self.tables[v] for v in self.sizes]
        table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        if equal:
            keep = None
            for k, v in equal.items():
                f = pc.equal(table[k], v)
                keep = f if keep is None else pc.and_(keep, f)
            table = table.filter(keep)
        if columns is not None:
            names = table.schema.names
            table = table.select(list(dict.fromkeys([*_lead(names),
                                                     *(c for c in columns if c in names)])))
        return table.to_pandas()


def _lead(names) -> list[str]:
    """The condition columns that lead every read's columns."""
    return param_columns(names) + prior_columns(names)


def _frames(rows: _Condition, by: tuple[str, ...], cols, units: pd.DataFrame):
    """The units of ``by`` of one condition, in table order, as frames."""
    if by == ONCE:
        yield rows.read(None, cols)
        return
    if "n" not in by:
        for _, unit in units.iterrows():
            yield rows.read(None, cols, **{k: unit[k] for k in by})
        return
    # a condition × n is one unit whatever else ``by`` splits on: its file is in memory
    # whole anyway, and the diagnostic's own grouping splits it as it would split the
    # finer units, in the same order (one call instead of one per cell: the per-call
    # and per-table costs were most of the stage)
    for n in units["n"].drop_duplicates():
        yield rows.read(n, cols)


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
