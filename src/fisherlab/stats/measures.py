"""Performance measures with Monte Carlo standard errors.

Morris, White & Crowther (2019), "Using simulation studies to evaluate statistical
methods", Statistics in Medicine 38:2074–2102, Table 6. With estimates theta_i,
i = 1..S (S = replicates that gave an estimate), true value theta and
theta_bar = mean(theta_i):

* bias = theta_bar - theta;
  MCSE sqrt(sum (theta_i - theta_bar)^2 / (S (S-1)))
* empirical SE: empse = sqrt(sum (theta_i - theta_bar)^2 / (S-1));
  MCSE (empse / 2) sqrt(2/(S-1) + kappa/S), kappa the excess kurtosis of the estimates
  (:func:`variance_rel_mcse`); for normal estimates kappa = 0 and this is Morris et
  al.'s empse / sqrt(2 (S-1)), which understates the MCSE for heavy-tailed estimates
* MSE = sum (theta_i - theta)^2 / S;
  MCSE sqrt(sum ((theta_i - theta)^2 - MSE)^2 / (S (S-1)))
* model-based SE: modse = sqrt(mean se_i^2);
  MCSE sqrt(Var(se_i^2) / (4 S modse^2))
* relative error in modelSE = 100 (modse/empse - 1);
  MCSE 100 (modse/empse) sqrt(Var(se_i^2) / (4 S modse^4) + r^2 / 4), r the relative
  MCSE of empse^2 above (Morris et al. have 1 / (2 (S-1)) for r^2 / 4: kappa = 0)
* coverage = mean 1{lo_i <= theta <= hi_i}; MCSE sqrt(cov (1 - cov) / S)
* bias-eliminated coverage: the same with theta_bar in place of theta
* relative precision of B over A: :func:`relative_precision`

RMSE = sqrt(MSE), with MCSE by the delta method, MCSE(MSE) / (2 RMSE). Relative bias is
bias / theta. The mean interval width has MCSE sd(width)/sqrt(S).
Summaries are always computed from the replicate rows, never from other summaries.

Truths drawn per replicate (simulation-based calibration): with theta_i the truth of
replicate i, the same formulas apply to the errors e_i = theta_hat_i - theta_i: bias =
mean e_i, empirical SE = sd(e_i) (the spread of the errors, which for a fixed truth is
the spread of the estimates), MSE = mean e_i^2, coverage = mean 1{lo_i <= theta_i <=
hi_i}, bias-eliminated coverage of theta_i + bias; relative bias is undefined (NaN).
With a constant theta_i these are exactly the fixed-truth measures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.labels import group_columns, param_columns
from .cellstats import moments_of
from .moments import excess_kurtosis as kurtosis_of

#: the measure columns of summary.csv, in order
MEASURES = ["n_rep", "n_failed", "mean", "bias", "bias_mcse", "rel_bias", "empse",
            "empse_mcse", "mse", "mse_mcse", "rmse", "rmse_mcse", "modelse", "modelse_mcse",
            "relerr_modelse", "relerr_modelse_mcse", "coverage", "coverage_mcse",
            "becoverage", "becoverage_mcse", "width", "width_mcse"]


def performance(estimate, true_value: float, se=None, ci_low=None, ci_high=None) -> dict:
    """The measures of Morris et al. (2019) for one method and estimand.

    ``estimate``, ``se``, ``ci_low``, ``ci_high`` are arrays over the S replicates that
    gave an estimate (failed fits already removed). Returns a dict keyed by
    :data:`MEASURES` (without the counts).
    """
    th = np.asarray(estimate, dtype=float)
    S = th.size
    nan = float("nan")
    out = dict.fromkeys(MEASURES[2:], nan)
    if S == 0:
        return out
    mean = th.mean()
    out["mean"] = mean
    per_row = np.ndim(true_value) > 0  # one truth per replicate (see the module docstring)
    if per_row:
        truth = np.asarray(true_value, dtype=float)
        err = th - truth
        out["bias"] = err.mean()
        sq = err**2
        centre = truth + out["bias"]  # theta_i + bias: where theta_hat_i sits on average
    else:
        out["bias"] = mean - true_value
        out["rel_bias"] = out["bias"] / true_value if true_value != 0 else nan
        sq = (th - true_value) ** 2
        err, truth, centre = th, true_value, mean
    out["mse"] = sq.mean()
    out["rmse"] = np.sqrt(out["mse"])
    rel_var = nan  # relative MCSE of empse^2
    if S >= 2:
        ss = np.sum((err - err.mean()) ** 2)  # err is th itself for a fixed truth
        out["bias_mcse"] = np.sqrt(ss / (S * (S - 1)))
        out["empse"] = np.sqrt(ss / (S - 1))
        rel_var = variance_rel_mcse(err)
        out["empse_mcse"] = out["empse"] * rel_var / 2  # d sqrt(v) = dv / (2 sqrt(v))
        out["mse_mcse"] = np.sqrt(np.sum((sq - out["mse"]) ** 2) / (S * (S - 1)))
        out["rmse_mcse"] = out["mse_mcse"] / (2 * out["rmse"]) if out["rmse"] > 0 else nan
    if se is not None:
        se2 = np.asarray(se, dtype=float) ** 2
        if np.all(np.isfinite(se2)):
            mean_se2 = se2.mean()
            var_se2 = np.sum((se2 - mean_se2) ** 2) / (S - 1) if S >= 2 else nan
            _model_se(out, S, mean_se2, var_se2, rel_var)
    if ci_low is not None and ci_high is not None:
        lo, hi = np.asarray(ci_low, dtype=float), np.asarray(ci_high, dtype=float)
        if np.all(np.isfinite(lo) & np.isfinite(hi)):
            cov = np.mean((lo <= truth) & (truth <= hi))
            becov = np.mean((lo <= centre) & (centre <= hi))
            out["coverage"], out["coverage_mcse"] = cov, np.sqrt(cov * (1 - cov) / S)
            out["becoverage"], out["becoverage_mcse"] = becov, np.sqrt(becov * (1 - becov) / S)
            width = hi - lo
            out["width"] = width.mean()
            out["width_mcse"] = width.std(ddof=1) / np.sqrt(S) if S >= 2 else nan
    return out


def _model_se(out: dict, S: int, mean_se2: float, var_se2: float, rel_var: float) -> None:
    """Model-based SE sqrt(mean se^2), its MCSE sqrt(Var(se^2) / (4 S modse^2)), and the
    relative error in it against ``out["empse"]`` with its MCSE (module docstring)."""
    modse = np.sqrt(mean_se2)
    out["modelse"] = modse
    if S >= 2 and modse > 0:
        out["modelse_mcse"] = np.sqrt(var_se2 / (4 * S * modse**2))
        if out["empse"] > 0:
            ratio = modse / out["empse"]
            out["relerr_modelse"] = 100 * (ratio - 1)
            out["relerr_modelse_mcse"] = 100 * ratio * np.sqrt(
                var_se2 / (4 * S * modse**4) + rel_var**2 / 4)


def performance_from_stats(cell, drawn: bool) -> dict:
    """:func:`performance` from a cell's merged sufficient statistics
    (:mod:`fisherlab.stats.cellstats`), equal to it to rounding (tested to 1e-12 relative),
    except ``becoverage``, which needs a second look at the intervals (NaN here).

    With x the estimates (fixed truth theta) or the errors (drawn truths), S = x_cnt,
    mean mu and central sums M2, M3, M4: bias = mu - theta (or mu), ss = M2, the
    kurtosis m4 / m2^2 - 3 with m_k = M_k / S, MSE = bias^2 + M2 / S, and the MSE's
    sum sum((e_i^2 - MSE)^2) = 4 b^2 M2 + 4 b M3 + M4 - M2^2 / S with b the bias
    (expand e_i = b + d_i); model SE from the count, mean and M2 of se^2; coverage from
    the count of covering intervals, the width from its mean and M2.
    """
    nan = float("nan")
    out = dict.fromkeys(MEASURES[2:], nan)
    x = moments_of(cell, "x")
    S = int(x["cnt"])
    if S == 0:
        return out
    truth = float(cell["truth"])
    if drawn:
        out["mean"], out["bias"] = moments_of(cell, "est")["mean"], x["mean"]
    else:
        out["mean"] = x["mean"]
        out["bias"] = x["mean"] - truth
        out["rel_bias"] = out["bias"] / truth if truth != 0 else nan
    b, M2, M3, M4 = out["bias"], x["m2"], x["m3"], x["m4"]
    out["mse"] = b * b + M2 / S
    out["rmse"] = np.sqrt(out["mse"])
    rel_var = nan
    if S >= 2:
        out["bias_mcse"] = np.sqrt(M2 / (S * (S - 1)))
        out["empse"] = np.sqrt(M2 / (S - 1))
        rel_var = float(np.sqrt(max(2.0 / (S - 1) + kurtosis_of(x) / S, 0.0)))
        out["empse_mcse"] = out["empse"] * rel_var / 2
        ss_sq = max(4 * b * b * M2 + 4 * b * M3 + M4 - M2 * M2 / S, 0.0)
        out["mse_mcse"] = np.sqrt(ss_sq / (S * (S - 1)))
        out["rmse_mcse"] = out["mse_mcse"] / (2 * out["rmse"]) if out["rmse"] > 0 else nan
    se2 = moments_of(cell, "se2")
    if int(se2["cnt"]) == S:
        _model_se(out, S, se2["mean"], se2["m2"] / (S - 1) if S >= 2 else nan, rel_var)
    w = moments_of(cell, "width")
    if int(w["cnt"]) == S:
        cov = cell["ci_cover"] / S
        out["coverage"], out["coverage_mcse"] = cov, np.sqrt(cov * (1 - cov) / S)
        out["width"] = w["mean"]
        out["width_mcse"] = np.sqrt(w["m2"] / (S - 1)) / np.sqrt(S) if S >= 2 else nan
    return out


def becoverage(ci_low, ci_high, centre) -> tuple[float, float]:
    """Bias-eliminated coverage and its MCSE: the share of intervals that hold
    ``centre`` (theta_i + bias, or the mean estimate for a fixed truth)."""
    lo, hi = np.asarray(ci_low, float), np.asarray(ci_high, float)
    S = lo.size
    becov = np.mean((lo <= centre) & (centre <= hi))
    return becov, np.sqrt(becov * (1 - becov) / S)


def excess_kurtosis(x) -> float:
    """The moment estimate m4 / m2^2 - 3 of ``x`` (0 for a normal sample on average)."""
    d = np.asarray(x, float) - np.mean(x)
    m2 = np.mean(d**2)
    return float(np.mean(d**4) / m2**2 - 3.0) if m2 > 0 else 0.0


def variance_rel_mcse(x) -> float:
    """Relative Monte Carlo SE of the sample variance of ``x``: sqrt(2/(S-1) + kappa/S).

    Var(s^2) = sigma^4 (2/(S-1) + kappa/S) with kappa the excess kurtosis (e.g. Cramér,
    Mathematical Methods of Statistics, 27.4; Casella & Berger, ex. 7.45 for the
    normal case kappa = 0). Every variance ratio (efficiency against the Cramér-Rao
    bound, empSE, relative precision) takes its MCSE from this form or its delta-method
    equivalent, not from the normal-theory sqrt(2/(S-1)) alone.
    """
    S = np.size(x)
    if S < 2:
        return float("nan")
    return float(np.sqrt(max(2.0 / (S - 1) + excess_kurtosis(x) / S, 0.0)))


def relative_precision(estimate_a, estimate_b) -> tuple[float, float]:
    """Relative % increase in precision of method B over method A, with its MCSE
    (Morris et al. 2019, Table 6), from paired replicates (the same datasets):
    100 ((empSE_A / empSE_B)^2 - 1).

    MCSE by the delta method without assuming normality: with d the centred estimates,
    Var(log(s_A^2 / s_B^2)) = Var(d_A^2 / s_A^2 - d_B^2 / s_B^2) / S, so MCSE =
    100 (s_A^2 / s_B^2) sqrt(that). For normal estimates with correlation rho it is
    Morris et al.'s 200 (s_A^2 / s_B^2) sqrt((1 - rho^2) / (S - 1)), up to S vs S - 1.
    """
    a, b = np.asarray(estimate_a, float), np.asarray(estimate_b, float)
    S = a.size
    va, vb = a.var(ddof=1), b.var(ddof=1)
    ratio2 = va / vb
    u = (a - a.mean()) ** 2 / va - (b - b.mean()) ** 2 / vb
    return 100 * (ratio2 - 1), 100 * ratio2 * float(np.sqrt(u.var(ddof=1) / S))


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """One row per condition × n × estimator × estimand, from the replicate rows.

    Where truths were drawn per replicate (``prior_<param>`` columns), the summary's
    ``true_<param>`` of a drawn parameter and its ``true_value`` are NaN, and the
    measures use each row's own truth (see the module docstring).
    """
    keys = group_columns(df)
    drawn = [c for c in param_columns(df) if c not in keys]
    rows = []
    for key, g in df.groupby(keys, sort=True, dropna=False):
        ok = g["converged"].to_numpy(bool)
        good = g[ok]
        row = dict(zip(keys, key, strict=True))
        row["n_rep"] = len(g)
        row["n_failed"] = int((~ok).sum())
        if drawn:
            row.update(dict.fromkeys(drawn, np.nan), true_value=np.nan)
            truth = good["true_value"].to_numpy(float)
        else:
            row["true_value"] = truth = float(g["true_value"].iloc[0])
        row.update(performance(good["estimate"], truth, good["se"],
                               good["ci_low"], good["ci_high"]))
        rows.append(row)
    cols = param_columns(df) + [k for k in keys if k not in param_columns(df)]
    return pd.DataFrame(rows, columns=cols + ["true_value"] + MEASURES)


def summarise_stats(cells: pd.DataFrame, becov: dict | None = None) -> pd.DataFrame:
    """:func:`summarise` from merged cell statistics (one row per cell: the condition
    columns, ``n, estimator, estimand`` and :data:`fisherlab.stats.cellstats.FIELDS`).
    ``becov``: cell key -> (becoverage, its MCSE), counted from the intervals."""
    keys = group_columns(cells)
    params = param_columns(cells)
    drawn = [c for c in params if c not in keys]
    rows = []
    for _, c in cells.sort_values(keys, kind="stable").iterrows():
        row = {k: c[k] for k in keys}
        row["n_rep"], row["n_failed"] = int(c["n_rep"]), int(c["n_failed"])
        if drawn:
            row.update(dict.fromkeys(drawn, np.nan), true_value=np.nan)
        else:
            row["true_value"] = float(c["truth"])
        row.update(performance_from_stats(c, bool(drawn)))
        key = tuple(row[k] for k in keys)
        if becov and key in becov:
            row["becoverage"], row["becoverage_mcse"] = becov[key]
        rows.append(row)
    cols = params + [k for k in keys if k not in params]
    return pd.DataFrame(rows, columns=cols + ["true_value"] + MEASURES)
