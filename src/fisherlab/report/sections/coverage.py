"""Coverage of the intervals, the zip plot and the forest."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection

from ...verdicts.coverage import ALPHA
from .. import azplots
from ..azplots import FAR
from ..columns import cond_cols, est_col, estimand_col, n_col, sort_rows
from ..figures import COLORS, first_condition, grid, legend_below, lines, n_axis, panels
from ..format import fmt, fmt_p, fmt_pm
from ..html import Col, cite, esc, text
from ..html import table as html_table
from ..prose import names, pair
from ..verdicts import value
from .section import FigureOut, Section, one

ORDER = 100



def _key(row):
    return tuple(getattr(row, k) for k in ("estimator", "estimand"))


def reading(r) -> str:
    t = r.tables["coverage"]
    if t.empty:
        return "No estimator here reports intervals."
    out = []
    nmax = t["n"].max()
    groups = t.groupby([*[k for k in r.varying], "estimator", "estimand"], sort=False)
    always, never, mixed = [], [], []
    for _, g in groups:
        words = list(r.words("coverage", g).values())
        first = g.iloc[0]
        if words and all(w == "nominal" for w in words):
            always.append((first, g))
        elif words and "nominal" not in words:
            never.append((first, g))
        else:
            mixed.append((first, g))
    # each group's count is of its own pairs' cells, and says so: "coverage nominal in 24
    # of 24 cells" before the list read as the whole table's count
    for part in (always, never):
        if part:
            cells = pd.concat(g for _, g in part)
            out.append(f"Coverage {r.tally('coverage', cells, 'nominal', 'cells of these pairs')}"
                       f": {names(pair(r, f) for f, _ in part)}.")
    if mixed:
        out.append("Coverage by pair: " + names(
            f"{pair(r, f)} {r.tally('coverage', g, 'nominal', 'sample sizes')}"
            for f, g in mixed) + ".")
    last = t[t["n"] == nmax]
    words = r.words("coverage", last)
    bad = [(i, row) for i, row in last.iterrows() if words.get(i) != "nominal"]
    if bad:
        out.append(f"At the largest n ({nmax}): " + names(
            f"{pair(r, row)} {_coverage(i, row)}, {r.verdict('coverage', row)}"
            for i, row in bad) + ".")
    exact = t[t["exact"].astype(bool)]
    words = r.words("coverage", exact)
    exact = exact[[words.get(i) != "nominal" for i in exact.index]]
    if len(exact):
        out.append("Exact intervals, whose coverage should be the level at every n, miss it "
                   "here: " + names(f"{pair(r, row)} at n = {row.n} "
                                    f"({r.verdict('coverage', row)})"
                                    for _, row in exact.iterrows()) + ".")
    return " ".join(out)


def _coverage(i, row) -> str:
    return cite("coverage", i, "coverage", fmt(row.coverage, row.coverage_mcse))


def verdict_cell(r, text, question: str = "coverage"):
    """A table cell of values of the cell's verdict row: ``text(i, row)`` prints them
    bound to verdicts.csv (:func:`~fisherlab.report.verdicts.value`)."""
    def cell(x):
        i = r.verdicts.find(question, x)
        return "" if i is None else text(i, r.verdicts.row(i))
    return cell


def band(r):
    """The acceptance band of the coverage rule, from the cell's verdict."""
    return lambda i, row: (value(r.verdicts, i, "low", f"{row['low']:.4f}") + "–"
                           + value(r.verdicts, i, "high", f"{row['high']:.4f}"))


def p_value(r):
    return lambda i, row: value(r.verdicts, i, "pvalue",
                                fmt_p(row["pvalue"], row["threshold"]))


