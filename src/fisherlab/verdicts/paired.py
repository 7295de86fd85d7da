"""Which of two estimators is more precise on the same datasets: one rule for the
paired comparisons (paired.csv, ``compare:``).

The relative precision of an estimator over the reference, RP = 100 (empSE_ref^2 /
empSE^2 - 1), with its paired MCSE (normal theory or the delta method, the study's
``mcse:``): 'more precise' when RP is more than :data:`Z` MCSEs above 0, 'less precise'
when more than Z below, else 'cannot tell' (the difference is within Monte Carlo
noise). It uses the replicates where both fits gave an estimate and says how many it
left out.
"""

from __future__ import annotations

from .registry import CANNOT_TELL, rule
from .rows import Cells, z_of

#: the question this rule answers
QUESTION = "precision"
#: MCSEs RP must be from 0 for a verdict
Z = 2.0
MORE, LESS = "more precise", "less precise"


def precision_verdict(rp: float, mcse: float) -> str:
    """more precise, less precise or cannot tell (module docstring)."""
    z = z_of(rp, 0.0, mcse)
    if z != z:  # NaN: no finite MCSE
        return CANNOT_TELL
    return MORE if z > Z else LESS if z < -Z else CANNOT_TELL


@rule(QUESTION, table="paired")
def precision(t: Cells, study) -> list[dict]:
    """Each estimator against the reference on the same datasets: more precise, less
    precise or cannot tell."""
    out = []
    for row in t:
        rp, mcse = float(row["relative_precision"]), float(row["relative_precision_mcse"])
        verdict = precision_verdict(rp, mcse)
        left = int(row["left_out"])
        note = ""
        if verdict == CANNOT_TELL:
            note = (f"relative precision within {Z:g} MCSEs of 0: the data cannot tell "
                    "which is more precise" if mcse == mcse else "no finite MCSE")
        out.append(t.verdict(
            row, verdict, f"relative precision over {row['reference']} more than {Z:g} "
            f"MCSEs ({row['mcse_method']} MCSE) above 0: more precise; below: less "
            "precise; else cannot tell",
            value=rp, mcse=mcse, reference=0.0, threshold=Z, used=int(row["used"]),
            left_out=left, note=note,
            left_out_why=(f"{left} replicate{'s' * (left != 1)} where either fit failed"
                          if left else "")))
    return out
