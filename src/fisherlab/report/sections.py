"""The study page, declared: one :class:`Section` per part, in page order.

A section is a title, a reading (:mod:`.readings`), a few words on how to read it, its
figures and its tables (:mod:`.tables`), and when it applies. Adding a section to every
study page is one more entry in :data:`SECTIONS`; :mod:`.page` renders them all.
Figures are drawn from the tables (:mod:`.plots`, :mod:`.azplots`); a caption that
quotes a table value cites it (:func:`~fisherlab.report.html.cite`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from scipy import stats

from ..diagnostics.calibration import pit_values
from ..diagnostics.efficiency import information_statement
from ..diagnostics.normality import z_values
from . import azplots, plots, readings, tables
from .format import fmt_p
from .format import rate as fmt_rate
from .html import cite, esc

#: (name, matplotlib Figure or None, caption HTML)
FigureOut = tuple[str, object, str]
#: what the standardised estimates need
Z_COLUMNS = ("n", "estimator", "estimand", "estimate", "true_value", "se", "converged")


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    reading: Callable | None = None
    how: str = ""
    figures: tuple[Callable[[object], Iterable[FigureOut]], ...] = ()
    table: Callable | None = None
    table_note: str = "show the table"
    when: Callable[[object], bool] = field(default=lambda r: True)
    body: Callable | None = None


# --------------------------------------------------------------------------- figures
def _one(name, make, caption):
    return lambda r: [(name, make(r), caption(r) if callable(caption) else caption)]


def _pit_grid(r, rows, values: dict, estimand: str, sizes) -> tuple[list, int]:
    """The PIT panels of one estimand: a row per n, a column per estimator; a cell the
    table did not test (too few values) is an empty place. ``rows``: the table's rows of
    the first condition; ``values``: (estimator, estimand, n) -> PIT values."""
    ests = [e.id for e in r.study.estimators if e.id in set(rows["estimator"])]
    cells = []
    for n in sizes:
        for est in ests:
            sel = rows[(rows["estimator"] == est) & (rows["estimand"] == estimand)
                       & (rows["n"] == n)]
            v = values.get((est, estimand, int(n)))
            ok = len(sel) and v is not None and len(v) and sel["test"].iloc[0] != ""
            lab = f"{r.label(est)}\nn = {n}"
            cells.append((lab, v, sel.iloc[0]) if ok else (lab, None, None))
    return cells, max(len(ests), 1)


def _cite_panels(table: str, cells) -> str:
    return "; ".join(f"{esc(lab.replace(chr(10), ', '))}: {esc(row['test'])} p = "
                     + cite(table, row.name, "pvalue", fmt_p(row["pvalue"]))
                     for lab, v, row in cells if row is not None) + "."


def normality_figures(r) -> Iterable[FigureOut]:
    t = r.tables["normality"]
    t = t[t["standardisation"] == "se"].fillna({"test": ""})
    if t.empty:
        return
    first, label = plots.first_condition(t)
    sizes = azplots.pick_sizes(first["n"].unique(), 3)
    z = {(k["estimator"], k["estimand"], int(k["n"])): stats.norm.cdf(v)
         for n in sizes for k, v in z_values(r.rows([n], Z_COLUMNS, capped=False), r.study,
                                             "se")}
    for estimand in dict.fromkeys(first["estimand"]):
        cells, ncol = _pit_grid(r, first, z, estimand, sizes)
        title = (f"{estimand}: ECDF of Φ(z) − uniform, z = (θ̂ − θ)/se; grey: the KS band "
                 "at the table's level" + (f" ({label})" if label else ""))
        cap = (f"ECDF of Φ(z) for {esc(estimand)}: inside the grey band means the KS test "
               "says normal (K² tests have no band). Panel p-values, from the normality "
               "table: " + _cite_panels("normality", cells))
        yield f"ecdf_pit_{estimand}", azplots.pit_plot(cells, title, ncol), cap


def calibration_figures(r) -> Iterable[FigureOut]:
    t = r.tables["calibration"].assign(test="KS")
    first, _ = plots.first_condition(t)
    sizes = azplots.pick_sizes(first["n"].unique(), 3)
    values = {}
    for size in sizes:
        d = pit_values(r.rows([size], (*Z_COLUMNS, "pit"), capped=False))
        values.update({(e, m, int(n)): g["pit"].to_numpy(float)
                       for (e, m, n), g in d.groupby(["estimator", "estimand", "n"])})
    for estimand in dict.fromkeys(first["estimand"]):
        cells, ncol = _pit_grid(r, first, values, estimand, sizes)
        cap = (f"SBC for {esc(estimand)}: ECDF of the PIT minus the uniform CDF; inside the "
               "grey band means the KS test says calibrated. Panel p-values, from the "
               "calibration table: " + _cite_panels("calibration", cells))
        title = f"SBC, {estimand}: ECDF of PIT − uniform; grey: the KS band"
        yield f"sbc_{estimand}", azplots.pit_plot(cells, title, ncol), cap


def dist_figure(r) -> Iterable[FigureOut]:
    lattice = bool(r.tables["normality"]["lattice"].astype(bool).any()) if len(
        r.tables["normality"]) else False
    fig, kind = azplots.dist_plot(r.rows(azplots.pick_sizes(r.sizes)), r.labels, lattice)
    how = ("ECDFs: some estimates take few distinct values, or fits failed"
           if kind == "ecdf" else "kernel density estimates")
    yield "dist", fig, (f"Sampling distributions of each estimator (colour) per n ({how})."
                        + r.drawn)


# --------------------------------------------------------------------------- the page
def definition(r) -> str:
    s = r.study
    grid = "; ".join(f"{k} ∈ {{{', '.join(f'{v:g}' for v in vs)}}}"
                     for k, vs in s.params.items())
    theory = sorted(r.tables["consistency"]["theory_slope"].dropna().unique())
    rate = ", ".join(fmt_rate(t) for t in theory) or "–"
    items = [("family", f"{s.family.name}: {s.family.doc}"), ("true values", grid),
             ("sample sizes n", ", ".join(map(str, s.sample_sizes))),
             ("replications", f"{s.replications} per condition (seed {s.seed})"),
             ("estimators", "; ".join(e.label for e in s.estimators)),
             ("estimands", ", ".join(s.estimands)), ("intervals", f"{s.level:.0%}"),
             ("theoretical RMSE rate", rate)]
    info = information_statement(r.tables["efficiency"])
    return ("<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
            + f'<dt>Fisher information</dt><dd data-fact="information">{esc(info)}</dd></dl>')


SECTIONS: list[Section] = [
    Section("definition", "The study", body=definition),
    Section("summary", "Performance summary", how=(
        "Measures of Morris, White &amp; Crowther (2019); the number in brackets is the "
        "Monte Carlo standard error (MCSE), and every value is rounded to what its MCSE "
        "supports. Also in <code>summary.csv</code>."),
        table=tables.summary, table_note="show the table"),
    Section("consistency", "Consistency", readings.consistency, how=(
        "RMSE against n on log-log axes: a consistent estimator's line falls; its slope "
        "is the rate. The grey line has the theoretical slope; error bars are ±2 MCSE. "
        "The table fits log RMSE = a + b log n (weighted by MCSE) over the larger half of "
        "the sample sizes, since the rate is a large-n property."),
        figures=(_one("rmse", lambda r: plots.rmse_plot(
            r.summary, r.tables["consistency"], r.labels),
            "RMSE against n (log-log), grey: theoretical slope."),),
        table=tables.consistency),
    Section("bessel", "Bias correction (Bessel)", readings.bessel, how=(
        "Top: bias with ±2 MCSE bars, dashed: the exact theoretical bias. Bottom: MSE. An "
        "unbiased estimator is not necessarily the one closest to the truth on average."),
        figures=(_one("bias", lambda r: plots.bias_plot(r.tables["bessel"], r.labels),
                      "Bias (top) and MSE (bottom) against n."),),
        table=tables.bessel),
    Section("efficiency", "Efficiency (Cramér–Rao)", readings.efficiency, how=(
        "n·Var(θ̂)·I(θ) = Var(θ̂) / CRLB. An unbiased estimator cannot go below 1; the "
        "MLE of a regular family approaches 1 as n grows. MCSEs allow for the kurtosis "
        "of the estimates."),
        figures=(_one("efficiency", lambda r: plots.efficiency_plot(
            r.tables["efficiency"], r.labels),
            "Variance over the Cramér–Rao bound, ±2 MCSE."),),
        table=tables.efficiency),
    Section("normality", "Asymptotic normality", readings.normality, how=(
        "For each n the standardised estimates z = (θ̂ − θ)/se (and, where the family has "
        "Fisher information, (θ̂ − θ)·√(n I(θ))) are tested against N(0, 1): "
        "Kolmogorov–Smirnov, or D'Agostino's K² where the estimates sit on a lattice "
        "(k/n), which KS rejects for its steps alone. With many replications even small "
        "departures are detected. The ECDF plots show Φ(z) against the uniform: the "
        "line stays inside the grey KS band exactly when the table says normal."),
        figures=(dist_figure, normality_figures), table=tables.normality),
    Section("coverage", "Coverage", readings.coverage, how=(
        "Coverage against n with ±2 MCSE bars; the grey band is nominal ± 2 binomial "
        "MCSEs. The verdict is the exact binomial test. Bias-eliminated coverage uses the "
        "mean estimate as truth: if it is nominal while coverage is not, bias is the "
        "cause. The zip plot ranks the intervals of one n (the smallest from 10 on): red "
        "ones miss; their share should be about 1 − level, where the dotted line is."),
        figures=(
            _one("coverage", lambda r: plots.coverage_plot(r.tables["coverage"], r.labels),
                 "Coverage against nominal with MCSE bands."),
            _one("zip", lambda r: plots.zip_plot(r.rows([plots.zip_n(r.sizes)]), r.summary,
                                                 r.study.level, r.labels),
                 lambda r: f"Zip plot of the intervals at n = {plots.zip_n(r.sizes)}."
                 + r.shown + r.drawn),
            _one("forest", lambda r: azplots.forest_plot(
                r.rows(azplots.pick_sizes(r.sizes, 3)), r.summary, r.labels),
                 lambda r: "Estimation error θ̂ − θ by estimator and n (ArviZ forest: "
                 "median, central intervals of the fits that succeeded)." + r.shown
                 + r.drawn)),
        table=tables.coverage),
    Section("calibration", "Calibration (SBC)", readings.calibration, how=(
        "Each replicate drew its own truth θᵢ from the prior before its data. PIT = the "
        "estimator's posterior CDF at θᵢ (share of posterior draws below θᵢ, or "
        "Φ((θᵢ − θ̂)/se) for point estimators); a calibrated posterior gives uniform PIT "
        "values. Coverage of the drawn truths is in the Coverage section."),
        figures=(calibration_figures,), table=tables.calibration,
        when=lambda r: len(r.tables["calibration"]) > 0),
    Section("failures", "Failures", readings.failures, table=tables.failures,
            table_note="show the failures by kind of reason"),
]

