"""At the Cramér–Rao bound: n Var(θ̂) I(θ) = 1 within its Monte Carlo standard error.

The efficiency table (:mod:`fisherlab.diagnostics.efficiency`) holds each cell's ratio
Var / CRLB with its MCSE (kurtosis-aware, and widened by a Monte Carlo information's own
error). 'at the bound' when |ratio - 1| < :data:`Z` MCSE, else 'above' (less efficient)
or 'below' (possible only for a biased estimator); 'cannot tell' where the cell has no
bound (a non-regular family, a truth drawn per replicate, a singular information), and
where the ratio is within Z MCSE of 1 but Z MCSE reach :data:`DECIDE`: such a ratio
cannot tell the bound from half as much variance again (a heavy-tailed cell whose ratio
is 14 with an MCSE of 5 is not at the bound).
"""

from __future__ import annotations

from .registry import CANNOT_TELL, rule
from .rows import Cells, finite, z_of

#: |Var/CRLB - 1| below this many MCSEs: at the bound
Z = 3
#: ... provided Z MCSEs are below this: else the ratio cannot tell 1 from 1.5
DECIDE = 0.5


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
        z = z_of(ratio, 1.0, mcse)
        undecided = finite(z) and abs(z) < Z and Z * mcse >= DECIDE
        verdict = (CANNOT_TELL if not finite(z) or undecided else
                   "at the bound" if abs(z) < Z else "above" if z > 0 else "below")
        out.append(t.verdict(row, verdict,
                             f"|Var/CRLB − 1| < {Z} MCSE: at the bound, where {Z} MCSE < "
                             f"{DECIDE:g}", value=ratio, mcse=mcse, reference=1.0,
                             threshold=Z, statistic=z, **used,
                             note=f"the ratio's MCSE, {mcse:.2g}, is too large to tell the "
                                  "bound from 1.5 times it" if undecided else ""))
    return out
