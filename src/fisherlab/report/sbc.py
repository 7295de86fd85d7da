"""Simulation-based calibration (SBC): PIT values against truths drawn from the prior.

In a study whose ``model.params`` give a prior instead of a value, every replicate
draws its own truth theta_i from the prior before its data (:mod:`fisherlab.simulate`).
If an estimator's posterior is right for that prior, the posterior CDF at the truth,
PIT_i = P(theta <= theta_i | data_i), is uniform on (0, 1) (Cook, Gelman & Rubin 2006;
Talts et al. 2018, arXiv:1804.06788), and so every central credible interval covers
theta_i at its nominal rate.

Where the PIT comes from, per estimator:

* ``pit`` column (estimators that sample the posterior, ``posterior``): the share of
  posterior draws below theta_i (the normalised SBC rank statistic);
* otherwise the normal approximation Phi((theta_i - theta_hat_i) / se_i): for ``map``
  this is the CDF of its own Laplace posterior N(theta_MAP, se^2) at the truth; for a
  frequentist estimator it is the confidence distribution of its Wald interval.

Failed replicates (``converged == False``) are left out, as in the measures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..measures import prior_columns

#: the two PIT sources, as labelled in tables and figures
FROM_DRAWS = "posterior draws"
FROM_NORMAL = "normal approximation"


def pit_values(df: pd.DataFrame) -> pd.DataFrame:
    """The converged replicate rows with a finite PIT: columns ``pit`` and ``pit_from``.

    Empty when the study drew no truth from a prior (no ``prior_<param>`` column).
    """
    if not prior_columns(df):
        return df.iloc[:0].assign(pit=np.nan, pit_from="")
    d = df[df["converged"].to_numpy(bool)].copy()
    draws = d["pit"].to_numpy(float) if "pit" in d else np.full(len(d), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (d["true_value"].to_numpy(float) - d["estimate"].to_numpy(float)) / \
            d["se"].to_numpy(float)
    normal = stats.norm.cdf(z)
    normal[~(d["se"].to_numpy(float) > 0)] = np.nan  # se = 0 (k = 0 or n): no PIT
    has = np.isfinite(draws)
    d["pit"] = np.where(has, draws, normal)
    d["pit_from"] = np.where(has, FROM_DRAWS, FROM_NORMAL)
    return d[np.isfinite(d["pit"].to_numpy(float))]


def uniformity(df: pd.DataFrame) -> pd.DataFrame:
    """Per estimand × estimator × n: replicates with a PIT, its source, and the
    Kolmogorov-Smirnov test of uniformity (scipy ``kstest`` against U(0, 1))."""
    d = pit_values(df)
    rows = []
    for (estimand, estimator, n), g in d.groupby(["estimand", "estimator", "n"], sort=True):
        res = stats.kstest(g["pit"].to_numpy(float), "uniform")
        rows.append({"estimand": estimand, "estimator": estimator, "n": n, "replicates": len(g),
                     "pit_from": g["pit_from"].iloc[0], "ks": float(res.statistic),
                     "ks_pvalue": float(res.pvalue)})
    return pd.DataFrame(rows, columns=["estimand", "estimator", "n", "replicates", "pit_from",
                                       "ks", "ks_pvalue"])


def pit_ecdf_plot(df: pd.DataFrame, estimand: str | None = None, envelope_prob: float = 0.99):
    """ECDF of the PIT values minus the uniform CDF, one panel per estimator (rows) and
    n (columns), with arviz-plots' simultaneous uniformity band and test
    (``arviz_plots.plot_ecdf_pit``, method ``pot_c``, level ``envelope_prob``).

    Returns a matplotlib Figure, or None when the study drew no truth or no PIT exists.
    Each panel uses its own replicates: panels with failed fits are not padded.
    """
    import xarray as xr

    from .plots import _az, _figure

    d = pit_values(df)
    if d.empty:
        return None
    estimand = estimand or d["estimand"].iloc[0]
    d = d[d["estimand"] == estimand]
    if d.empty:
        return None
    # the test needs every value of a panel and no NaN: number each panel's replicates
    # 0..S-1 and keep the first S_min of each, S_min the smallest panel (failures are few)
    d = d.assign(slot=d.groupby(["estimator", "n"]).cumcount())
    s_min = int(d.groupby(["estimator", "n"]).size().min())
    d = d[d["slot"] < s_min]
    da = d.set_index(["estimator", "n", "slot"])["pit"].to_xarray().rename(slot="replicate")
    da = da.assign_coords(n=[f"n = {v}" for v in da["n"].to_numpy()])
    dt = xr.DataTree.from_dict({"prior_sbc": xr.Dataset({estimand: da})})
    sizes, k = da.sizes["n"], da.sizes["estimator"]
    azp = _az()
    pc = azp.plot_ecdf_pit(dt, group="prior_sbc", sample_dims=["replicate"], method="pot_c",
                           envelope_prob=envelope_prob, backend="matplotlib",
                           cols=["estimator", "n"], col_wrap=sizes,
                           figure_kwargs={"figsize": (max(3.4 * sizes, 6.0), 2.4 * k + 0.6)})
    fig = _figure(pc)
    sources = "; ".join(f"{e}: {g['pit_from'].iloc[0]}" for e, g in d.groupby("estimator"))
    prior = "; ".join(f"{c[len('prior_'):]} ~ {d[c].iloc[0]}" for c in prior_columns(d))
    fig.suptitle(f"SBC: ECDF of PIT − uniform, truth {prior}\n{s_min} replicates per panel;"
                 f" marked points depart (α = {1 - envelope_prob:.2g})\nPIT from {sources}",
                 fontsize=8)
    return fig
