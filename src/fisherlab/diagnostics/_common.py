"""Helpers shared by the diagnostics: grouping keys and the true parameter values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures import condition_columns, performance


def condition_keys(df: pd.DataFrame) -> list[str]:
    """The columns that identify a condition: ``true_<param>``, or ``prior_<param>`` for
    a parameter whose truth each replicate drew (:func:`fisherlab.measures.condition_columns`)."""
    return condition_columns(df)


def theta_of(row, keys: list[str]) -> dict[str, float]:
    """The fixed true parameters of a row (keyed by ``true_<p>``); a drawn parameter has
    no single truth and is left out, so theory that needs it gives NaN."""
    return {c[len("true_"):]: float(row[c]) for c in keys if c.startswith("true_")}


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
    return df[df["converged"].to_numpy(bool)]


def groups(df: pd.DataFrame, keys: list[str]):
    """``groupby`` that tolerates an empty key list (a study with one condition)."""
    if not keys:
        yield (), df
        return
    yield from df.groupby(keys, sort=True, dropna=False)


def crlb_or_nan(family, theta: dict, estimand: str, n: int) -> float:
    """The Cramér–Rao bound of one cell, or NaN where the family cannot give it here
    (no Fisher information, a design-dependent information it cannot build from theta
    alone, a singular matrix)."""
    if not family.has_information():
        return float("nan")
    try:
        value = np.asarray(family.crlb(theta, estimand, n), dtype=float)
    except (NotImplementedError, ValueError, KeyError, np.linalg.LinAlgError):
        return float("nan")
    return float(value) if value.size == 1 else float("nan")
