"""MSE against the unbiased estimator: lower or higher, paired on the same datasets.

The Bessel table (:mod:`fisherlab.diagnostics.bessel`) holds, for each estimator beside
a classically unbiased one, the mean difference of their squared errors over the
replicates both fitted, with its paired MCSE. 'lower MSE' when the difference is below
-:data:`Z` MCSE, 'higher MSE' above +:data:`Z` MCSE, else 'cannot tell' (uniform_max at
n = 2: the MLE's and the unbiased estimator's MSEs are equal, range²/6; normal_bessel's
1/n variance: lower at every n). Raw MSE ratios below 1 are not this verdict: a ratio of
0.994 can be Monte Carlo noise.
"""

from __future__ import annotations

from .registry import CANNOT_TELL, rule
from .rows import Cells, finite

#: |MSE difference| beyond this many paired MCSEs: lower or higher
Z = 3


@rule("mse vs unbiased", table="bessel")
def mse_vs_unbiased(t: Cells, study) -> list[dict]:
    """Each estimator's MSE against the unbiased estimator's in the same cell."""
    out = []
    for row in t:
        if bool(row["unbiased"]):
            continue
        diff, mcse = row["mse_diff"], row["mse_diff_mcse"]
        if not (finite(diff) and finite(mcse)):
            verdict, note = CANNOT_TELL, "too few replicates fitted by both to compare"
        elif diff == 0 or (mcse > 0 and abs(diff) < Z * mcse):
            verdict, note = CANNOT_TELL, f"the difference is within {Z} paired MCSE of 0"
        else:
            verdict, note = ("lower MSE" if diff < 0 else "higher MSE"), ""
        out.append(t.verdict(row, verdict,
                             f"mean difference of squared errors against the unbiased "
                             f"estimator's, on the same datasets, beyond {Z} paired MCSE",
                             value=diff, mcse=mcse, reference=0.0, threshold=Z, note=note,
                             **t.left_out(row, int(row["pairs"]),
                                          "not fitted by both estimators")))
    return out
