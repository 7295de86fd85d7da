"""Efficiency against the Cramér-Rao bound.

For an unbiased estimator, Var(theta_hat) >= CRLB = g' I(theta)^-1 g / n (Family.crlb),
so the efficiency ratio Var / CRLB = n Var(theta_hat) I(theta) is >= 1 and tends to 1
for the MLE of a regular family. MSE / CRLB is shown too: biased estimators can go
below 1.

MCSE of Var / CRLB: the relative MCSE of the empirical variance,
sqrt(2/(S-1) + kappa/S) with kappa the excess kurtosis of the estimates
(:func:`fisherlab.stats.measures.variance_rel_mcse`). The normal-theory sqrt(2/(S-1)) alone
understates it for skewed, heavy-tailed estimates (the gamma shape MLE at small n).

Every cell gets a row, with ``crlb_source`` saying where its bound comes from (the
family's closed form, numerical integration of the squared score, or Monte Carlo with
its precision: :meth:`fisherlab.families.base.Family.information`) or why there is
none (a non-regular family, a truth drawn per replicate, a singular information
matrix): the study box and the efficiency section both read it. A Monte Carlo
information's relative error adds in quadrature to the MCSE of Var / CRLB.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats.measures import variance_rel_mcse
from ._common import MISSPECIFIED, condition_keys, crlb_with_error, good, groups, perf, theta_of
from .registry import CELL, diagnostic


@diagnostic("efficiency", by=CELL,
            columns=("n", "estimator", "estimand", "estimate", "true_value", "converged"))
def efficiency(df: pd.DataFrame, study) -> pd.DataFrame:
    """One row per condition × n × estimator × estimand: ``crlb, crlb_source, var,
    var_ratio (Var/CRLB), var_ratio_mcse, mse_ratio, mse_ratio_mcse`` (NaN without a
    bound). Whether it attains the bound is the efficiency rule's."""
    keys = condition_keys(df)
    head = keys + ["n", "estimator", "estimand"]
    cols = head + ["crlb", "crlb_source", "var", "var_ratio", "var_ratio_mcse",
                   "mse_ratio", "mse_ratio_mcse"]
    rows = []
    for key, g in groups(good(df), head):
        row = dict(zip(head, key, strict=True))
        crlb, source, rel = (crlb_with_error(study.family, theta_of(row, keys),
                                             row["estimand"], int(row["n"]))
                             if study.fit_model is None else (np.nan, MISSPECIFIED, 0.0))
        row.update(crlb=crlb, crlb_source=source)
        if np.isfinite(crlb):
            p = perf(g)
            err = g["estimate"].to_numpy(float) - g["true_value"].to_numpy(float)
            ratio = p["empse"] ** 2 / crlb
            # the bound's own error (a Monte Carlo information) adds in quadrature
            mcse = ratio * np.hypot(variance_rel_mcse(err), rel)
            row.update(var=p["empse"] ** 2, var_ratio=ratio, var_ratio_mcse=mcse,
                       mse_ratio=p["mse"] / crlb, mse_ratio_mcse=p["mse_mcse"] / crlb)
        else:
            row.update(dict.fromkeys(cols[len(head) + 2:], np.nan))
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def with_bound(table: pd.DataFrame) -> pd.DataFrame:
    """The rows that have a Cramér-Rao bound."""
    return table[np.isfinite(table["crlb"].to_numpy(float))]


def information_statement(table: pd.DataFrame) -> str:
    """What the page says about Fisher information, from this table alone."""
    if table.empty:
        return "no estimates to compare"
    have = with_bound(table)
    if len(have) == len(table):
        return f"yes, {table['crlb_source'].iloc[0]}: a Cramér–Rao bound in every cell"
    reasons = table.loc[~np.isfinite(table["crlb"].to_numpy(float)), "crlb_source"]
    why = reasons.value_counts().index[0].removeprefix("none: ")
    if have.empty:
        return f"no Cramér–Rao bound here ({why})"
    return (f"a Cramér–Rao bound in {len(have)} of {len(table)} cells; none in the "
            f"others ({why})")
