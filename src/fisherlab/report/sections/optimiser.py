"""Optimisers compared."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...core.labels import param_of
from ...verdicts import optimiser as rule
from ..columns import cond_cols, est_col, n_col, sort_rows
from ..figures import COLORS, first_condition, grid, legend_below
from ..format import fmt
from ..html import Col, cite, esc
from ..html import table as html_table
from ..prose import names
from .section import Section, one

ORDER = 140



def reading(r) -> str:
    t = r.tables["optimiser"]
    nmax = t["n"].max()
    last = t[t["n"] == nmax]
    ref = last[last["reference"].astype(bool)]
    parts = [f"At n = {nmax} (share of fits converged, mean iterations per fit): " + "; ".join(
        f"{esc(r.label(row.estimator))} "
        f"{cite('optimiser', i, 'converged_share', f'{row.converged_share:.0%}')}, "
        f"{cite('optimiser', i, 'iterations_mean', fmt(row.iterations_mean))}"
        for i, row in last.iterrows()) + "."]
    if len(ref):
        words = r.words("optimiser", t, estimand="")
        cells = r.tally("optimiser", t.loc[list(words)], "agrees", "method × n cells",
                        estimand="")
        parts.append(f"Where they converged, against the reference "
                     f"({esc(r.label(ref['estimator'].iloc[0]))}): {cells}.")
        off = [i for i, w in words.items() if w == "differs"]
        if off:
            parts.append("They differ: " + names(
                f"{esc(r.label(t.loc[i, 'estimator']))} at n = {t.loc[i, 'n']} ("
                f"{cite('optimiser', i, 'max_diff_se', fmt(t.loc[i, 'max_diff_se']))} SE, "
                f"{r.verdict('optimiser', t.loc[i], estimand='')})" for i in off) + ".")
    never = last[last["converged_share"] == 0]
    if len(never):
        parts.append("Never converged within the iteration limit at this n: " + names(
            esc(r.label(e)) for e in never["estimator"]) + " (a learning rate that suits "
            "the steepest direction of the log-likelihood crawls along the flattest).")
    return " ".join(parts)


def table(r) -> str:
    t = sort_rows(r.tables["optimiser"], r, "n")
    secs = timings(r)
    cols = cond_cols(r) + [
        n_col(), est_col(r),
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
        Col("verdict", lambda x: r.verdict("optimiser", x, estimand=""), left=True)]
    return html_table(t, cols, "optimiser", group="n")


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


def optimiser_plot(t: pd.DataFrame, labels: dict[str, str], agree: float):
    """Per n (grouped bars, one per method): mean iterations per fit (log scale) with the
    share converged written on each bar; and the largest difference from the reference
    MLE in its standard errors (log scale) with the agreement threshold."""
    t, label = first_condition(t)
    if t.empty:
        return None
    ests = list(dict.fromkeys(t["estimator"]))
    ns = np.sort(t["n"].unique())
    fig, axes = grid(2, height=3.4, rows=2)
    width = 0.8 / len(ests)
    for i, est in enumerate(ests):
        g = t[t["estimator"] == est].set_index("n").reindex(ns)
        x = np.arange(len(ns)) + (i - (len(ests) - 1) / 2) * width
        c = COLORS[i % len(COLORS)]
        bars = axes[0].bar(x, g["iterations_mean"], width, color=c, label=labels.get(est, est))
        for b, share in zip(bars, g["converged_share"], strict=True):
            axes[0].annotate(f"{share:.0%}", (b.get_x() + b.get_width() / 2, b.get_height()),
                             ha="center", va="bottom", fontsize=7, rotation=90,
                             xytext=(0, 2), textcoords="offset points")
        d = g["max_diff_se"].to_numpy(float)
        axes[1].scatter(x, np.where(d > 0, d, np.nan), color=c, marker="D", s=18)
    axes[0].set(yscale="log", ylabel="iterations per fit (mean)",
                title="iterations; label: share of fits converged")
    axes[0].margins(y=0.25)
    axes[1].axhline(agree, color="0.3", ls="--", lw=1, label=f"agreement: {agree:g} SE")
    axes[1].set(yscale="log", ylabel="|θ̂ − θ̂_ref| / SE (largest)",
                title="largest difference from the reference MLE")
    for ax in axes:
        ax.set_xticks(np.arange(len(ns)), [f"n = {v}" for v in ns])
        ax.set_xlim(-0.5, len(ns) - 0.5)
    legend_below(fig, axes, ncol=4)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


SECTION = Section("optimiser", "Optimisers compared", reading, how=(
        "Each method fits the same datasets from the same start. Newton's method uses the "
        "curvature (the Hessian) and needs a handful of steps; gradient ascent and Adam "
        "follow the slope with a learning rate and need many more. The reference is the "
        "first method listed; it <b>agrees</b> within "
        f"{rule.AGREE:g} of its standard error. Time per fit is the wall time recorded with "
        "the chunks (provenance.json), which depends on the machine."),
        figures=(one("optimiser", lambda r: optimiser_plot(
            r.tables["optimiser"], r.labels, rule.AGREE),
            "Iterations per fit and the largest difference from the reference, per n."),),
        table=table, when=lambda r: len(r.tables["optimiser"]) > 0)
