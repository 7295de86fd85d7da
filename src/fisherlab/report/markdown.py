"""``report.md``: the study's definition and its summary as readable tables; and the
families table (``fisherlab families``, README)."""

from __future__ import annotations

import pandas as pd

from ..core.labels import condition_columns, condition_label, params_label
from ..estimators import estimator_class, estimators_for
from ..families import family_names, get_family
from ..spec.study import Study
from ..stats.paired import METHOD_TEXT
from .format import fmt, fmt_pm
from .prose import fitted_to
from .protocol import markdown as protocol_md
from .targets import per_condition, targets_text
from .verdicts import headline


def summary_tables(summary: pd.DataFrame, keys: list[str], labels: dict[str, str]) -> str:
    """One table per condition and estimand: rows n × estimator."""
    out = []
    groups = summary.groupby(keys, sort=False, dropna=False) if keys else [((), summary)]
    for _, g in groups:
        label = condition_label(g.iloc[0], keys)
        for estimand, ge in g.groupby("estimand", sort=False):
            truth = ge["true_value"].iloc[0]
            what = "drawn per replicate" if pd.isna(truth) else f"true value {truth:g}"
            out.append(f"### {estimand} ({what}) — {label}\n")
            out.append("| n | estimator | mean | bias (MCSE) | empirical SE | RMSE | model SE "
                       "| coverage (MCSE) | failed |")
            out.append("|---:|:---|---:|---:|---:|---:|---:|---:|---:|")
            for _, r in ge.sort_values(["n", "estimator"]).iterrows():
                out.append(
                    f"| {r.n} | {labels.get(r.estimator, r.estimator)} "
                    f"| {fmt(r['mean'], r.bias_mcse)} "
                    f"| {fmt_pm(r.bias, r.bias_mcse)} | {fmt(r.empse, r.empse_mcse)} "
                    f"| {fmt(r.rmse, r.rmse_mcse)} | {fmt(r.modelse, r.modelse_mcse)} "
                    f"| {fmt_pm(r.coverage, r.coverage_mcse)} | {r.n_failed}/{r.n_rep} |")
            out.append("")
    return "\n".join(out)


def by_cell(table: pd.DataFrame, keys: list[str], estimand: str = "estimand"):
    """Each condition × estimand of a table, with its heading: ``(heading, rows)``."""
    groups = table.groupby(keys, sort=False, dropna=False) if keys else [((), table)]
    for _, g in groups:
        label = condition_label(g.iloc[0], keys)
        for name, ge in g.groupby(estimand, sort=False):
            yield f"### {name} — {label}\n", ge


def measures_md(measures: pd.DataFrame | None, keys: list[str],
                labels: dict[str, str]) -> str:
    """The study's own measures (measures.csv): per condition and estimand, a row per
    measure × n × estimator with its value (MCSE) and how the MCSE was made."""
    if measures is None or measures.empty:
        return ""
    out = ["## More measures", "",
           "The measures listed under `measures:`; shown, not judged (a claim that names "
           "one judges it).", ""]
    for heading, gp in by_cell(measures, keys, "param"):
        out += [heading,
                "| measure | n | estimator | value (MCSE) | MCSE by | replicates |",
                "|:---|---:|:---|---:|:---|---:|"]
        for m in dict.fromkeys(gp["measure"]):  # in the study file's order
            rows = gp[gp["measure"] == m].sort_values(["n", "estimator"], kind="stable")
            out += [f"| {r.label} | {r.n} | {labels.get(r.estimator, r.estimator)} "
                    f"| {fmt_pm(r.value, r.mcse)} | {r.mcse_method} | {r.replicates} |"
                    for r in rows.itertuples(index=False)]
        out.append("")
    return "\n".join(out)


def paired_md(paired: pd.DataFrame | None, keys: list[str], labels: dict[str, str],
              compare) -> str:
    """paired.csv: per condition and estimand, each estimator against the reference
    at every n, each value with its MCSE."""
    if paired is None or paired.empty:
        return ""
    ref = labels.get(compare.reference, compare.reference)
    out = ["## Paired comparisons", "",
           f"Each estimator against {ref} on the same datasets (`compare:`); MCSEs by "
           f"{METHOD_TEXT[compare.mcse]}. Relative precision = 100·(empSE_ref² / empSE² − "
           "1) %; MSE ratio = MSE / MSE_ref; bias and coverage differences: means of the "
           "per-replicate differences. Shown, not judged.", ""]
    for heading, ge in by_cell(paired, keys):
        out += [heading,
                "| estimator | n | pairs (left out) | relative precision % | MSE ratio "
                "| bias diff. | coverage diff. |",
                "|:---|---:|---:|---:|---:|---:|---:|"]
        rows = ge.sort_values(["estimator", "n"], kind="stable")
        out += [f"| {labels.get(r.estimator, r.estimator)} | {r.n} | {r.used} "
                f"({r.left_out}) | {fmt_pm(r.relative_precision, r.relative_precision_mcse)} "
                f"| {fmt_pm(r.mse_ratio, r.mse_ratio_mcse)} "
                f"| {fmt_pm(r.bias_diff, r.bias_diff_mcse)} "
                f"| {fmt_pm(r.coverage_diff, r.coverage_diff_mcse)} |"
                for r in rows.itertuples(index=False)]
        out.append("")
    return "\n".join(out)


