"""What the sections' readings share: naming estimators, estimands and conditions in a
sentence. A reading only counts and quotes its tables' values and verdicts."""

from __future__ import annotations

from ..core.labels import condition_label
from .html import esc


def names(items, limit: int = 6) -> str:
    """A list in prose, at most ``limit`` items; separated by semicolons where an item
    has a comma of its own (``map, Beta(2, 2) prior of p``)."""
    items = list(dict.fromkeys(items))  # the same pair in several conditions: once
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    sep = "; " if any("," in i for i in items) else ", "
    return sep.join(items[:limit]) + more


def pair(r, row) -> str:
    """``mle of sigma2``, and the condition when the study has several."""
    text = f"{esc(r.label(row.estimator))} of {esc(row.estimand)}"
    if r.varying:
        values = {k: getattr(row, k) for k in r.varying}
        text += f" ({esc(condition_label(values, r.varying))})"
    return text
