"""Optimisers agree: a method's estimates equal the reference method's, to a tiny share
of their standard error.

The optimiser table (:mod:`fisherlab.diagnostics.optimiser`) holds, per condition × n ×
method, the largest difference from the reference's estimates (the first method listed)
over the replicates where both converged, in the reference's standard errors. 'agrees'
when it is at most :data:`AGREE`: a difference no study could see.
"""

from __future__ import annotations

from .registry import rule
from .rows import Cells, finite

#: the largest difference from the reference, in its standard errors, that agrees
AGREE = 1e-3


@rule("optimiser", table="optimiser")
def optimiser(t: Cells, study) -> list[dict]:
    """Each method against the reference method, per n."""
    out = []
    for _, row in t.rows[~t.rows["reference"].astype(bool)].iterrows():
        worst = row["max_diff_se"]
        if not finite(worst):
            continue
        out.append(t.verdict(row, "agrees" if worst <= AGREE else "differs",
                             f"largest |difference| from the reference ≤ {AGREE:g} of its "
                             "standard error: agrees", estimand="", value=worst,
                             threshold=AGREE, used=int(row["compared"]),
                             left_out=int(row["fits"]) - int(row["compared"]),
                             left_out_why="fits where either method did not converge"
                             if int(row["fits"]) > int(row["compared"]) else ""))
    return out
