"""Sampler warnings change nothing: the bias without the flagged replicates is the bias
with them, within :data:`SHIFT` MCSEs.

The flags table (:mod:`fisherlab.diagnostics.flags`) holds, per cell of a sampling
estimator, the bias on all converged replicates and on the unflagged ones, and the
shift between them in MCSEs of the former. 'unchanged' when |shift| ≤ SHIFT, else
'shifted': the conclusions rest on flagged replicates. A description of two overlapping
sets, not a test.
"""

from __future__ import annotations

from .registry import rule
from .rows import Cells, finite

#: a shift of the bias by more than this many MCSEs when flagged replicates are left out
SHIFT = 2.0


@rule("flags", table="flags")
def flags(t: Cells, study) -> list[dict]:
    """Each sampling estimator's bias with and without its flagged replicates."""
    out = []
    for row in t:
        if not int(row["flagged"]):
            continue
        z = row["bias_shift_z"]
        out.append(t.verdict(row, "shifted" if finite(z) and abs(z) > SHIFT else "unchanged",
                             f"bias without the flagged replicates within {SHIFT:g} MCSEs "
                             "of the bias with them: unchanged", value=z, threshold=SHIFT,
                             used=int(row["replicates"]), left_out=0))
    return out
