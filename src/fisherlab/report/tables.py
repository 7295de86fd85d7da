"""How each results table is shown on the page: its columns, order and grouping.

One function per table, each ``(results) -> HTML``; the rows keep their CSV row number
and the cells name the column they show (:func:`fisherlab.report.html.table`).
"""

from __future__ import annotations

import pandas as pd

from ..core.labels import column_label, number, param_of
from .format import fmt, fmt_p, fmt_pm
from .html import Col, esc, mark, table, text


def _cond(r) -> list[Col]:
    """One column per condition parameter (none for a one-condition study)."""
    keys = r.params if r.conditions > 1 else []
    return [Col(column_label(k), (lambda row, k=k: esc(number(getattr(row, k)))), k, True)
            for k in keys]


def _est(r) -> Col:
    return Col("estimator", lambda row: esc(r.label(row.estimator)), "estimator", True)


def _estimand() -> Col:
    return Col("estimand", lambda row: esc(row.estimand), "estimand", True)


def _n() -> Col:
    return Col("n", lambda row: str(row.n), "n")


def _sorted(t: pd.DataFrame, r, *cols: str) -> pd.DataFrame:
    keys = [k for k in r.params if k in t.columns and r.conditions > 1]
    return t.sort_values(keys + list(cols), kind="stable")


def summary(r) -> str:
    s = _sorted(r.summary, r, "estimand", "n", "estimator")
    cols = _cond(r) + [
        _estimand(), _n(), _est(r),
        Col("truth", lambda x: "drawn" if pd.isna(x.true_value) else f"{x.true_value:g}"),
        Col("mean", lambda x: fmt(x.mean, x.bias_mcse), "mean"),
        Col("bias (MCSE)", lambda x: fmt_pm(x.bias, x.bias_mcse), "bias"),
        Col("emp. SE", lambda x: fmt(x.empse, x.empse_mcse), "empse"),
        Col("RMSE", lambda x: fmt(x.rmse, x.rmse_mcse), "rmse"),
        Col("model SE", lambda x: fmt(x.modelse, x.modelse_mcse), "modelse"),
        Col("rel. err. model SE %", lambda x: fmt_pm(x.relerr_modelse, x.relerr_modelse_mcse),
            "relerr_modelse"),
        Col("coverage (MCSE)", lambda x: fmt_pm(x.coverage, x.coverage_mcse), "coverage"),
        Col("failed", lambda x: f"{x.n_failed}/{x.n_rep}")]
    return table(s, cols, "summary", group="estimand")


def consistency(r) -> str:
    cols = _cond(r) + [
        _est(r), _estimand(),
        Col("n range", lambda x: f"{x.n_min}–{x.n_max}"),
        Col("slope (SE)", lambda x: fmt_pm(x.slope, x.slope_se), "slope"),
        Col("theory", lambda x: f"{x.theory_slope:g}", "theory_slope"),
        Col("bias at largest n (MCSE)", lambda x: fmt_pm(x.bias_n_max, x.bias_mcse_n_max),
            "bias_n_max"),
        Col("verdict", lambda x: mark(x.verdict, "as theory"), "verdict")]
    return table(r.tables["consistency"], cols, "consistency")


def bessel(r) -> str:
    t = _sorted(r.tables["bessel"], r, "estimand", "n", "estimator")
    cols = _cond(r) + [
        _estimand(), _n(), _est(r),
        Col("bias (MCSE)", lambda x: fmt_pm(x.bias, x.bias_mcse), "bias"),
        Col("theoretical bias", lambda x: fmt(x.theory_bias, x.bias_mcse), "theory_bias"),
        Col("(bias − theory)/MCSE", lambda x: fmt(x.bias_z, 0.1), "bias_z"),
        Col("verdict", lambda x: mark(x.verdict, ("as theory", "")), "verdict"),
        Col("MSE (MCSE)", lambda x: fmt_pm(x.mse, x.mse_mcse), "mse"),
        Col("MSE / MSE unbiased", lambda x: fmt(x.mse_ratio, 0.001), "mse_ratio")]
    return table(t, cols, "bessel", group="n")


def efficiency(r) -> str:
    from ..diagnostics.efficiency import with_bound

    t = _sorted(with_bound(r.tables["efficiency"]), r, "estimand", "estimator", "n")
    cols = _cond(r) + [
        _estimand(), _est(r), _n(),
        Col("CRLB", lambda x: f"{x.crlb:.4g}", "crlb"),
        Col("Var / CRLB (MCSE)", lambda x: fmt_pm(x.var_ratio, x.var_ratio_mcse), "var_ratio"),
        Col("MSE / CRLB (MCSE)", lambda x: fmt_pm(x.mse_ratio, x.mse_ratio_mcse), "mse_ratio"),
        Col("verdict", lambda x: mark(x.verdict, "at the bound"), "verdict")]
    return table(t, cols, "efficiency", group="estimator")


