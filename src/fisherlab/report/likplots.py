"""Figures of the likelihood sections, drawn from their tables: the score at the truth
(score table), interval methods compared (intervals table), optimisers compared
(optimiser table). Like :mod:`.plots`, a figure prints no statistic of its own."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from .plots import COLORS, first_condition, grid, legend_below, n_axis, plt

#: mark the interval methods apart by line style too (colour-blind readers)
STYLES = ["-", "--", ":", "-."]


def _n_axis(ax, sizes) -> None:
    """A log n axis, or a linear one for a narrow range of n (580 to 600)."""
    sizes = sorted({int(v) for v in sizes})
    if narrow(sizes):
        ax.set_xlim(sizes[0] - 0.5, sizes[-1] + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        return
    n_axis(ax, sizes)


def narrow(sizes) -> bool:
    """Many sample sizes in a narrow range (580 to 600): a linear n axis."""
    sizes = sorted({int(v) for v in sizes})
    return len(sizes) > 6 and sizes[-1] < 3 * sizes[0]


def _label(labels: dict, est: str, kind: str) -> str:
    """An estimator's label, with its interval's kind unless the label says it."""
    lab = labels.get(est, est)
    return lab if kind in lab else f"{lab} ({kind})"


def score_plot(score: pd.DataFrame):
    """Per parameter: the mean standardised score U/sqrt(n I) (±2 MCSE) against 0, and
    Var(U) / (n I(θ)) (±2 MCSE) against 1, per n; first condition."""
    t, label = first_condition(score)
    t = t[np.isfinite(t["var_ratio"].to_numpy(float))]
    if t.empty:
        return None
    params = list(dict.fromkeys(t["parameter"]))
    fig, axes = plt.subplots(2, len(params), figsize=(max(3.8 * len(params), 6.0), 5.6),
                             squeeze=False, layout="constrained")
    for j, name in enumerate(params):
        g = t[t["parameter"] == name].sort_values("n")
        scale = np.sqrt(g["n_info"].to_numpy(float))  # mean z and its MCSE, from the table
        ax = axes[0, j]
        ax.errorbar(g["n"], g["mean_z"], yerr=2 * g["mean_score_mcse"] / scale, marker="o",
                    ms=3, lw=1.1, capsize=2, color=COLORS[0], label="mean score / √(n I)")
        ax.axhline(0, color="0.3", ls="--", lw=1, label="theory: 0")
        ax.set(title=f"{name}: E[score] = 0", xlabel="n")
        ax = axes[1, j]
        ax.errorbar(g["n"], g["var_ratio"], yerr=2 * g["var_ratio_mcse"], marker="o", ms=3,
                    lw=1.1, capsize=2, color=COLORS[1], label="Var(score) / (n I(θ))")
        ax.axhline(1, color="0.3", ls=":", lw=1, label="theory: 1")
        ax.set(title=f"{name}: Var(score) = n I(θ)", xlabel="n")
        for ax in axes[:, j]:
            _n_axis(ax, g["n"])
    legend_below(fig, axes.flat, ncol=4)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


def intervals_plot(t: pd.DataFrame, labels: dict[str, str], level: float):
    """Per estimand: coverage (±2 MCSE) of each interval against n with the nominal band,
    and the shares of intervals wholly below (solid) and above (dashed) the truth."""
    t, label = first_condition(t)
    if t.empty:
        return None
    estimands = list(dict.fromkeys(t["estimand"]))
    wide = 9.5 if narrow(t["n"]) else 7.0
    fig, axes = plt.subplots(2, len(estimands), figsize=(max(5.6 * len(estimands), wide), 6.4),
                             squeeze=False, layout="constrained")
    for j, estimand in enumerate(estimands):
        s = t[t["estimand"] == estimand]
        ns = np.sort(s["n"].unique())
        band = s.groupby("n")[["band_low", "band_high"]].first().reindex(ns)  # the table's
        top, bottom = axes[0, j], axes[1, j]
        top.fill_between(ns, band["band_low"], band["band_high"], color="0.87", step="mid",
                         label=f"nominal {level:g} ± 2 MCSE")
        for i, (est, g) in enumerate(s.groupby("estimator", sort=False)):
            g = g.sort_values("n")
            c, ls = COLORS[i % len(COLORS)], STYLES[i % len(STYLES)]
            lab = _label(labels, est, g["kind"].iloc[0])
            top.errorbar(g["n"], g["coverage"], yerr=2 * g["coverage_mcse"], color=c, ls=ls,
                         marker="o", ms=3, lw=1.1, capsize=2, label=lab)
            bottom.plot(g["n"], g["miss_below"], color=c, ls="-", marker="o", ms=3, lw=1.1)
            bottom.plot(g["n"], g["miss_above"], color=c, ls="--", marker="^", ms=3, lw=1.1)
        top.set(title=f"{estimand}: coverage", xlabel="n", ylabel="coverage")
        bottom.set(title=f"{estimand}: misses (solid: interval below the truth; dashed: "
                   "above)", xlabel="n", ylabel="share of intervals")
        bottom.title.set_size(9)
        for ax in (top, bottom):
            _n_axis(ax, ns)
    legend_below(fig, axes.flat, ncol=2)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


def optimiser_plot(t: pd.DataFrame, labels: dict[str, str], agree: float):
    """Per n (grouped bars, one per method): mean iterations per fit (log scale) with the
    share converged written on each bar; and the largest difference from the reference
    MLE in its standard errors (log scale) with the agreement threshold."""
    t, label = first_condition(t)
    if t.empty:
        return None
    ests = list(dict.fromkeys(t["estimator"]))
    ns = np.sort(t["n"].unique())
    fig, axes = grid(2, width=min(max(0.55 * len(ests) * len(ns), 6.0), 11.0), height=3.4,
                     rows=2)
    width = 0.8 / len(ests)
    for i, est in enumerate(ests):
        g = t[t["estimator"] == est].set_index("n").reindex(ns)
        x = np.arange(len(ns)) + (i - (len(ests) - 1) / 2) * width
        c = COLORS[i % len(COLORS)]
        bars = axes[0].bar(x, g["iterations_mean"], width, color=c, label=labels.get(est, est))
        for b, share in zip(bars, g["converged_share"], strict=True):
            axes[0].annotate(f"{share:.0%}", (b.get_x() + b.get_width() / 2, b.get_height()),
                             ha="center", va="bottom", fontsize=6, rotation=90,
                             xytext=(0, 2), textcoords="offset points")
        d = g["max_diff_se"].to_numpy(float)
        axes[1].scatter(x, np.where(d > 0, d, np.nan), color=c, marker="D", s=18)
    axes[0].set(yscale="log", ylabel="iterations per fit (mean)",
                title="iterations; label: share of fits converged")
    axes[0].margins(y=0.25)
    axes[1].axhline(agree, color="0.3", ls="--", lw=1, label=f"agreement: {agree:g} SE")
    axes[1].set(yscale="log", ylabel="|θ̂ − θ̂_ref| / SE (largest)",
                title="largest difference from the reference MLE")
    for ax in axes:
        ax.set_xticks(np.arange(len(ns)), [f"n = {v}" for v in ns])
        ax.set_xlim(-0.5, len(ns) - 0.5)
    legend_below(fig, axes, ncol=4)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig
