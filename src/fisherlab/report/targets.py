"""How a study with target MCSEs reached them, for the study box and
report.md: read from precision.csv (:func:`fisherlab.pipeline.rounds.table`), nothing computed."""

from __future__ import annotations

import pandas as pd

from ..core.labels import condition_columns, condition_label
from .format import fmt_beside


def targets_text(study) -> str:
    t = study.targets
    wanted = ", ".join(f"{m} ≤ {v:g}" for m, v in t.mcse.items())
    return (f"from target MCSEs: {wanted}; rounds of 100-replicate seed blocks from "
            f"{t.min:,}, at most {t.max:,} per condition × n (seed {study.seed})")


def per_condition(table: pd.DataFrame | None) -> list[str]:
    """One line per condition × n: the replications used and each target, met or not
    (the largest MCSE over estimators and estimands, as precision.csv has it)."""
    if table is None or table.empty:
        return []
    keys = condition_columns(table)
    several = table[keys].drop_duplicates().shape[0] > 1
    out = []
    for key, g in table.groupby(keys + ["n"], sort=False):
        row = dict(zip(keys + ["n"], key, strict=True))
        where = (condition_label(row, keys) + ", " if several else "") + f"n = {row['n']}"
        parts = []
        for m, t in g.groupby("measure", sort=False):
            worst = t.loc[t["mcse"].idxmax()] if t["mcse"].notna().any() else t.iloc[0]
            state = ("met" if t["met"].eq(True).all() else
                     "not met" if t["met"].eq(False).any() else "not measurable")
            mcse = fmt_beside(worst["mcse"], worst["target_mcse"])
            parts.append(f"{m} MCSE {mcse} ≤ {worst['target_mcse']:g} {state}"
                         if state == "met" else
                         f"{m} MCSE {mcse} > {worst['target_mcse']:g} {state}"
                         if state == "not met" else f"{m} {state}")
        cap = " (stopped at max)" if g["hit_max"].any() else ""
        out.append(f"{where}: {int(g['replications'].iloc[0]):,} replications{cap}; "
                   + "; ".join(parts))
    return out