def normality(r) -> str:
    t = _sorted(r.tables["normality"], r, "estimator", "estimand", "standardisation", "n")
    cols = _cond(r) + [
        _est(r), _estimand(),
        Col("z from", lambda x: text(x.standardisation), "standardisation", True), _n(),
        Col("S", lambda x: str(x.S), "S"),
        Col("mean", lambda x: fmt(x.mean, 0.001), "mean"),
        Col("sd", lambda x: fmt(x.sd, 0.001), "sd"),
        Col("skew", lambda x: fmt(x.skew, 0.01), "skew"),
        Col("excess kurtosis", lambda x: fmt(x.ex_kurtosis, 0.01), "ex_kurtosis"),
        Col("test", lambda x: text(x.test), "test"),
        Col("p-value", lambda x: fmt_p(x.pvalue), "pvalue"),
        Col("verdict", lambda x: mark(x.verdict, "normal"), "verdict")]
    return table(t, cols, "normality", group="standardisation")


def coverage(r) -> str:
    t = _sorted(r.tables["coverage"], r, "estimand", "estimator", "n")
    cols = _cond(r) + [
        _estimand(), _est(r), _n(),
        Col("interval", lambda x: "exact" if x.exact else "asymptotic", "exact", True),
        Col("coverage (MCSE)", lambda x: fmt_pm(x.coverage, x.coverage_mcse), "coverage"),
        Col("band (±2 MCSE)", lambda x: f"{x.band_low:.3f}–{x.band_high:.3f}"),
        Col("p-value", lambda x: fmt_p(x.pvalue), "pvalue"),
        Col("verdict", lambda x: mark(x.verdict, "nominal"), "verdict"),
        Col("bias-elim. coverage", lambda x: fmt_pm(x.becoverage, x.becoverage_mcse),
            "becoverage"),
        Col("mean width (MCSE)", lambda x: fmt_pm(x.width, x.width_mcse), "width")]
    return table(t, cols, "coverage", group="estimator")


def calibration(r) -> str:
    t = _sorted(r.tables["calibration"], r, "estimand", "estimator", "n")
    cols = _cond(r) + [
        _estimand(), _est(r), _n(),
        Col("replicates", lambda x: str(x.replicates), "replicates"),
        Col("PIT from", lambda x: text(x.pit_from), "pit_from", True),
        Col("KS", lambda x: f"{x.ks:.3f}", "ks"),
        Col("p-value", lambda x: fmt_p(x.pvalue), "pvalue"),
        Col("verdict", lambda x: mark(x.verdict, "calibrated"), "verdict")]
    return table(t, cols, "calibration", group="estimand")


def failures(r) -> str:
    def value_range(x):
        if pd.isna(x.low):
            return ""
        return f"{x.low:.4g}" if x.low == x.high else f"{x.low:.4g} to {x.high:.4g}"

    cols = _cond(r) + [
        _n(), _est(r), Col("kind of reason", lambda x: text(x.kind), "kind", True),
        Col("failed", lambda x: f"{x.failed}/{x.of}", "failed"),
        Col("rate", lambda x: f"{x.rate:.1%}", "rate"),
        Col("values", value_range),
        Col("e.g.", lambda x: text(x.example), "example", True),
        Col("estimands", lambda x: text(x.estimands), "estimands", True)]
    return table(r.tables["failures"], cols, "failures")


# --------------------------------------------------------------------------- the likelihood
def likelihood(r) -> str:
    """One row per explorer curve: its marks (the first grid row of each curve)."""
    t = r.tables["likelihood"]
    if t.empty:
        return ""
    first = t.groupby(["parameter", "n", "replicate"], sort=False).head(1)
    cols = [Col("parameter", lambda x: esc(x.parameter), "parameter", True), _n(),
            Col("replicate", lambda x: str(x.replicate), "replicate"),
            Col("truth", lambda x: fmt(x.truth), "truth"),
            Col("MLE", lambda x: fmt(x.mle), "mle"),
            Col("observed information at the MLE", lambda x: fmt(x.mle_information),
                "mle_information"),
            Col("Wald low", lambda x: fmt(x.wald_low), "wald_low"),
            Col("Wald high", lambda x: fmt(x.wald_high), "wald_high"),
            Col("LR low", lambda x: fmt(x.lr_low), "lr_low"),
            Col("LR high", lambda x: fmt(x.lr_high), "lr_high"),
            Col("MAP", lambda x: fmt(x.map), "map")]
    return table(first, cols, "likelihood", group="parameter")