def tests_md(tests: pd.DataFrame | None, keys: list[str], labels: dict[str, str]) -> str:
    """tests.csv: each test's rejection rate with its MCSE and, where known, its exact
    value, per condition (size where the truth is the null, power elsewhere)."""
    if tests is None or tests.empty:
        return ""
    out = ["## Hypothesis tests", "",
           "The share of replicates in which each test rejects its null value (`tests:`), "
           "with its MCSE; *exact*: the rejection rate summed over the outcomes where the "
           "test rejects, where known. Size where the truth is the null, power elsewhere; "
           "the page judges size by Bradley's bands.", ""]
    for heading, ge in by_cell(tests, keys):
        out += [heading,
                "| estimator | test | null | sides | level | n | kind | rate (MCSE) | exact |",
                "|:---|:---|---:|:---|---:|---:|:---|---:|---:|"]
        out += [f"| {labels.get(r.estimator, r.estimator)} | {r.test} | {r.null:g} "
                f"| {r.sides} | {r.level:g} | {r.n} | {r.kind} | {fmt_pm(r.rate, r.mcse)} "
                f"| {'–' if pd.isna(r.exact) else f'{r.exact:.4f}'} |"
                for r in ge.itertuples(index=False)]
        out.append("")
    return "\n".join(out)


def verdicts_md(verdicts: pd.DataFrame) -> list[str]:
    """The claims, each with its verdict, and the study's headline, from verdicts.csv."""
    out = []
    claims = verdicts[verdicts["question"] == "claim"] if len(verdicts) else verdicts
    if len(claims):
        out += ["## Claims", ""]
        out += [f"- {row['detail']}: **{row['verdict']}**" for _, row in claims.iterrows()]
        out.append("")
    return out


def render(study: Study, summary: pd.DataFrame, verdicts: pd.DataFrame, fits: tuple[int, int],
           precision: pd.DataFrame | None = None,
           measures: pd.DataFrame | None = None,
           paired: pd.DataFrame | None = None,
           tests: pd.DataFrame | None = None) -> str:
    """report.md; ``fits``: (fits, failed fits), as the page counts them; ``measures``:
    measures.csv of a study that lists measures; ``paired``: paired.csv of a study with
    ``compare:``; ``tests``: tests.csv of a study with ``tests:``."""
    keys = condition_columns(summary)
    grid = params_label(study.params, ", ")
    est = "; ".join(e.label for e in study.estimators)
    head = [
        f"# {study.name}", "", study.description, "",
        *([fitted_to(study), ""] if study.fitted_to else []),
        f"- **model**: {study.family.name} with {grid}",
        *([f"- **model fitted**: {study.fit_model.family.name} (truths: pseudo-true values "
           "unless fit_model.target says data; no Cramér–Rao bound: the analysis model is "
           "not the data model)"] if study.fit_model else []),
        f"- **sample sizes**: {', '.join(map(str, study.sample_sizes))}",
        f"- **replications**: {study.replications} per condition"
        + (f", seed {study.seed}" if study.seed is not None else "")
        if study.targets is None else f"- **replications**: {targets_text(study)}",
        *(f"  - {line}" for line in per_condition(precision)),
        f"- **estimators**: {est}",
        f"- **estimands**: {', '.join(study.estimands)}",
        f"- **intervals**: {study.level:.0%} (Wald from the observed information unless the "
        "estimator has an exact one, or its label names another method)",
        f"- **verdict**: {headline(verdicts, *fits)}", "",
        "Measures follow Morris, White & Crowther (2019); the number in brackets is the "
        "Monte Carlo standard error, and each value is rounded to what it supports. "
        "*Failed* counts replicates whose fit gave no usable estimate; the measures use "
        "the others.", "",
        protocol_md(study),
        *verdicts_md(verdicts),
        "## Performance", "",
    ]
    more = measures_md(measures, keys, study.labels())
    if study.compare is not None:
        more = "\n".join(p for p in (more, paired_md(paired, keys, study.labels(),
                                                       study.compare)) if p)
    more = "\n".join(p for p in (more, tests_md(tests, keys, study.labels())) if p)
    return ("\n".join(head) + summary_tables(summary, keys, study.labels()) + "\n"
            + (more + "\n" if more else ""))


def families_table() -> str:
    """A Markdown table of every registered family: what a study file may use."""
    lines = ["| family | parameters (domain) | estimands | estimators | smallest n |",
             "|---|---|---|---|---|"]
    for name in family_names():
        fam = get_family(name)
        params = "; ".join(f"`{p.name}`: {p.describe().removeprefix('a number in ')}"
                           + ("" if p.estimated else " (fixed)") for p in fam.params)
        ests = estimators_for(fam)
        mins = sorted({estimator_class(e).min_n(fam) for e in ests})
        smallest = ", ".join(
            f"{m} ({', '.join(e for e in ests if estimator_class(e).min_n(fam) == m)})"
            for m in mins) if len(mins) > 1 else str(mins[0] if mins else fam.min_n)
        lines.append(f"| `{name}` | {params} | {', '.join(fam.estimands())} "
                     f"| {', '.join(ests)} | {smallest} |")
    return "\n".join(lines)
