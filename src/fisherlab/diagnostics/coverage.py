"""Coverage of the intervals: actual against nominal, with MCSE bands.

Coverage and bias-eliminated coverage (the interval's coverage of the mean estimate,
which separates bias from bad width) with their MCSEs sqrt(c(1-c)/S) and the mean
width follow Morris et al. (2019), Table 6 (:func:`fisherlab.stats.measures.performance`).
Under the nominal level, the number of covering intervals is Binomial(S, level): the
exact binomial test (scipy.stats.binomtest) gives the verdict, and the band
level ± 2 sqrt(level (1-level) / S) is what the figure draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ._common import condition_keys, perf, with_intervals
from .registry import CELL, diagnostic

#: the exact binomial test at this level decides 'nominal'
ALPHA = 0.01


def nominal_band(level: float, S: int) -> tuple[float, float]:
    """Nominal coverage ± 2 binomial MCSEs at S replicates: the band of the coverage
    and interval tables (and of their figures)."""
    band = 2 * np.sqrt(level * (1 - level) / S)
    return level - band, level + band


@diagnostic("coverage", by=CELL,
            columns=("n", "estimator", "estimand", "estimate", "true_value", "ci_low",
                     "ci_high", "converged"))
def coverage(df: pd.DataFrame, study) -> pd.DataFrame:
    """One row per condition × n × estimator × estimand with intervals: coverage and
    bias-eliminated coverage with MCSEs, the band nominal ± 2 binomial MCSEs, the exact
    binomial test's p-value and verdict, the mean width, and whether the interval is
    exact at every n (``exact``, the estimator's declaration) or asymptotic."""
    level = study.level
    keys = condition_keys(df)
    head = keys + ["n", "estimator", "estimand"]
    rows = []
    for key, g in with_intervals(df, head):
        p = perf(g, ci=True)
        S = len(g)
        hits = int(round(p["coverage"] * S))
        test = stats.binomtest(hits, S, level)
        band_low, band_high = nominal_band(level, S)
        if test.pvalue >= ALPHA:
            verdict = "nominal"
        else:
            verdict = "under" if p["coverage"] < level else "over"
        est = study.estimator(key[len(keys) + 1])
        exact = bool(est.estimator.has_exact_interval(study.family, key[len(keys) + 2]))
        rows.append(dict(zip(head, key, strict=True), S=S, nominal=level, exact=exact,
                         coverage=p["coverage"], coverage_mcse=p["coverage_mcse"],
                         band_low=band_low, band_high=band_high,
                         pvalue=test.pvalue, verdict=verdict,
                         becoverage=p["becoverage"], becoverage_mcse=p["becoverage_mcse"],
                         width=p["width"], width_mcse=p["width_mcse"]))
    cols = head + ["S", "nominal", "exact", "coverage", "coverage_mcse", "band_low", "band_high",
                   "pvalue", "verdict", "becoverage", "becoverage_mcse", "width",
                   "width_mcse"]
    return pd.DataFrame(rows, columns=cols)