def score(r) -> str:
    t = _sorted(r.tables["score"], r, "parameter", "n")
    cols = _cond(r) + [
        Col("parameter", lambda x: esc(x.parameter), "parameter", True), _n(),
        Col("S", lambda x: str(x.S), "S"),
        Col("mean score (MCSE)", lambda x: fmt_pm(x.mean_score, x.mean_score_mcse),
            "mean_score"),
        Col("mean = 0?", lambda x: mark(x.mean_verdict, "zero"), "mean_verdict"),
        Col("Var(score)", lambda x: fmt(x.var_score), "var_score"),
        Col("n·I(θ)", lambda x: fmt(x.n_info), "n_info"),
        Col("Var / (n I) (MCSE)", lambda x: fmt_pm(x.var_ratio, x.var_ratio_mcse),
            "var_ratio"),
        Col("Var = n·I?", lambda x: mark(x.var_verdict, "n·I(θ)"), "var_verdict"),
        Col("score", lambda x: text(x.score_source), "score_source", True)]
    return table(t, cols, "score", group="parameter")


def information(r) -> str:
    t = r.tables["information"]
    if "information" not in t or t["information"].isna().all():
        return ""
    t = t[t["information"].notna()]
    cols = _cond(r) + [
        Col("parameter", lambda x: esc(x.parameter), "parameter", True),
        Col("with", lambda x: esc(x.parameter2), "parameter2", True),
        Col("I (one observation)", lambda x: fmt(x.information), "information"),
        Col("source", lambda x: text(x.source), "source", True),
        Col("Monte Carlo check", lambda x: fmt(x.check, x.check_se), "check"),
        Col("(I − check)/SE", lambda x: fmt(x.check_z, 0.1), "check_z"),
        Col("verdict", lambda x: mark(x.verdict, "agrees"), "verdict")]
    return table(t, cols, "information")


def intervals(r) -> str:
    t = _sorted(r.tables["intervals"], r, "estimand", "n", "estimator")
    cols = _cond(r) + [
        _estimand(), _n(), _est(r), Col("interval", lambda x: text(x.kind), "kind", True),
        Col("coverage (MCSE)", lambda x: fmt_pm(x.coverage, x.coverage_mcse), "coverage"),
        Col("in nominal band", lambda x: "yes" if x.in_band else "no"),
        Col("missing below", lambda x: f"{x.miss_below:.3f}", "miss_below"),
        Col("missing above", lambda x: f"{x.miss_above:.3f}", "miss_above"),
        Col("mean width (MCSE)", lambda x: fmt_pm(x.width, x.width_mcse), "width")]
    return table(t, cols, "intervals", group="n")


def optimiser(r) -> str:
    t = _sorted(r.tables["optimiser"], r, "n")
    secs = timings(r)
    cols = _cond(r) + [
        _n(), _est(r),
        Col("converged", lambda x: f"{x.converged}/{x.fits}", "converged"),
        Col("iterations mean", lambda x: fmt(x.iterations_mean), "iterations_mean"),
        Col("median", lambda x: fmt(x.iterations_median), "iterations_median"),
        Col("max", lambda x: str(x.iterations_max), "iterations_max"),
        Col("ℓ evals", lambda x: fmt(x.fevals_mean), "fevals_mean"),
        Col("gradient evals", lambda x: fmt(x.gevals_mean), "gevals_mean"),
        Col("Hessian evals", lambda x: fmt(x.hevals_mean), "hevals_mean"),
        Col("ms per fit (provenance)", lambda x: _timing(secs, x, r)),
        Col("reference", lambda x: "yes" if x.reference else ""),
        Col("largest |Δ| / SE vs reference", lambda x: fmt(x.max_diff_se), "max_diff_se"),
        Col("verdict", lambda x: mark(x.verdict, ("agrees", "")), "verdict")]
    return table(t, cols, "optimiser", group="n")


def timings(r) -> dict:
    """(estimator, condition values, n) -> seconds per fit, as provenance.json's
    ``timings`` records them (the chunk files' wall times)."""
    return {(t["estimator"], _key(t.get("params") or {}), int(t["n"])): t["seconds_per_fit"]
            for t in r.provenance.get("timings", [])}


def _key(params: dict) -> tuple:
    return tuple(sorted((k, float(v)) for k, v in params.items()
                        if isinstance(v, int | float)))


def _timing(secs: dict, row, r) -> str:
    params = {param_of(k): getattr(row, k) for k in r.params if k.startswith("true_")}
    return _ms(secs.get((row.estimator, _key(params), int(row.n))))


def _ms(seconds) -> str:
    return "–" if seconds is None else f"{1000 * seconds:.3g}"
