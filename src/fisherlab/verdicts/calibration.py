"""Calibrated (simulation-based calibration): the PIT values are uniform.

The calibration table (:mod:`fisherlab.diagnostics.calibration`) holds each cell's
Kolmogorov-Smirnov test of its PIT values against U(0, 1). 'calibrated' when its p-value
is at least :data:`ALPHA`; ``high`` is the KS critical value at that level
(``scipy.stats.kstwo``): the ECDF of the PIT stays within ±high of the uniform CDF
exactly when the verdict is 'calibrated', the band the figure draws. Every replicate
whose fit succeeded counts, those with a standard error of 0 too (their PIT is 0 or 1);
failed fits are left out and said so.
"""

from __future__ import annotations

from scipy import stats

from .registry import rule
from .rows import Cells

#: a KS p-value below this: 'not calibrated'
ALPHA = 0.01


@rule("calibration", table="calibration")
def calibration(t: Cells, study) -> list[dict]:
    """Each estimator's PIT values against uniform, where truths were drawn from a prior."""
    out = []
    for row in t:
        S = int(row["replicates"])
        crit = float(stats.kstwo.ppf(1 - ALPHA, S))
        verdict = "calibrated" if row["pvalue"] >= ALPHA else "not calibrated"
        out.append(t.verdict(row, verdict,
                             "Kolmogorov–Smirnov test of the PIT values against uniform: "
                             f"calibrated when p ≥ {ALPHA:g}, that is the largest gap "
                             f"D ≤ {crit:.4f} at S = {S:,}",
                             statistic=row["ks"], pvalue=row["pvalue"], threshold=ALPHA,
                             high=crit, **t.left_out(row, S, "without a PIT")))
    return out
