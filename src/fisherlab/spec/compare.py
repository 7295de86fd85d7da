"""A study's ``compare:``: the reference estimator of paired comparisons (paired.csv)
and the MCSE method, checked when the file is read::

    compare: mom                               # the reference; normal-theory MCSEs
    compare: {reference: mom, mcse: robust}    # MCSEs by the delta method

Every other estimator of the study is compared with the reference on the same
datasets (:mod:`fisherlab.diagnostics.paired`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..stats.paired import METHODS, NORMAL


@dataclass(frozen=True)
class Compare:
    """The paired comparisons of a study: every estimator against ``reference``."""

    reference: str
    mcse: str = NORMAL

    def to_json(self) -> dict:
        return {"reference": self.reference, "mcse": self.mcse}


def check_compare(item, estimators: list[str], problems) -> Compare | None:
    """The study's ``compare:`` (the schema accepted its shape) against its estimator
    ids; a problem to ``problems`` under its key, and None when there was one."""
    key = "compare" if isinstance(item, str) else "compare.reference"
    item = {"reference": item} if isinstance(item, str) else dict(item)
    ref, method = item.get("reference"), item.get("mcse", NORMAL)
    if ref not in estimators:
        problems.add(key, f"the reference {ref!r} is not an estimator of this study; its "
                     f"estimators: {', '.join(estimators)}")
        return None
    if len(estimators) < 2:
        problems.add(key, "a paired comparison needs a second estimator; list it under "
                     "estimators:")
        return None
    if method not in METHODS:
        problems.add("compare.mcse", f"unknown MCSE method {method!r}; allowed: "
                     f"{', '.join(METHODS)}")
        return None
    return Compare(ref, method)
