"""Bessel's correction: a biased estimator and its unbiased sibling, side by side.

Wherever a ``classically_unbiased`` estimator and another estimator target the same
estimand, this table shows, per condition and n, each estimator's empirical bias (with
MCSE) against its exact theoretical bias (the estimator's ``theoretical_bias``, from
the family's ``mle_bias``/``mom_bias``, e.g. -sigma^2/n for the normal 1/n variance),
and its MSE: the biased MLE often has the lower MSE (normal variance:
(2n-1) sigma^4 / n^2 against 2 sigma^4 / (n-1)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.labels import param_columns
from ..stats.paired import mean_diff
from ._common import condition_keys, good, groups, perf, theta_of
from .registry import diagnostic


def theory_bias(estimator, family, estimand: str, theta: dict, n: int) -> float:
    """The estimator's exact bias for ``estimand``; nan when not known."""
    try:
        b = estimator.theoretical_bias(family, estimand, theta, n)
    except KeyError:  # a parameter drawn per replicate: no single theoretical bias
        return float("nan")
    return float("nan") if b is None else float(b)


@diagnostic("bessel", by=("n", "estimand"),
            columns=("n", "replicate", "estimator", "estimand", "estimate", "true_value",
                     "converged"))
def bessel(df: pd.DataFrame, study) -> pd.DataFrame:
    """One row per condition × n × estimand × estimator, for estimands with a
    classically unbiased estimator and at least one other that differs from it.

    ``bias_z`` is (bias - theory) / MCSE(bias): about N(0, 1) when theory holds (the bias
    rule judges it, :mod:`fisherlab.verdicts.bias`). ``mse_ratio`` is MSE / MSE of the
    unbiased estimator in the same cell (< 1: this estimator, though biased, is closer
    on average). ``mse_diff`` is the mean over the replicates both fitted of the
    difference of their squared errors (this estimator's less the unbiased one's),
    ``mse_diff_mcse`` its paired MCSE and ``pairs`` how many replicates it rests on: on
    the same datasets the two errors move together, so the paired MCSE is far smaller
    than the two MSEs' (:mod:`fisherlab.verdicts.mse` judges it). ``unbiased`` marks the
    classically unbiased estimator's rows.
    """
    keys = condition_keys(df)
    unbiased = {e.id for e in study.estimators if e.estimator.classically_unbiased}
    pairs = (df[["estimand", "estimator"]].drop_duplicates()
             .groupby("estimand")["estimator"].agg(set))
    wanted = [e for e, s in pairs.items() if s & unbiased and len(s) > 1
              and _differ(df[df["estimand"] == e], unbiased)]
    cols = keys + ["n", "estimand", "estimator", "unbiased", "true_value", "bias",
                   "bias_mcse", "theory_bias", "bias_z", "mse", "mse_mcse",
                   "mse_ratio", "mse_diff", "mse_diff_mcse", "pairs"]
    if not wanted:
        return pd.DataFrame(columns=cols)
    rows = []
    ok = good(df[df["estimand"].isin(wanted)])
    for key, g in groups(ok, keys + ["n", "estimand"]):
        base = dict(zip(keys + ["n", "estimand"], key, strict=True))
        theta = theta_of(base, keys)
        truth = float(g["true_value"].mean())  # fixed truth (the mean one when drawn)
        cell, sq = {}, {}
        for est, ge in g.groupby("estimator", sort=True):
            sq[est] = pd.Series((ge["estimate"].to_numpy(float)
                                 - ge["true_value"].to_numpy(float)) ** 2,
                                index=ge["replicate"].to_numpy())
            p = perf(ge)
            tb = (np.nan if study.fit_model is not None else  # (no exact theory there)
                  theory_bias(study.estimator(est).estimator, study.family, base["estimand"],
                             theta, int(base["n"])))
            z = (p["bias"] - tb) / p["bias_mcse"] if p["bias_mcse"] > 0 else np.nan
            cell[est] = dict(base, estimator=est, unbiased=est in unbiased, true_value=truth,
                             bias=p["bias"], bias_mcse=p["bias_mcse"], theory_bias=tb,
                             bias_z=z, mse=p["mse"], mse_mcse=p["mse_mcse"])
        ref_est = next((e for e in cell if e in unbiased), None)
        ref = cell[ref_est]["mse"] if ref_est is not None else np.nan
        for est, r in cell.items():
            r["mse_ratio"] = r["mse"] / ref if ref and np.isfinite(ref) else np.nan
            r.update(_paired(sq[est], sq[ref_est]) if ref_est is not None and not r["unbiased"]
                     else {"mse_diff": np.nan, "mse_diff_mcse": np.nan, "pairs": 0})
            rows.append(r)
    return pd.DataFrame(rows, columns=cols)


def _paired(a: pd.Series, b: pd.Series) -> dict:
    """Mean and MCSE of ``a - b`` (:func:`fisherlab.stats.paired.mean_diff`) over the
    replicates both have (squared errors by replicate)."""
    both = a.index.intersection(b.index)
    diff, mcse = mean_diff(a[both].to_numpy(), b[both].to_numpy())
    return {"mse_diff": diff, "mse_diff_mcse": mcse, "pairs": int(both.size)}


def _differ(d: pd.DataFrame, unbiased: set) -> bool:
    """Whether the estimators of one estimand give different numbers (the normal mean is
    the same sample mean under mle, mom and unbiased: nothing to compare)."""
    wide = d.pivot_table(index=param_columns(d) + ["n", "replicate"],
                         columns="estimator", values="estimate")
    ref = wide[sorted(unbiased & set(wide.columns))[0]].to_numpy()
    return any(not np.allclose(wide[c].to_numpy(), ref, equal_nan=True)
               for c in wide.columns if c not in unbiased)
