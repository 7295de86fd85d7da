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
from .rows import Replicates, keys_of, verdict_row

#: a KS p-value below this: 'not calibrated'
ALPHA = 0.01


@rule("calibration")
def calibration(tables: dict, study) -> list[dict]:
    """Each estimator's PIT values against uniform, where truths were drawn from a prior."""
    t = tables["calibration"]
    if t.empty:
        return []
    keys = keys_of(t)
    reps = Replicates(tables["summary"])
    out = []
    for _, row in t.iterrows():
        S = int(row["replicates"])
        crit = float(stats.kstwo.ppf(1 - ALPHA, S))
        out.append(verdict_row(
            "calibration", row, keys,
            "calibrated" if row["pvalue"] >= ALPHA else "not calibrated",
            f"Kolmogorov–Smirnov test of the PIT values against uniform: calibrated when "
            f"p ≥ {ALPHA:g}, that is the largest gap D ≤ {crit:.4f} at S = {S:,}",
            statistic=row["ks"], pvalue=row["pvalue"], threshold=ALPHA, high=crit,
            **reps.left_out(row, S, "without a PIT")))
    return out
