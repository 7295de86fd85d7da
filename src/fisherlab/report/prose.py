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


def fitted_to(study) -> str:
    """The header's sentence of a study written at a fit (``fitted_to``), plain text; ''
    for any other study. Its truth is a data set's MLE, and a reader must not take the
    measures for the world's."""
    f = study.fitted_to
    if not f:
        return ""
    cols = ", ".join(f.get("columns") or [])
    values = ", ".join(f"{k} = {v:.6g}" for k, v in f["estimates"].items())
    return (f"The truth of this study is not the world's: it is the "
            f"{f.get('estimator', 'mle').upper()} fitted to {f['data']}"
            + (f" ({cols}; n = {f['n']})" if cols else f" (n = {f['n']})")
            + f": {values}. Its measures say how the estimators do if the world were that "
            "fit (a parametric bootstrap).")
