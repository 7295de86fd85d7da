"""Asymptotic normality of the standardised estimates."""

from __future__ import annotations

from collections.abc import Iterable

from scipy import stats

from ...diagnostics import normality as diag
from ...verdicts.normality import ALPHA
from .. import azplots
from ..columns import cond_cols, est_col, estimand_col, n_col, sort_rows
from ..figures import first_condition
from ..format import fmt, fmt_p
from ..html import Col, esc, text
from ..html import table as html_table
from ..prose import names, pair
from .section import Z_COLUMNS, FigureOut, Section, cite_panels, pit_grid

ORDER = 90



def normal_from(r, kind: str) -> list[tuple]:
    """Per condition × estimator × estimand, its rows (by n) and verdicts for ``kind``
    of standardisation, and the smallest n from which every larger n is normal (None:
    not normal at the largest n)."""
    t = r.tables["normality"]
    t = t[t["standardisation"] == kind].sort_values("n")
    out = []
    for _, g in t.groupby([*r.params, "estimator", "estimand"], sort=False, dropna=False):
        words = [r.verdicts.row(r.verdicts.find("normality", row, kind))["verdict"]
                 for _, row in g.iterrows()]
        start = None
        for (_, row), w in zip(reversed(list(g.iterrows())), reversed(words), strict=True):
            if w != "normal":
                break
            start = row
        out.append((g, words, start))
    return out


def reading(r) -> str:
    t = r.tables["normality"]
    if t.empty:
        return "No standard errors or Fisher information to standardise with."
    kind = "se" if (t["standardisation"] == "se").any() else "information"
    what = "z = (θ̂ − θ)/se" if kind == "se" else "z = (θ̂ − θ)·√(n I(θ))"
    late, never, broken, undecided = [], [], [], []
    for g, words, start in normal_from(r, kind):
        first = g.iloc[0]
        if start is not None:
            late.append(f"n = {start.n} on for {pair(r, first)} "
                        f"({r.verdict('normality', start, kind)})")
        elif all(w == "cannot tell" for w in words):
            undecided.append(pair(r, first))
        else:  # not normal at the largest n
            (broken if "normal" in words else never).append((first, g))
    parts = []
    # K² (lattice estimates) tests the shape alone: a z with SD 1.4 passes it
    shape_only = (t.loc[t["standardisation"] == kind, "test"] == "K2").all()
    if late:
        test = ("has the normal shape (K²: skewness and kurtosis, not the mean or the SD, "
                "which the table gives)" if shape_only else "passes the test against N(0, 1)")
        parts.append(f"{what} {test} from {names(late)}.")
    for part, what in ((never, "Rejected at every n"),
                       (broken, "Accepted at some n but rejected at the largest")):
        if part:
            parts.append(f"{what}: " + names(
                f"{pair(r, f)} ({r.tally('normality', g, 'normal', 'sample sizes', kind)})"
                for f, g in part) + ".")
    if undecided:
        parts.append("Too few values to test for " + names(undecided) + ".")
    return " ".join(parts)


def table(r) -> str:
    t = sort_rows(r.tables["normality"], r, "estimator", "estimand", "standardisation", "n")
    cols = cond_cols(r) + [
        est_col(r), estimand_col(),
        Col("z from", lambda x: text(x.standardisation), "standardisation", True), n_col(),
        Col("S", lambda x: str(x.S), "S"),
        Col("mean", lambda x: fmt(x.mean, 0.001), "mean"),
        Col("sd", lambda x: fmt(x.sd, 0.001), "sd"),
        Col("skew", lambda x: fmt(x.skew, 0.01), "skew"),
        Col("excess kurtosis", lambda x: fmt(x.ex_kurtosis, 0.01), "ex_kurtosis"),
        Col("test", lambda x: text(x.test), "test"),
        Col("p-value", lambda x: fmt_p(x.pvalue, ALPHA), "pvalue"),
        Col("verdict", lambda x: r.verdict("normality", x, x.standardisation), left=True)]
    return html_table(t, cols, "normality", group="standardisation")


def normality_figures(r) -> Iterable[FigureOut]:
    t = r.tables["normality"]
    t = t[t["standardisation"] == "se"].fillna({"test": ""})
    if t.empty:
        return
    first, label = first_condition(t)
    sizes = azplots.pick_sizes(first["n"].unique(), 3)
    z = {(k["estimator"], k["estimand"], int(k["n"])): stats.norm.cdf(v)
         for n in sizes for k, v in diag.z_values(r.rows([n], Z_COLUMNS, capped=False), r.study,
                                             "se")}
    for estimand in dict.fromkeys(first["estimand"]):
        cells, ncol = pit_grid(r, first, z, estimand, sizes, "normality", "se")
        title = (f"{estimand}: ECDF of Φ(z) − uniform, z = (θ̂ − θ)/se; grey: the KS band "
                 "at the table's level" + (f" ({label})" if label else ""))
        cap = (f"ECDF of Φ(z) for {esc(estimand)}: inside the grey band means the KS test "
               "says normal (K² tests have no band). Panel p-values, from the normality "
               "table: " + cite_panels("normality", cells))
        yield f"ecdf_pit_{estimand}", azplots.pit_plot(cells, title, ncol), cap


def dist_figure(r) -> Iterable[FigureOut]:
    lattice = bool(r.tables["normality"]["lattice"].astype(bool).any()) if len(
        r.tables["normality"]) else False
    fig, kind = azplots.dist_plot(r.rows(azplots.pick_sizes(r.sizes)), r.labels, lattice)
    how = ("ECDFs: some estimates take few distinct values, or fits failed"
           if kind == "ecdf" else "kernel density estimates")
    yield "dist", fig, (f"Sampling distributions of each estimator (colour) per n ({how})."
                        + r.drawn)


SECTION = Section("normality", "Asymptotic normality", reading, how=(
        "For each n the standardised estimates z = (θ̂ − θ)/se (and, where the family has "
        "Fisher information, (θ̂ − θ)·√(n I(θ))) are tested against N(0, 1): "
        "Kolmogorov–Smirnov, or D'Agostino's K² where the estimates sit on a lattice "
        "(k/n), which KS rejects for its steps alone; K² tests the shape (skewness and "
        "kurtosis), not the mean 0 and SD 1, which the table gives and the coverage "
        "section judges through the intervals. <b>Normal</b> means the test does "
        f"not reject at {ALPHA:g}; with many replications even small departures are detected. "
        "An infinite z (se = 0) counts in KS as Φ(z) = 0 or 1; K² cannot take it: the "
        "verdict says how many it left out, and is not normal where they are a larger "
        "share than the gap KS would reject at that size. The ECDF plots show Φ(z) against the "
        "uniform: the line stays inside the grey KS band exactly when the verdict is "
        "normal."),
        figures=(dist_figure, normality_figures), table=table)
