"""Bessel's correction: a biased estimator and its unbiased sibling, side by side.

Wherever the ``unbiased`` estimator and another estimator target the same estimand,
this table shows, per condition and n, each estimator's empirical bias (with MCSE)
against the theoretical bias the family states (``theoretical_bias``, e.g. -sigma^2/n
for the normal 1/n variance), and its MSE: the biased MLE often has the lower MSE
(normal variance: (2n-1) sigma^4 / n^2 against 2 sigma^4 / (n-1)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import condition_keys, good, groups, perf, theta_of

UNBIASED = "unbiased"


def theory_bias(family, estimator: str, estimand: str, theta: dict, n: int) -> float:
    """The family's exact bias of ``estimator`` for ``estimand``; nan when not stated."""
    try:
        b = family.theoretical_bias(estimator, estimand, theta, n)
    except KeyError:  # a parameter drawn per replicate: no single theoretical bias
        return float("nan")
    return float("nan") if b is None else float(b)


def bessel(df: pd.DataFrame, family) -> pd.DataFrame:
    """One row per condition × n × estimand × estimator, for estimands with an
    ``unbiased`` estimator and at least one other.

    ``bias_z`` is (bias - theory) / MCSE(bias): about N(0, 1) when theory holds.
    ``mse_ratio`` is MSE / MSE of the unbiased estimator in the same cell (< 1: this
    estimator, though biased, is closer on average).
    """
    keys = condition_keys(df)
    pairs = df.groupby("estimand")["estimator"].agg(set)
    wanted = [e for e, s in pairs.items() if UNBIASED in s and len(s) > 1
              and _differ(df[df["estimand"] == e])]
    cols = keys + ["n", "estimand", "estimator", "true_value", "bias", "bias_mcse",
                   "theory_bias", "bias_z", "mse", "mse_mcse", "mse_ratio"]
    if not wanted:
        return pd.DataFrame(columns=cols)
    rows = []
    ok = good(df[df["estimand"].isin(wanted)])
    for key, g in groups(ok, keys + ["n", "estimand"]):
        base = dict(zip(keys + ["n", "estimand"], key, strict=True))
        theta = theta_of(base, keys)
        truth = float(g["true_value"].mean())  # fixed truth (the mean one when drawn)
        cell = {}
        for est, ge in g.groupby("estimator", sort=True):
            p = perf(ge)
            tb = theory_bias(family, est, base["estimand"], theta, int(base["n"]))
            z = (p["bias"] - tb) / p["bias_mcse"] if p["bias_mcse"] > 0 else np.nan
            cell[est] = dict(base, estimator=est, true_value=truth, bias=p["bias"],
                             bias_mcse=p["bias_mcse"], theory_bias=tb, bias_z=z,
                             mse=p["mse"], mse_mcse=p["mse_mcse"])
        ref = cell.get(UNBIASED, {}).get("mse", np.nan)
        for r in cell.values():
            r["mse_ratio"] = r["mse"] / ref if ref and np.isfinite(ref) else np.nan
            rows.append(r)
    return pd.DataFrame(rows, columns=cols)


def _differ(d: pd.DataFrame) -> bool:
    """Whether the estimators of one estimand give different numbers (the normal mean is
    the same sample mean under mle, mom and unbiased: nothing to compare)."""
    wide = d.pivot_table(index=[c for c in d.columns if c.startswith("true_")
                                and c != "true_value"] + ["n", "replicate"],
                         columns="estimator", values="estimate")
    ref = wide[UNBIASED].to_numpy()
    return any(not np.allclose(wide[c].to_numpy(), ref, equal_nan=True)
               for c in wide.columns if c != UNBIASED)
