"""Interval methods side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import figures
from ..columns import cond_cols, est_col, estimand_col, n_col, sort_rows
from ..figures import COLORS, first_condition, legend_below
from ..format import fmt, fmt_pm
from ..html import Col, cite, esc, text
from ..html import table as html_table
from ..prose import pair
from .section import Section, one

ORDER = 110



def methods(study) -> list[str]:
    """The interval methods the study file asks for (``interval.method``)."""
    m = (study.raw.get("interval") or {}).get("method") or []
    return [m] if isinstance(m, str) else list(m)


def reading(r) -> str:
    t = r.tables["coverage"]
    t = t[t["estimator"].isin(_compared(r))]
    parts = []
    by = [*r.varying, "estimand", "estimator"]
    for _, g in t.groupby(by, sort=False):
        first = g.iloc[0]
        lo, hi = g.loc[g["coverage"].idxmin()], g.loc[g["coverage"].idxmax()]
        span = (f"{cite('coverage', lo.name, 'coverage', fmt(lo.coverage, lo.coverage_mcse))}"
                f" (n = {lo.n}) to "
                f"{cite('coverage', hi.name, 'coverage', fmt(hi.coverage, hi.coverage_mcse))}"
                f" (n = {hi.n})")
        below, above = g["miss_below"].sum(), g["miss_above"].sum()
        side = ("mostly below the truth" if below > 2 * above else
                "mostly above the truth" if above > 2 * below else "on both sides")
        parts.append(f"{pair(r, first)} ({esc(first['kind'])} intervals): coverage from "
                     f"{span}; {r.tally('coverage', g, 'nominal', 'sample sizes')}; its misses "
                     f"fall {side}.")
    return " ".join(parts)


def _compared(r) -> list[str]:
    """The estimators whose intervals the study compares: those that offer the methods
    it asks for."""
    fam = r.study.analysis
    return [e.id for e in r.study.estimators
            if set(methods(r.study)) & set(e.estimator.interval_methods(fam))]


def table(r) -> str:
    t = r.tables["coverage"]
    t = sort_rows(t[t["estimator"].isin(_compared(r))], r, "estimand", "n", "estimator")
    cols = cond_cols(r) + [
        estimand_col(), n_col(), est_col(r), Col("interval", lambda x: text(x.kind), "kind", True),
        Col("coverage (MCSE)", lambda x: fmt_pm(x.coverage, x.coverage_mcse), "coverage"),
        Col("verdict", lambda x: r.verdict("coverage", x), left=True),
        Col("missing below", lambda x: f"{x.miss_below:.3f}", "miss_below"),
        Col("missing above", lambda x: f"{x.miss_above:.3f}", "miss_above"),
        Col("mean width (MCSE)", lambda x: fmt_pm(x.width, x.width_mcse), "width")]
    return html_table(t, cols, "coverage", group="n")


STYLES = ["-", "--", ":", "-."]


def intervals_plot(t: pd.DataFrame, verdicts, labels: dict[str, str], level: float):
    """Per estimand: coverage (±2 MCSE) of each interval against n with the coverage
    rule's nominal band, and the shares of intervals wholly below (solid) and above
    (dashed) the truth."""
    t, label = first_condition(t)
    if t.empty:
        return None
    estimands = list(dict.fromkeys(t["estimand"]))
    fig, axes = figures.panels(2, len(estimands), 6.4)
    for j, estimand in enumerate(estimands):
        s = t[t["estimand"] == estimand]
        ns = np.sort(s["n"].unique())
        first = s.drop_duplicates("n").sort_values("n")
        band = [verdicts.row(verdicts.find("coverage", row)) for _, row in first.iterrows()]
        top, bottom = axes[0, j], axes[1, j]
        top.fill_between(ns, [b["low"] for b in band], [b["high"] for b in band],
                         color="0.87", step="mid", label=f"nominal band ({level:g})")
        for i, (est, g) in enumerate(s.groupby("estimator", sort=False)):
            g = g.sort_values("n")
            c, ls = COLORS[i % len(COLORS)], STYLES[i % len(STYLES)]
            lab = labels.get(est, est)
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


HOW = {"wald": "Wald (estimate ± z·se)",
       "likelihood_ratio": "likelihood ratio (where the log-likelihood stays within "
                           "χ²₁(level)/2 of its peak)",
       "score": "score (where the score test would not reject; Wilson for a proportion)",
       "agresti_coull": "Agresti–Coull (Wald's around (k + z²/2)/(N + z²))",
       "jeffreys": "Jeffreys (the Beta(k + ½, N − k + ½) posterior's equal tails)",
       "clopper_pearson": "Clopper–Pearson (exact: inverts two one-sided binomial tests)"}


def how(r) -> str:
    asked = [HOW[m] for m in methods(r.study)]
    return ("The same estimates with the intervals the study asks for: " + "; ".join(asked)
            + ". Top: coverage with the nominal band (as in the Coverage section); bottom: "
            "the share of intervals wholly below the truth (solid) and wholly above it "
            "(dashed). Each verdict is the coverage rule's.")


SECTION = Section("intervals", "Interval methods", reading, how=how,
        figures=(one("intervals", lambda r: intervals_plot(
            r.tables["coverage"][r.tables["coverage"]["estimator"].isin(_compared(r))],
            r.verdicts, r.labels, r.study.level),
            "Coverage and misses of each interval method against n."),),
        table=table, when=lambda r: len(methods(r.study)) > 1)
