"""The Fisher information agrees with an independent Monte Carlo check.

The information table (:mod:`fisherlab.diagnostics.information`) holds each entry I_ij
of one observation, where it comes from, and an independent Monte Carlo estimate with
its standard error. 'agrees' when |I - check| < :data:`Z` standard errors, else
'differs'.
"""

from __future__ import annotations

from .registry import rule
from .rows import finite, keys_of, verdict_row

#: |information - check| below this many standard errors: they agree
Z = 4


@rule("information")
def information(tables: dict, study) -> list[dict]:
    """Each entry of the information matrix against its Monte Carlo check."""
    t = tables["information"]
    if t.empty:
        return []
    if "information" not in t:
        return []
    keys = keys_of(t)
    out = []
    for _, row in t[t["information"].notna()].iterrows():
        z = row["check_z"]
        out.append(verdict_row("information", row, keys,
                               "agrees" if finite(z) and abs(z) < Z else "differs",
                               f"|I − Monte Carlo check| < {Z} SE: agrees",
                               n=float("nan"), estimator="", estimand=row["parameter"],
                               detail=f"with {row['parameter2']}", value=row["information"],
                               mcse=row["check_se"], reference=row["check"], statistic=z,
                               threshold=Z))
    return out
