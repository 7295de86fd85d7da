"""Sampler warnings: the flags table and its reading."""

from __future__ import annotations

import pandas as pd

from ...core.labels import column_label, number
from ...verdicts import flags as rule
from ..format import fmt, fmt_pm
from ..html import Col, cite, esc
from ..html import table as html_table
from .section import Section

ORDER = 130



HOW = ("A sampler warning flags a replicate without failing it: its estimate stays in "
       "every measure. Per kind: how many replicates it flagged, their share, and the "
       "worst value among them (most divergent transitions, largest R-hat, smallest "
       "bulk/tail ESS). Bias and coverage are shown on all replicates and on the "
       "unflagged ones only. The shift is (bias unflagged − bias all) in MCSEs of the "
       f"latter; the conclusions are <b>unchanged</b> when it is within {rule.SHIFT:g} "
       "MCSEs, a description, not a test (the two sets overlap).")


def _kind(x, k: str, fmt_worst) -> str:
    count = getattr(x, f"{k}_count")
    if not count:
        return "0"
    return f"{count} ({getattr(x, f'{k}_share'):.1%}), worst {fmt_worst(getattr(x, f'{k}_worst'))}"


def table(r) -> str:
    t = r.tables["flags"]
    keys = [k for k in r.params if k in t.columns and r.conditions > 1]
    t = t.sort_values(keys + ["estimand", "estimator", "n"], kind="stable")
    cond = [Col(column_label(k), (lambda row, k=k: esc(number(getattr(row, k)))), k, True)
            for k in keys]
    cols = cond + [
        Col("estimand", lambda x: esc(x.estimand), "estimand", True),
        Col("estimator", lambda x: esc(r.label(x.estimator)), "estimator", True),
        Col("n", lambda x: str(x.n), "n"),
        Col("flagged", lambda x: f"{x.flagged}/{x.replicates}", "flagged"),
        Col("divergences", lambda x: _kind(x, "divergences", lambda v: f"{v:g}")),
        Col("R-hat > max", lambda x: _kind(x, "rhat", lambda v: f"{v:.3f}")),
        Col("ESS < min", lambda x: _kind(x, "ess", lambda v: f"{v:.0f}")),
        Col("bias, all (MCSE)", lambda x: fmt_pm(x.bias_all, x.bias_mcse_all), "bias_all"),
        Col("bias, unflagged (MCSE)", lambda x: fmt_pm(x.bias_unflagged, x.bias_mcse_unflagged),
            "bias_unflagged"),
        Col("shift (MCSE)", lambda x: fmt(x.bias_shift_z, 0.1), "bias_shift_z"),
        Col("verdict", lambda x: r.verdict("flags", x), left=True),
        Col("coverage, all (MCSE)", lambda x: fmt_pm(x.coverage_all, x.coverage_mcse_all),
            "coverage_all"),
        Col("coverage, unflagged (MCSE)",
            lambda x: fmt_pm(x.coverage_unflagged, x.coverage_mcse_unflagged),
            "coverage_unflagged")]
    return html_table(t, cols, "flags", group="estimand")


def reading(r) -> str:
    t = r.tables["flags"]
    if t.empty:
        return "No estimator samples the posterior."
    # a replicate is flagged once per estimator, whatever the estimand: count it once
    per_fit = t.drop_duplicates(list(t.columns[:list(t.columns).index("estimator") + 1]))
    flagged, total = int(per_fit["flagged"].sum()), int(per_fit["replicates"].sum())
    if not flagged:  # no cell to name as the worst
        return f"None of the {total} sampled replicates carries a sampler warning."
    worst = t.loc[t["flagged_share"].idxmax()]
    head = (f"{flagged} of {total} sampled replicates carry a sampler warning; the largest "
            f"share is " + cite("flags", worst.name, "flagged_share",
                                f"{worst['flagged_share']:.1%}")
            + f" ({esc(r.label(worst['estimator']))}, n = {worst['n']}).")
    judged = [(i, row) for i, row in t.iterrows()
              if r.verdicts.find("flags", row) is not None]
    moved = [(i, row) for i, row in judged
             if r.verdicts.row(r.verdicts.find("flags", row))["verdict"] != "unchanged"]
    if not moved:
        cells = pd.DataFrame([row for _, row in judged])
        return head + (" Leaving the flagged replicates out, the bias is "
                       f"{r.tally('flags', cells, 'unchanged', 'cells with warnings')}.")
    return head + (" Leaving them out shifts the bias for "
                   + "; ".join(f"{esc(row.estimand)} of {esc(r.label(row.estimator))} at "
                               f"n = {row.n} (" + cite("flags", i, "bias_shift_z",
                                                       f"{row.bias_shift_z:.1f}")
                               + f" MCSEs, {r.verdict('flags', row)})" for i, row in moved)
                   + ": read those with care.")


SECTION = Section("flags", "Sampler warnings", reading, how=HOW,
            table=table, table_note="show the warnings by kind",
            when=lambda r: len(r.tables["flags"]) > 0)
