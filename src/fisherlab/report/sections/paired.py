"""Paired comparisons with the study's reference estimator (``compare:``): paired.csv's
relative precision, MSE ratio, bias and coverage differences, each with its MCSE, in a
table and against n; the verdict on precision is the one rule's
(:mod:`fisherlab.verdicts.paired`), and a claim that names a measure judges it."""

from __future__ import annotations

import numpy as np

from ...core.labels import column_label, number
from ...stats.paired import METHOD_TEXT
from ...verdicts import paired as rule
from ..columns import cond_cols, est_col, estimand_col, n_col, sort_rows
from ..figures import COLORS, LINESTYLES, conditions, grid, legend_below, lines, n_axis
from ..format import fmt_pm
from ..html import Col, cite, esc
from ..html import table as html_table
from .section import Section

ORDER = 27  # after the performance summary and the study's own measures

#: (column, axis label, where the estimators are equal) of the figure's panels
PANELS = (("relative_precision", "relative precision (%)", 0.0),
          ("mse_ratio", "MSE / MSE of reference", 1.0),
          ("bias_diff", "bias − bias of reference", 0.0),
          ("coverage_diff", "coverage − coverage of reference", 0.0))


def _rows(r):
    return r.tables.get("paired")


def reading(r) -> str:
    t = _rows(r)
    nmax = t["n"].max()
    last = t[t["n"] == nmax]
    ref = r.label(r.study.compare.reference)
    parts = []
    for i, row in last.iterrows():
        where = ", ".join(f"{column_label(k)} = {number(getattr(row, k))}"
                          for k in (r.varying if r.conditions > 1 else []))
        parts.append(
            (f"at {esc(where)}, " if where else "")
            + f"{esc(r.label(row.estimator))} ({esc(row.estimand)}): relative "
            "precision " + cite("paired", i, "relative_precision", fmt_pm(
                row.relative_precision, row.relative_precision_mcse)) + "%, MSE ratio "
            + cite("paired", i, "mse_ratio", fmt_pm(row.mse_ratio, row.mse_ratio_mcse)))
    return (f"Against {esc(ref)} on the same datasets, at n = {nmax}: "
            + "; ".join(parts) + ". Over every n: " + r.tally(rule.QUESTION, t, rule.MORE,
                                                                "cells")
            + f" (relative precision more than {rule.Z:g} MCSEs above 0).")


def how(r) -> str:
    c = r.study.compare
    return ("Each estimator against the reference <i>" + esc(r.label(c.reference))
            + "</i> (<code>compare:</code>) on the same datasets: replicate i of both is "
            "a fit to the same data, and a replicate where either fit failed is left "
            "out of the pair (the table counts them). <b>Relative precision</b> = "
            "100·(empSE<sub>ref</sub>² / empSE² − 1): above 0 the estimator is more "
            "precise. <b>MSE ratio</b> = MSE / MSE<sub>ref</sub>: below 1 it has the "
            "smaller MSE. <b>Bias and coverage differences</b>: the means of the "
            "per-replicate differences, MCSE √(Var(d)/S); the coverage difference uses "
            "the pairs where both have an interval. The number in brackets is the Monte "
            "Carlo SE, by " + esc(METHOD_TEXT[c.mcse]) + " (<code>mcse: " + esc(c.mcse)
            + "</code>); it uses the correlation ρ of the paired errors. <b>More "
            f"precise</b> means a relative precision more than {rule.Z:g} MCSEs above 0, "
            "<b>less precise</b> more than that below, otherwise <i>cannot tell</i>: the "
            "difference is within Monte Carlo noise. The other measures are shown, not "
            "judged; a claim that names one judges it. Also in <code>paired.csv</code>.")


def table(r) -> str:
    t = sort_rows(_rows(r), r, "estimand", "estimator", "n")
    cols = cond_cols(r) + [
        estimand_col(), est_col(r), n_col(),
        Col("pairs", lambda x: str(x.used), "used"),
        Col("left out", lambda x: str(x.left_out), "left_out"),
        Col("rel. precision % (MCSE)",
            lambda x: fmt_pm(x.relative_precision, x.relative_precision_mcse),
            "relative_precision"),
        Col("MSE ratio (MCSE)", lambda x: fmt_pm(x.mse_ratio, x.mse_ratio_mcse),
            "mse_ratio"),
        Col("bias diff. (MCSE)", lambda x: fmt_pm(x.bias_diff, x.bias_diff_mcse),
            "bias_diff"),
        Col("coverage diff. (MCSE)",
            lambda x: fmt_pm(x.coverage_diff, x.coverage_diff_mcse), "coverage_diff"),
        Col("ρ", lambda x: f"{x.rho:.2f}", "rho"),
        Col("verdict", lambda x: r.verdict(rule.QUESTION, x), left=True)]
    return html_table(t, cols, "paired", group="estimator")


def paired_plot(r, estimand: str):
    """The four paired measures of one estimand against n, ±2 MCSE, a line per
    condition × estimator, and where the two estimators are equal dashed."""
    t = _rows(r)
    t = t[t["estimand"] == estimand]
    shown = [p for p in PANELS if np.isfinite(t[p[0]].to_numpy(float)).any()]
    fig, axes = grid(len(shown), height=2.6, rows=int(np.ceil(len(shown) / 2)))
    for ax, (col, label, level) in zip(axes, shown, strict=False):
        k = 0
        for _, g in conditions(t):
            cond = ", ".join(f"{column_label(k)} = {number(g[k].iloc[0])}"
                             for k in (r.varying if r.conditions > 1 else []))
            for est, ge in g.groupby("estimator", sort=False):
                name = r.label(est) + (f", {cond}" if cond else "")
                lines(ax, ge, col, f"{col}_mcse", COLORS[k % len(COLORS)], name,
                      LINESTYLES[k // len(COLORS) % len(LINESTYLES)])
                k += 1
        ax.axhline(level, color="0.3", ls="--", lw=1)
        ax.set(xlabel="n", ylabel=label)
        n_axis(ax, t["n"])
    legend_below(fig, axes, ncol=2)
    fig.suptitle(f"{estimand}: each estimator against {r.label(r.study.compare.reference)}",
                 fontsize=9)
    return fig


def figures(r):
    estimands = list(dict.fromkeys(_rows(r)["estimand"]))
    return [(f"paired_{e}" if len(estimands) > 1 else "paired", paired_plot(r, e),
             "Each estimator against the reference on the same datasets, ±2 MCSE; "
             "dashed: where the two are equal (relative precision 0, MSE ratio 1, "
             "no difference).") for e in estimands]


SECTION = Section("paired", "Paired comparisons", reading, how=how, figures=(figures,),
                  table=table, folded=False,
                  when=lambda r: _rows(r) is not None and len(_rows(r)) > 0)
