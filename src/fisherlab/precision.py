"""Replications from target Monte Carlo standard errors (issue 13).

A study may give ``replications`` as targets instead of a number::

    replications: {mcse: {coverage: 0.003, bias: 0.005}, max: 200000, min: 200}

The run then proceeds in *rounds* per condition × n. Round 0 fits ``min`` replicates;
after round k, :func:`round_stage` merges every chunk's per-block statistics
(:mod:`fisherlab.sufficient`), computes the measures and their MCSEs
(:func:`fisherlab.measures.performance_from_stats`, Morris, White & Crowther 2019,
Table 6) and writes ``rounds/r<k>.json``: per cell, each target's MCSE, the
replications it needs and the replications of the next round. A cell whose targets are
all met, or that reached ``max``, stops; the study stops when every cell has.

**The forecast.** Every MCSE of Table 6 is sqrt(V / S) with V a per-replicate
variance (a delta-method form for the non-linear measures), so the replications a
target MCSE tau needs are R = V / tau^2 = R_now (MCSE_now / tau)^2. For coverage this
is p (1 - p) / tau^2, for bias empSE^2 / tau^2; the other forms are in docs/precision.md.
R_now counts failed fits too, so the forecast keeps the measured failure rate.

**Exact rounds.** Seeds come in 100-replicate blocks keyed by the condition
(:mod:`fisherlab.seeds`), and each round adds whole blocks after the last: a finished
cell's estimates are byte-identical to those of a fixed-R run with its final R.

**The hook.** :meth:`fisherlab.study.Study.rounds` gives a condition's cumulative
replications per round, from ``Study.schedule`` (cell id -> that list), which
:func:`attach` reads from the round files; chunks are numbered round after round, so
later rounds only add chunks. Without a schedule a target study has its first round only.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

from .seeds import SEED_BLOCK

#: the measures a target may name, and what their MCSE is (summary.csv's ``<m>_mcse``)
TARGETABLE = {
    "bias": "bias_mcse", "rel_bias": "bias_mcse / |truth|", "empse": "empse_mcse",
    "mse": "mse_mcse", "rmse": "rmse_mcse", "modelse": "modelse_mcse",
    "relerr_modelse": "relerr_modelse_mcse", "coverage": "coverage_mcse",
    "width": "width_mcse",
}
#: the first round's replications when the file gives no ``min``
DEFAULT_MIN = 2 * SEED_BLOCK
#: the round files, under results/<study>/
ROUND_FILE = "rounds/r{k}.json"


@dataclass(frozen=True)
class Targets:
    """What ``replications`` asks for: measure -> largest MCSE, the first round's
    replications and the most any condition × n gets."""

    mcse: dict
    min: int
    max: int

    def to_json(self) -> dict:
        return {"mcse": dict(self.mcse), "min": self.min, "max": self.max}


def check_targets(value, problems) -> Targets | None:
    """The targets of a ``replications`` mapping the schema accepted (NaN and infinity
    are refused by :func:`fisherlab.studyfile.check_finite`), or None for a number;
    problems go to ``problems`` with their key."""
    if not isinstance(value, dict):
        return None
    hi = int(value["max"])
    lo = int(value.get("min", min(DEFAULT_MIN, SEED_BLOCK * (hi // SEED_BLOCK))))
    if lo > hi:
        problems.add("replications.min", f"must be <= replications.max ({hi}), got {lo}")
        return None
    return Targets({k: float(v) for k, v in value["mcse"].items()}, lo, hi)


# --------------------------------------------------------------------------- forecasts
def mcse_of(perf: dict, measure: str, truth: float) -> float:
    """The MCSE of ``measure`` in a :func:`~fisherlab.measures.performance` dict."""
    if measure == "rel_bias":
        return perf["bias_mcse"] / abs(truth) if truth else float("nan")
    return perf[f"{measure}_mcse"]


def forecast(replications: int, mcse: float, target: float) -> float:
    """Replications for MCSE ``target``: V / target^2 with V = replications * mcse^2 the
    per-replicate variance behind the MCSE (NaN when the MCSE is)."""
    return replications * (mcse / target) ** 2


def predicted_mcse(replications: int, mcse: float, at: int) -> float:
    """The MCSE ``at`` replications, forecast from one measured at ``replications``."""
    return mcse * math.sqrt(replications / at)


def assess(study, cond: str, n: int, cells, targets: dict | None = None) -> list[dict]:
    """Each target (default: the study's) of each cell (estimator × estimand) of one
    condition × n, from its merged statistics ``cells``
    (:func:`fisherlab.sufficient.merge_cells`)."""
    from .measures import performance_from_stats

    drawn = any(isinstance(v, dict) for v in study.params.values())
    out = []
    for _, c in cells.iterrows():
        perf = performance_from_stats(c, drawn)
        reps = int(c["n_rep"])
        for m, tau in (targets or study.targets.mcse).items():
            se = float(mcse_of(perf, m, float(c["truth"])))
            out.append({"cond": cond, "n": int(n), "estimator": c["estimator"],
                        "estimand": c["estimand"], "measure": m, "target": tau,
                        "value": float(perf["rel_bias" if m == "rel_bias" else m]),
                        "mcse": se, "replications": reps,
                        "needed": forecast(reps, se, tau),
                        "met": bool(se <= tau) if math.isfinite(se) else None})
    return out


def next_replications(reps: int, rows: list[dict], cap: int) -> tuple[int, bool]:
    """(replications of the next round, whether the cell stops). A cell stops when every
    target it can measure is met, or at the cap; otherwise it grows to the largest
    forecast, in whole seed blocks, by one block at least."""
    unmet = [r for r in rows if r["met"] is False]
    if not unmet or reps >= cap:
        return reps, True
    need = max(r["needed"] for r in unmet)
    grow = SEED_BLOCK * math.ceil(need / SEED_BLOCK)
    return min(cap, max(reps + SEED_BLOCK, grow)), False


# --------------------------------------------------------------------------- schedule
def first_round(study) -> int:
    return min(study.targets.min, study.replications)


def read_rounds(folder: str | Path, upto: int | None = None) -> list[dict]:
    """The round records r0, r1, ... on disk (contiguous), before round ``upto``, up to
    the first that says done (a later file is left from a run with other targets)."""
    out, k = [], 0
    while upto is None or k < upto:
        p = Path(folder) / ROUND_FILE.format(k=k)
        if not p.exists():
            break
        out.append(json.loads(p.read_text(encoding="utf-8")))
        if out[-1]["done"]:
            break
        k += 1
    return out


def schedule_of(study, records: list[dict]) -> dict:
    """Cell id -> cumulative replications after each round, from the round records."""
    sched = {c.id: [first_round(study)] for c in study.conditions()}
    for rec in records:
        for cell in rec["cells"]:
            s = sched.get(cell["id"])
            if s is not None and cell["next"] > s[-1]:
                s.append(int(cell["next"]))
    return sched


def study_folder(study, where: str | Path) -> Path | None:
    """The study's results folder: ``where`` or its first ancestor named as the study."""
    p = Path(where)
    for q in (p, *p.parents):
        if q.name == study.name:
            return q
    return None


def attach(study, where: str | Path | None, upto: int | None = None):
    """``study`` with the schedule of its round files (those before round ``upto``) in
    its results folder (``where``, or a file in it); a fixed-R study is unchanged."""
    if study.targets is None or where is None:
        return study
    folder = study_folder(study, where)
    if folder is None:
        return study
    study.schedule = schedule_of(study, read_rounds(folder, upto))
    return study


def at_round(study, folder: str | Path, k: int):
    """A copy of ``study`` holding rounds 0..k (decided by the records before k)."""
    return attach(dataclasses.replace(study), folder, upto=k)


def final_record(folder: str | Path) -> dict | None:
    """The last round's record when the rounds are done, else None."""
    recs = read_rounds(folder)
    return recs[-1] if recs and recs[-1]["done"] else None


# --------------------------------------------------------------------------- the stage
def round_chunks(study, chunk_size) -> dict:
    """(cond, n) -> that cell's jobs (one chunk each: a study with targets has a job per
    cell, :func:`fisherlab.chunking.auto_layout`), for the study's current schedule."""
    from .chunking import jobs_for

    out: dict = {}
    for job in jobs_for(study, chunk_size):
        for ch in job.chunks:
            out.setdefault((ch.condition.param_id, ch.condition.n), []).append(job)
    return out


def round_stage(study, folder: str | Path, k: int, chunk_size, out: str | Path) -> dict:
    """``rounds/r<k>.json``: every cell's targets after round k and its next round, from
    the chunks of rounds 0..k (verified as :func:`fisherlab.stages.gather` does)."""
    import pandas as pd

    from . import io, stages
    from .dataset import stats_path
    from .sufficient import merge_cells

    folder = Path(folder)
    s = at_round(study, folder, k)
    by = round_chunks(s, chunk_size)
    paths = {key: [stages.chunk_file(folder.parent, s, job) for job in jobs]
             for key, jobs in by.items()}
    stages.verify_chunks(s, sorted({p for ps in paths.values() for p in ps}), chunk_size)
    cells, done = [], True
    for c in s.conditions():
        key = (c.param_id, c.n)
        blocks = pd.concat([pd.read_parquet(stats_path(p)) for p in paths[key]],
                           ignore_index=True)
        if "n" in blocks.columns:  # a job's statistics name their cell's n
            blocks = blocks[blocks["n"] == c.n]
        rows = assess(s, c.param_id, c.n, merge_cells(blocks))
        reps = s.reps(c)
        nxt, stop = next_replications(reps, rows, s.replications)
        done &= stop
        cells.append({"id": c.id, "cond": c.param_id, "n": c.n, "replications": reps,
                      "next": nxt, "done": stop,
                      "hit_max": bool(reps >= s.replications
                                      and any(r["met"] is False for r in rows)),
                      "targets": rows})
    record = {"study": s.name, "round": k, "done": done,
              "targets": s.targets.to_json(), "cells": cells}
    io.write_text(out, json.dumps(record, indent=1))
    return record


def run_rounds(study, results: str | Path, chunk_size, chunk_fn) -> dict:
    """``fisherlab run``'s rounds, the files the workflow's checkpoint writes: fit each
    round's new chunks with ``chunk_fn(study, chunk, path)``, decide, until done.
    Leaves the final schedule on ``study``; returns the last record."""
    from . import stages

    folder = Path(results) / study.name
    stages.remove([folder / "rounds"])
    done_chunks: set = set()
    k = 0
    while True:
        s = at_round(study, folder, k)
        for jobs in round_chunks(s, chunk_size).values():
            for job in jobs:
                if job.id not in done_chunks:
                    chunk_fn(s, job, stages.chunk_file(results, s, job))
                    done_chunks.add(job.id)
        rec = round_stage(study, folder, k, chunk_size, folder / ROUND_FILE.format(k=k))
        if rec["done"]:
            attach(study, folder)
            return rec
        k += 1


# --------------------------------------------------------------------------- outputs
def table(study, record: dict):
    """precision.csv: one row per condition × n × estimator × estimand × target: the
    condition columns, n, the target, the measured MCSE, the replications used and
    needed, whether it was met, and whether the cell stopped at ``max``."""
    import pandas as pd

    from .dataset import condition_values

    conds = {c.id: c for c in study.conditions()}
    rows = []
    for cell in record["cells"]:
        head = condition_values(conds[cell["id"]])
        for t in cell["targets"]:
            rows.append({**head, "n": cell["n"], "estimator": t["estimator"],
                         "estimand": t["estimand"], "measure": t["measure"],
                         "value": t["value"], "target_mcse": t["target"],
                         "mcse": t["mcse"], "replications": cell["replications"],
                         "needed": (math.ceil(t["needed"]) if math.isfinite(t["needed"])
                                    else None),
                         "met": t["met"], "hit_max": cell["hit_max"]})
    return pd.DataFrame(rows)


def write_table(study, folder: str | Path, out: str | Path):
    """Write precision.csv from the final round record of ``folder``."""
    from . import io

    rec = final_record(folder)
    if rec is None:
        raise RuntimeError(f"{folder}: the rounds are not finished")
    t = table(study, rec)
    io.write_csv(t, out)
    return t


def mark(summary, study, folder: str | Path):
    """summary.csv of a target study gains ``hit_max``: the cell stopped at ``max`` with
    a target unmet (a fixed-R study's summary is unchanged)."""
    from .dataset import condition_values

    if study.targets is None:
        return summary
    rec = final_record(folder) or {"cells": []}
    conds = {c.id: c for c in study.conditions()}
    hit = {_key(condition_values(conds[c["id"]]), c["n"]): c["hit_max"]
           for c in rec["cells"] if c["id"] in conds}
    cols = list(condition_values(next(iter(conds.values()))))
    summary = summary.copy()
    summary["hit_max"] = [bool(hit.get(_key({k: r[k] for k in cols}, r["n"]), False))
                          for _, r in summary.iterrows()]
    return summary


def _key(values: dict, n) -> tuple:
    """A condition × n as a hashable key (NaN truths, drawn ones, left out)."""
    return (int(n), *((k, v) for k, v in sorted(values.items())
                      if not (isinstance(v, float) and math.isnan(v))))
