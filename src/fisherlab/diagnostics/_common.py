"""Helpers shared by the diagnostics: grouping, the true parameters of a cell, measures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.labels import TRUE, condition_columns, param_of
from ..stats.measures import performance


def condition_keys(df: pd.DataFrame) -> list[str]:
    """The columns that identify a condition (:func:`fisherlab.core.labels.condition_columns`)."""
    return condition_columns(df)


def theta_of(row, keys: list[str]) -> dict[str, float]:
    """The fixed true parameters of a row (keyed by ``true_<p>``); a drawn parameter has
    no single truth and is left out, so theory that needs it gives NaN."""
    return {param_of(c): float(row[c]) for c in keys if c.startswith(TRUE)}


def perf(g: pd.DataFrame, se: bool = False, ci: bool = False) -> dict:
    """Morris et al. (2019) measures of one cell, each replicate against its own truth:
    errors estimate - true_value against 0 (identical to estimate against a fixed truth,
    and right when the truth was drawn per replicate)."""
    truth = g["true_value"].to_numpy(float)
    return performance(g["estimate"].to_numpy(float) - truth, 0.0,
                       g["se"] if se else None,
                       g["ci_low"].to_numpy(float) - truth if ci else None,
                       g["ci_high"].to_numpy(float) - truth if ci else None)


def good(df: pd.DataFrame) -> pd.DataFrame:
    """Replicates whose fit gave a usable estimate (failed fits are counted elsewhere)."""
    ok = df["converged"].to_numpy(bool)
    return df if ok.all() else df[ok]  # (read only: no copy when every fit succeeded)


def groups(df: pd.DataFrame, keys: list[str]):
    """``groupby`` that tolerates an empty key list (a study with one condition)."""
    if not keys:
        yield (), df
        return
    key = _single_key(df, keys)
    if key is not None:  # the stage's units are mostly one group: no groupby to build
        yield key, df
        return
    yield from df.groupby(keys, sort=True, dropna=False)


def _single_key(df: pd.DataFrame, keys: list[str]) -> tuple | None:
    """The one key of ``df`` when every row has the same values of ``keys`` (NaN equal
    to NaN, as ``dropna=False`` groups them), as ``groupby`` gives it; else None."""
    if df.empty:
        return None
    key = []
    for k in keys:
        col = df[k]
        first = col.iloc[0]
        # compared as the column stores it (Arrow's kernels for a string column): its
        # values as a NumPy array were a Python object per row, 60 MB a million rows
        same = col.isna() if pd.isna(first) else col == first
        if not same.all():
            return None
        key.append(first.item() if isinstance(first, np.generic) else first)
    return tuple(key)


def with_intervals(df: pd.DataFrame, head: list[str]):
    """``(key, rows)`` per cell of ``head``: the fits that gave an estimate and a finite
    interval; a cell without any is left out."""
    for key, g in groups(good(df), head):
        fin = np.isfinite(g["ci_low"].to_numpy(float)) & np.isfinite(g["ci_high"].to_numpy(float))
        if fin.any():
            yield key, g[fin]


def crlb_of(family, theta: dict, estimand: str, n: int) -> tuple[float, str]:
    """The Cramér-Rao bound of one cell and where it comes from, or NaN and why not:
    ``("closed form" | "numerical integration (...)" | "Monte Carlo (±x%)" |
    "none: <reason>")``."""
    value, source, _ = crlb_with_error(family, theta, estimand, n)
    return value, source


#: why a model-based quantity (a Cramér-Rao bound, the information, the score at the
#: truth) is left out of a study whose fit_model is not the model that drew its data:
#: there the sandwich variance, not the inverse information, is the reference
MISSPECIFIED = "none: the analysis model is not the data model"


def crlb_with_error(family, theta: dict, estimand: str,
                    n: int) -> tuple[float, str, float]:
    """:func:`crlb_of` and the bound's relative error (that of the information it
    inverts: 0 for a closed form, its Monte Carlo standard error when sampled)."""
    missing = [p.name for p in family.params if p.name not in theta]
    if missing:
        return float("nan"), "none: the truth is drawn per replicate from a prior", 0.0
    try:
        info = family.information(theta)
        value = np.asarray(family.crlb(theta, estimand, n), dtype=float)
    except (NotImplementedError, ValueError, KeyError, np.linalg.LinAlgError) as exc:
        why = str(exc) or type(exc).__name__
        return float("nan"), f"none: {why}"[:200], 0.0
    if value.size != 1 or not np.isfinite(value) or value <= 0:
        return float("nan"), "none: the information matrix is singular here", 0.0
    return float(value), info.source, float(info.rel_error)


def is_lattice(values) -> bool:
    """Whether ``values`` take few distinct values (fewer than half as many as there
    are): the estimates of a discrete family, such as k/n for a Bernoulli proportion."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return v.size > 0 and np.unique(v).size < v.size / 2
