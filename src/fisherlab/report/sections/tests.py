"""Hypothesis tests: size against Bradley's bands, power curves, exact rates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...core.labels import condition_columns, true_col
from ...spec.hypotheses import TESTS
from ...verdicts.size import LIBERAL, STRINGENT, detail
from ..columns import cond_cols, est_col, estimand_col, n_col, sort_rows
from ..figures import COLORS, grid, legend_below
from ..format import fmt_pm
from ..html import Col, cite, esc
from ..html import table as html_table
from ..prose import names
from .section import Section, one

ORDER = 105


def _name(row) -> str:
    return TESTS.get(row.test, row.test)


def _exact(row) -> str:
    return "" if pd.isna(row.exact) else f"{row.exact:.4f}"


def reading(r) -> str:
    t = r.tables["tests"]
    size = t[t["kind"] == "size"]
    out = []
    if len(size):
        out.append("Size at the null (Bradley's bands): " + names(
            f"{esc(_name(row))} ({esc(r.label(row.estimator))}) at n = {row.n}: "
            + cite("tests", i, "rate", fmt_pm(row.rate, row.mcse))
            + (f", exact {cite('tests', i, 'exact', _exact(row))}" if _exact(row) else "")
            + f", {r.verdict('size', row, detail(row))}"
            for i, row in size.iterrows()) + ".")
    far = t[t["exact_z"].abs() > 3]
    with_exact = t[t["exact"].notna()]
    if len(with_exact):
        out.append(f"{len(with_exact) - len(far)} of {len(with_exact)} simulated rates are "
                   "within 3 MCSEs of their exact values"
                   + (": " + names(f"{esc(_name(row))} at n = {row.n} is "
                                   + cite("tests", i, "exact_z", f"{row.exact_z:+.1f}")
                                   + " MCSEs away" for i, row in far.iterrows())
                      if len(far) else "") + ".")
    return " ".join(out)


def table(r) -> str:
    t = sort_rows(r.tables["tests"], r, "test", "estimator", "n")
    cols = cond_cols(r) + [
        estimand_col(), est_col(r), n_col(),
        Col("test", lambda x: esc(x.test), "test", True),
        Col("null", lambda x: f"{x.null:g}", "null"),
        Col("kind", lambda x: esc(x.kind), "kind", True),
        Col("rejection rate (MCSE)", lambda x: fmt_pm(x.rate, x.mcse), "rate"),
        Col("exact", _exact, "exact"),
        Col("z from exact", lambda x: "" if pd.isna(x.exact_z) else f"{x.exact_z:+.2f}",
            "exact_z"),
        Col("size verdict", lambda x: r.verdict("size", x, detail(x)) if x.kind == "size"
            else "", left=True)]
    return html_table(t, cols, "tests", group="test")


def power_plot(t: pd.DataFrame, labels: dict[str, str]):
    """Rejection rate against the truth, a panel per n, a curve per test × estimator
    with ±2 MCSE, its exact curve dashed where known; the nominal level dotted. One
    hypothesis (the first) and, where other parameters vary, their first values."""
    if t.empty:
        return None
    h = t.iloc[0]
    t = t[(t["estimand"] == h.estimand) & (t["null"] == h.null) & (t["sides"] == h.sides)
          & (t["level"] == h.level) & t["truth"].notna()]
    other = [k for k in condition_columns(t) if k != true_col(h.estimand)]
    for k in other:
        t = t[t[k] == sorted(t[k].unique())[0]]
    sizes = sorted(t["n"].unique())
    fig, axes = grid(len(sizes), height=2.8)
    curves = list(dict.fromkeys(zip(t["test"], t["estimator"], strict=True)))
    # tests that reject on the same outcomes coincide: dodge the dots sideways and give
    # each curve its own marker and dash so that none hides another
    truths = np.sort(t["truth"].unique())
    step = float(np.min(np.diff(truths))) if truths.size > 1 else 1.0
    dodge = 0.12 * step
    for ax, n in zip(axes, sizes, strict=False):
        for j, (test, est) in enumerate(curves):
            g = t[(t["n"] == n) & (t["test"] == test) & (t["estimator"] == est)]
            g = g.sort_values("truth")
            color = COLORS[j % len(COLORS)]
            lab = TESTS.get(test, test) + (f" ({labels.get(est, est)})"
                                            if len({e for _, e in curves}) > 1 else "")
            shift = (j - (len(curves) - 1) / 2) * dodge
            ax.errorbar(g["truth"] + shift, g["rate"], yerr=2 * g["mcse"].fillna(0),
                        color=color, marker="osD^v"[j % 5], ms=3.5, lw=0, elinewidth=1.1,
                        capsize=2, label=f"{lab}: simulated ±2 MCSE")
            if g["exact"].notna().any():
                ax.plot(g["truth"], g["exact"], color=color, lw=1.1,
                        ls=[(0, (5, 2)), (0, (2, 2)), (0, (6, 2, 1, 2))][j % 3],
                        label=f"{lab}: exact")
        ax.axhline(h.level, color="0.4", lw=0.8, ls=":", label=f"level α = {h.level:g}")
        ax.axhspan(LIBERAL[0] * h.level, LIBERAL[1] * h.level, color="0.85", lw=0,
                   label="Bradley's liberal band")
        ax.axhspan(STRINGENT[0] * h.level, STRINGENT[1] * h.level, color="0.7", lw=0,
                   label="Bradley's stringent band")
        ax.set_ylim(-0.03, 1.03)
        ax.set_title(f"n = {n}", fontsize=9)
        ax.set_xlabel(f"true {h.estimand} (null {h.null:g})", fontsize=8)
        ax.tick_params(labelsize=8)
    axes[0].set_ylabel("rejection rate", fontsize=8)
    legend_below(fig, axes, ncol=2)
    return fig


def _caption(r) -> str:
    t = r.tables["tests"]
    h = t.iloc[0]
    return (f"Rejection rate of the tests of {esc(h.estimand)} = {h.null:g} against the "
            "true value, one panel per n: at the null it is the size, elsewhere the "
            "power. Dots with ±2 MCSE are simulated (moved apart sideways where tests "
            "coincide); dashed lines the exact rates "
            "(tests.csv's exact column); the grey bands Bradley's at the level.")


def _has_power(r) -> bool:
    t = r.tables.get("tests", pd.DataFrame())
    return len(t) > 0 and np.isfinite(t["truth"].to_numpy(float)).any()


SECTION = Section(
    "tests", "Hypothesis tests", reading,
    how=("Each test the study lists (tests:) at every condition: the share of replicates "
         "in which it rejects (the table's test column: wald, score, or lr for the "
         "likelihood ratio). Where the truth is the null that share is the test's size, "
         "judged against Bradley's (1978) bands applied to the simulated rate (its MCSE "
         "beside, and the verdict's note says whether ±2 MCSE could change it); "
         "elsewhere it is the power. The exact column is the exact rejection rate where "
         "known: a sum of binomial or Poisson probabilities over the outcomes where the "
         "test rejects, or a formula (the normal mean's Wald test: a noncentral t)."),
    figures=(one("power", lambda r: power_plot(r.tables["tests"], r.labels)
                 if _has_power(r) else None, _caption),),
    table=table, when=lambda r: len(r.tables.get("tests", pd.DataFrame())) > 0)
