"""The score at the truth: mean 0 and variance n I(theta) (the Bartlett identities).

For a regular family the score U = d l / d theta of a dataset of n observations,
evaluated at the TRUE theta, has E[U] = 0 and Var(U) = n I(theta): the first two
Bartlett identities, on which the MLE's consistency and its standard errors rest. This
diagnostic draws every simulated dataset again (:mod:`._data`: the same seeds, the same
data the estimators saw), evaluates the family's score at the truth (analytic where the
family declares it, else the numerical gradient of the log-likelihood,
:func:`fisherlab.families.fallbacks.numerical_score`) and checks both identities per
condition × n × parameter, with Monte Carlo standard errors (the score rules judge them,
:mod:`fisherlab.verdicts.score`):

* the mean score, MCSE sd(U)/sqrt(S);
* the variance of the standardised score z = U / sqrt(n I_jj(theta)), which is 1 when
  Var(U) = n I(theta), MCSE kurtosis-aware (:func:`fisherlab.stats.measures.variance_rel_mcse`)
  with the information's own relative error (Monte Carlo) added in quadrature.

I(theta) is the family's closed form, else numerical integration or Monte Carlo
(:meth:`fisherlab.families.base.Family.information`). Where each replicate drew its
truth from a prior, each score is standardised by its own truth's information (closed
forms only). A non-regular family (the uniform) has no score identities: no rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..spec.study import Condition
from ..stats.measures import variance_rel_mcse
from ._data import condition_row, datasets, param_conditions
from .registry import ONCE, diagnostic

ANALYTIC = "analytic"
NUMERICAL = "numerical (scipy.differentiate)"
COLUMNS = ["n", "parameter", "S", "mean_score", "mean_score_mcse", "mean_z", "var_score",
           "n_info", "var_ratio", "var_ratio_mcse", "score_source", "info_source"]


def score_at_truth(study, condition: Condition) -> tuple[np.ndarray, np.ndarray, object]:
    """Every replicate's score at its true theta, ``(S, k)``; the standardising
    per-observation information diagonal ``(S, k)`` (NaN where there is none); the
    :class:`~fisherlab.families.fallbacks.Information` of a fixed truth (or None)."""
    fam = study.family
    names = [p.name for p in fam.estimated()]
    scores, diag, info = [], [], None
    for _, theta, x in datasets(study, condition):
        with np.errstate(all="ignore"):
            scores.append(fam.score(x, theta))
        drawn = any(np.ndim(v) for v in theta.values())
        try:
            info = fam.information(theta) if not drawn or fam.has("fisher_information") \
                else None
        except NotImplementedError:
            info = None
        d = (np.full((len(x), len(names)), np.nan) if info is None else
             np.broadcast_to(np.diagonal(info.matrix, axis1=-2, axis2=-1), (len(x), len(names))))
        diag.append(d)
    return np.concatenate(scores), np.concatenate(diag), (None if drawn else info)


@diagnostic("score", by=ONCE, columns=())  # (it draws the datasets again)
def score(df: pd.DataFrame, study) -> pd.DataFrame:
    """One row per condition × n × estimated parameter: the mean score at the truth and
    its MCSE, the variance of the score against n I(theta) (``var_ratio``, 1 in
    theory) with its MCSE; the score rules judge both identities."""
    fam = study.family
    if not fam.regular or study.fit_model is not None:  # (the fitted model is not the
        return pd.DataFrame(columns=COLUMNS)             # data's: no score at a truth)
    source = ANALYTIC if fam.has("score") else NUMERICAL
    rows = []
    for base in param_conditions(study):
        for n in study.sample_sizes:
            cond = Condition(base.params, n)
            s, diag, info = score_at_truth(study, cond)
            rel = info.rel_error if info is not None else 0.0
            for j, p in enumerate(fam.estimated()):
                u = s[:, j]
                ok = np.isfinite(u)
                u = u[ok]
                S = int(u.size)
                mean, mcse = float(u.mean()), float(u.std(ddof=1) / np.sqrt(S))
                with np.errstate(all="ignore"):
                    z = u / np.sqrt(n * diag[ok, j])
                row = dict(condition_row(cond), n=n, parameter=p.name, S=S, mean_score=mean,
                           mean_score_mcse=mcse, mean_z=float(np.mean(z)),
                           var_score=float(u.var(ddof=1)),
                           n_info=float(n * diag[0, j]) if info is not None else np.nan,
                           score_source=source,
                           info_source=info.source if info is not None else
                           ("closed form, at each drawn truth" if np.isfinite(diag).all()
                            else "none"))
                if np.all(np.isfinite(z)):
                    ratio = float(z.var(ddof=1))
                    vm = ratio * float(np.hypot(variance_rel_mcse(z), rel))
                    row.update(var_ratio=ratio, var_ratio_mcse=vm)
                else:
                    row.update(var_ratio=np.nan, var_ratio_mcse=np.nan)
                rows.append(row)
    return pd.DataFrame(rows, columns=list(rows[0]) if rows else COLUMNS)
