"""``fisherlab plan``: how many replications a study needs, before running it.

A pilot fits ``min`` replicates (the targets' first round, or :data:`PILOT` for a
fixed-R study) of every condition × n, in this process, from the seeds the study
itself uses (the pilot is the study's first blocks). From the pilot's merged
statistics it forecasts, per condition × n × estimator × estimand and target, the
replications the target MCSE needs (:func:`fisherlab.plan.forecast.forecast`: the pilot's
per-replicate variance over the target squared) and what they cost from the pilot's
measured seconds per replicate (every estimator fits each replicate). A fixed-R study
gets the MCSE each measure will have at its R instead.

The pilot's own forecast is uncertain (a coverage of 0.95 measured on 200 replicates
is +-0.015), which is why the run itself decides in rounds; the plan is for budgeting.
"""

from __future__ import annotations

import math
import time

import pandas as pd

from ..core.seeds import SEED_BLOCK
from ..plan.forecast import assess, predicted_mcse
from ..spec.study import Chunk
from ..stats.cellstats import block_stats, merge_cells
from .simulate import run_chunk

#: pilot replications of a fixed-R study (at most its R)
PILOT = 2 * SEED_BLOCK
#: the measures whose MCSE a fixed-R plan prints
SHOWN = ("bias", "empse", "rmse", "coverage", "relerr_modelse")


def plan(study, pilot: int | None = None) -> pd.DataFrame:
    """One row per condition × n × estimator × estimand × measure: the pilot's value and
    MCSE, then ``target`` and ``needed`` (replications) or, for a fixed-R study,
    ``mcse_at_R``; ``seconds_per_rep`` of the condition × n and ``seconds``."""
    targets = study.targets.mcse if study.targets else {m: 1.0 for m in SHOWN}
    if pilot is None:
        pilot = study.targets.min if study.targets else PILOT
    drawn = any(isinstance(v, dict) for v in study.params.values())
    rows = []
    first = study.conditions()[0]  # untimed: imports, caches and compilation come once
    run_chunk(study, Chunk(first, 0, 0, min(SEED_BLOCK, pilot, study.replications)))
    for c in study.conditions():
        reps = min(pilot, study.replications)
        t0 = time.perf_counter()
        df = run_chunk(study, Chunk(c, 0, 0, reps))
        per_rep = (time.perf_counter() - t0) / reps
        cells = merge_cells(block_stats(df, drawn))
        for r in assess(study, c.param_id, c.n, cells, targets):
            row = {"condition": c.param_id, "n": c.n, "estimator": r["estimator"],
                   "estimand": r["estimand"], "measure": r["measure"],
                   "pilot": reps, "value": r["value"], "pilot_mcse": r["mcse"]}
            if study.targets:
                need = r["needed"]
                R = (min(study.replications, max(reps, SEED_BLOCK * math.ceil(
                    need / SEED_BLOCK))) if math.isfinite(need) else float("nan"))
                row.update(target=r["target"], needed=need, replications=R)
            else:
                R = study.replications
                row.update(replications=R, mcse_at_R=predicted_mcse(reps, r["mcse"], R))
            row.update(seconds_per_rep=per_rep, seconds=R * per_rep)
            rows.append(row)
    return pd.DataFrame(rows)


def cells(table: pd.DataFrame) -> pd.DataFrame:
    """Per condition × n: the replications the run gives it (its largest need, in whole
    blocks, at most ``max``) and their seconds."""
    g = table.groupby(["condition", "n"], sort=False)
    out = g.agg(replications=("replications", "max"),
                seconds_per_rep=("seconds_per_rep", "first")).reset_index()
    out["seconds"] = out["replications"] * out["seconds_per_rep"]
    return out


def _duration(s: float) -> str:
    if not math.isfinite(s):
        return "–"
    for unit, k in (("h", 3600), ("min", 60)):
        if s >= k:
            return f"{s / k:.1f} {unit}"
    return f"{s:.2f} s"


def plan_text(study, table: pd.DataFrame) -> str:
    """What ``fisherlab plan`` prints."""
    t = table.copy()
    pilot = int(t["pilot"].iloc[0]) if len(t) else 0
    fmt = {"value": "{:.4g}".format, "pilot_mcse": "{:.3g}".format}
    if study.targets:
        wanted = ", ".join(f"{k} MCSE <= {v:g}" for k, v in study.targets.mcse.items())
        head = (f"{study.name}: targets {wanted}"
                f" (at most {study.targets.max:,} replications); pilot of {pilot} "
                "replications per condition × n")
        t["needed"] = [f"{x:,.0f}" if math.isfinite(x) else "–" for x in t["needed"]]
        cols = ["condition", "n", "estimator", "estimand", "measure", "value", "pilot_mcse",
                "target", "needed", "time"]
        fmt["target"] = "{:g}".format
    else:
        head = (f"{study.name}: {study.replications:,} replications per condition × n; pilot "
                f"of {pilot}: the MCSE each measure will have")
        cols = ["condition", "n", "estimator", "estimand", "measure", "value", "pilot_mcse",
                "mcse_at_R", "time"]
        fmt["mcse_at_R"] = "{:.3g}".format
    t["time"] = [_duration(s) for s in t["seconds"]]
    per = cells(table)
    lines = [head, "", t[cols].to_string(index=False, formatters=fmt), "",
             "per condition × n (a replicate is fitted by every estimator):"]
    for _, c in per.iterrows():
        capped = (" (max: some target is not reached)" if study.targets
                  and c["replications"] >= study.targets.max else "")
        lines.append(f"  {c['condition']}, n = {c['n']}: {c['replications']:,.0f} "
                     f"replications, {_duration(c['seconds'])}{capped}")
    total = per["seconds"].sum()
    lines.append(f"total: {per['replications'].sum():,.0f} replications, about "
                 f"{_duration(total)} of fitting on one core (from the pilot's "
                 f"{_duration(float((per['seconds_per_rep'] * pilot).sum()))})")
    return "\n".join(lines)
