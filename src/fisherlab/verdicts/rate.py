"""Consistent at the theoretical rate: RMSE shrinks like n^slope with the slope theory gives.

The consistency table (:mod:`fisherlab.diagnostics.consistency`) holds, per condition ×
estimator × estimand, the slope of log RMSE on log n over the larger half of the sample
sizes and its standard error. 'as theory' when the slope is within max(:data:`Z` SE,
:data:`MARGIN`) of the theoretical slope (-1/2, or -1 for the uniform's extremes);
'slower', 'faster' or 'not shrinking' otherwise. A rate the sizes cannot decide is
'cannot tell': fewer than three sample sizes, or a slope so uncertain (Z SE at least
:data:`DECIDE`) that it cannot tell -1/2 from -1/4 or -3/4 (n = 590 to 600 in a study of
a lattice effect is such a range).
"""

from __future__ import annotations

from .registry import CANNOT_TELL, rule
from .rows import Cells, finite

#: a slope within this many standard errors of theory agrees
Z = 3
#: ... or within this absolute distance (finite-n curvature is not inconsistency)
MARGIN = 0.05
#: a slope whose Z standard errors reach this far decides nothing: half the distance
#: from -1/2 to the rates next to it (0, -1)
DECIDE = 0.25
#: sample sizes a rate needs at the least
MIN_SIZES = 3


def judge(slope: float, se: float, theory: float, sizes: int) -> tuple[str, str]:
    """(verdict, why it cannot tell or '')."""
    if sizes == 0:
        return CANNOT_TELL, "no sample size has a usable estimate to fit a rate to"
    if sizes < MIN_SIZES or not finite(slope):
        return CANNOT_TELL, f"a rate needs {MIN_SIZES} sample sizes; the fit has {sizes}"
    if not finite(se) or Z * se >= DECIDE:
        return CANNOT_TELL, (f"the slope's standard error ({se:.2g}) is too large for its "
                             f"sample sizes to tell one rate from another")
    if abs(slope - theory) <= max(Z * se, MARGIN):
        return "as theory", ""
    if slope >= 0:
        return "not shrinking", ""
    return ("slower" if slope > theory else "faster"), ""


@rule("rate", table="consistency")
def rate(t: Cells, study) -> list[dict]:
    """Each estimator's RMSE against n: the rate theory gives, or not."""
    out = []
    for row in t:
        verdict, why = judge(row["slope"], row["slope_se"], row["theory_slope"],
                             int(row["n_sizes"]))
        out.append(t.verdict(row, verdict,
                             f"slope of log RMSE on log n over n = {row['n_min']}–"
                             f"{row['n_max']} ({int(row['n_sizes'])} sizes) within max({Z} SE, "
                             f"{MARGIN:g}) of {row['theory_slope']:g}; at least {MIN_SIZES} "
                             f"sizes and {Z} SE < {DECIDE:g}",
                             n=float("nan"), value=row["slope"], mcse=row["slope_se"],
                             reference=row["theory_slope"], threshold=Z, note=why,
                             used=int(row["replicates"]), left_out=int(row["failed"]),
                             left_out_why=(f"{int(row['failed'])} failed fits"
                                           if row["failed"] else "")))
    return out
