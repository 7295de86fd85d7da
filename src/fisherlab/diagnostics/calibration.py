"""Simulation-based calibration (SBC): PIT values against truths drawn from the prior.

In a study whose ``model.params`` give a prior instead of a value, every replicate
draws its own truth theta_i from the prior before its data (:mod:`fisherlab.run.simulate`).
If an estimator's posterior is right for that prior, the posterior CDF at the truth,
PIT_i = P(theta <= theta_i | data_i), is uniform on (0, 1) (Cook, Gelman & Rubin 2006;
Talts et al. 2018, arXiv:1804.06788), and so every central credible interval covers
theta_i at its nominal rate.

Where the PIT comes from, per estimator:

* ``pit`` column (estimators that sample the posterior): the share of posterior draws
  below theta_i (the normalised SBC rank statistic);
* otherwise the normal approximation Phi((theta_i - theta_hat_i) / se_i): for a MAP
  estimate this is the CDF of its own Laplace posterior N(theta_MAP, se^2) at the
  truth; for a frequentist estimator it is the confidence distribution of its Wald
  interval.

A fit with standard error 0 (a proportion's p_hat = 0 or 1 at small n) has a normal
approximation of zero width: a point mass at the estimate, whose CDF at the truth is 0 or
1 (1/2 where the estimate equals the truth). Such replicates count with that PIT: they are
the ones a point estimator misrepresents most, and leaving them out would call it
calibrated on the rest (``limits`` counts them). Failed replicates (``converged ==
False``) are left out, as in the measures, and the calibration rule says how many. The
test of uniformity is Kolmogorov-Smirnov against U(0, 1) (scipy ``kstest``); whether it
says calibrated is the rule's (:mod:`fisherlab.verdicts.calibration`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..core.labels import prior_columns
from ._common import condition_keys, good, groups
from .registry import CELL, diagnostic

#: the two PIT sources, as labelled in tables and figures
FROM_DRAWS = "posterior draws"
FROM_NORMAL = "normal approximation"


def pit_values(df: pd.DataFrame) -> pd.DataFrame:
    """The converged replicate rows with their PIT: columns ``pit``, ``pit_from`` and
    ``limit`` (a standard error of 0: the PIT of a point mass). Empty when the study drew
    no truth from a prior (no ``prior_<param>`` column)."""
    if not prior_columns(df):
        return df.iloc[:0].assign(pit=np.nan, pit_from="")
    d = good(df).copy()
    draws = d["pit"].to_numpy(float) if "pit" in d else np.full(len(d), np.nan)
    se = d["se"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (d["true_value"].to_numpy(float) - d["estimate"].to_numpy(float)) / se
    # se = 0: z is +-inf and the normal CDF 1 or 0, a point mass's; at the truth, 1/2
    normal = np.where(np.isnan(z) & (se == 0), 0.5, stats.norm.cdf(z))
    has = np.isfinite(draws)
    d["pit"] = np.where(has, draws, normal)
    d["pit_from"] = np.where(has, FROM_DRAWS, FROM_NORMAL)
    d["limit"] = ~has & (se == 0)
    return d[np.isfinite(d["pit"].to_numpy(float))]


@diagnostic("calibration", by=CELL,
            columns=("n", "estimator", "estimand", "estimate", "true_value", "se",
                     "converged", "pit"))
def calibration(df: pd.DataFrame, study) -> pd.DataFrame:
    """Per condition × n × estimator × estimand, where truths were drawn from a prior:
    replicates with a PIT (``limits`` of them a point mass's), its source, and the KS
    test of uniformity: its statistic and p-value. Empty otherwise."""
    d = pit_values(df)
    head = condition_keys(df) + ["n", "estimator", "estimand"]
    cols = head + ["replicates", "limits", "pit_from", "ks", "pvalue"]
    if d.empty:  # no truth drawn from a prior (or no PIT): nothing to group
        return pd.DataFrame(columns=cols)
    rows = []
    for key, g in groups(d, head):
        pit = g["pit"].to_numpy(float)
        res = stats.kstest(pit, "uniform")
        p = float(res.pvalue)
        rows.append(dict(zip(head, key, strict=True), replicates=len(g),
                         limits=int(g["limit"].sum()), pit_from=g["pit_from"].iloc[0],
                         ks=float(res.statistic), pvalue=p))
    return pd.DataFrame(rows, columns=cols)
