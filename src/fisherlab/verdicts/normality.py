"""Normal: the standardised estimates of a cell pass a test against N(0, 1).

The normality table (:mod:`fisherlab.diagnostics.normality`) holds each cell's test
(Kolmogorov–Smirnov, or D'Agostino and Pearson's K² where the estimates sit on a
lattice) and its p-value. 'normal' when the p-value is at least :data:`ALPHA`; for KS,
``high`` is the critical value of the largest gap, the band the ECDF figure draws.
Fewer than the test's minimum of finite z: 'cannot tell'. Every standardised value
counts, an infinite one too (se = 0: Φ(z) is 0 or 1) except for K², which cannot take
it and leaves it out, said so. No normal law gives an infinite z: where K² left out a
larger share of the fitted replicates than KS's critical gap at that size (what KS
would see of them as a jump of Φ(z) at 0 or 1), the cell is 'not normal' whatever K²
says of the rest (sbc_coverage's MLE at n = 5: 41 of 200 estimates p = 0 or 1, K² on the
other 159 p = 0.95).
"""

from __future__ import annotations

from scipy import stats

from .registry import CANNOT_TELL, rule
from .rows import Cells

#: a p-value below this: 'not normal'
ALPHA = 0.01


@rule("normality", table="normality")
def normality(t: Cells, study) -> list[dict]:
    """Each cell's standardised estimates against N(0, 1), per standardisation."""
    out = []
    for row in t:
        S = int(row["S"])
        test = row["test"] if isinstance(row["test"], str) else ""
        common = dict(detail=row["standardisation"], statistic=row["statistic"],
                      pvalue=row["pvalue"], threshold=ALPHA,
                      **t.left_out(row, S, "without a finite z (se = 0)"))
        if test == "degenerate":
            out.append(t.verdict(row, "not normal",
                                 "every replicate gave the same value: a point mass, "
                                 "not a normal law", **common))
        elif not test:
            out.append(t.verdict(row, CANNOT_TELL,
                                 "a test of normality needs 20 finite values",
                                 note=f"{S} finite standardised values", **common))
        elif test == "K2" and (gap := _infinite_gap(t, row, S)) is not None:
            share, crit = gap
            # the note says why beside K²'s own p-value, which is of the finite z only
            out.append(t.verdict(row, "not normal",
                                 f"a share {share:.4f} of the fitted replicates has an "
                                 "infinite z (se = 0), more than the KS test's critical gap "
                                 f"{crit:.4f} at that size: no normal law puts mass there",
                                 value=share, high=crit,
                                 note=f"{share:.1%} of the z infinite (se = 0); K²'s p-value "
                                 "is of the finite ones", **common))
        else:
            crit = float(stats.kstwo.ppf(1 - ALPHA, S)) if test == "KS" else float("nan")
            what = ("Kolmogorov–Smirnov test against N(0, 1)" if test == "KS" else
                    "D'Agostino–Pearson K² test of skewness and kurtosis (lattice values)")
            out.append(t.verdict(row, "normal" if row["pvalue"] >= ALPHA else "not normal",
                                 f"{what}: normal when p ≥ {ALPHA:g}",
                                 high=crit, **common))
    return out


def _infinite_gap(t: Cells, row, S: int) -> tuple[float, float] | None:
    """(share of the cell's fitted replicates whose z is infinite, KS's critical gap at
    that many) when the share is the larger, else None."""
    run, failed = t.replicates(row)
    fitted = run - failed
    infinite = fitted - S
    if infinite <= 0 or fitted <= 0:
        return None
    share, crit = infinite / fitted, float(stats.kstwo.ppf(1 - ALPHA, fitted))
    return (share, crit) if share > crit else None
