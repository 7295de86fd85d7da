"""Coverage of the intervals: actual against nominal, with MCSEs, and how they miss.

Coverage and bias-eliminated coverage (the interval's coverage of the mean estimate,
which separates bias from bad width) with their MCSEs sqrt(c(1-c)/S) and the mean
width follow Morris et al. (2019), Table 6 (:func:`fisherlab.stats.measures.performance`).
Each row also says what kind of interval it is (the estimator's ``interval_kind``:
'wald', 'likelihood ratio', 'score', 'exact', 'credible', 'Laplace') and on which side
its misses fall: ``miss_below`` is the share of intervals wholly below the truth (the
truth above the upper end), ``miss_above`` the share wholly above it. For a rare
proportion the Wald interval misses almost only one way (p_hat = 0 gives [0, 0]), the
oscillation Brown, Cai & DasGupta (2001) describe; ``zero_width`` counts such
intervals of no width, which a zip plot must draw as marks, not as lines of no length.
For a discrete family (Bernoulli, binomial, Poisson) and an estimator whose fit is a
function of the sufficient statistic, ``exact_coverage`` is the exact coverage, a sum
of probabilities over the statistic's support (:mod:`._exact`), and ``exact_z`` the
simulated coverage's distance from it in MCSEs at the exact value; both blank elsewhere.
Whether coverage is nominal is the coverage rule's to say
(:mod:`fisherlab.verdicts.coverage`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import condition_keys, perf, theta_of, with_intervals
from ._exact import exact_coverage, z_from_exact
from .registry import CELL, diagnostic

COLUMNS = ["S", "nominal", "kind", "exact", "coverage", "coverage_mcse", "becoverage",
           "becoverage_mcse", "width", "width_mcse", "miss_below", "miss_above", "zero_width",
           "exact_coverage", "exact_z"]


@diagnostic("coverage", by=CELL,
            columns=("n", "estimator", "estimand", "estimate", "true_value", "ci_low",
                     "ci_high", "converged"))
def coverage(df: pd.DataFrame, study) -> pd.DataFrame:
    """One row per condition × n × estimator × estimand with intervals: S (the finite
    intervals of fits that succeeded), the nominal level, the interval's kind and whether
    it is exact at every n, coverage and bias-eliminated coverage with MCSEs, the mean
    width with its MCSE, the shares of intervals wholly below and above the truth, and
    the number of intervals of zero width."""
    keys = condition_keys(df)
    head = keys + ["n", "estimator", "estimand"]
    rows = []
    for key, g in with_intervals(df, head):
        row = dict(zip(head, key, strict=True))
        p = perf(g, ci=True)
        lo, hi = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
        truth = g["true_value"].to_numpy(float)
        spec = study.estimator(row["estimator"])
        est = spec.estimator
        truth0 = float(truth[0]) if np.all(truth == truth[0]) else float("nan")
        exact = (exact_coverage(study, spec, theta_of(g.iloc[0], keys), int(row["n"]),
                                row["estimand"], truth0)
                 if np.isfinite(truth0) else float("nan"))
        rows.append(dict(row, S=len(g), nominal=study.level,
                         kind=est.interval_kind(study.analysis, row["estimand"]),
                         exact=bool(est.has_exact_interval(study.analysis, row["estimand"])),
                         coverage=p["coverage"], coverage_mcse=p["coverage_mcse"],
                         becoverage=p["becoverage"], becoverage_mcse=p["becoverage_mcse"],
                         width=p["width"], width_mcse=p["width_mcse"],
                         miss_below=float(np.mean(hi < truth)),
                         miss_above=float(np.mean(lo > truth)),
                         zero_width=int(np.sum(hi == lo)),
                         exact_coverage=exact,
                         exact_z=z_from_exact(p["coverage"], exact, len(g))))
    return pd.DataFrame(rows, columns=head + COLUMNS)
