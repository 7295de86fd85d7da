"""Normal: the standardised estimates of a cell pass a test against N(0, 1).

The normality table (:mod:`fisherlab.diagnostics.normality`) holds each cell's test
(Kolmogorov–Smirnov, or D'Agostino and Pearson's K² where the estimates sit on a
lattice) and its p-value. 'normal' when the p-value is at least :data:`ALPHA`; for KS,
``high`` is the critical value of the largest gap, the band the ECDF figure draws.
Fewer than the test's minimum of finite z: 'cannot tell'. Every standardised value
counts, an infinite one too (se = 0: Φ(z) is 0 or 1) except for K², which cannot take
it and leaves it out, said so.
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
        else:
            crit = float(stats.kstwo.ppf(1 - ALPHA, S)) if test == "KS" else float("nan")
            what = ("Kolmogorov–Smirnov test against N(0, 1)" if test == "KS" else
                    "D'Agostino–Pearson K² test of skewness and kurtosis (lattice values)")
            out.append(t.verdict(row, "normal" if row["pvalue"] >= ALPHA else "not normal",
                                 f"{what}: normal when p ≥ {ALPHA:g}",
                                 high=crit, **common))
    return out
