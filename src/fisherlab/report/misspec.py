"""What a page says about a study whose fitted model is not the data's (``fit_model``):
which truth each estimate is compared with, and its value per condition, read from
summary.csv's ``true_value`` (computed once, when the chunks were fitted)."""

from __future__ import annotations

from ..core.labels import condition_columns, condition_label
from .html import cite, esc


def truths_text(study) -> str:
    """The study box's line on what every estimate is compared with."""
    fit = study.fit_model
    data = [e for e in study.estimands if fit.target_of(e) == "data"]
    pseudo = [e for e in study.estimands if e not in data]
    parts = []
    if pseudo:
        parts.append(f"{', '.join(pseudo)}: the pseudo-true value, the {fit.family.name} "
                     "parameter closest to the data model in Kullback–Leibler divergence "
                     "(what the MLE converges to)")
    if data:
        parts.append(f"{', '.join(data)}: its value under the data model")
    return ("; ".join(parts) + ". No Cramér–Rao bound: the analysis model is not the "
            "data model")


def truth_items(summary) -> list[tuple[str, str]]:
    """Per condition, ``(label, html)``: each estimand's truth, bound to the first row
    of summary.csv that carries it."""
    keys = condition_columns(summary)
    out = []
    for _, g in summary.groupby(keys, sort=False) if keys else [((), summary)]:
        first = g.drop_duplicates("estimand")
        parts = [f"{esc(row.estimand)} = "
                 + cite("summary", i, "true_value", f"{row.true_value:.6g}")
                 for i, row in first.iterrows()]
        out.append((condition_label(g.iloc[0], keys), ", ".join(parts)))
    return out
