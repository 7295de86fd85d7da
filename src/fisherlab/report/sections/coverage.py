"""Coverage of the intervals, the zip plot and the forest."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection

from ...diagnostics import coverage as diag
from .. import azplots
from ..columns import cond_cols, est_col, estimand_col, n_col, sort_rows
from ..figures import COLORS, first_condition, grid, legend_below, lines, n_axis
from ..format import fmt, fmt_p, fmt_pm
from ..html import Col, cite, esc, mark
from ..html import table as html_table
from ..prose import names, pair
from .section import FigureOut, Section, one

ORDER = 100



def reading(r) -> str:
    t = r.tables["coverage"]
    if t.empty:
        return "No estimator here reports intervals."
    level = t["nominal"].iloc[0]
    out = []
    nmax = t["n"].max()
    last = t[t["n"] == nmax]
    ok_all = t.groupby(["estimator", "estimand"], sort=False)["verdict"].agg(
        lambda v: bool((v == "nominal").all()))
    always = [f"{esc(r.label(e))} of {esc(m)}" for (e, m), v in ok_all.items() if v]
    if always:
        out.append(f"Nominal {level:.0%} coverage at every n (exact binomial test at "
                   f"{diag.ALPHA:g}): {names(always)}.")
    bad = last[last["verdict"] != "nominal"]
    if len(bad):
        out.append(f"Off nominal even at n = {nmax}: " + names(
            f"{pair(r, row)} ({_coverage(i, row)}, {cite('coverage', i, 'verdict', row.verdict)})"
            for i, row in bad.iterrows()) + ".")
    off = t[(t["verdict"] != "nominal") & (t["n"] < nmax)]
    if len(off) and not len(bad):
        i = off.sort_values("n").index[0]
        row = t.loc[i]
        how = {"under": "under-cover", "over": "over-cover"}.get(row.verdict, "are off")
        out.append(f"Smaller samples {how} (e.g. {pair(r, row)} at n = {row.n}: "
                   f"{_coverage(i, row)}, {cite('coverage', i, 'verdict', row.verdict)}); "
                   f"by n = {nmax} every interval is nominal.")
    exact = t[t["exact"].astype(bool) & (t["verdict"] != "nominal")]
    if len(exact):
        out.append("Exact intervals off nominal (these should hold at every n): " + names(
            f"{pair(r, row)} at n = {row.n}" for row in exact.itertuples()) + ".")
    return " ".join(out)


def _coverage(i, row) -> str:
    return cite("coverage", i, "coverage", fmt(row.coverage, row.coverage_mcse))


def table(r) -> str:
    t = sort_rows(r.tables["coverage"], r, "estimand", "estimator", "n")
    cols = cond_cols(r) + [
        estimand_col(), est_col(r), n_col(),
        Col("interval", lambda x: "exact" if x.exact else "asymptotic", "exact", True),
        Col("coverage (MCSE)", lambda x: fmt_pm(x.coverage, x.coverage_mcse), "coverage"),
        Col("band (±2 MCSE)", lambda x: f"{x.band_low:.3f}–{x.band_high:.3f}"),
        Col("p-value", lambda x: fmt_p(x.pvalue), "pvalue"),
        Col("verdict", lambda x: mark(x.verdict, "nominal"), "verdict"),
        Col("bias-elim. coverage", lambda x: fmt_pm(x.becoverage, x.becoverage_mcse),
            "becoverage"),
        Col("mean width (MCSE)", lambda x: fmt_pm(x.width, x.width_mcse), "width")]
    return html_table(t, cols, "coverage", group="estimator")


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
            lines(ax, g, "coverage", "coverage_mcse", COLORS[ei % len(COLORS)],
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


def forest_figures(r) -> Iterable[FigureOut]:
    sizes = azplots.pick_sizes(r.sizes, 3)
    for estimand in r.study.estimands:
        rows = r.rows(sizes)
        yield (f"forest_{estimand}", azplots.forest_plot(rows, r.summary, r.labels, estimand),
               f"Estimation error θ̂ − θ of {esc(estimand)} by estimator and n (ArviZ forest: "
               "median, central intervals of the fits that succeeded)." + r.shown + r.drawn)


SECTION = Section("coverage", "Coverage", reading, how=(
        "Coverage against n with ±2 MCSE bars; the grey band is nominal ± 2 binomial "
        "MCSEs. The verdict is the exact binomial test. Bias-eliminated coverage uses the "
        "mean estimate as truth: if it is nominal while coverage is not, bias is the "
        "cause. The zip plot ranks the intervals of one n (the smallest from 10 on): red "
        "ones miss; their share should be about 1 − level, where the dotted line is."),
        figures=(
            one("coverage", lambda r: coverage_plot(r.tables["coverage"], r.labels),
                 "Coverage against nominal with MCSE bands."),
            one("zip", lambda r: zip_plot(r.rows([zip_n(r.sizes)]), r.summary,
                                                 r.study.level, r.labels),
                 lambda r: f"Zip plot of the intervals at n = {zip_n(r.sizes)}."
                 + r.shown + r.drawn),
            forest_figures),
        table=table)
