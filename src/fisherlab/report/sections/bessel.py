"""Bias correction (Bessel): biased and unbiased estimators side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...verdicts import bias as rule
from ..columns import cond_cols, est_col, estimand_col, n_col, sort_rows
from ..figures import COLORS, first_condition, legend_below, lines, n_axis, panels
from ..format import fmt, fmt_pm
from ..html import Col, cite, esc
from ..html import table as html_table
from .section import Section, one

ORDER = 70
#: the question of the MSE comparison's verdicts (:mod:`fisherlab.verdicts.mse`)
MSE = "mse vs unbiased"



def _words(r, g) -> list[str]:
    return [r.verdicts.row(r.verdicts.find("bias", row))["verdict"] for _, row in g.iterrows()]


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
    for (estimand, _), (ests, g) in found.items():
        g = g.sort_values("n")
        small = g.iloc[0]
        known = bool(g["theory_bias"].notna().all())
        txt = (f"{' and '.join(esc(r.label(e)) for e in ests)} of {esc(estimand)}: bias "
               f"{cite('bessel', small.name, 'bias', fmt(small.bias, small.bias_mcse))} at "
               f"n = {small.n}")
        if known:
            exact = fmt(small.theory_bias, small.bias_mcse)
            txt += (f" against the exact {cite('bessel', small.name, 'theory_bias', exact)}"
                    f" ({r.verdict('bias', small)}); {r.tally('bias', g, 'as theory', 'cells')}")
        else:
            txt += f" ({r.verdict('bias', small)}; no exact bias known)"
        # lower or higher is the MSE rule's verdict, paired on the same datasets: a raw
        # ratio under 1 can be noise (0.994 on geometric_trials)
        said = set(r.words(MSE, g).values())
        counts = [r.tally(MSE, g, w, "cells") for w in ("lower MSE", "higher MSE")
                  if w in said] or [r.tally(MSE, g, "lower MSE", "cells")]
        mse = ("and, against the unbiased estimator's MSE on the same datasets, "
               + " and ".join(counts))
        out.append(f"{txt}, {mse} (MSE ratio "
                   f"{cite('bessel', small.name, 'mse_ratio', fmt(small.mse_ratio, 0.001))} "
                   f"at n = {small.n}, {r.verdict(MSE, small)}).")
    unb = t[t["unbiased"]]
    out.append("The classically unbiased estimator's bias against its theory, 0: "
               f"{r.tally('bias', unb, 'as theory', 'cells')}.")
    return " ".join(out)


def table(r) -> str:
    t = sort_rows(r.tables["bessel"], r, "estimand", "n", "estimator")
    cols = cond_cols(r) + [
        estimand_col(), n_col(), est_col(r),
        Col("bias (MCSE)", lambda x: fmt_pm(x.bias, x.bias_mcse), "bias"),
        Col("exact bias", lambda x: fmt(x.theory_bias, x.bias_mcse), "theory_bias"),
        Col("(bias − exact)/MCSE", lambda x: fmt(x.bias_z, 0.1), "bias_z"),
        Col("verdict", lambda x: r.verdict("bias", x), left=True),
        Col("MSE (MCSE)", lambda x: fmt_pm(x.mse, x.mse_mcse), "mse"),
        Col("MSE / MSE unbiased", lambda x: fmt(x.mse_ratio, 0.001), "mse_ratio"),
        Col("MSE − MSE unbiased, paired (MCSE)",
            lambda x: fmt_pm(x.mse_diff, x.mse_diff_mcse), "mse_diff"),
        Col("MSE vs unbiased", lambda x: "" if x.unbiased else r.verdict(MSE, x), left=True)]
    return html_table(t, cols, "bessel", group="n")


def bias_plot(bessel: pd.DataFrame, labels: dict[str, str]):
    """Empirical bias (±2 MCSE) against the theoretical bias (dashed), and MSE, per
    estimand, first condition."""
    if bessel.empty:
        return None
    b, label = first_condition(bessel)
    estimands = list(dict.fromkeys(b["estimand"]))
    fig, axes = panels(2, len(estimands), 6.0)
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
        "unbiased estimator is not necessarily the one closest to the truth on average. "
        f"<b>As theory</b> means the bias is within {rule.Z} MCSE of the exact bias; "
        "where none is known, within that of 0 is <b>unbiased</b>."),
        figures=(one("bias", lambda r: bias_plot(r.tables["bessel"], r.labels),
                      "Bias (top) and MSE (bottom) against n."),),
        table=table)