def table(r) -> str:
    t = sort_rows(r.tables["coverage"], r, "estimand", "estimator", "n")
    cols = cond_cols(r) + [
        estimand_col(), est_col(r), n_col(),
        Col("interval", lambda x: text(x.kind), "kind", True),
        Col("coverage (MCSE)", lambda x: fmt_pm(x.coverage, x.coverage_mcse), "coverage"),
        Col("nominal band", verdict_cell(r, band(r))),
        Col("p-value", verdict_cell(r, p_value(r))),
        Col("verdict", lambda x: r.verdict("coverage", x), left=True),
        Col("bias-elim. coverage", lambda x: fmt_pm(x.becoverage, x.becoverage_mcse),
            "becoverage"),
        Col("mean width (MCSE)", lambda x: fmt_pm(x.width, x.width_mcse), "width")]
    if "exact_coverage" in t and t["exact_coverage"].notna().any():
        # a discrete family: the exact coverage (a sum over the support) beside
        cols += [Col("exact coverage", lambda x: "" if pd.isna(x.exact_coverage)
                     else f"{x.exact_coverage:.4f}", "exact_coverage"),
                 Col("z from exact", lambda x: "" if pd.isna(x.exact_z)
                     else f"{x.exact_z:+.2f}", "exact_z")]
    return html_table(t, cols, "coverage", group="estimator")


def coverage_plot(cov: pd.DataFrame, verdicts, labels: dict[str, str]):
    """Coverage against n, ±2 MCSE, with the coverage rule's nominal band (its verdicts'
    ``low`` and ``high``: inside the band is exactly what the rule calls nominal)."""
    if cov.empty:
        return None
    c, label = first_condition(cov)
    estimands = list(dict.fromkeys(c["estimand"]))
    fig, axes = grid(len(estimands))
    for ax, estimand in zip(axes, estimands, strict=False):
        s = c[c["estimand"] == estimand]
        ns = np.sort(s["n"].unique())
        first = s.drop_duplicates("n").set_index("n").reindex(ns)
        rows = [verdicts.row(verdicts.find("coverage", row)) for _, row in
                first.reset_index().iterrows()]
        ax.fill_between(ns, [b["low"] for b in rows], [b["high"] for b in rows],
                        color="0.85", label="nominal band (exact binomial test)")
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


def _cells_at(table: pd.DataFrame | None, n: int) -> dict:
    """(estimator, estimand) -> row (with its row number as ``name``) of a table's first
    condition at ``n``."""
    if table is None or table.empty:
        return {}
    t, _ = first_condition(table)
    return {(row["estimator"], row["estimand"]): row for _, row in t[t["n"] == n].iterrows()}


