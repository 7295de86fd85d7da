"""Nominal coverage: one rule for the coverage, interval-methods and calibration pages.

Under the nominal level, the number of intervals that cover the truth is
Binomial(S, level). The exact binomial test (two-sided, ``scipy.stats.binomtest``) at
:data:`ALPHA` decides: 'nominal' when it does not reject, else 'under' or 'over'. Its
acceptance region, the coverages it would call nominal at this S, is the band the
figures draw (``low``, ``high``), so a coverage inside the band is nominal and one
outside is not, on every page and figure.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import stats

from .registry import rule
from .rows import Cells

#: the exact binomial test rejects nominal coverage below this p-value
ALPHA = 0.01


@functools.cache
def acceptance(level: float, S: int, alpha: float = ALPHA) -> tuple[int, int]:
    """The smallest and largest count of covering intervals, of S, that the two-sided
    exact binomial test at ``alpha`` does not reject: its p-value falls away from the
    mode on each side, so each end is a binary search (about twenty exact tests, made
    once per level and S: a study's cells share a few)."""
    def p(k):
        return stats.binomtest(int(k), S, level).pvalue

    mode = int(np.clip(np.floor((S + 1) * level), 0, S))
    lo, hi = 0, mode  # the smallest k <= mode with p(k) >= alpha
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if p(mid) >= alpha else (mid + 1, hi)
    low = lo
    lo, hi = mode, S  # the largest k >= mode with p(k) >= alpha
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if p(mid) >= alpha else (lo, mid - 1)
    return low, lo


def nominal(hits: int, S: int, level: float) -> dict:
    """The verdict on ``hits`` covering intervals of S at ``level``, with the band, the
    p-value and the rule: what every page says of this coverage."""
    klo, khi = acceptance(level, S)
    pvalue = float(stats.binomtest(int(hits), S, level).pvalue)
    verdict = "nominal" if klo <= hits <= khi else ("under" if hits < klo else "over")
    return dict(verdict=verdict, value=hits / S, reference=level, low=klo / S, high=khi / S,
                pvalue=pvalue, threshold=ALPHA,
                rule=f"exact binomial test of coverage = {level:g}: nominal when p ≥ "
                     f"{ALPHA:g}, that is coverage in {klo / S:.4f}–{khi / S:.4f} at "
                     f"S = {S:,}")


@rule("coverage", table="coverage")
def coverage(t: Cells, study) -> list[dict]:
    """Each interval's coverage of the truth: nominal, under or over."""
    out = []
    for row in t:
        S = int(row["S"])
        hits = int(round(row["coverage"] * S))
        out.append(t.verdict(row, **nominal(hits, S, row["nominal"]),
                             mcse=row["coverage_mcse"],
                             **t.left_out(row, S, "intervals not finite")))
    return out
