"""The report's matplotlib figures, drawn from the results tables.

RMSE against n on log-log axes with the theoretical slope (from the consistency
table), bias against its theory and MSE (Bessel table), Var / Cramér-Rao bound
(efficiency table), coverage against nominal with its binomial band (coverage table),
and the zip plot of intervals (Morris et al. 2019, Fig. 3). A figure prints no
statistic of its own: what it marks (a slope, a band, a count of failures) is a value
of a table. ArviZ figures are in :mod:`fisherlab.report.azplots`.

Every function returns a matplotlib Figure (or None when it has nothing to show);
:func:`save` writes PNG and closes it.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from ..core.labels import condition_columns, condition_label  # noqa: E402

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]
LINESTYLES = ["-", "--", ":", "-."]


# --------------------------------------------------------------------------- helpers
def first_condition(df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The rows of a table's first condition and its label (figures show one)."""
    keys = condition_columns(df)
    if not keys or df.empty:
        return df, ""
    first = df[keys].drop_duplicates().sort_values(keys).iloc[0]
    mask = np.logical_and.reduce([df[k].to_numpy() == first[k] for k in keys])
    return df[mask], condition_label(first, keys)


def conditions(df: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    keys = condition_columns(df)
    if not keys:
        return [("", df)]
    return [(condition_label(dict(zip(keys, key if isinstance(key, tuple) else (key,),
                                       strict=True)), keys), g)
            for key, g in df.groupby(keys, sort=True, dropna=False)]


def grid(k: int, width: float = 3.6, height: float = 3.0, rows: int = 1,
         min_width: float = 6.0):
    """``k`` panels in ``rows`` rows; at least ``min_width`` inches wide, so that the
    legend below the panels has room."""
    cols = max(1, int(np.ceil(k / rows)))
    fig, axes = plt.subplots(rows, cols, figsize=(max(width * cols, min_width),
                                                  height * rows + 0.6),
                             squeeze=False, layout="constrained")
    for ax in axes.flat[k:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def n_axis(ax, sizes) -> None:
    """A log n axis labelled at the study's sample sizes (no crowded minor labels)."""
    sizes = sorted({int(v) for v in sizes})
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xticks(sizes, [str(v) for v in sizes])
    if len(sizes) > 6:
        ax.tick_params(axis="x", labelrotation=45)


def legend_below(fig, axes, ncol: int = 3) -> None:
    """One legend for the figure, under the panels, so it never covers data."""
    handles, labels = {}, []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in handles:
                handles[lab] = h
                labels.append(lab)
    if labels:
        # as many columns as the figure's width holds, at about 2.6 inches a label
        fit = max(1, int(fig.get_figwidth() / 2.6))
        fig.legend([handles[lab] for lab in labels], labels, loc="outside lower center",
                   ncol=min(ncol, len(labels), fit), fontsize=8, frameon=False)


def save(fig, path) -> None:
    """Write ``fig`` as PNG (dpi 90: sharp on screen, small in a data URI) and close it."""
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _lines(ax, g: pd.DataFrame, y: str, mcse: str, color, label, ls="-") -> None:
    g = g.sort_values("n")
    ax.errorbar(g["n"], g[y], yerr=2 * g[mcse].fillna(0), color=color, ls=ls, marker="o",
                ms=3, lw=1.1, capsize=2, label=label)


# --------------------------------------------------------------------------- figures
def rmse_plot(summary: pd.DataFrame, consistency: pd.DataFrame, labels: dict[str, str]):
    """RMSE against n on log-log axes, one panel per estimand, with a grey reference line
    of each theoretical slope of the consistency table, through the largest-n point of
    the first estimator that has it."""
    estimands = list(dict.fromkeys(summary["estimand"]))
    theory = consistency.groupby("estimator")["theory_slope"].first().to_dict()
    fig, axes = grid(len(estimands))
    conds = conditions(summary)
    for ax, estimand in zip(axes, estimands, strict=False):
        s = summary[summary["estimand"] == estimand]
        anchors = {}
        for ci, (_, gc) in enumerate(conds):
            for ei, (est, g) in enumerate(gc[gc["estimand"] == estimand].groupby("estimator")):
                g = g[np.isfinite(g["rmse"]) & (g["rmse"] > 0)].sort_values("n")
                if g.empty:
                    continue
                _lines(ax, g, "rmse", "rmse_mcse", COLORS[ei % len(COLORS)],
                       labels.get(est, est) if ci == 0 else None, LINESTYLES[ci % 4])
                if est in theory and np.isfinite(theory[est]):
                    anchors.setdefault(theory[est], (g["n"].iloc[-1], g["rmse"].iloc[-1]))
        n = np.array(sorted(s["n"].unique()), dtype=float)
        for k, (slope, (n0, r0)) in enumerate(sorted(anchors.items())):
            ax.plot(n, r0 * (n / n0) ** slope, color="0.4", lw=3, alpha=0.35,
                    ls=["-", "--"][k % 2], label=f"slope {slope:g} (theory)")
        ax.set(yscale="log", xlabel="n", ylabel="RMSE", title=estimand)
        n_axis(ax, s["n"])
    legend_below(fig, axes)
    if len(conds) > 1:
        fig.suptitle("line style = condition: " + "; ".join(
            f"{LINESTYLES[i % 4]} {lab}" for i, (lab, _) in enumerate(conds)), fontsize=8)
    return fig


def bias_plot(bessel: pd.DataFrame, labels: dict[str, str]):
    """Empirical bias (±2 MCSE) against the theoretical bias (dashed), and MSE, per
    estimand, first condition."""
    if bessel.empty:
        return None
    b, label = first_condition(bessel)
    estimands = list(dict.fromkeys(b["estimand"]))
    fig, axes = plt.subplots(2, len(estimands), figsize=(3.8 * len(estimands) + 0.4, 6.0),
                             squeeze=False, layout="constrained")
    for j, estimand in enumerate(estimands):
        s = b[b["estimand"] == estimand]
        for ei, (est, g) in enumerate(s.groupby("estimator")):
            c = COLORS[ei % len(COLORS)]
            _lines(axes[0, j], g, "bias", "bias_mcse", c, labels.get(est, est))
            if g["theory_bias"].notna().any():
                g = g.sort_values("n")
                axes[0, j].plot(g["n"], g["theory_bias"], color=c, ls="--", lw=1)
            _lines(axes[1, j], g, "mse", "mse_mcse", c, None)
        axes[0, j].axhline(0, color="0.6", lw=0.8)
        axes[0, j].set(title=f"{estimand}: bias (dashed: theory)", xlabel="n")
        axes[1, j].set(yscale="log", title=f"{estimand}: MSE", xlabel="n")
        n_axis(axes[0, j], s["n"])
        n_axis(axes[1, j], s["n"])
    legend_below(fig, axes.flat)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


def efficiency_plot(eff: pd.DataFrame, labels: dict[str, str]):
    """n Var(θ̂) I(θ) against n (±2 MCSE), with the Cramér-Rao bound at 1; only the
    cells that have a bound."""
    eff = eff[np.isfinite(eff["crlb"].to_numpy(float))]
    if eff.empty:
        return None
    e, label = first_condition(eff)
    estimands = list(dict.fromkeys(e["estimand"]))
    fig, axes = grid(len(estimands))
    for ax, estimand in zip(axes, estimands, strict=False):
        for ei, (est, g) in enumerate(e[e["estimand"] == estimand].groupby("estimator")):
            _lines(ax, g, "var_ratio", "var_ratio_mcse", COLORS[ei % len(COLORS)],
                   labels.get(est, est))
        ax.axhline(1, color="0.3", ls="--", lw=1, label="Cramér–Rao bound")
        ax.set(xlabel="n", ylabel="Var / CRLB", title=estimand)
        n_axis(ax, e["n"])
    legend_below(fig, axes)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


def coverage_plot(cov: pd.DataFrame, labels: dict[str, str]):
    """Coverage against n, ±2 MCSE, with the table's band nominal ± 2 sqrt(p(1-p)/S)."""
    if cov.empty:
        return None
    c, label = first_condition(cov)
    estimands = list(dict.fromkeys(c["estimand"]))
    fig, axes = grid(len(estimands))
    for ax, estimand in zip(axes, estimands, strict=False):
        s = c[c["estimand"] == estimand]
        ns = np.sort(s["n"].unique())
        band = s.groupby("n")[["band_low", "band_high"]].first().reindex(ns)
        ax.fill_between(ns, band["band_low"], band["band_high"], color="0.85",
                        label="nominal ± 2 MCSE")
        ax.axhline(s["nominal"].iloc[0], color="0.4", lw=0.8)
        for ei, (est, g) in enumerate(s.groupby("estimator")):
            _lines(ax, g, "coverage", "coverage_mcse", COLORS[ei % len(COLORS)],
                   labels.get(est, est))
        ax.set(xlabel="n", ylabel="coverage", title=estimand)
        n_axis(ax, ns)
    legend_below(fig, axes)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


def zip_n(sizes) -> int:
    """The n of the zip plot: the smallest with n >= 10 (smaller ones give intervals of
    a few distinct widths, or none), else the largest."""
    sizes = sorted(int(v) for v in sizes)
    return next((v for v in sizes if v >= 10), sizes[-1])


def zip_plot(df: pd.DataFrame, summary: pd.DataFrame, level: float,
             labels: dict[str, str], n: int | None = None):
    """Zip plot (Morris et al. 2019, Fig. 3): each interval of one n (:func:`zip_n`),
    ranked by how far the truth is from its centre in half-widths; red ones miss the
    truth; the dotted line is at the study's level. Every estimator × estimand gets a
    panel: failed fits (counted in the summary) are named, and an estimator without
    intervals says so."""
    d, label = first_condition(df)
    n = zip_n(d["n"].unique()) if n is None else n
    d = d[d["n"] == n]
    s, _ = first_condition(summary)
    failed = s[s["n"] == n].set_index(["estimator", "estimand"])["n_failed"].to_dict()
    cells = list(d.groupby(["estimand", "estimator"], sort=False))
    fig, axes = grid(len(cells), width=3.0, height=3.3, rows=int(d["estimand"].nunique()))
    for ax, ((estimand, est), g) in zip(axes, cells, strict=False):
        k = int(failed.get((est, estimand), 0))
        title = f"{estimand} · {labels.get(est, est)}" + (f"\n{k} failed fits left out"
                                                          if k else "")
        ax.set_title(title, fontsize=8)
        g = g[g["converged"].to_numpy(bool) & np.isfinite(g["ci_low"])
              & np.isfinite(g["ci_high"])]
        if g.empty:
            ax.text(0.5, 0.5, "no intervals", ha="center", va="center",
                    transform=ax.transAxes, color="0.4")
            ax.set(xticks=[], yticks=[])
            continue
        lo, hi = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
        truths = g["true_value"].to_numpy(float)
        truth = float(truths[0])
        if not np.all(truths == truth):  # truths drawn per replicate: centre on each
            lo, hi, truth = lo - truths, hi - truths, 0.0
        # |truth - centre| / half-width <= 1 exactly when the interval covers the truth
        r = np.abs(truth - (lo + hi) / 2) / np.maximum((hi - lo) / 2, 1e-300)
        order = np.argsort(r, kind="stable")
        cent = 100 * (np.arange(r.size) + 0.5) / r.size
        segs = np.stack([np.c_[lo[order], cent], np.c_[hi[order], cent]], axis=1)
        miss = r[order] > 1
        ax.add_collection(LineCollection(segs, colors=np.where(
            miss[:, None], [[0.8, 0.1, 0.1, 0.7]], [[0.2, 0.4, 0.7, 0.35]]), linewidths=0.6))
        ax.axvline(truth, color="k", lw=0.8)
        ax.axhline(100 * level, color="0.3", ls=":", lw=0.8)
        ax.autoscale_view()
        ax.set(ylim=(0, 100), xlabel=f"interval (n = {n})", ylabel="centile of "
               "|truth − centre| / half-width")
        ax.yaxis.label.set_size(7)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig
