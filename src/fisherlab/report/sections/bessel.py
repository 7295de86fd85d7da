"""Bias correction (Bessel): biased and unbiased estimators side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...diagnostics import bessel as diag
from ..columns import cond_cols, est_col, estimand_col, n_col, sort_rows
from ..figures import COLORS, first_condition, legend_below, lines, n_axis, plt
from ..format import fmt, fmt_pm
from ..html import Col, cite, esc, mark
from ..html import table as html_table
from .section import Section, one

ORDER = 70



def reading(r) -> str:
    t = r.tables["bessel"]
    if t.empty:
        return ("No estimand here has both a classically unbiased estimator and another "
                "one that differs from it, so there is no Bessel comparison.")
    out = []
    found = {}  # estimators with identical biases (mle and mom often coincide): once
    for (estimand, est), g in t[~t["unbiased"]].groupby(["estimand", "estimator"],
                                                      sort=False):
        sig = (estimand, tuple(np.round(g["bias"].to_numpy(), 12)))
        found.setdefault(sig, [[], g])[0].append(est)
    for (estimand, _), (names, g) in found.items():
        g = g.sort_values("n")
        small = g.iloc[0]
        known = bool(g["theory_bias"].notna().all())
        biased = ((g["theory_bias"].abs() > 0).any() if known
                  else (g["bias"].abs() > diag.Z * g["bias_mcse"]).any())
        if not biased:
            continue
        txt = (f"{' and '.join(esc(r.label(e)) for e in names)} of {esc(estimand)}: "
               f"biased (at n = {small.n}: "
               f"{cite('bessel', small.name, 'bias', fmt(small.bias, small.bias_mcse))}")
        if known:
            agree = bool((g["verdict"] == "as theory").all())
            txt += (f", theory {fmt(small.theory_bias, small.bias_mcse)}; "
                    + (f"within {diag.Z} MCSE of theory at every n" if agree
                       else "departs from theory at some n"))
        ratio = g["mse_ratio"].to_numpy()
        lower = int((ratio < 1).sum())
        if lower == len(ratio):
            mse = "yet lower MSE than the unbiased estimator at every n"
        elif lower == 0:
            mse = "and higher MSE than the unbiased estimator at every n"
        else:
            mse = (f"MSE lower than the unbiased estimator's in {lower} of {len(ratio)} "
                   "cells (condition × n)")
        out.append(f"{txt}), {mse} (MSE ratio {fmt(small.mse_ratio, 0.01)} at "
                   f"n = {small.n}).")
    unb = t[t["unbiased"]]
    z = (unb["bias"] / unb["bias_mcse"]).abs()
    out.append(f"The unbiased estimator's bias is within {diag.Z} MCSE of 0 in "
               f"{int((z < diag.Z).sum())} of {len(unb)} cells.")
    return " ".join(out)


def table(r) -> str:
    t = sort_rows(r.tables["bessel"], r, "estimand", "n", "estimator")
    cols = cond_cols(r) + [
        estimand_col(), n_col(), est_col(r),
        Col("bias (MCSE)", lambda x: fmt_pm(x.bias, x.bias_mcse), "bias"),
        Col("theoretical bias", lambda x: fmt(x.theory_bias, x.bias_mcse), "theory_bias"),
        Col("(bias − theory)/MCSE", lambda x: fmt(x.bias_z, 0.1), "bias_z"),
        Col("verdict", lambda x: mark(x.verdict, ("as theory", "")), "verdict"),
        Col("MSE (MCSE)", lambda x: fmt_pm(x.mse, x.mse_mcse), "mse"),
        Col("MSE / MSE unbiased", lambda x: fmt(x.mse_ratio, 0.001), "mse_ratio")]
    return html_table(t, cols, "bessel", group="n")


def bias_plot(bessel: pd.DataFrame, labels: dict[str, str]):
    """Empirical bias (±2 MCSE) against the theoretical bias (dashed), and MSE, per
    estimand, first condition."""
    if bessel.empty:
        return None
    b, label = first_condition(bessel)
    estimands = list(dict.fromkeys(b["estimand"]))
    fig, axes = plt.subplots(2, len(estimands), figsize=(3.8 * len(estimands) + 0.4, 6.0),
                             squeeze=False, layout="constrained")
    for j, estimand in enumerate(estimands):
        s = b[b["estimand"] == estimand]
        for ei, (est, g) in enumerate(s.groupby("estimator")):
            c = COLORS[ei % len(COLORS)]
            lines(axes[0, j], g, "bias", "bias_mcse", c, labels.get(est, est))
            if g["theory_bias"].notna().any():
                g = g.sort_values("n")
                axes[0, j].plot(g["n"], g["theory_bias"], color=c, ls="--", lw=1)
            lines(axes[1, j], g, "mse", "mse_mcse", c, None)
        axes[0, j].axhline(0, color="0.6", lw=0.8)
        axes[0, j].set(title=f"{estimand}: bias (dashed: theory)", xlabel="n")
        axes[1, j].set(yscale="log", title=f"{estimand}: MSE", xlabel="n")
        n_axis(axes[0, j], s["n"])
        n_axis(axes[1, j], s["n"])
    legend_below(fig, axes.flat)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


SECTION = Section("bessel", "Bias correction (Bessel)", reading, how=(
        "Top: bias with ±2 MCSE bars, dashed: the exact theoretical bias. Bottom: MSE. An "
        "unbiased estimator is not necessarily the one closest to the truth on average."),
        figures=(one("bias", lambda r: bias_plot(r.tables["bessel"], r.labels),
                      "Bias (top) and MSE (bottom) against n."),),
        table=table)
