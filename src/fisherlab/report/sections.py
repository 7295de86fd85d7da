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
from ..diagnostics.intervals import compared
from ..diagnostics.normality import z_values
from ..diagnostics.optimiser import AGREE
from . import azplots, explorer, likplots, plots, readings, tables
from . import flags as flags_section
from . import targets as precision
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
    # a row per n and a column per estimator; one estimator: the sizes side by side
    return cells, len(ests) if len(ests) > 1 else len(sizes)


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


def forest_figures(r) -> Iterable[FigureOut]:
    sizes = azplots.pick_sizes(r.sizes, 3)
    for estimand in r.study.estimands:
        rows = r.rows(sizes)
        yield (f"forest_{estimand}", azplots.forest_plot(rows, r.summary, r.labels, estimand),
               f"Estimation error θ̂ − θ of {esc(estimand)} by estimator and n (ArviZ forest: "
               "median, central intervals of the fits that succeeded)." + r.shown + r.drawn)


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
             ("replications", f"{s.replications} per condition (seed {s.seed})"
              if s.targets is None else precision.targets_text(s)),
             # issue 13: per condition × n, the replications used and each target
             *((("replications used" if i == 0 else ""), line) for i, line in
               enumerate(precision.per_condition(r.tables.get("precision")))),
             ("estimators", "; ".join(e.label for e in s.estimators)),
             ("estimands", ", ".join(s.estimands)), ("intervals", f"{s.level:.0%}"),
             ("theoretical RMSE rate", rate)]
    info = information_statement(r.tables["efficiency"])
    return ("<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
            + f'<dt>Fisher information</dt><dd data-fact="information">{esc(info)}</dd></dl>')


def likelihood_body(r) -> str:
    """The explorer, after its reading (a body comes first in a section)."""
    how = ("Choose n and a replicate; the slider moves the parameter along the highlighted "
           "curve and reads off ℓ(θ), the score (the slope of the red tangent) and the "
           "observed information (the curvature), each from the likelihood table. The "
           "curves are ℓ(θ) − ℓ(θ̂); with several parameters, the profile: the others set "
           "to their best values for each θ. Wald and likelihood-ratio (LR) intervals are "
           "drawn below the axis.")
    return (f"<p class='reading'>{readings.likelihood(r)}</p><p class='how'>{how}</p>"
            + explorer.html(r))


SECTIONS: list[Section] = [
    Section("definition", "The study", body=definition),
    Section("summary", "Performance summary", how=(
        "Measures of Morris, White &amp; Crowther (2019); the number in brackets is the "
        "Monte Carlo standard error (MCSE), and every value is rounded to what its MCSE "
        "supports. Also in <code>summary.csv</code>."),
        table=tables.summary, table_note="show the table"),
    Section("likelihood", "The likelihood", body=likelihood_body, table=tables.likelihood,
            table_note="show the curves' marks"),
    Section("score", "The score at the truth", readings.score, how=(
        "The score is the slope of the log-likelihood. At the true θ it averages zero and "
        "its variance is n·I(θ), the Fisher information of n observations (the Bartlett "
        "identities): computed here from every simulated dataset. Top: mean score over "
        "√(n I), ±2 MCSE; bottom: Var(score)/(n I(θ)), ±2 MCSE."),
        figures=(_one("score", lambda r: likplots.score_plot(r.tables["score"]),
                      "The score at the truth, per n."),),
        table=tables.score, when=lambda r: len(r.tables["score"]) > 0),
    Section("information", "Fisher information", readings.information, how=(
        "I(θ) of one observation: the family's closed form where it has one, else "
        "numerical integration of the squared score against the density, or Monte Carlo "
        "with its precision; each value checked against an independent Monte Carlo "
        "estimate. The Cramér–Rao bound below inverts it."),
        table=tables.information),
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
            forest_figures),
        table=tables.coverage),
    Section("intervals", "Interval methods", readings.intervals, how=(
        "The same estimates with different intervals: Wald (estimate ± z·se), likelihood "
        "ratio (where the log-likelihood stays within χ²₁(level)/2 of its peak) and score "
        "(Wilson for a proportion: where the score test would not reject). Top: coverage "
        "with the nominal band; bottom: the share of intervals wholly below the truth "
        "(solid) and wholly above it (dashed). Brown, Cai &amp; DasGupta (2001) show the "
        "Wald interval's coverage for a rare proportion jumping with n."),
        figures=(_one("intervals", lambda r: likplots.intervals_plot(
            r.tables["intervals"], r.labels, r.study.level),
            "Coverage and misses of each interval method against n."),),
        table=tables.intervals, when=lambda r: compared(r.tables["intervals"])),
    Section("calibration", "Calibration (SBC)", readings.calibration, how=(
        "Each replicate drew its own truth θᵢ from the prior before its data. PIT = the "
        "estimator's posterior CDF at θᵢ (share of posterior draws below θᵢ, or "
        "Φ((θᵢ − θ̂)/se) for point estimators); a calibrated posterior gives uniform PIT "
        "values. Coverage of the drawn truths is in the Coverage section."),
        figures=(calibration_figures,), table=tables.calibration,
        when=lambda r: len(r.tables["calibration"]) > 0),
    Section("flags", "Sampler warnings", flags_section.reading, how=flags_section.HOW,
            table=flags_section.flags_table, table_note="show the warnings by kind",
            when=lambda r: len(r.tables["flags"]) > 0),
    Section("optimiser", "Optimisers compared", readings.optimiser, how=(
        "Each method fits the same datasets from the same start. Newton's method uses the "
        "curvature (the Hessian) and needs a handful of steps; gradient ascent and Adam "
        "follow the slope with a learning rate and need many more. The reference is the "
        "first method listed; 'agrees' means within "
        f"{AGREE:g} of its standard error. Time per fit is the wall time recorded with "
        "the chunks (provenance.json), which depends on the machine."),
        figures=(_one("optimiser", lambda r: likplots.optimiser_plot(
            r.tables["optimiser"], r.labels, AGREE),
            "Iterations per fit and the largest difference from the reference, per n."),),
        table=tables.optimiser, when=lambda r: len(r.tables["optimiser"]) > 0),
    Section("failures", "Failures", readings.failures, table=tables.failures,
            table_note="show the failures by kind of reason"),
]

