"""At the Cramér–Rao bound: n Var(θ̂) I(θ) = 1 within its Monte Carlo standard error.

The efficiency table (:mod:`fisherlab.diagnostics.efficiency`) holds each cell's ratio
Var / CRLB with its MCSE (kurtosis-aware, and widened by a Monte Carlo information's own
error). 'at the bound' when |ratio - 1| < :data:`Z` MCSE, else 'above' (less efficient)
or 'below' (possible only for a biased estimator); 'cannot tell' where the cell has no
bound (a non-regular family, a truth drawn per replicate, a singular information).
"""

from __future__ import annotations

from .registry import CANNOT_TELL, rule
from .rows import Cells, finite

#: |Var/CRLB - 1| below this many MCSEs: at the bound
Z = 3


@rule("efficiency", table="efficiency")
def efficiency(t: Cells, study) -> list[dict]:
    """Each estimator's variance against the Cramér–Rao bound."""
    out = []
    for row in t:
        run, failed = t.replicates(row)
        used = t.left_out(row, run - failed)
        ratio, mcse = row["var_ratio"], row["var_ratio_mcse"]
        if not finite(row["crlb"]):
            out.append(t.verdict(row, CANNOT_TELL,
                                 "a Cramér–Rao bound is needed",
                                 note=str(row["crlb_source"]).removeprefix("none: "),
                                 **used))
            continue
        z = (ratio - 1) / mcse if finite(mcse) and mcse > 0 else float("nan")
        verdict = (CANNOT_TELL if not finite(z) else "at the bound" if abs(z) < Z
                   else "above" if z > 0 else "below")
        out.append(t.verdict(row, verdict,
                             f"|Var/CRLB − 1| < {Z} MCSE: at the bound",
                             value=ratio, mcse=mcse, reference=1.0, threshold=Z,
                             statistic=z, **used))
    return out
