"""Bias as theory: an estimator's bias equals its exact bias, within its MCSE.

The Bessel table (:mod:`fisherlab.diagnostics.bessel`) holds, where a classically
unbiased estimator and another estimator target the same estimand, each estimator's
bias with its MCSE and its exact bias where theory gives one (-σ²/n for the normal 1/n
variance). 'as theory' when |bias - theory| < :data:`Z` MCSE, else 'departs'; where
theory gives no exact bias, the bias is judged against 0: 'unbiased' or 'biased'.
"""

from __future__ import annotations

from .registry import rule
from .rows import Cells, finite, z_of

#: |bias - theory| below this many MCSEs: as theory
Z = 3


@rule("bias", table="bessel")
def bias(t: Cells, study) -> list[dict]:
    """Each estimator's bias against its exact bias (or 0 where none is known)."""
    out = []
    for row in t:
        run, failed = t.replicates(row)
        known = finite(row["theory_bias"])
        ref = float(row["theory_bias"]) if known else 0.0
        mcse = row["bias_mcse"]
        z = z_of(row["bias"], ref, mcse)
        same = row["bias"] == ref or (finite(z) and abs(z) < Z)
        verdict = (("as theory" if same else "departs") if known
                   else ("unbiased" if same else "biased"))
        rule_text = (f"|bias − exact bias| < {Z} MCSE: as theory" if known else
                     f"no exact bias known: |bias| < {Z} MCSE is unbiased")
        out.append(t.verdict(row, verdict, rule_text, value=row["bias"],
                             mcse=mcse, reference=ref, statistic=z, threshold=Z,
                             **t.left_out(row, run - failed)))
    return out
