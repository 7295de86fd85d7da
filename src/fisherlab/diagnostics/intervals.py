"""Interval methods side by side: Wald, likelihood ratio, score (and exact, credible).

With ``interval: {method: [wald, likelihood_ratio, score]}`` each method is an
estimator row of its own (``mle[wald]``, ...). This table adds to the coverage table
what comparing methods needs: the KIND of interval each row is (the estimator's
``interval_kind``: 'wald', 'likelihood ratio', 'score', 'exact', 'credible',
'Laplace'), and on which side its misses fall: ``miss_below`` is the share of
intervals that lie wholly below the truth (the truth above the upper end) and
``miss_above`` the share wholly above it. For a rare proportion the Wald interval
misses almost only one way (p_hat = 0 gives [0, 0]: every such miss is below), the
oscillation Brown, Cai & DasGupta (2001) describe. ``in_band`` says whether coverage
lies within nominal ± 2 binomial MCSEs (the coverage table's band; its verdict is the
exact binomial test).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import condition_keys, perf, with_intervals
from .coverage import nominal_band
from .registry import diagnostic

COLUMNS = ["n", "estimand", "estimator", "kind", "S", "coverage", "coverage_mcse",
           "miss_below", "miss_above", "band_low", "band_high", "in_band", "width",
           "width_mcse"]


@diagnostic("intervals", by=("n",))
def intervals(df: pd.DataFrame, study) -> pd.DataFrame:
    """One row per condition × n × estimand × estimator with intervals: the interval's
    kind, coverage and its MCSE, the shares missing below and above the truth, whether
    coverage is inside the nominal band, and the mean width with its MCSE."""
    keys = condition_keys(df)
    head = keys + ["n", "estimand", "estimator"]
    level = study.level
    rows = []
    for key, g in with_intervals(df, head):
        lo, hi = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
        truth = g["true_value"].to_numpy(float)
        p = perf(g, ci=True)  # coverage, width and their MCSEs: the one implementation
        S = len(g)
        low, high = nominal_band(level, S)
        row = dict(zip(head, key, strict=True))
        est = study.estimator(row["estimator"]).estimator
        rows.append(dict(row, kind=est.interval_kind(study.family, row["estimand"]), S=S,
                         coverage=p["coverage"], coverage_mcse=p["coverage_mcse"],
                         miss_below=float(np.mean(hi < truth)),
                         miss_above=float(np.mean(lo > truth)),
                         band_low=low, band_high=high,
                         in_band=bool(low <= p["coverage"] <= high), width=p["width"],
                         width_mcse=p["width_mcse"]))
    return pd.DataFrame(rows, columns=keys + COLUMNS)


def compared(table: pd.DataFrame) -> bool:
    """Whether some estimand has intervals of more than one kind (the report's section)."""
    return bool(len(table)) and bool((table.groupby("estimand")["kind"].nunique() > 1).any())
