"""Far-out estimates: how many, on which side, and how far, by Tukey's fences.

A sampling distribution with a long tail (the MLE of a logistic regression's intercept
at small n, a shape parameter's moment estimator) has a few estimates far from the
rest: finite fits, not failures, that dominate the bias, the RMSE and a figure's scale.
This table counts them so that the page can say so and its figures can keep their scale
on the bulk and mark the rest at the edge.

Tukey's far-out fences (Tukey 1977, *Exploratory Data Analysis*, ch. 2): with Q1 and Q3
the quartiles of the values and IQR = Q3 − Q1, a value below Q1 − 3·IQR or above
Q3 + 3·IQR is *far out*. For a normal sampling distribution the fences sit at ±4.72
standard deviations, so a value beyond them has probability 2.3e-6: with 1,000
replicates, 0.002 are expected. Any count here points at skew, a heavy tail, or
estimates in separate clusters (a posterior mean at n = 1 takes two values, and the
IQR of one of them is the sampler's noise). A value on a fence by the rounding of
Q3 + 3·IQR (13/20 against 0.6499999999999999) is not beyond it: :data:`ROUNDING`.

Values are the estimates when the cell has one truth, and the errors estimate − truth
when the truth is drawn per replicate (``scale``). Where IQR = 0 (half the values or
more are one value, as a proportion's 0/n at small n) the fences say nothing: they are
NaN and no value is counted. A statistic only: no verdict is made from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import condition_keys, good, groups
from .registry import CELL, diagnostic

#: Tukey's multiplier of the IQR for the far-out fences (1.5 gives his inner fences)
K = 3.0
#: a value beyond a fence by less than this share of the quartiles' scale is on it: the
#: fence's own rounding (Q3 + 3·IQR in floating point), not a far-out estimate
ROUNDING = 1e-12

COLUMNS = ["replicates", "scale", "true_value", "q1", "q3", "fence_low", "fence_high",
           "far_below", "far_above", "extreme", "extreme_se"]


def fences(values: np.ndarray) -> tuple[float, float, float, float]:
    """(Q1, Q3, lower fence, upper fence) of ``values``; NaN fences where IQR = 0."""
    q1, q3 = np.quantile(values, [0.25, 0.75])
    iqr = q3 - q1
    if not iqr > 0:
        return float(q1), float(q3), float("nan"), float("nan")
    return float(q1), float(q3), float(q1 - K * iqr), float(q3 + K * iqr)


@diagnostic("tails", by=CELL,
            columns=("n", "estimator", "estimand", "estimate", "true_value", "se",
                     "converged"))
def tails(df: pd.DataFrame, study) -> pd.DataFrame:
    """One row per condition × n × estimator × estimand with finite estimates:
    ``replicates`` (the finite estimates of fits that succeeded), ``scale`` ("estimate",
    or "error" = estimate − truth where the truth is drawn per replicate), the truth
    (NaN when drawn), the quartiles ``q1`` and ``q3``, Tukey's far-out fences
    ``fence_low`` = Q1 − 3·IQR and ``fence_high`` = Q3 + 3·IQR (NaN where IQR = 0), the
    counts ``far_below`` and ``far_above`` of values beyond them, and ``extreme``, the
    value farthest from the median, with its standard error ``extreme_se``."""
    keys = condition_keys(df)
    head = keys + ["n", "estimator", "estimand"]
    rows = []
    for key, g in groups(good(df), head):
        est = g["estimate"].to_numpy(float)
        truth = g["true_value"].to_numpy(float)
        ok = np.isfinite(est)
        if not ok.any():
            continue
        est, truth, se = est[ok], truth[ok], g["se"].to_numpy(float)[ok]
        one = bool(np.all(truth == truth[0]))
        values = est if one else est - truth
        q1, q3, low, high = fences(values)
        tol = ROUNDING * max(abs(q1), abs(q3), q3 - q1)
        i = int(np.argmax(np.abs(values - np.median(values))))
        rows.append(dict(zip(head, key, strict=True), replicates=int(values.size),
                         scale="estimate" if one else "error",
                         true_value=float(truth[0]) if one else float("nan"),
                         q1=q1, q3=q3, fence_low=low, fence_high=high,
                         far_below=int(np.sum(values < low - tol)),
                         far_above=int(np.sum(values > high + tol)),
                         extreme=float(values[i]), extreme_se=float(se[i])))
    return pd.DataFrame(rows, columns=head + COLUMNS)
