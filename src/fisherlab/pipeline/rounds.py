"""A study with target MCSEs runs in rounds: the round stage, its records, precision.csv.

Round 0 fits the targets' ``min`` replicates per condition × n (:mod:`fisherlab.spec.
targets`). After round k, :func:`round_stage` merges every chunk's per-block statistics
(:mod:`fisherlab.stats.cellstats`), computes the measures and their MCSEs (Morris,
White & Crowther 2019, Table 6) and writes ``rounds/r<k>.json``: per cell, each target's
MCSE, the replications it needs (:mod:`fisherlab.plan.forecast`) and the replications of
the next round. A cell whose targets are all met, or that reached ``max``, stops; the
study stops when every cell has.

**Exact rounds.** Seeds come in 100-replicate blocks keyed by the condition
(:mod:`fisherlab.core.seeds`), and each round adds whole blocks after the last: a
finished cell's estimates are byte-identical to those of a fixed-R run with its final R.

**The schedule.** :meth:`fisherlab.spec.study.Study.rounds` gives a condition's
cumulative replications per round, from ``Study.schedule`` (cell id -> that list), which
:func:`with_schedule` reads from the round files into a copy of the study; chunks are
numbered round after round, so later rounds only add chunks. Without a schedule a study
with targets has its first round only.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pandas as pd

from ..core import files
from ..core.layout import ROUND_FILE, StudyFiles, chunk_file, stats_path
from ..plan.chunking import jobs_for
from ..plan.forecast import assess, next_replications
from ..run.chunks import remove, verify_chunks
from ..run.dataset import condition_values
from ..stats.cellstats import merge_cells


def read_rounds(folder: str | Path, upto: int | None = None) -> list[dict]:
    """The round records r0, r1, ... on disk (contiguous), before round ``upto``, up to
    the first that says done (a later file is left from a run with other targets)."""
    out, k = [], 0
    while upto is None or k < upto:
        p = StudyFiles(folder).round(k)
        if not p.exists():
            break
        out.append(json.loads(p.read_text(encoding="utf-8")))
        if out[-1]["done"]:
            break
        k += 1
    return out


def schedule_of(study, records: list[dict]) -> dict:
    """Cell id -> cumulative replications after each round, from the round records."""
    first = study.targets.first_round(study.replications)
    sched = {c.id: [first] for c in study.conditions()}
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


def with_schedule(study, where: str | Path | None, upto: int | None = None):
    """A copy of ``study`` with the schedule of its round files (those before round
    ``upto``) in its results folder (``where``, or a file in it); a fixed-R study, or
    one with no results folder, is returned as it is."""
    if study.targets is None or where is None:
        return study
    folder = study_folder(study, where)
    if folder is None:
        return study
    return dataclasses.replace(study, schedule=schedule_of(study, read_rounds(folder, upto)))


def at_round(study, folder: str | Path, k: int):
    """A copy of ``study`` holding rounds 0..k (decided by the records before k)."""
    return with_schedule(study, folder, upto=k)


def final_record(folder: str | Path) -> dict | None:
    """The last round's record when the rounds are done, else None."""
    recs = read_rounds(folder)
    return recs[-1] if recs and recs[-1]["done"] else None


# --------------------------------------------------------------------------- the stage
def round_chunks(study, chunk_size) -> dict:
    """(cond, n) -> that cell's jobs (one chunk each: a study with targets has a job per
    cell, :func:`fisherlab.plan.chunking.auto_layout`), for the study's current
    schedule."""
    out: dict = {}
    for job in jobs_for(study, chunk_size):
        for ch in job.chunks:
            out.setdefault((ch.condition.param_id, ch.condition.n), []).append(job)
    return out


def round_stage(study, folder: str | Path, k: int, chunk_size, out: str | Path) -> dict:
    """``rounds/r<k>.json``: every cell's targets after round k and its next round, from
    the chunks of rounds 0..k (verified as the gather stage does)."""
    folder = Path(folder)
    s = at_round(study, folder, k)
    by = round_chunks(s, chunk_size)
    paths = {key: [chunk_file(folder.parent, s.name, job) for job in jobs]
             for key, jobs in by.items()}
    verify_chunks(s, sorted({p for ps in paths.values() for p in ps}), chunk_size)
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
    files.write_text(out, json.dumps(record, indent=1))
    return record


def run_rounds(study, results: str | Path, chunk_size, chunk_fn) -> tuple:
    """``fisherlab run``'s rounds, the files the workflow's checkpoint writes: fit each
    round's new chunks with ``chunk_fn(study, chunk, path)``, decide, until done.
    Returns the study with its final schedule, and the last record."""
    folder = Path(results) / study.name
    remove([folder / Path(ROUND_FILE).parent])
    done_chunks: set = set()
    k = 0
    while True:
        s = at_round(study, folder, k)
        for jobs in round_chunks(s, chunk_size).values():
            for job in jobs:
                if job.id not in done_chunks:
                    chunk_fn(s, job, chunk_file(results, s.name, job))
                    done_chunks.add(job.id)
        rec = round_stage(study, folder, k, chunk_size, StudyFiles(folder).round(k))
        if rec["done"]:
            return with_schedule(study, folder), rec
        k += 1


# --------------------------------------------------------------------------- outputs
def table(study, record: dict):
    """precision.csv: one row per condition × n × estimator × estimand × target: the
    condition columns, n, the target, the measured MCSE, the replications used and
    needed, whether it was met, and whether the cell stopped at ``max``."""
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
    rec = final_record(folder)
    if rec is None:
        raise RuntimeError(f"{folder}: the rounds are not finished")
    t = table(study, rec)
    files.write_csv(t, out)
    return t


def mark(summary, study, folder: str | Path):
    """summary.csv of a target study gains ``hit_max``: the cell stopped at ``max`` with
    a target unmet (a fixed-R study's summary is unchanged)."""
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
