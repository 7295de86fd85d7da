"""The Bartlett identities at the truth: the score averages 0, its variance is n I(θ).

The score table (:mod:`fisherlab.diagnostics.score`) holds, per condition × n ×
parameter, the mean score at the truth with its MCSE and Var(score) / (n I(θ)) with its
MCSE. Two questions: 'score mean' ('zero' when |mean| < :data:`Z` MCSE, else 'not
zero') and 'score variance' ('n·I(θ)' when |ratio - 1| < Z MCSE, else 'differs';
'cannot tell' without an information to compare with).
"""

from __future__ import annotations

from .registry import CANNOT_TELL, rule
from .rows import Cells, finite, z_of

#: within this many MCSEs of theory: the identity holds
Z = 3


def _within(value, theory, mcse, yes, no) -> str:
    z = z_of(value, theory, mcse)
    if not finite(z):
        return yes if value == theory else CANNOT_TELL
    return yes if abs(z) < Z else no


@rule("score mean", table="score")
def score_mean(t: Cells, study) -> list[dict]:
    """The mean score at the truth against 0."""
    return [t.verdict(row, _within(row["mean_score"], 0.0, row["mean_score_mcse"], "zero",
                                   "not zero"),
                      f"|mean score| < {Z} MCSE: zero", estimator="",
                      estimand=row["parameter"], value=row["mean_score"],
                      mcse=row["mean_score_mcse"], reference=0.0, threshold=Z,
                      used=int(row["S"]), left_out=0)
            for row in t]


@rule("score variance", table="score")
def score_variance(t: Cells, study) -> list[dict]:
    """The variance of the score at the truth against n I(θ)."""
    out = []
    for row in t:
        verdict = (CANNOT_TELL if not finite(row["var_ratio"]) else
                   _within(row["var_ratio"], 1.0, row["var_ratio_mcse"], "n·I(θ)", "differs"))
        out.append(t.verdict(row, verdict,
                             f"|Var(score)/(n I(θ)) − 1| < {Z} MCSE: n·I(θ)",
                             estimator="", estimand=row["parameter"],
                             value=row["var_ratio"], mcse=row["var_ratio_mcse"],
                             reference=1.0, threshold=Z, used=int(row["S"]), left_out=0,
                             note="" if finite(row["var_ratio"]) else
                             "no Fisher information to compare with"))
    return out
