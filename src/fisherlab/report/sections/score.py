"""The score at the truth: mean 0 and variance n I(theta)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...diagnostics import score as diag
from ...verdicts import score as rule
from .. import figures
from ..columns import cond_cols, n_col, sort_rows
from ..figures import COLORS, first_condition, legend_below
from ..format import fmt, fmt_pm
from ..html import Col, cite, esc, text
from ..html import table as html_table
from ..prose import names
from ..verdicts import tally
from .section import Section, one

ORDER = 40



def _find(r, question: str, row) -> int | None:
    return r.verdicts.find(question, row, estimand=row["parameter"])


def _word(r, question: str, row) -> str:
    i = _find(r, question, row)
    return r.verdicts.row(i)["verdict"] if i is not None else ""


def reading(r) -> str:
    t = r.tables["score"]
    if t.empty and r.study.fit_model is not None:
        return ("No score identities here: the analysis model is not the data model (at "
                "the pseudo-true value the score has mean 0, but its variance is not the "
                "information; the sandwich standard errors use both).")
    if t.empty:
        return ("No score identities here: the family is not regular (its likelihood has no "
                "smooth maximum).")
    means = [_word(r, "score mean", row) for _, row in t.iterrows()]
    vars_ = [_word(r, "score variance", row) for _, row in t.iterrows()]
    mean_rows = [_find(r, "score mean", row) for _, row in t.iterrows()]
    var_rows = [i for i, w in zip((_find(r, "score variance", row) for _, row in t.iterrows()),
                                  vars_, strict=True) if w != "cannot tell"]
    how = ("the family's analytic score" if t["score_source"].iloc[0] == diag.ANALYTIC
           else "the score, a numerical derivative of ℓ (scipy.differentiate),")
    text = (f"At the true θ, {how} has mean "
            f"{tally(r.verdicts, mean_rows, 'zero', 'cells (condition × n × parameter)')}")
    judged = [w for w in vars_ if w != "cannot tell"]
    if judged:
        # the example: the figure's condition (the first), at its largest n
        shown, label = first_condition(t[t["var_ratio"].notna()])
        last = shown.sort_values("n", kind="stable").iloc[-1]
        ratio = cite("score", last.name, "var_ratio", fmt(last.var_ratio, last.var_ratio_mcse))
        word = r.verdict("score variance", last, estimand=last.parameter)
        where = f"{esc(label)}, " if label else ""
        text += (f", and variance {tally(r.verdicts, var_rows, 'n·I(θ)', 'cells')} "
                 f"(at {where}n = {last.n}, {esc(last.parameter)}: Var(score) / "
                 f"(n I(θ)) = {ratio}, verdict {word})")
    bad = [row for (_, row), m, v in zip(t.iterrows(), means, vars_, strict=True)
           if m == "not zero" or v == "differs"]
    if bad:
        text += ". Off theory: " + names(f"{esc(row.parameter)} at n = {row.n}" for row in bad)
    return text + "."


def table(r) -> str:
    t = sort_rows(r.tables["score"], r, "parameter", "n")
    cols = cond_cols(r) + [
        Col("parameter", lambda x: esc(x.parameter), "parameter", True), n_col(),
        Col("S", lambda x: str(x.S), "S"),
        Col("mean score (MCSE)", lambda x: fmt_pm(x.mean_score, x.mean_score_mcse),
            "mean_score"),
        Col("mean = 0?", lambda x: r.verdict("score mean", x, estimand=x.parameter), left=True),
        Col("Var(score)", lambda x: fmt(x.var_score), "var_score"),
        Col("n·I(θ)", lambda x: fmt(x.n_info), "n_info"),
        Col("Var / (n I) (MCSE)", lambda x: fmt_pm(x.var_ratio, x.var_ratio_mcse),
            "var_ratio"),
        Col("Var = n·I?", lambda x: r.verdict("score variance", x, estimand=x.parameter),
            left=True),
        Col("score", lambda x: text(x.score_source), "score_source", True)]
    return html_table(t, cols, "score", group="parameter")


def score_plot(score: pd.DataFrame):
    """Per parameter: the mean standardised score U/sqrt(n I) (±2 MCSE) against 0, and
    Var(U) / (n I(θ)) (±2 MCSE) against 1, per n; first condition."""
    t, label = first_condition(score)
    t = t[np.isfinite(t["var_ratio"].to_numpy(float))]
    if t.empty:
        return None
    params = list(dict.fromkeys(t["parameter"]))
    fig, axes = figures.panels(2, len(params), 5.6)
    for j, name in enumerate(params):
        g = t[t["parameter"] == name].sort_values("n")
        scale = np.sqrt(g["n_info"].to_numpy(float))  # mean z and its MCSE, from the table
        ax = axes[0, j]
        ax.errorbar(g["n"], g["mean_z"], yerr=2 * g["mean_score_mcse"] / scale, marker="o",
                    ms=3, lw=1.1, capsize=2, color=COLORS[0], label="mean score / √(n I)")
        ax.axhline(0, color="0.3", ls="--", lw=1, label="theory: 0")
        ax.set(title=f"{name}: E[score] = 0", xlabel="n")
        ax = axes[1, j]
        ax.errorbar(g["n"], g["var_ratio"], yerr=2 * g["var_ratio_mcse"], marker="o", ms=3,
                    lw=1.1, capsize=2, color=COLORS[1], label="Var(score) / (n I(θ))")
        ax.axhline(1, color="0.3", ls=":", lw=1, label="theory: 1")
        ax.set(title=f"{name}: Var(score) = n I(θ)", xlabel="n")
        for ax in axes[:, j]:
            figures.n_axis_narrow(ax, g["n"])
    legend_below(fig, axes.flat, ncol=4)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


SECTION = Section("score", "The score at the truth", reading, how=(
        "The score is the slope of the log-likelihood. At the true θ it averages zero and "
        "its variance is n·I(θ), the Fisher information of n observations (the Bartlett "
        "identities): computed here from every simulated dataset. Top: mean score over "
        "√(n I), ±2 MCSE; bottom: Var(score)/(n I(θ)), ±2 MCSE. The verdicts "
        f"<b>zero</b> and <b>n·I(θ)</b> mean the value is within {rule.Z} MCSE of theory."),
        figures=(one("score", lambda r: score_plot(r.tables["score"]),
                      "The score at the truth, per n."),),
        table=table, when=lambda r: len(r.tables["score"]) > 0)
