"""Asymptotic normality of the standardised estimates.

Per condition, n, estimator and estimand, two standardisations:
* ``se``: z = (theta_hat - theta) / se, with the estimator's own standard error;
* ``information``: z = (theta_hat - theta) / sqrt(CRLB) = (theta_hat - theta) sqrt(n I(theta)),
  for families that declare their Fisher information.
Under asymptotic normality both tend to N(0, 1). Reported: mean, SD, skewness, excess
kurtosis (scipy.stats) and the Kolmogorov–Smirnov test against N(0, 1)
(scipy.stats.kstest); the verdict is 'normal' when the p-value is at least ALPHA.
Discrete data give lattice-valued estimates (a Bernoulli proportion is k/n), and KS
against a continuous law rejects a lattice for its steps alone; when z takes fewer than
half as many distinct values as there are replicates, the test is D'Agostino and
Pearson's K^2 on skewness and kurtosis instead (scipy.stats.normaltest), which judges
the shape and ignores the steps.
The uniform maximum is not asymptotically normal: n (upper - max) / w -> Exp(1).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ..core.labels import condition_columns
from ._common import condition_keys, crlb_of, good, groups, is_lattice, theta_of
from .registry import CELL, diagnostic

#: a test with p below this says 'not normal'
ALPHA = 0.01
#: fewer finite z than this: no test ('too few'; normaltest needs 20)
MIN_S = 20


def describe_z(z, lattice: bool | None = None) -> dict:
    """Moments of ``z`` and the test against N(0, 1), with a verdict. ``crit`` is the
    KS statistic's critical value at ALPHA for this S (``scipy.stats.kstwo``): the ECDF
    of Phi(z) stays within ±crit of the uniform CDF exactly when KS says 'normal', the
    band the report's figure draws."""
    z = np.asarray(z, dtype=float)
    z = z[np.isfinite(z)]
    out = dict(S=z.size, mean=np.nan, sd=np.nan, skew=np.nan, ex_kurtosis=np.nan,
               test="", statistic=np.nan, pvalue=np.nan, crit=np.nan, verdict="too few")
    if z.size < MIN_S:
        return out
    if np.ptp(z) == 0:  # every replicate gave the same value (e.g. n = 1 and discrete)
        out.update(mean=float(z[0]), sd=0.0, verdict="not normal", test="degenerate")
        return out
    with warnings.catch_warnings():  # nearly constant z: scipy warns of lost precision
        warnings.simplefilter("ignore", RuntimeWarning)
        if is_lattice(z) if lattice is None else lattice:
            res, test = stats.normaltest(z), "K2"
        else:
            res, test = stats.kstest(z, "norm"), "KS"
            out["crit"] = float(stats.kstwo.ppf(1 - ALPHA, z.size))
        skew, kurt = float(stats.skew(z)), float(stats.kurtosis(z))  # Fisher: normal -> 0
    p = float(res.pvalue)
    out.update(mean=float(z.mean()), sd=float(z.std(ddof=1)), skew=skew, ex_kurtosis=kurt,
               test=test, statistic=float(res.statistic), pvalue=p,
               verdict="normal" if p >= ALPHA else "not normal")
    return out


def standardised(g: pd.DataFrame, family, theta: dict, estimand: str, n: int) -> dict:
    """The z values of one cell under each available standardisation, in the
    estimates' replicate order (NaN where a replicate's se is 0 or missing)."""
    err = g["estimate"].to_numpy(float) - g["true_value"].to_numpy(float)
    out = {}
    se = g["se"].to_numpy(float)
    if np.isfinite(se).any():
        with np.errstate(divide="ignore", invalid="ignore"):
            out["se"] = err / se
    crlb, _ = crlb_of(family, theta, estimand, n)
    if np.isfinite(crlb):
        out["information"] = err / np.sqrt(crlb)
    return out


def z_values(df: pd.DataFrame, study, standardisation: str = "se"):
    """``(cell key, z)`` for every condition × n × estimator × estimand cell: what the
    table tests, for the report's figure to draw (finite values only)."""
    keys = condition_keys(df)
    head = keys + ["n", "estimator", "estimand"]
    for key, g in groups(good(df), head):
        base = dict(zip(head, key, strict=True))
        z = standardised(g, study.family, theta_of(base, keys), base["estimand"],
                         int(base["n"])).get(standardisation)
        if z is not None:
            yield base, z[np.isfinite(z)]


@diagnostic("normality", by=CELL,
            columns=("n", "estimator", "estimand", "estimate", "true_value", "se", "converged"))
def normality(df: pd.DataFrame, study) -> pd.DataFrame:
    """One row per condition × n × estimator × estimand × standardisation: moments of z,
    the test against N(0, 1) (KS, or K² for lattice-valued estimates), its p-value, the
    KS critical value ``crit`` and the verdict."""
    keys = condition_keys(df)
    head = keys + ["n", "estimator", "estimand"]
    rows = []
    for key, g in groups(good(df), head):
        base = dict(zip(head, key, strict=True))
        zs = standardised(g, study.family, theta_of(base, keys), base["estimand"],
                          int(base["n"]))
        # counts give lattice-valued estimates, even where a sampler's noise smears them
        lattice = study.family.discrete or is_lattice(g["estimate"])
        for kind, z in zs.items():
            rows.append(dict(base, standardisation=kind, lattice=lattice,
                             **describe_z(z, lattice or None)))
    cols = head + ["standardisation", "lattice", "S", "mean", "sd", "skew", "ex_kurtosis",
                   "test", "statistic", "pvalue", "crit", "verdict"]
    return pd.DataFrame(rows, columns=cols)


def normal_from(table: pd.DataFrame) -> pd.DataFrame:
    """Per condition × estimator × estimand × standardisation, the smallest n from which
    every larger n is judged normal (NaN: not normal at the largest n)."""
    head = condition_columns(table) + ["estimator", "estimand", "standardisation"]
    rows = []
    for key, g in groups(table, head):
        g = g.sort_values("n")
        ok = (g["verdict"] == "normal").to_numpy()
        start = np.nan
        for i in range(len(ok) - 1, -1, -1):
            if not ok[i]:
                break
            start = g["n"].iloc[i]
        rows.append(dict(zip(head, key, strict=True), normal_from=start,
                         normal_at=int(ok.sum()), sizes=len(ok)))
    return pd.DataFrame(rows, columns=head + ["normal_from", "normal_at", "sizes"])
