"""The nested-loop plot (Rücker & Schwarzer 2014): every condition of a grid on one axis.

A study whose grid varies two or more factors (n counts as one) has more conditions
than one panel across n can show. The nested-loop plot puts every condition on one
horizontal axis in nested order, the outer factor changing slowest, and draws each
estimator's measure as a step line across them; below, a step line per factor shows
its level at each position, so a jump in a measure can be read off as the factor that
changed there.

Order: the factor with the fewest levels is outermost and the one with most levels
innermost (ties: the study's order, n last), so that each block of the innermost factor
is a whole curve, as Rücker & Schwarzer draw it.

:func:`nested_table` only rearranges summary.csv (one row per estimand × condition, in
nested order, a column per measure × estimator); the figure draws that table and the
page writes it beside the figure as ``figures/nested_loop.csv``.

Rücker, G. & Schwarzer, G. (2014). Presenting simulation results in a nested loop plot.
BMC Medical Research Methodology 14:129.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.labels import condition_columns, number, param_of
from . import figures

#: the measures drawn (those the summary has values of), with their axis labels
MEASURES = {"bias": "bias", "empse": "empirical SE", "rmse": "RMSE", "coverage": "coverage"}


def nested_factors(summary: pd.DataFrame) -> list[str]:
    """The varying factors (condition columns and n with more than one level), outer
    first: fewest levels outermost (ties keep the study's order, n last)."""
    keys = [k for k in condition_columns(summary) if not k.startswith("prior_")] + ["n"]
    varying = [k for k in keys if summary[k].nunique(dropna=False) > 1]
    return sorted(varying, key=lambda k: summary[k].nunique(dropna=False))  # stable


def column(measure: str, estimator: str) -> str:
    """A measure of one estimator in the nested table: ``bias[mle]``."""
    return f"{measure}[{estimator}]"


def nested_table(summary: pd.DataFrame, estimators: list[str],
                 chosen=None) -> pd.DataFrame:
    """One row per estimand × condition in nested order (``position`` 0, 1, ... within
    each estimand): the condition columns and n, then each measure of
    :data:`MEASURES` that has a value (and is among ``chosen``, the names of the measures
    a study selects, when it selects some of them), per estimator (:func:`column`)."""
    factors = nested_factors(summary)
    keys = condition_columns(summary) + ["n"]
    measures = [m for m in MEASURES if m in summary and summary[m].notna().any()]
    picked = [m for m in measures if chosen and m in chosen]
    measures = picked or measures
    rest = [k for k in keys if k not in factors]
    order = ["estimand", *factors, *rest]
    wide = summary.pivot_table(index=["estimand", *keys], columns="estimator",
                               values=measures, dropna=False, sort=False)
    out = wide.reset_index().sort_values(order, kind="stable", ignore_index=True)
    flat = pd.DataFrame({k: out[k].to_numpy() for k in ["estimand", *keys]})
    flat.insert(1, "position", flat.groupby("estimand").cumcount())
    for m in measures:
        for e in estimators:
            flat[column(m, e)] = out[(m, e)].to_numpy(float) if (m, e) in out else np.nan
    return flat


def _runs(values) -> list[tuple[int, int, object]]:
    """(start, stop, value) of each run of equal values."""
    out, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            out.append((start, i, values[start]))
            start = i
    return out


def nested_loop_figure(table: pd.DataFrame, factors: list[str], estimators: list[str],
                       labels: dict, level: float):
    """A column per estimand: a panel per measure with each estimator's step line, and
    below them the factors' step lines with their levels written at each step."""
    estimands = list(pd.unique(table["estimand"]))
    measures = [m for m in MEASURES if any(column(m, e) in table for e in estimators)]
    band = 0.42 * len(factors) + 0.3
    fig, axes = figures.panels(len(measures) + 1, len(estimands),
                               1.55 * len(measures) + band + 0.8, sharex="col",
                               gridspec_kw={"height_ratios": [1.55] * len(measures) + [band]})
    for j, estimand in enumerate(estimands):
        t = table[table["estimand"] == estimand]
        edges = np.arange(len(t) + 1) - 0.5
        for i, m in enumerate(measures):
            ax = axes[i, j]
            for k, e in enumerate(estimators):
                if column(m, e) in t:  # a step per condition, [i - 1/2, i + 1/2]
                    # line styles differ too: estimators that agree draw one over another
                    ax.stairs(t[column(m, e)].to_numpy(float), edges, lw=1.3,
                              color=figures.COLORS[k % len(figures.COLORS)],
                              ls=figures.LINESTYLES[k % len(figures.LINESTYLES)],
                              label=labels.get(e, e), baseline=None)
            if m == "bias":
                ax.axhline(0, color="0.5", lw=0.8, ls=":")
            if m == "coverage":
                ax.axhline(level, color="0.5", lw=0.8, ls=":")
            if j == 0:
                ax.set_ylabel(MEASURES[m], fontsize=9)
            if i == 0:
                ax.set_title(estimand, fontsize=10)
            ax.tick_params(labelsize=8)
        _factor_steps(axes[-1, j], t, factors, j == 0, len(estimands))
    figures.legend_below(fig, list(axes.flat))
    return fig


def _factor_steps(ax, t: pd.DataFrame, factors: list[str], first: bool,
                  columns: int) -> None:
    """Each factor's level as a step line in its own band, outer factor on top, with
    the level written where it starts (every run, where there is room for it)."""
    width = len(t)
    points = 0.85 * figures.WIDTH * 72 / columns / width  # a position's width, in points
    for b, f in enumerate(factors):
        base = len(factors) - 1 - b
        values = t[f].to_list()
        levels = sorted(set(values), key=lambda v: (isinstance(v, str), v))
        rank = {v: i / max(len(levels) - 1, 1) for i, v in enumerate(levels)}
        y = [base + 0.12 + 0.6 * rank[v] for v in values]
        ax.stairs(y, np.arange(width + 1) - 0.5, color="0.25", lw=1.0, baseline=None)
        # the level where each run starts, where the run is wide enough for it (7 pt
        # text is about 4.5 pt a character); else only at each level's first run
        seen = set()
        for start, stop, v in _runs(values):
            if v in seen and (stop - start) * points < 4.5 * len(number(v)) + 4:
                continue
            seen.add(v)
            ax.text(start - 0.4, base + 0.12 + 0.6 * rank[v] + 0.08, number(v),
                    fontsize=7, va="bottom", ha="left", color="0.15")
    ax.set_ylim(0, len(factors) + 0.1)
    ax.set_yticks([len(factors) - 1 - b + 0.45 for b in range(len(factors))])
    ax.set_yticklabels([param_of(f) for f in factors] if first else [], fontsize=8)
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_xticks([])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
