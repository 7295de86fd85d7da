"""Interval methods side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...diagnostics import intervals as diag
from .. import figures
from ..columns import cond_cols, est_col, estimand_col, n_col, sort_rows
from ..figures import COLORS, first_condition, legend_below, plt
from ..format import fmt, fmt_pm
from ..html import Col, cite, esc, text
from ..html import table as html_table
from .section import Section, one

ORDER = 110



def reading(r) -> str:
    t = r.tables["intervals"]
    parts = []
    for (estimand, est), g in t.groupby(["estimand", "estimator"], sort=False):
        lo, hi = g.loc[g["coverage"].idxmin()], g.loc[g["coverage"].idxmax()]
        kind = g["kind"].iloc[0]
        span = (f"{cite('intervals', lo.name, 'coverage', fmt(lo.coverage, lo.coverage_mcse))}"
                f" (n = {lo.n}) to "
                f"{cite('intervals', hi.name, 'coverage', fmt(hi.coverage, hi.coverage_mcse))}"
                f" (n = {hi.n})")
        side = ("mostly below the truth" if g["miss_below"].sum() > 2 * g["miss_above"].sum()
                else "mostly above the truth" if g["miss_above"].sum() > 2 * g["miss_below"].sum()
                else "on both sides")
        lab = r.label(est) if kind in r.label(est) else f"{r.label(est)} ({kind})"
        parts.append(f"{esc(lab)}, {esc(estimand)}: coverage from "
                     f"{span}, inside the nominal band at {int(g['in_band'].sum())} of "
                     f"{len(g)} sample sizes; its misses fall {side}.")
    return " ".join(parts)


def table(r) -> str:
    t = sort_rows(r.tables["intervals"], r, "estimand", "n", "estimator")
    cols = cond_cols(r) + [
        estimand_col(), n_col(), est_col(r), Col("interval", lambda x: text(x.kind), "kind", True),
        Col("coverage (MCSE)", lambda x: fmt_pm(x.coverage, x.coverage_mcse), "coverage"),
        Col("in nominal band", lambda x: "yes" if x.in_band else "no"),
        Col("missing below", lambda x: f"{x.miss_below:.3f}", "miss_below"),
        Col("missing above", lambda x: f"{x.miss_above:.3f}", "miss_above"),
        Col("mean width (MCSE)", lambda x: fmt_pm(x.width, x.width_mcse), "width")]
    return html_table(t, cols, "intervals", group="n")


def _label(labels: dict, est: str, kind: str) -> str:
    """An estimator's label, with its interval's kind unless the label says it."""
    lab = labels.get(est, est)
    return lab if kind in lab else f"{lab} ({kind})"


STYLES = ["-", "--", ":", "-."]


def intervals_plot(t: pd.DataFrame, labels: dict[str, str], level: float):
    """Per estimand: coverage (±2 MCSE) of each interval against n with the nominal band,
    and the shares of intervals wholly below (solid) and above (dashed) the truth."""
    t, label = first_condition(t)
    if t.empty:
        return None
    estimands = list(dict.fromkeys(t["estimand"]))
    wide = 9.5 if figures.narrow(t["n"]) else 7.0
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
            figures.n_axis_narrow(ax, ns)
    legend_below(fig, axes.flat, ncol=2)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


SECTION = Section("intervals", "Interval methods", reading, how=(
        "The same estimates with different intervals: Wald (estimate ± z·se), likelihood "
        "ratio (where the log-likelihood stays within χ²₁(level)/2 of its peak) and score "
        "(Wilson for a proportion: where the score test would not reject). Top: coverage "
        "with the nominal band; bottom: the share of intervals wholly below the truth "
        "(solid) and wholly above it (dashed). Brown, Cai &amp; DasGupta (2001) show the "
        "Wald interval's coverage for a rare proportion jumping with n."),
        figures=(one("intervals", lambda r: intervals_plot(
            r.tables["intervals"], r.labels, r.study.level),
            "Coverage and misses of each interval method against n."),),
        table=table, when=lambda r: diag.compared(r.tables["intervals"]))