def zip_plot(df: pd.DataFrame, summary: pd.DataFrame, level: float,
             labels: dict[str, str], n: int | None = None,
             coverage: pd.DataFrame | None = None, tails: pd.DataFrame | None = None):
    """Zip plot (Morris et al. 2019, Fig. 3): each interval of one n (:func:`zip_n`),
    ranked by how far the truth is from its centre in half-widths; red ones miss the
    truth; the dotted line is at the study's level. Every estimator × estimand gets a
    panel: failed fits (counted in the summary) are named, and an estimator without
    intervals says so. An interval of zero width ([0, 0] for a proportion's Wald interval
    at p̂ = 0) is a dot, and the panel's title gives their number (the coverage table's
    ``zero_width``). The scale is the bulk's: the intervals of the estimates inside the
    tails table's far-out fences; those of the far-out estimates run to the edge, where
    a triangle marks each, and the title gives their numbers (``far_below``,
    ``far_above``)."""
    d, label = first_condition(df)
    n = zip_n(d["n"].unique()) if n is None else n
    d = d[d["n"] == n]
    s, _ = first_condition(summary)
    failed = s[s["n"] == n].set_index(["estimator", "estimand"])["n_failed"].to_dict()
    cov, far = _cells_at(coverage, n), _cells_at(tails, n)
    # a row per estimand, a column per estimator; a pair without rows is an empty place
    present = set(d["estimator"])  # the study's order (its labels'), then any other
    ests = [e for e in labels if e in present] + sorted(present - set(labels))
    estimands = list(dict.fromkeys(d["estimand"]))
    fig, axes = panels(len(estimands), len(ests), 3.3 * len(estimands) + 0.4)
    for ax in axes.flat:
        ax.set_visible(False)
    for (estimand, est), g in d.groupby(["estimand", "estimator"], sort=False):
        ax = axes[estimands.index(estimand), ests.index(est)]
        ax.set_visible(True)
        notes = [f"{estimand} · {labels.get(est, est)}"]
        k = int(failed.get((est, estimand), 0))
        if k:
            notes.append(f"{k} failed fits left out")
        g = g[g["converged"].to_numpy(bool) & np.isfinite(g["ci_low"])
              & np.isfinite(g["ci_high"])]
        if g.empty:
            ax.set_title("\n".join(notes), fontsize=8)
            ax.text(0.5, 0.5, "no intervals", ha="center", va="center",
                    transform=ax.transAxes, color="0.4")
            ax.set(xticks=[], yticks=[])
            continue
        lo, hi = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
        est_v = g["estimate"].to_numpy(float)
        truths = g["true_value"].to_numpy(float)
        truth = float(truths[0])
        if not np.all(truths == truth):  # truths drawn per replicate: centre on each
            lo, hi, est_v, truth = lo - truths, hi - truths, est_v - truths, 0.0
        # |truth - centre| / half-width <= 1 exactly when the interval covers the truth
        r = np.abs(truth - (lo + hi) / 2) / np.maximum((hi - lo) / 2, 1e-300)
        order = np.argsort(r, kind="stable")
        lo, hi, est_v, miss = lo[order], hi[order], est_v[order], r[order] > 1
        cent = 100 * (np.arange(r.size) + 0.5) / r.size
        colours = np.where(miss[:, None], [[0.8, 0.1, 0.1, 0.7]], [[0.2, 0.4, 0.7, 0.35]])
        zero = hi == lo
        segs = np.stack([np.c_[lo, cent], np.c_[hi, cent]], axis=1)
        ax.add_collection(LineCollection(segs[~zero], colors=colours[~zero], linewidths=0.6))
        # an interval of no width is a line of no length: a dot shows it
        ax.scatter(lo[zero], cent[zero], s=12, c=colours[zero], linewidths=0)
        c = cov.get((est, estimand))
        if c is not None and c["zero_width"] > 0:
            notes.append(f"{int(c['zero_width'])} of {int(c['S'])} of zero width (dots)")
        ax.axvline(truth, color="k", lw=0.8)
        ax.axhline(100 * level, color="0.3", ls=":", lw=0.8)
        ax.autoscale_view()
        notes += _far_marks(ax, far.get((est, estimand)), lo, hi, est_v, cent)
        ax.set_title("\n".join(notes), fontsize=8)
        ax.set(ylim=(0, 100), xlabel=f"interval (n = {n})", ylabel="centile of "
               "|truth − centre| / half-width")
        ax.yaxis.label.set_size(7)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


def _far_marks(ax, t, lo, hi, values, cent) -> list[str]:
    """Keep the zip plot's scale on the intervals of the estimates inside the tails
    table's far-out fences (row ``t``); mark the far-out ones with a triangle at the
    edge; the title's note on them."""
    if t is None or not np.isfinite(t["fence_low"]):
        return []
    below, above = values < t["fence_low"], values > t["fence_high"]
    bulk = ~below & ~above
    if not bulk.any():
        return []
    left, right = float(lo[bulk].min()), float(hi[bulk].max())
    pad = 0.04 * (right - left) if right > left else 1.0
    ax.set_xlim(left - pad, right + pad)
    edge = ax.get_yaxis_transform()  # x in axes fractions, y in centiles
    notes = []
    for side, mask, marker, k, where in ((0.0, below, "<", t["far_below"], "below"),
                                         (1.0, above, ">", t["far_above"], "above")):
        if mask.any():  # just inside the edge: the layout leaves no room outside it
            ax.plot(np.full(int(mask.sum()), 0.01 if side == 0 else 0.99), cent[mask], ls="",
                    marker=marker, ms=5, color=FAR, transform=edge)
        if k > 0:
            notes.append(f"{int(k)} far out {where} ({'◀' if side == 0 else '▶'})")
    return notes


