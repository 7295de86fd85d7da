"""Consistency: RMSE against n and the rate."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...verdicts import rate as rule
from .. import figures
from ..columns import cond_cols, est_col, estimand_col
from ..figures import COLORS, grid, legend_below, lines, n_axis
from ..format import fmt, fmt_pm, rate
from ..html import Col, cite
from ..html import table as html_table
from ..prose import names, pair
from .section import Section, one

ORDER = 60



def _verdict(r, row) -> str:
    return r.verdict("rate", row, n=float("nan"))


def reading(r) -> str:
    t = r.tables["consistency"]
    if t.empty:
        return "No estimates to judge."
    v = r.verdicts
    words = {i: v.row(v.find("rate", row, n=float("nan")))["verdict"] for i, row in t.iterrows()}
    rates = " or ".join(rate(s) for s in sorted(t["theory_slope"].unique()))
    head = (f"RMSE against the theoretical rate {rates}: "
            f"{r.tally('rate', t, 'as theory', 'estimator–estimand pairs', n=float('nan'))}.")
    parts = [head]
    off = [(i, t.loc[i]) for i, w in words.items() if w not in ("as theory", "cannot tell")]
    if off:
        parts.append("Off the rate: " + names(
            f"{pair(r, row)} ({_verdict(r, row)}, slope "
            f"{cite('consistency', i, 'slope', fmt(row.slope, row.slope_se))})"
            for i, row in off) + ".")
        if any(words[i] == "faster" for i, _ in off):
            parts.append("Faster than theory at these n usually means a bias of order 1/n "
                         "still adds to the RMSE: the rate is reached at larger n.")
    # the pairs the sizes cannot decide, by the reason each verdict gives (two sizes
    # fitted, or none: every fit failed), not all under the first one's
    why: dict[str, list] = {}
    for i, w in words.items():
        if w == "cannot tell":
            why.setdefault(v.row(v.find("rate", t.loc[i], n=float("nan")))["note"],
                           []).append(t.loc[i])
    if why:
        parts.append("The sample sizes cannot decide the rate of " + "; of ".join(
            f"{names(pair(r, row) for row in rows)} ({note})" for note, rows in why.items())
            + ".")
    return " ".join(parts)


def table(r) -> str:
    cols = cond_cols(r) + [
        est_col(r), estimand_col(),
        Col("n range", lambda x: f"{x.n_min}–{x.n_max}"),
        Col("slope (SE)", lambda x: fmt_pm(x.slope, x.slope_se), "slope"),
        Col("theory", lambda x: f"{x.theory_slope:g}", "theory_slope"),
        Col("bias at largest n (MCSE)", lambda x: fmt_pm(x.bias_n_max, x.bias_mcse_n_max),
            "bias_n_max"),
        Col("verdict", lambda x: _verdict(r, x), left=True)]
    return html_table(r.tables["consistency"], cols, "consistency")


def rmse_plot(summary: pd.DataFrame, consistency: pd.DataFrame, labels: dict[str, str]):
    """RMSE against n on log-log axes, one panel per estimand, with a grey reference line
    of each theoretical slope of the consistency table, through the largest-n point of
    the first estimator that has it."""
    estimands = list(dict.fromkeys(summary["estimand"]))
    theory = consistency.groupby("estimator")["theory_slope"].first().to_dict()
    fig, axes = grid(len(estimands))
    conds = figures.conditions(summary)
    for ax, estimand in zip(axes, estimands, strict=False):
        s = summary[summary["estimand"] == estimand]
        anchors = {}
        for ci, (_, gc) in enumerate(conds):
            for ei, (est, g) in enumerate(gc[gc["estimand"] == estimand].groupby("estimator")):
                g = g[np.isfinite(g["rmse"]) & (g["rmse"] > 0)].sort_values("n")
                if g.empty:
                    continue
                lines(ax, g, "rmse", "rmse_mcse", COLORS[ei % len(COLORS)],
                       labels.get(est, est) if ci == 0 else None, figures.LINESTYLES[ci % 4])
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
            f"{figures.LINESTYLES[i % 4]} {lab}" for i, (lab, _) in enumerate(conds)), fontsize=8)
    return fig


HOW = ("RMSE against n on log-log axes: a consistent estimator's line falls; its slope is "
       "the rate. The grey line has the theoretical slope; error bars are ±2 MCSE. The table "
       "fits log RMSE = a + b log n (weighted by MCSE) over the larger half of the sample "
       "sizes, since the rate is a large-n property. <b>As theory</b> means the slope is "
       f"within {rule.Z} SE or {rule.MARGIN:g} of the theoretical slope; a fit over fewer "
       f"than {rule.MIN_SIZES} sizes, or whose {rule.Z} SE reach {rule.DECIDE:g}, cannot "
       "tell one rate from another.")

SECTION = Section("consistency", "Consistency", reading, how=HOW,
        figures=(one("rmse", lambda r: rmse_plot(
            r.summary, r.tables["consistency"], r.labels),
            "RMSE against n (log-log), grey: theoretical slope."),),
        table=table)
