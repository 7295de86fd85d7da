"""Hypothesis tests of the study's null values (``tests:``): size and power.

For every test of ``estimand = null`` the study lists (:mod:`fisherlab.spec.hypotheses`)
and every condition × n: the Wald test on each estimator's fit that has a standard
error, and the score and likelihood-ratio tests on the datasets themselves (drawn again,
:mod:`._data`: the same datasets the estimators saw), their maximum-likelihood fit
giving theta_hat (the maximum-likelihood estimator's rows). The statistics and the
rejection rule are :mod:`fisherlab.estimators.hypothesis`'s.

Each row: the estimand's true value (``truth``, blank where drawn), the rejections of
the replicates whose statistic could be computed, the rejection rate with its MCSE
sqrt(r (1 - r) / R), and ``kind``: ``size`` where the condition's truth is the null,
``power`` where it is not (``drawn`` for a truth drawn per replicate). ``exact`` is the
exact rejection rate where known: the family's formula (the normal mean's Wald test with
the MLE's SE, a noncentral t) or, for a discrete family, the sum of the probabilities of
the support points where the test rejects (:mod:`._exact`); ``exact_z`` the simulated
rate's distance from it in MCSEs at the exact value. Whether a size is within Bradley's
band is the size rule's to say (:mod:`fisherlab.verdicts.size`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..estimators import hypothesis as ht
from ..spec.study import Condition
from ._common import condition_keys, groups, theta_of
from ._data import condition_row, datasets, param_conditions
from ._exact import support, z_from_exact
from .registry import diagnostic

COLUMNS = ["n", "estimator", "estimand", "test", "null", "truth", "sides", "level",
           "rejections",
           "replicates", "rate", "mcse", "exact", "exact_z", "kind"]


def _mle(study):
    return next((s for s in study.estimators if s.estimator.maximum_likelihood), None)


def _score_lr(study, spec, x, theta_fixed, h) -> np.ndarray:
    """The score or likelihood-ratio statistic of every dataset of ``x``, NaN where the
    maximum-likelihood fit failed."""
    fam = study.family
    names = tuple(p.name for p in fam.estimated())
    fit = spec.estimator.fit(fam, x, theta_fixed, names, study.level)
    theta_hat = {k: fit[k].estimate for k in names}
    ok = np.all([fit[k].converged for k in names], axis=0)
    z = ht.statistic(h.test, fam, x, theta_fixed, theta_hat, h.estimand, h.null)
    return np.where(ok, z, np.nan)


def _exact(study, spec, h, theta: dict, n: int) -> float:
    """The exact rejection rate of ``h`` on ``spec``'s fit, NaN where not known."""
    fam, est = study.family, spec.estimator
    if h.test == "wald" and est.sufficient_only(fam) and fam.has("exact_wald_rejection"):
        if any(p.name not in theta for p in fam.params):
            return float("nan")
        try:
            return fam.exact_wald_rejection(h.estimand, theta, n, h.null, h.sides, h.level)
        except NotImplementedError:
            return float("nan")
    found = support(study, theta, n, est)
    if found is None:
        return float("nan")
    x, prob = found
    fixed = fam.fixed_values(theta)
    if h.test == "wald":
        fit = est.fit(fam, x, fixed, (h.estimand,), study.level)[h.estimand]
        z = np.where(fit.converged, ht.wald(fit.estimate, fit.se, h.null), np.nan)
    else:
        z = _score_lr(study, spec, x, fixed, h)
    ok = ~np.isnan(z)
    rej = ok & ht.rejects(z, h.sides, h.level)
    return float(prob[rej].sum() / prob[ok].sum()) if prob[ok].sum() > 0 else float("nan")


def _condition(study, first: pd.Series, keys: list[str]) -> Condition:
    for c in param_conditions(study):
        row = condition_row(c)
        if all(k not in first or first[k] == v for k, v in row.items()):
            return c
    raise KeyError("no condition of the study matches these rows")


@diagnostic("tests", by=("n",), columns=("n", "estimator", "estimand", "estimate", "se",
                                         "true_value", "converged"))
def tests(df: pd.DataFrame, study) -> pd.DataFrame:
    """One row per condition × n × test × estimator it applies to: rejections,
    replicates, the rejection rate and its MCSE, the exact rate where known and the
    simulated rate's distance from it in MCSEs, and whether it is a size or a power."""
    keys = condition_keys(df)
    if not study.tests or df.empty:
        return pd.DataFrame(columns=keys + COLUMNS)
    mle = _mle(study)
    rows = []
    for key, g in groups(df, keys + ["n"]):
        n = int(g["n"].iloc[0])
        first = g.iloc[0]
        theta = theta_of(first, keys)
        drawn = None  # the score and LR statistics of this cell's datasets, made once
        for h in study.tests:
            truth = g.loc[g["estimand"] == h.estimand, "true_value"].to_numpy(float)
            fixed_truth = truth.size and np.all(truth == truth[0])
            kind = ("drawn" if not fixed_truth else
                    "size" if truth[0] == h.null else "power")
            if h.test == "wald":
                cells = []
                for spec in study.estimators:
                    r = g[(g["estimator"] == spec.id) & (g["estimand"] == h.estimand)
                          & g["converged"].to_numpy(bool)]
                    z = ht.wald(r["estimate"], r["se"], h.null)
                    if np.isnan(z).all():
                        continue  # no standard error: no Wald test
                    cells.append((spec, z))
            else:
                if drawn is None:
                    cond = Condition(_condition(study, first, keys).params, n)
                    drawn = {}
                    for _, th, x in datasets(study, cond):
                        fixed = study.family.fixed_values(th)
                        for h2 in study.tests:
                            if h2.test != "wald":
                                drawn.setdefault(h2, []).append(
                                    _score_lr(study, mle, x, fixed, h2))
                    drawn = {k: np.concatenate(v) for k, v in drawn.items()}
                cells = [(mle, drawn[h])]
            for spec, z in cells:
                z = np.asarray(z, float)
                ok = ~np.isnan(z)
                R = int(ok.sum())
                rej = int(ht.rejects(z[ok], h.sides, h.level).sum())
                rate = rej / R if R else float("nan")
                exact = _exact(study, spec, h, theta, n) if fixed_truth else float("nan")
                rows.append(dict(zip(keys + ["n"], key, strict=True), estimator=spec.id,
                                 estimand=h.estimand, test=h.test, null=h.null,
                                 truth=float(truth[0]) if fixed_truth else np.nan,
                                 sides=h.sides, level=h.level, rejections=rej,
                                 replicates=R, rate=rate,
                                 mcse=float(np.sqrt(rate * (1 - rate) / R)) if R else np.nan,
                                 exact=exact,
                                 exact_z=z_from_exact(rate, exact, R) if R else np.nan,
                                 kind=kind))
    return pd.DataFrame(rows, columns=keys + COLUMNS)
