"""Consistency: bias and RMSE shrink with n, at the rate theory gives.

For each condition, estimator and estimand, the slope b of log RMSE on log n is fitted
by weighted least squares over the larger half of the sample sizes. A regular
estimator has RMSE ~ c n^(-1/2); the uniform endpoints' MLE and UMVUE, built on the
sample extremes, have RMSE ~ c n^(-1) (Var(max) = w^2 n / ((n+1)^2 (n+2)), see
:mod:`fisherlab.families.uniform`), while its method of moments is regular.

Weights: by the delta method Var(log RMSE) ~ (MCSE(RMSE)/RMSE)^2, so each point has
weight RMSE / MCSE(RMSE). The slope's standard error is the larger of the Monte Carlo
one (weights as known variances) and the residual-scaled one, which also absorbs
curvature from finite-n terms (e.g. MSE of the normal 1/n variance is
(2n-1) sigma^4 / n^2, not exactly proportional to 1/n).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import condition_keys, good, groups, perf
from .registry import diagnostic


def theoretical_slope(family, estimator=None) -> float:
    """-1/2 for regular families; -1 for the uniform endpoints' MLE and UMVUE (functions
    of the extremes), but -1/2 for a ``moment_based`` estimator there (a smooth
    function of means: the delta method gives n^-1/2 in any family)."""
    if family.regular or (estimator is not None and estimator.moment_based):
        return -0.5
    return -1.0


def asymptotic_sizes(sizes) -> list:
    """The larger half of the sample sizes (at least 3 when there are 3): the rate is an
    asymptotic property, and small n bend the line (RMSE of the uniform max is
    w sqrt(2/((n+1)(n+2))), which is w sqrt(2)/n only for large n)."""
    sizes = sorted(sizes)
    k = max(min(3, len(sizes)), (len(sizes) + 1) // 2)
    return sizes[-k:]


def fit_slope(n, rmse, rmse_mcse=None) -> tuple[float, float, float]:
    """Weighted least squares slope of log RMSE on log n.

    Returns ``(slope, se_mc, se_resid)``: the standard error with the Monte Carlo
    variances taken as known, and the one scaled by the residuals (nan with 2 points).
    """
    n, rmse = np.asarray(n, dtype=float), np.asarray(rmse, dtype=float)
    ok = np.isfinite(rmse) & (rmse > 0)
    w = None
    if rmse_mcse is not None:
        m = np.asarray(rmse_mcse, dtype=float)
        ok &= np.isfinite(m) & (m > 0)
        w = rmse[ok] / m[ok]  # 1 / sd(log rmse), delta method
    x, y = np.log(n[ok]), np.log(rmse[ok])
    if x.size < 2 or np.ptp(x) == 0:
        return float("nan"), float("nan"), float("nan")
    if x.size == 2:
        coef = np.polyfit(x, y, 1, w=w)
        se = float("nan")
        if w is not None:
            se = float(np.sqrt(np.polyfit(x, y, 1, w=w, cov="unscaled")[1][0, 0]))
        return float(coef[0]), se, float("nan")
    se_mc = float("nan")
    if w is not None:
        coef, cov_u = np.polyfit(x, y, 1, w=w, cov="unscaled")
        se_mc = float(np.sqrt(cov_u[0, 0]))
    coef, cov_s = np.polyfit(x, y, 1, w=w, cov=True)
    return float(coef[0]), se_mc, float(np.sqrt(cov_s[0, 0]))


@diagnostic("consistency", by=("estimator", "estimand"),
            columns=("n", "estimator", "estimand", "estimate", "true_value", "converged"))
def consistency(df: pd.DataFrame, study) -> pd.DataFrame:
    """One row per condition × estimator × estimand: the fitted rate against theory,
    and the bias at the largest n with its MCSE.

    Columns: condition keys, ``estimator, estimand, n_min, n_max, n_sizes, slope,
    slope_se, theory_slope, rmse_n_max, bias_n_max, bias_mcse_n_max``, and the fits over
    the fitted sizes: ``replicates`` used, ``failed`` left out. Whether the rate is as
    theory is the rate rule's (:mod:`fisherlab.verdicts.rate`).
    """
    keys = condition_keys(df)
    rows = []
    for key, whole in groups(df, keys + ["estimator", "estimand"]):
        per_n = []
        theory = theoretical_slope(study.analysis, study.estimator(key[len(keys)]).estimator)
        fitted = whole[whole["n"].isin(asymptotic_sizes(whole["n"].unique()))]
        g = good(fitted)
        for n, gn in g.groupby("n", sort=True):
            p = perf(gn)
            per_n.append((n, p["rmse"], p["rmse_mcse"], p["bias"], p["bias_mcse"]))
        # every fit of the fitted sizes failed: no point, no slope (the rule cannot tell)
        arr = np.array(per_n, dtype=float).reshape(-1, 5)
        slope, se_mc, se_res = fit_slope(arr[:, 0], arr[:, 1], arr[:, 2])
        se = np.nanmax([se_mc, se_res]) if np.isfinite([se_mc, se_res]).any() else np.nan
        sizes = sorted(fitted["n"].unique())
        last = arr[-1] if len(arr) else np.full(5, np.nan)
        row = dict(zip(keys + ["estimator", "estimand"], key, strict=True))
        row.update(n_min=int(sizes[0]), n_max=int(sizes[-1]), n_sizes=len(arr),
                   slope=slope, slope_se=se, theory_slope=theory,
                   rmse_n_max=last[1], bias_n_max=last[3], bias_mcse_n_max=last[4],
                   replicates=len(g), failed=len(fitted) - len(g))
        rows.append(row)
    cols = keys + ["estimator", "estimand", "n_min", "n_max", "n_sizes", "slope", "slope_se",
                   "theory_slope", "rmse_n_max", "bias_n_max", "bias_mcse_n_max", "replicates",
                   "failed"]
    return pd.DataFrame(rows, columns=cols)
