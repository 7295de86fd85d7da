"""``report.md``: the study's definition and its summary as readable tables."""

from __future__ import annotations

import pandas as pd

from ..measures import param_columns
from ..study import Study
from .format import fmt, fmt_pm


def condition_label(row: pd.Series, params: list[str]) -> str:
    return ", ".join(f"{p} = {row[f'true_{p}']:g}" for p in params)


def summary_tables(summary: pd.DataFrame, params: list[str]) -> str:
    """One table per condition and estimand: rows n × estimator."""
    out = []
    keys = [f"true_{p}" for p in params]
    for _, g in summary.groupby(keys, sort=False) if keys else [((), summary)]:
        label = condition_label(g.iloc[0], params)
        for estimand, ge in g.groupby("estimand", sort=False):
            truth = ge["true_value"].iloc[0]
            out.append(f"### {estimand} (true value {truth:g}) — {label}\n")
            out.append("| n | estimator | mean | bias (MCSE) | empirical SE | RMSE | model SE "
                       "| coverage (MCSE) | failed |")
            out.append("|---:|:---|---:|---:|---:|---:|---:|---:|---:|")
            for _, r in ge.sort_values(["n", "estimator"]).iterrows():
                out.append(
                    f"| {r.n} | {r.estimator} | {fmt(r['mean'], r.bias_mcse)} "
                    f"| {fmt_pm(r.bias, r.bias_mcse)} | {fmt(r.empse, r.empse_mcse)} "
                    f"| {fmt(r.rmse, r.rmse_mcse)} | {fmt(r.modelse, r.modelse_mcse)} "
                    f"| {fmt_pm(r.coverage, r.coverage_mcse)} | {r.n_failed}/{r.n_rep} |")
            out.append("")
    return "\n".join(out)


def render(study: Study, summary: pd.DataFrame) -> str:
    params = [c[len("true_"):] for c in param_columns(summary)]
    grid = ", ".join(f"{k} ∈ {{{', '.join(f'{v:g}' for v in vs)}}}"
                     for k, vs in study.params.items())
    est = ", ".join(e.name + (f" {e.options}" if e.options else "") for e in study.estimators)
    head = [
        f"# {study.name}", "", study.description, "",
        f"- **model**: {study.family} with {grid}",
        f"- **sample sizes**: {', '.join(map(str, study.sample_sizes))}",
        f"- **replications**: {study.replications} per condition, seed {study.seed}",
        f"- **estimators**: {est}",
        f"- **estimands**: {', '.join(study.estimands)}",
        f"- **intervals**: {study.level:.0%} (Wald from the observed information unless the "
        "estimator has an exact one)", "",
        "Measures follow Morris, White & Crowther (2019); the number in brackets is the "
        "Monte Carlo standard error, and each value is rounded to what it supports. "
        "*Failed* counts replicates whose fit gave no usable estimate; the measures use "
        "the others.", "",
        "## Performance", "",
    ]
    return "\n".join(head) + summary_tables(summary, params) + "\n"
