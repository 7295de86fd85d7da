"""Efficiency against the Cramér-Rao bound."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...diagnostics import efficiency as diag
from ...verdicts import efficiency as rule
from ..columns import cond_cols, est_col, estimand_col, n_col, sort_rows
from ..figures import COLORS, first_condition, grid, legend_below, lines, n_axis
from ..format import fmt, fmt_pm
from ..html import Col, cite, esc
from ..html import table as html_table
from ..prose import names, pair
from .section import Section, one

ORDER = 80



def reading(r) -> str:
    t = diag.with_bound(r.tables["efficiency"])
    if t.empty:
        return ("Fisher information: "
                + esc(diag.information_statement(r.tables["efficiency"])) + ".")
    nmax = t["n"].max()
    last = t[t["n"] == nmax]
    words = {i: r.verdicts.row(r.verdicts.find("efficiency", row))["verdict"]
             for i, row in last.iterrows()}
    parts = [f"At n = {nmax}, n·Var·I(θ) against the Cramér–Rao bound 1: "
             f"{r.tally('efficiency', last, 'at the bound', 'estimator–estimand pairs')}."]
    for verdict, what in (("above", "Above the bound (less efficient)"),
                          ("below", "Below 1 (possible only for a biased estimator)")):
        sel = [(i, last.loc[i]) for i, w in words.items() if w == verdict]
        if sel:
            parts.append(f"{what}: " + names(
                f"{pair(r, row)} ("
                f"{cite('efficiency', i, 'var_ratio', fmt(row.var_ratio, row.var_ratio_mcse))}"
                f", {r.verdict('efficiency', row)})" for i, row in sel) + ".")
    return " ".join(parts)


def table(r) -> str:
    t = sort_rows(diag.with_bound(r.tables["efficiency"]), r, "estimand", "estimator", "n")
    cols = cond_cols(r) + [
        estimand_col(), est_col(r), n_col(),
        Col("CRLB", lambda x: f"{x.crlb:.4g}", "crlb"),
        Col("Var / CRLB (MCSE)", lambda x: fmt_pm(x.var_ratio, x.var_ratio_mcse), "var_ratio"),
        Col("MSE / CRLB (MCSE)", lambda x: fmt_pm(x.mse_ratio, x.mse_ratio_mcse), "mse_ratio"),
        Col("verdict", lambda x: r.verdict("efficiency", x), left=True)]
    return html_table(t, cols, "efficiency", group="estimator")


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
            lines(ax, g, "var_ratio", "var_ratio_mcse", COLORS[ei % len(COLORS)],
                   labels.get(est, est))
        ax.axhline(1, color="0.3", ls="--", lw=1, label="Cramér–Rao bound")
        ax.set(xlabel="n", ylabel="Var / CRLB", title=estimand)
        n_axis(ax, e["n"])
    legend_below(fig, axes)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


SECTION = Section("efficiency", "Efficiency (Cramér–Rao)", reading, how=(
        "n·Var(θ̂)·I(θ) = Var(θ̂) / CRLB. An unbiased estimator cannot go below 1; the "
        "MLE of a regular family approaches 1 as n grows. MCSEs allow for the kurtosis "
        f"of the estimates. <b>At the bound</b> means within {rule.Z} MCSE of 1."),
        figures=(one("efficiency", lambda r: efficiency_plot(
            r.tables["efficiency"], r.labels),
            "Variance over the Cramér–Rao bound, ±2 MCSE."),),
        table=table)
