"""``report.html``: one self-contained page per study.

The page holds the study's definition, the summary table and a section per diagnostic
(a one-line reading, its figures embedded as base64 PNG data URIs, its table), so it
opens straight from disk and can be mailed as one file. Numbers are rounded to what
their Monte Carlo standard errors support (:mod:`fisherlab.report.format`).
"""

from __future__ import annotations

import base64
import html
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .. import io
from ..diagnostics import TABLES
from ..diagnostics.consistency import theoretical_slope
from ..diagnostics.normality import normal_from
from ..families import get_family
from ..measures import condition_columns, prior_columns
from ..study import Study
from . import plots, readings, sbc
from .format import fmt, fmt_pm

#: section id -> heading, in page order
SECTIONS = {
    "definition": "The study",
    "summary": "Performance summary",
    "consistency": "Consistency",
    "bessel": "Bias correction (Bessel)",
    "efficiency": "Efficiency (Cramér–Rao)",
    "normality": "Asymptotic normality",
    "coverage": "Coverage",
    "calibration": "Calibration (SBC)",
    "failures": "Failures",
}

CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;max-width:1180px;
margin:0 auto;padding:1.2em 2em 4em}
h1{margin:.2em 0 .1em;font-size:1.8em}h2{margin-top:2em;border-bottom:2px solid #e4e4e4;
padding-bottom:.2em}h3{font-size:1.02em;margin:1.4em 0 .4em}
.lede{color:#555;margin:0 0 1em}.reading{background:#f3f7fc;border-left:4px solid #3b78c2;
padding:.55em .9em;margin:.6em 0 1em}.verdict{background:#f6f6f2;border:1px solid #e2e2d6;
padding:.6em .9em;border-radius:6px}nav{display:flex;flex-wrap:wrap;gap:.2em 1.2em}
table{border-collapse:collapse;font-size:13px;margin:.4em 0 1em;font-variant-numeric:tabular-nums}
th,td{padding:3px 9px;border-bottom:1px solid #e6e6e6;text-align:right}
th{background:#fafafa;position:sticky;top:0}td.l,th.l{text-align:left}
tr.sep td{border-top:2px solid #ccc}.bad{color:#b3261e;font-weight:600}.ok{color:#1d7a3a}
figure{margin:.8em 0 1.2em}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:13px}details{margin:.4em 0}summary{cursor:pointer;color:#3b78c2}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1.2em}
dt{font-weight:600}dd{margin:0}
.how{color:#555;font-size:13.5px}
"""


# --------------------------------------------------------------------------- pieces
def esc(x) -> str:
    return html.escape(str(x))


def table(df: pd.DataFrame, cols: list[tuple[str, Callable[[object], str]]],
          left: int = 0, group: str | None = None) -> str:
    """An HTML table: ``cols`` are (header, row -> text); the first ``left`` columns are
    left-aligned; a rule separates rows where column ``group`` changes."""
    if df.empty:
        return "<p><em>Nothing to show.</em></p>"
    head = "".join(f'<th class="{"l" if i < left else ""}">{esc(h)}</th>'
                   for i, (h, _) in enumerate(cols))
    body, prev = [], None
    for r in df.itertuples(index=False):
        sep = group is not None and prev is not None and getattr(r, group) != prev
        prev = getattr(r, group) if group else None
        cells = "".join(f'<td class="{"l" if i < left else ""}">{fn(r)}</td>'
                        for i, (_, fn) in enumerate(cols))
        body.append(f'<tr class="{"sep" if sep else ""}">{cells}</tr>')
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def figure(png: bytes | None, caption: str, alt: str) -> str:
    if png is None:
        return ""
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def short(col: str) -> str:
    """``true_sigma`` -> ``sigma``; ``prior_sigma`` -> ``sigma (prior)``."""
    if col.startswith("prior_"):
        return col[len("prior_"):] + " (prior)"
    return col.removeprefix("true_")


def value(v) -> str:
    return f"{v:g}" if isinstance(v, int | float) else str(v)


def cond_label(r, params: list[str]) -> str:
    """``params`` are the condition columns (``true_<p>``, ``prior_<p>``)."""
    return ", ".join(f"{short(p)} = {value(getattr(r, p))}" for p in params)


def mark(verdict: str, good: str) -> str:
    cls = "ok" if verdict == good else "bad"
    return f'<span class="{cls}">{esc(verdict)}</span>'


def _cond_col(params):
    return [("condition", lambda r: esc(cond_label(r, params)))] if params else []


# --------------------------------------------------------------------------- sections
def definition(study: Study, family) -> str:
    grid = "; ".join(f"{k} ∈ {{{', '.join(f'{v:g}' for v in vs)}}}"
                     for k, vs in study.params.items())
    est = ", ".join(e.name + (f" {json.dumps(e.options)}" if e.options else "")
                    for e in study.estimators)
    rate = ("n^−1/2 (regular)" if family.regular else
            "n^−1 for estimators built on the extremes (non-regular); n^−1/2 for moments")
    info = "yes" if family.has_information() else "no (no Cramér–Rao bound)"
    items = [("family", f"{study.family} — {family.doc}"), ("true values", grid),
             ("sample sizes n", ", ".join(map(str, study.sample_sizes))),
             ("replications", f"{study.replications} per condition (seed {study.seed})"),
             ("estimators", est), ("estimands", ", ".join(study.estimands)),
             ("intervals", f"{study.level:.0%}"), ("theoretical RMSE rate", rate),
             ("Fisher information", info)]
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items) + "</dl>"


def summary_section(summary: pd.DataFrame, params: list[str]) -> str:
    s = summary.sort_values(list(params) + ["estimand", "n", "estimator"])
    cols = _cond_col(params) + [
        ("estimand", lambda r: esc(r.estimand)), ("n", lambda r: str(r.n)),
        ("estimator", lambda r: esc(r.estimator)),
        ("truth", lambda r: f"{r.true_value:g}"),
        ("mean", lambda r: fmt(r.mean, r.bias_mcse)),
        ("bias (MCSE)", lambda r: fmt_pm(r.bias, r.bias_mcse)),
        ("emp. SE", lambda r: fmt(r.empse, r.empse_mcse)),
        ("RMSE", lambda r: fmt(r.rmse, r.rmse_mcse)),
        ("model SE", lambda r: fmt(r.modelse, r.modelse_mcse)),
        ("rel. err. model SE %", lambda r: fmt_pm(r.relerr_modelse, r.relerr_modelse_mcse)),
        ("coverage (MCSE)", lambda r: fmt_pm(r.coverage, r.coverage_mcse)),
        ("failed", lambda r: f"{r.n_failed}/{r.n_rep}")]
    return ("<p class='how'>Measures of Morris, White &amp; Crowther (2019); the number in "
            "brackets is the Monte Carlo standard error (MCSE), and every value is rounded "
            "to what its MCSE supports. Also in <code>summary.csv</code>.</p><details><summary>"
            f"show the table ({len(s)} rows)</summary>"
            + table(s, cols, left=len(params) + 3, group="estimand") + "</details>")


def consistency_table(t: pd.DataFrame, params) -> str:
    cols = _cond_col(params) + [
        ("estimator", lambda r: esc(r.estimator)), ("estimand", lambda r: esc(r.estimand)),
        ("n range", lambda r: f"{r.n_min}–{r.n_max}"),
        ("slope (SE)", lambda r: fmt_pm(r.slope, r.slope_se)),
        ("theory", lambda r: f"{r.theory_slope:g}"),
        ("bias at largest n (MCSE)", lambda r: fmt_pm(r.bias_n_max, r.bias_mcse_n_max)),
        ("verdict", lambda r: mark(r.verdict, "as theory"))]
    return table(t, cols, left=len(params) + 2)


def bessel_table(t: pd.DataFrame, params) -> str:
    t = t.sort_values(list(params) + ["estimand", "n", "estimator"])
    cols = _cond_col(params) + [
        ("estimand", lambda r: esc(r.estimand)), ("n", lambda r: str(r.n)),
        ("estimator", lambda r: esc(r.estimator)),
        ("bias (MCSE)", lambda r: fmt_pm(r.bias, r.bias_mcse)),
        ("theoretical bias", lambda r: fmt(r.theory_bias, r.bias_mcse)),
        ("(bias − theory)/MCSE", lambda r: fmt(r.bias_z, 0.1)),
        ("MSE (MCSE)", lambda r: fmt_pm(r.mse, r.mse_mcse)),
        ("MSE / MSE unbiased", lambda r: fmt(r.mse_ratio, 0.001))]
    return table(t, cols, left=len(params) + 1, group="n")


def efficiency_table(t: pd.DataFrame, params) -> str:
    t = t.sort_values(list(params) + ["estimand", "estimator", "n"])
    cols = _cond_col(params) + [
        ("estimand", lambda r: esc(r.estimand)), ("estimator", lambda r: esc(r.estimator)),
        ("n", lambda r: str(r.n)), ("CRLB", lambda r: f"{r.crlb:.4g}"),
        ("Var / CRLB (MCSE)", lambda r: fmt_pm(r.var_ratio, r.var_ratio_mcse)),
        ("MSE / CRLB (MCSE)", lambda r: fmt_pm(r.mse_ratio, r.mse_ratio_mcse))]
    return table(t, cols, left=len(params) + 2, group="estimator")


def normality_table(t: pd.DataFrame, params) -> str:
    """Verdicts as a grid: one row per condition × estimator × estimand × standardisation,
    one column per n, each cell the KS p-value coloured by its verdict."""
    keys = list(params) + ["estimator", "estimand", "standardisation"]
    sizes = sorted(t["n"].unique())
    rows = []
    for key, g in t.groupby(keys, sort=True):
        cells = {int(r.n): r for r in g.itertuples()}
        rows.append((key, cells))
    head = "".join(f'<th class="l">{esc(short(k))}</th>' for k in keys)
    head += "".join(f"<th>n = {n}</th>" for n in sizes)
    body = []
    for key, cells in rows:
        tds = "".join(f'<td class="l">{esc(value(k))}</td>' for k in key)
        for n in sizes:
            r = cells.get(n)
            if r is None:
                tds += "<td>–</td>"
                continue
            cls = "ok" if r.verdict == "normal" else "bad"
            tip = (f"{r.test} test; mean {r.mean:.3f}, sd {r.sd:.3f}, skew {r.skew:.2f}, "
                   f"excess kurtosis {r.ex_kurtosis:.2f}")
            sign = "✓" if r.verdict == "normal" else "✗"
            tds += (f'<td title="{esc(tip)}"><span class="{cls}">{sign}</span> '
                    f"<small>p={r.pvalue:.2g}{'*' if r.test == 'K2' else ''} "
                    f"sd {r.sd:.2f} skew {r.skew:.2f}</small></td>")
        body.append(f"<tr>{tds}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def coverage_table(t: pd.DataFrame, params) -> str:
    t = t.sort_values(list(params) + ["estimand", "estimator", "n"])
    cols = _cond_col(params) + [
        ("estimand", lambda r: esc(r.estimand)), ("estimator", lambda r: esc(r.estimator)),
        ("n", lambda r: str(r.n)),
        ("coverage (MCSE)", lambda r: fmt_pm(r.coverage, r.coverage_mcse)),
        ("band (±2 MCSE)", lambda r: f"{r.band_low:.3f}–{r.band_high:.3f}"),
        ("verdict", lambda r: mark(r.verdict, "nominal")),
        ("bias-elim. coverage", lambda r: fmt_pm(r.becoverage, r.becoverage_mcse)),
        ("mean width (MCSE)", lambda r: fmt_pm(r.width, r.width_mcse))]
    return table(t, cols, left=len(params) + 2, group="estimator")


def failures_table(t: pd.DataFrame, params) -> str:
    cols = _cond_col(params) + [
        ("n", lambda r: str(r.n)), ("estimator", lambda r: esc(r.estimator)),
        ("reason", lambda r: esc(r.reason)), ("failed", lambda r: f"{r.failed}/{r.of}"),
        ("rate", lambda r: f"{r.rate:.1%}"), ("estimands", lambda r: esc(r.estimands))]
    return table(t, cols, left=len(params) + 3)


# --------------------------------------------------------------------------- figures
def make_figures(df: pd.DataFrame, summary: pd.DataFrame, tables: dict, family,
                 outdir: Path | None = None) -> dict[str, bytes]:
    """Every figure of the page as PNG bytes (also written to ``outdir`` when given)."""
    import io as _io

    makers = {
        "rmse": lambda: plots.rmse_plot(summary, {
            e: theoretical_slope(family, e) for e in summary["estimator"].unique()}),
        "bias": lambda: plots.bias_plot(tables["bessel"]),
        "efficiency": lambda: plots.efficiency_plot(tables["efficiency"]),
        "dist": lambda: plots.dist_plot(df),
        "coverage": lambda: plots.coverage_plot(tables["coverage"]),
        "zip": lambda: plots.zip_plot(df),
        "forest": lambda: plots.forest_plot(df),
        "sbc": lambda: sbc.pit_ecdf_plot(df),  # None unless truths were drawn from a prior
    }
    for estimand in dict.fromkeys(df["estimand"]):
        makers[f"ecdf_pit_{estimand}"] = (lambda e=estimand: plots.ecdf_pit_plot(df, e))
    out = {}
    if outdir is not None:
        Path(outdir).mkdir(parents=True, exist_ok=True)
    for name, make in makers.items():
        try:
            fig = make()
        except Exception as exc:  # a figure that cannot be drawn must not sink the report
            print(f"fisherlab html: figure {name!r} skipped: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
            continue
        if fig is None:
            continue
        buf = _io.BytesIO()
        plots.save(fig, buf)
        out[name] = buf.getvalue()
        if outdir is not None:
            (Path(outdir) / f"{name}.png").write_bytes(out[name])
    return out


# --------------------------------------------------------------------------- the page
def render(study: Study, df: pd.DataFrame, summary: pd.DataFrame, tables: dict,
           figs: dict[str, bytes]) -> tuple[str, str]:
    """The page's HTML and the study's one-line verdict (for the index)."""
    family = get_family(study.family)
    params = condition_columns(df)
    nf = normal_from(tables["normality"])
    total = readings.count_fits(df)
    verdict = readings.verdict(tables, nf, total)
    first = plots.first_condition(df)[1]
    shown = f" Figures show the first condition ({first})." if len(
        df[list(params)].drop_duplicates()) > 1 else ""

    def fig(name, caption):
        return figure(figs.get(name), caption, name)

    sec = {}
    sec["definition"] = definition(study, family)
    sec["summary"] = summary_section(summary, params)
    ctab = consistency_table(tables["consistency"], params)
    if len(tables["consistency"]) > 12:
        ctab = f"<details><summary>show the table</summary>{ctab}</details>"
    sec["consistency"] = (
        _reading(readings.consistency(tables["consistency"]))
        + "<p class='how'>RMSE against n on log-log axes: a consistent estimator's line "
          "falls; its slope is the rate. The grey line has the theoretical slope; error "
          "bars are ±2 MCSE. The table fits log RMSE = a + b log n (weighted by MCSE) over the "
          "larger half of the sample sizes, since the rate is a large-n property.</p>"
        + fig("rmse", "RMSE against n (log-log), grey: theoretical slope.")
        + ctab)
    sec["bessel"] = (
        _reading(readings.bessel(tables["bessel"]))
        + ("<p class='how'>Top: bias with ±2 MCSE bars, dashed: the exact theoretical bias. "
           "Bottom: MSE. An unbiased estimator is not necessarily the one closest to the "
           "truth on average.</p>" + fig("bias", "Bias (top) and MSE (bottom) against n.")
           + f"<details><summary>show the table</summary>"
           f"{bessel_table(tables['bessel'], params)}</details>"
           if len(tables["bessel"]) else ""))
    sec["efficiency"] = (
        _reading(readings.efficiency(tables["efficiency"]))
        + ("<p class='how'>n·Var(θ̂)·I(θ) = Var(θ̂) / CRLB. An unbiased estimator cannot go "
           "below 1; the MLE of a regular family approaches 1 as n grows.</p>"
           + fig("efficiency", "Variance over the Cramér–Rao bound, ±2 MCSE.")
           + f"<details><summary>show the table</summary>"
           f"{efficiency_table(tables['efficiency'], params)}</details>"
           if len(tables["efficiency"]) else ""))
    ecdfs = "".join(fig(k, f"ECDF of PIT of z for {k.removeprefix('ecdf_pit_')}: flat "
                        "and unmarked means z ~ N(0, 1).")
                    for k in figs if k.startswith("ecdf_pit_"))
    sec["normality"] = (
        _reading(readings.normality(tables["normality"], nf))
        + "<p class='how'>For each n the standardised estimates z = (θ̂ − θ)/se (and, where "
          "the family has Fisher information, (θ̂ − θ)·√(n I(θ))) are tested against "
          "N(0, 1) with the Kolmogorov–Smirnov test (scipy; 'normal' when p ≥ 0.01). "
          "With many replications even small departures are detected. The ECDF plots show "
          "Φ(z): a flat line inside the test's bounds is what a normal z gives.</p>"
        + fig("dist", "Sampling distributions of each estimator (colour) per n." + shown)
        + ecdfs + "<details><summary>show the table (✓ normal, ✗ not; p-value of KS, or "
          "of D'Agostino's K² where marked * for lattice-valued estimates)</summary>"
        + normality_table(tables["normality"], params) + "</details>")
    sec["coverage"] = (
        _reading(readings.coverage(tables["coverage"]))
        + "<p class='how'>Coverage against n with ±2 MCSE bars; the grey band is nominal ± 2 "
          "binomial MCSEs. The verdict is the exact binomial test at 1%. Bias-eliminated "
          "coverage uses the mean estimate as truth: if it is nominal while coverage is not, "
          "bias is the cause. The zip plot ranks the intervals of the smallest n: red ones "
          "miss; their share should be about 1 − level, with the line bending near the top."
          "</p>"
        + fig("coverage", "Coverage against nominal with MCSE bands.")
        + fig("zip", "Zip plot of intervals at the smallest n." + shown)
        + fig("forest", "Estimation error θ̂ − θ by estimator and n (ArviZ forest).")
        + f"<details><summary>show the table</summary>"
          f"{coverage_table(tables['coverage'], params)}</details>")
    if prior_columns(df):
        sec["calibration"] = calibration_section(df, fig)
    sec["failures"] = (_reading(readings.failures(tables["failures"], total))
                       + (failures_table(tables["failures"], params)
                          if len(tables["failures"]) else ""))
    shown_sections = [k for k in SECTIONS if k in sec]
    nav = "".join(f'<a href="#{k}">{esc(SECTIONS[k])}</a>' for k in shown_sections)
    body = "".join(f'<section id="{k}"><h2>{esc(SECTIONS[k])}</h2>{sec[k]}</section>'
                   for k in shown_sections)
    page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>{esc(study.name)} · fisherlab</title><style>{CSS}</style></head><body>"
            f"<p><a href='../index.html'>← all studies</a></p>"
            f"<h1>{esc(study.name)}</h1><p class='lede'>{esc(study.description)}</p>"
            f"<p class='verdict'><b>Verdict:</b> {esc(verdict)}</p><nav>{nav}</nav>"
            f"{body}</body></html>")
    return page, verdict


def calibration_section(df: pd.DataFrame, fig) -> str:
    """Simulation-based calibration, for studies whose truths were drawn from a prior."""
    uni = sbc.uniformity(df)
    bad = uni[uni["ks_pvalue"] < 0.01]
    reading = ("Every estimator's PIT values look uniform (KS p ≥ 0.01): its intervals are "
               "calibrated for truths drawn from the prior." if bad.empty else
               "Not calibrated (KS p < 0.01): " + "; ".join(
                   f"{r.estimator} of {r.estimand} at n = {r.n}" for r in bad.itertuples())
               + ".")
    how = ("<p class='how'>Each replicate drew its own truth θᵢ from the prior before its "
           "data. PIT = the estimator's posterior CDF at θᵢ (share of posterior draws below "
           "θᵢ, or Φ((θᵢ − θ̂)/se) for point estimators); a calibrated posterior gives "
           "uniform PIT values, so their ECDF stays inside the band (ArviZ plot_ecdf_pit). "
           "Coverage of the drawn truths is in the Coverage section.</p>")
    tab = table(uni, [("estimand", lambda r: esc(r.estimand)),
                      ("estimator", lambda r: esc(r.estimator)), ("n", lambda r: r.n),
                      ("replicates", lambda r: r.replicates),
                      ("PIT from", lambda r: esc(r.pit_from)),
                      ("KS", lambda r: f"{r.ks:.3f}"),
                      ("p-value", lambda r: f"{r.ks_pvalue:.3g}")], left=2, group="estimand")
    return (_reading(reading) + how
            + fig("sbc", "ECDF of PIT minus the uniform CDF, per estimator and n.") + tab)


def _reading(text: str) -> str:
    return f"<p class='reading'>{esc(text)}</p>"


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(Path(folder) / f"{name}.csv") for name in TABLES}


def write_report(study: Study, folder: Path, out: Path, figures_dir: Path | None = None,
                 verdict_file: Path | None = None) -> str:
    """Read a study's results folder, render its page, write it; return the verdict."""
    folder = Path(folder)
    df = pd.read_parquet(folder / "estimates.parquet")
    summary = pd.read_csv(folder / "summary.csv")
    tables = read_tables(folder)
    figs = make_figures(df, summary, tables, get_family(study.family), figures_dir)
    page, verdict = render(study, df, summary, tables, figs)
    io.write_text(out, page)
    if verdict_file is not None:
        io.write_text(verdict_file, json.dumps(
            {"study": study.name, "description": study.description, "family": study.family,
             "verdict": verdict, "report": f"{study.name}/report.html"}, indent=1))
    return verdict
