"""Column names and human labels: the one place that knows how a condition is named.

Tables (``estimates.parquet``, ``summary.csv``, the diagnostics) identify a condition
by one column per model parameter:

* ``true_<param>``: the parameter's true value (fixed by the study);
* ``prior_<param>``: for a parameter whose truth each replicate draws from a prior
  (simulation-based calibration), the prior, described; the row's own drawn truth
  stays in ``true_<param>``.

People read conditions as ``mu = 5, sigma = 1`` or ``p ~ Beta(alpha=2, beta=2)`` and
estimators as ``map, Beta(alpha=2, beta=2) prior on p``: every page, table and figure
builds them here, never from JSON or a Python dict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from .priors import Prior, describe

TRUE = "true_"
PRIOR = "prior_"
#: the per-row truth of the estimand (not a parameter column)
TRUE_VALUE = "true_value"


def true_col(param: str) -> str:
    return TRUE + param


def prior_col(param: str) -> str:
    return PRIOR + param


def param_of(col: str) -> str:
    """``true_sigma`` or ``prior_sigma`` -> ``sigma``."""
    return col.removeprefix(TRUE).removeprefix(PRIOR)


def param_columns(df: pd.DataFrame | Sequence[str]) -> list[str]:
    """The ``true_<param>`` columns (``true_value`` excluded)."""
    cols = df.columns if isinstance(df, pd.DataFrame) else df
    return [c for c in cols if c.startswith(TRUE) and c != TRUE_VALUE]


def prior_columns(df: pd.DataFrame | Sequence[str]) -> list[str]:
    """The ``prior_<param>`` columns: parameters whose truth each replicate drew."""
    cols = df.columns if isinstance(df, pd.DataFrame) else df
    return [c for c in cols if c.startswith(PRIOR)]


def condition_columns(df: pd.DataFrame | Sequence[str]) -> list[str]:
    """The columns that identify a condition: ``true_<param>``, except that a drawn
    parameter is identified by its ``prior_<param>`` (its truths vary per row)."""
    priors = prior_columns(df)
    drawn = {TRUE + param_of(c) for c in priors}
    return [c for c in param_columns(df) if c not in drawn] + priors


def group_columns(df: pd.DataFrame | Sequence[str]) -> list[str]:
    """The columns that identify a summary row: condition, n, estimator, estimand."""
    return condition_columns(df) + ["n", "estimator", "estimand"]


def number(v) -> str:
    """A value as people write it: ``5``, ``0.25``, ``1e-06``; text stays text."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    return f"{v:g}"


def condition_label(row: Mapping, keys: Sequence[str]) -> str:
    """``mu = 5, sigma = 1``; a drawn parameter shows its prior: ``p ~ Beta(...)``."""
    return ", ".join(f"{param_of(k)} ~ {row[k]}" if k.startswith(PRIOR)
                     else f"{param_of(k)} = {number(row[k])}" for k in keys)


def params_label(params: Mapping, sep: str = "; ") -> str:
    """A study's true values: ``mu = 5; sigma ∈ {1, 2}; p ~ Beta(alpha=2, beta=2) per
    replicate``."""
    def one(k, vs):
        if len(vs) == 1 and isinstance(vs[0], Prior):
            return f"{k} ~ {vs[0]} per replicate"
        if len(vs) == 1:
            return f"{k} = {number(vs[0])}"
        return f"{k} ∈ {{{', '.join(number(v) for v in vs)}}}"
    return sep.join(one(k, list(vs)) for k, vs in params.items())


def column_label(col: str) -> str:
    """A condition column's heading: ``sigma``, or ``p (prior)``."""
    return param_of(col) + (" (prior)" if col.startswith(PRIOR) else "")


def options_label(options: Mapping, one_param: bool = False) -> str:
    """An estimator's options as words: priors first (``Beta(2, 2) prior``, or
    ``Normal(0, 1) prior on mu, HalfNormal(5) on sigma``), then ``key value`` pairs.
    ``one_param``: the family has one estimated parameter, so a prior needs no "on"."""
    parts = []
    prior = options.get("prior") or {}
    if prior:
        shown = [describe(spec, short=True) + ("" if one_param else f" on {name}")
                 for name, spec in prior.items()]
        first = shown[0].replace(" on ", " prior on ", 1) if not one_param else shown[0]
        parts.append(", ".join([first, *shown[1:]]) + (" prior" if one_param else ""))
    for k, v in options.items():
        if k == "prior":
            continue
        if isinstance(v, Mapping | list):
            v = ", ".join(f"{a} {number(b)}" for a, b in v.items()) if isinstance(
                v, Mapping) else ", ".join(map(number, v))
        if k == "se":  # "sandwich SE", "model SE": what kind of standard error
            parts.append(f"{v} SE")
            continue
        parts.append(f"{k} {number(v).replace('_', ' ')}")
    return "; ".join(parts)


def estimator_label(name: str, options: Mapping | None = None,
                    one_param: bool = False) -> str:
    """``mle``; ``map, Beta(2, 2) prior``; ``mle, method BFGS``; ``mle, method
    gradient ascent`` (an underscore in a value reads as a space)."""
    text = options_label(options or {}, one_param)
    return f"{name}, {text}" if text else name
