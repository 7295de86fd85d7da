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

Failed replicates (``converged == False``) are left out, as in the measures. The test
of uniformity is Kolmogorov-Smirnov against U(0, 1) (scipy ``kstest``); ``crit`` is its
critical value at ALPHA, the band the report's figure draws around the ECDF.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..core.labels import prior_columns
from ._common import condition_keys, good, groups
from .registry import CELL, diagnostic

#: KS p below this: 'not calibrated'
ALPHA = 0.01
#: the two PIT sources, as labelled in tables and figures
FROM_DRAWS = "posterior draws"
FROM_NORMAL = "normal approximation"


def pit_values(df: pd.DataFrame) -> pd.DataFrame:
    """The converged replicate rows with a finite PIT: columns ``pit`` and ``pit_from``.

    Empty when the study drew no truth from a prior (no ``prior_<param>`` column).
    """
    if not prior_columns(df):
        return df.iloc[:0].assign(pit=np.nan, pit_from="")
    d = good(df).copy()
    draws = d["pit"].to_numpy(float) if "pit" in d else np.full(len(d), np.nan)
    se = d["se"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (d["true_value"].to_numpy(float) - d["estimate"].to_numpy(float)) / se
    normal = stats.norm.cdf(z)
    normal[~(se > 0)] = np.nan  # se = 0 (k = 0 or n): no PIT
    has = np.isfinite(draws)
    d["pit"] = np.where(has, draws, normal)
    d["pit_from"] = np.where(has, FROM_DRAWS, FROM_NORMAL)
    return d[np.isfinite(d["pit"].to_numpy(float))]


@diagnostic("calibration", by=CELL,
            columns=("n", "estimator", "estimand", "estimate", "true_value", "se",
                     "converged", "pit"))
def calibration(df: pd.DataFrame, study) -> pd.DataFrame:
    """Per condition × n × estimator × estimand, where truths were drawn from a prior:
    replicates with a PIT, its source, and the KS test of uniformity with its critical
    value and verdict ('calibrated' when p >= ALPHA). Empty otherwise."""
    d = pit_values(df)
    head = condition_keys(df) + ["n", "estimator", "estimand"]
    rows = []
    for key, g in groups(d, head):
        pit = g["pit"].to_numpy(float)
        res = stats.kstest(pit, "uniform")
        p = float(res.pvalue)
        rows.append(dict(zip(head, key, strict=True), replicates=len(g),
                         pit_from=g["pit_from"].iloc[0], ks=float(res.statistic),
                         pvalue=p, crit=float(stats.kstwo.ppf(1 - ALPHA, len(g))),
                         verdict="calibrated" if p >= ALPHA else "not calibrated"))
    return pd.DataFrame(rows, columns=head + ["replicates", "pit_from", "ks", "pvalue",
                                              "crit", "verdict"])
