"""Helpers shared by the diagnostics: grouping keys and the true parameter values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures import param_columns


def condition_keys(df: pd.DataFrame) -> list[str]:
    """The ``true_<param>`` columns: one value combination is one condition."""
    return param_columns(df)


def theta_of(row, params: list[str]) -> dict[str, float]:
    """The true parameters of a row (a Series, or a dict keyed by ``true_<p>``)."""
    return {c[len("true_"):]: float(row[c]) for c in params}


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