def forest_figures(r) -> Iterable[FigureOut]:
    sizes = azplots.pick_sizes(r.sizes, 3)
    tails = r.tables["tails"]
    rows = r.rows(sizes)  # once for every estimand's figure
    for estimand in r.study.estimands:
        yield (f"forest_{estimand}", azplots.forest_plot(rows, r.summary, r.labels, estimand,
                                                         tails),
               f"Estimation error θ̂ − θ of {esc(estimand)} by estimator and n (ArviZ forest "
               f"of the fits that succeeded: their {azplots.FOREST_POINT}, the bias, and "
               f"central {azplots.FOREST_PROBS[0]:.0%} and {azplots.FOREST_PROBS[1]:.0%} "
               "intervals)."
               + _far_note(r, tails[tails["estimand"] == estimand], sizes)
               + r.shown + r.drawn)


def _far_note(r, tails: pd.DataFrame, sizes) -> str:
    """A caption's count of the far-out estimates a figure marks at its edge (the tails
    table's, first condition, at ``sizes``)."""
    t, _ = first_condition(tails[tails["n"].isin(sizes)])
    t = t[(t["far_below"] + t["far_above"]) > 0]
    if t.empty:
        return ""
    return (" Far-out estimates (beyond Tukey's fences, see Far-out estimates), marked at "
            "the axis' edge (◀ below, ▶ above): " + names(
                f"{pair(r, row)} at n = {row.n}: "
                + " and ".join(f"{cite('tails', i, col, str(int(getattr(row, col))))} {side}"
                               for col, side in (("far_below", "below"),
                                                 ("far_above", "above"))
                               if getattr(row, col) > 0)
                for i, row in t.iterrows()) + ".")


def zip_caption(r) -> str:
    n = zip_n(r.sizes)
    out = f"Zip plot of the intervals at n = {n}."
    cov, _ = first_condition(r.tables["coverage"])
    cov = cov[(cov["n"] == n) & (cov["zero_width"] > 0)]
    if len(cov):
        out += " Intervals of zero width are dots: " + names(
            f"{cite('coverage', i, 'zero_width', str(int(row.zero_width)))} of "
            f"{cite('coverage', i, 'S', str(int(row.S)))} for {pair(r, row)}"
            for i, row in cov.iterrows()) + "."
    return out + _far_note(r, r.tables["tails"], [n]) + r.shown + r.drawn


HOW = ("Coverage against n with ±2 MCSE bars. <b>Nominal</b> means the exact binomial "
       f"test of coverage = the nominal level does not reject at {ALPHA:g}; equivalently, "
       "the coverage lies inside the nominal band, the test's acceptance region at that "
       "number of intervals (the grey band). The interval column says what kind each is: "
       "Wald, likelihood ratio, score, exact, credible or Laplace. Bias-eliminated "
       "coverage centres the check on the mean estimate instead of the truth: where it "
       "differs from coverage, the estimator's bias moves its intervals. The zip plot "
       "ranks the intervals of one n (the smallest from 10 on): red ones miss; their share "
       "should be about 1 − level, where the dotted line is.")

SECTION = Section("coverage", "Coverage", reading, how=HOW,
        figures=(
            one("coverage", lambda r: coverage_plot(r.tables["coverage"], r.verdicts,
                                                    r.labels),
                "Coverage against nominal, with the nominal band."),
            one("zip", lambda r: zip_plot(r.rows([zip_n(r.sizes)]), r.summary,
                                          r.study.level, r.labels,
                                          coverage=r.tables["coverage"],
                                          tails=r.tables["tails"]),
                zip_caption),
            forest_figures),
        table=table)
