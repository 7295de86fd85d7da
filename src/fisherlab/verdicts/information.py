"""The Fisher information agrees with an independent Monte Carlo check.

The information table (:mod:`fisherlab.diagnostics.information`) holds each entry I_ij
of one observation, where it comes from, and an independent Monte Carlo estimate with
its standard error. 'agrees' when |I - check| < :data:`Z` standard errors, else
'differs'.
"""

from __future__ import annotations

from .registry import rule
from .rows import Cells, finite

#: |information - check| below this many standard errors: they agree
Z = 4


@rule("information", table="information")
def information(t: Cells, study) -> list[dict]:
    """Each entry of the information matrix against its Monte Carlo check."""
    if "information" not in t.rows:
        return []
    out = []
    for _, row in t.rows[t.rows["information"].notna()].iterrows():
        z = row["check_z"]
        out.append(t.verdict(row, "agrees" if finite(z) and abs(z) < Z else "differs",
                             f"|I − Monte Carlo check| < {Z} SE: agrees",
                             n=float("nan"), estimator="", estimand=row["parameter"],
                             detail=f"with {row['parameter2']}", value=row["information"],
                             mcse=row["check_se"], reference=row["check"], statistic=z,
                             threshold=Z))
    return out
