"""Asymptotic normality of the standardised estimates.

Per condition, n, estimator and estimand, two standardisations:
* ``se``: z = (theta_hat - theta) / se, with the estimator's own standard error;
* ``information``: z = (theta_hat - theta) / sqrt(CRLB) = (theta_hat - theta) sqrt(n I(theta)),
  for families that declare their Fisher information.
Under asymptotic normality both tend to N(0, 1). Reported: mean, SD, skewness, excess
kurtosis (scipy.stats) and the Kolmogorov–Smirnov test against N(0, 1)
(scipy.stats.kstest); the normality rule judges them (:mod:`fisherlab.verdicts.normality`).
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

from ._common import condition_keys, crlb_of, good, groups, is_lattice, theta_of
from .registry import CELL, diagnostic

#: fewer values than this: no test (normaltest needs 20)
MIN_S = 20


def describe_z(z, lattice: bool | None = None) -> dict:
    """Moments of ``z`` (its finite values) and a test against N(0, 1): KS, which takes
    an infinite z (a standard error of 0: Phi(z) is 0 or 1) as it is, or D'Agostino and
    Pearson's K² for lattice values, which takes finite values only. ``S`` is the number
    of values the test used; whether it says normal is the normality rule's
    (:mod:`fisherlab.verdicts.normality`)."""
    return describe_many([(z, lattice)])[0]


def describe_many(items) -> list[dict]:
    """:func:`describe_z` of each ``(z, lattice)``: the KS tests and the moments of
    samples of one size taken together, along ``axis=1`` of one array (scipy computes
    them row by row: the same numbers as one sample at a time, for a fraction of the
    per-call cost)."""
    out, tested = [], []  # tested: (index, the values tested, the finite values, test)
    for z, lattice in items:
        z = np.asarray(z, dtype=float)
        z = z[~np.isnan(z)]
        fin = z[np.isfinite(z)]
        lattice = (is_lattice(fin) if lattice is None else lattice) if fin.size else False
        used = fin if lattice else z
        row = dict(S=used.size, mean=np.nan, sd=np.nan, skew=np.nan, ex_kurtosis=np.nan,
                   test="", statistic=np.nan, pvalue=np.nan)
        out.append(row)
        if used.size < MIN_S:
            continue
        if np.ptp(used) == 0:  # every replicate gave the same value (n = 1 and discrete)
            row.update(mean=float(used[0]), sd=0.0, test="degenerate")
            continue
        row.update(mean=float(fin.mean()) if fin.size else np.nan,
                   sd=float(fin.std(ddof=1)) if fin.size > 1 else np.nan,
                   test="K2" if lattice else "KS")
        tested.append((len(out) - 1, used, fin))
    with warnings.catch_warnings():  # nearly constant z: scipy warns of lost precision
        warnings.simplefilter("ignore", RuntimeWarning)
        # K² one sample at a time: along an axis its last bits differ from one sample's
        for i, used, _ in tested:
            if out[i]["test"] == "K2":
                res = stats.normaltest(used)
                out[i].update(statistic=float(res.statistic), pvalue=float(res.pvalue))
        ks = [t for t in tested if out[t[0]]["test"] == "KS"]
        for _, idx, values in _same_size(ks, lambda t: t[1]):
            res = stats.kstest(values, "norm", axis=1)
            for k, i in enumerate(idx):
                out[i].update(statistic=float(res.statistic[k]), pvalue=float(res.pvalue[k]))
        for _, idx, values in _same_size([t for t in tested if t[2].size > 2],
                                         lambda t: t[2]):
            sk, ku = stats.skew(values, axis=1), stats.kurtosis(values, axis=1)
            for k, i in enumerate(idx):
                out[i].update(skew=float(sk[k]), ex_kurtosis=float(ku[k]))
    return out


def _same_size(tested, values):
    """``(size, indices, values stacked (m, size))`` per size of the tested samples."""
    batches: dict = {}
    for t in tested:
        v = values(t)
        batches.setdefault(v.size, []).append((t[0], v))
    for size, group in batches.items():
        yield size, [i for i, _ in group], np.stack([v for _, v in group])


def standardised(g: pd.DataFrame, family, theta: dict, estimand: str, n: int) -> dict:
    """The z values of one cell under each available standardisation, in the
    estimates' replicate order (NaN where a replicate's se is 0 or missing)."""
    err = g["estimate"].to_numpy(float) - g["true_value"].to_numpy(float)
    out = {}
    se = g["se"].to_numpy(float)
    if np.isfinite(se).any():
        with np.errstate(divide="ignore", invalid="ignore"):
            out["se"] = err / se
    crlb, _ = crlb_of(family, theta, estimand, n) if family is not None else (np.nan, "")
    if np.isfinite(crlb):
        out["information"] = err / np.sqrt(crlb)
    return out


def _model(study):
    """The family whose information standardises the errors: none under a fit_model
    (the analysis model is not the data model; only the estimator's own SE is used)."""
    return study.family if study.fit_model is None else None


def z_values(df: pd.DataFrame, study, standardisation: str = "se"):
    """``(cell key, z)`` for every condition × n × estimator × estimand cell: what the
    table tests, for the report's figure to draw (an infinite z too: Phi(z) is 0 or 1)."""
    keys = condition_keys(df)
    head = keys + ["n", "estimator", "estimand"]
    for key, g in groups(good(df), head):
        base = dict(zip(head, key, strict=True))
        z = standardised(g, _model(study), theta_of(base, keys), base["estimand"],
                         int(base["n"])).get(standardisation)
        if z is not None:
            yield base, z[~np.isnan(z)]


@diagnostic("normality", by=CELL,
            columns=("n", "estimator", "estimand", "estimate", "true_value", "se", "converged"))
def normality(df: pd.DataFrame, study) -> pd.DataFrame:
    """One row per condition × n × estimator × estimand × standardisation: moments of z,
    the test against N(0, 1) (KS, or K² for lattice-valued estimates), its statistic and
    p-value."""
    keys = condition_keys(df)
    head = keys + ["n", "estimator", "estimand"]
    rows, samples = [], []
    for key, g in groups(good(df), head):
        base = dict(zip(head, key, strict=True))
        zs = standardised(g, _model(study), theta_of(base, keys), base["estimand"],
                          int(base["n"]))
        # counts give lattice-valued estimates, even where a sampler's noise smears them
        lattice = study.analysis.discrete or study.family.discrete or is_lattice(g["estimate"])
        for kind, z in zs.items():
            rows.append(dict(base, standardisation=kind, lattice=lattice))
            samples.append((z, lattice or None))
    for row, described in zip(rows, describe_many(samples), strict=True):
        row.update(described)
    cols = head + ["standardisation", "lattice", "S", "mean", "sd", "skew", "ex_kurtosis",
                   "test", "statistic", "pvalue"]
    return pd.DataFrame(rows, columns=cols)
