"""Size within Bradley's band: one rule for every test of a true null (tests.csv rows
of kind ``size``).

Bradley (1978) calls a test's size acceptable when the rejection rate under the null is
within his *liberal* band 0.5 alpha <= rate <= 1.5 alpha, and good within his
*stringent* band 0.9 alpha <= rate <= 1.1 alpha (SimDesign's ``bradley1978``). The bands
are applied to the simulated rate's point estimate: 'within stringent', 'within
liberal' or 'outside liberal'. Monte Carlo noise is reported, not judged: the note says
whether rate ± :data:`Z` MCSE stays inside the band of the verdict (and outside the
tighter one), so a verdict the noise could change is marked as such.
"""

from __future__ import annotations

from .registry import rule
from .rows import Cells

#: Bradley's (1978) bands, as multiples of alpha
LIBERAL = (0.5, 1.5)
STRINGENT = (0.9, 1.1)
#: relative slack at a band's ends, for the rounding of alpha times a factor
EPS = 1e-12
#: the MCSEs of the noise note
Z = 2


def band(rate: float, alpha: float) -> str:
    """Bradley's verdict on a rejection rate at nominal ``alpha`` (the band's ends
    belong to it: a rate of 45/1000 is within 0.9 × 0.05, whose product rounds up)."""
    def inside(lo, hi):
        return lo * alpha * (1 - EPS) <= rate <= hi * alpha * (1 + EPS)

    if inside(*STRINGENT):
        return "within stringent"
    if inside(*LIBERAL):
        return "within liberal"
    return "outside liberal"


def detail(row) -> str:
    """The test a verdict is about, as verdicts.csv's ``detail`` (the page finds it by
    this); ``row`` a Series or a named tuple of tests.csv."""
    test, estimand, null, sides = (getattr(row, k) for k in ("test", "estimand", "null",
                                                              "sides"))
    sided = "" if sides == "two" else f" ({sides}-sided)"
    return f"{test} test of {estimand} = {null:g}{sided}"


@rule("size", table="tests")
def size(t: Cells, study) -> list[dict]:
    """Each test's size (the rejection rate at a true null) against Bradley's bands."""
    out = []
    for row in t:
        if row["kind"] != "size":
            continue
        alpha, rate, mcse = float(row["level"]), float(row["rate"]), float(row["mcse"])
        verdict = band(rate, alpha)
        ends = {band(rate - Z * mcse, alpha), band(rate + Z * mcse, alpha)}
        note = (f"rate ± {Z} MCSE gives the same verdict" if ends == {verdict} else
                f"rate ± {Z} MCSE reaches {' and '.join(sorted(ends - {verdict}))}: "
                "Monte Carlo noise could change this verdict")
        lo, hi = LIBERAL if verdict == "outside liberal" else (
            LIBERAL if verdict == "within liberal" else STRINGENT)
        used = int(row["replicates"])
        left = t.left_out(row, used, "statistics not computable")
        out.append(t.verdict(
            row, verdict,
            f"Bradley (1978), applied to the simulated rate (its MCSE beside): stringent "
            f"{STRINGENT[0]:g}α–{STRINGENT[1]:g}α = {STRINGENT[0] * alpha:.4g}–"
            f"{STRINGENT[1] * alpha:.4g}, liberal {LIBERAL[0]:g}α–{LIBERAL[1]:g}α = "
            f"{LIBERAL[0] * alpha:.4g}–{LIBERAL[1] * alpha:.4g} at α = {alpha:g}",
            detail=detail(row),
            value=rate, mcse=mcse, reference=alpha, low=lo * alpha, high=hi * alpha,
            threshold=alpha, note=note, **left))
    return out
