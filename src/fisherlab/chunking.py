"""How many replicates one job fits: ``chunk_size: auto`` from measured per-fit costs.

A job should do a useful amount of work (about :data:`TARGET_SECONDS`, well inside 10
to 60 s) and a study's job count should stay in the thousands. ``costs.json`` beside
this file holds, per family × estimator, the seconds one fit takes as ``a + b n``
(n the sample size), measured by ``benchmarks/bench_cost.py``: it fits one seed block
(100 datasets) at n = 10 and n = 1000 with the family's typical parameters, best of
three, on the 2-core machine, and solves for a and b; the same for drawing the
datasets (``<family>/draw``), and the seconds per estimate row that a whole chunk job
spends beyond drawing and fitting (``row``: building the rows and their statistics,
writing the files; timed on a 20,000-replicate normal chunk). An estimator measured on other
families but not this one takes its largest cost; one never measured, the largest of
all (a safe guess: more jobs, never overlong ones).

Memory bounds the chunk too: a job holds its datasets (replicates × n values) and its
rows (replicates × estimators × estimands, about 250 bytes each while in pandas), so
at most :data:`MAX_VALUES` and :data:`MAX_ROWS`. Sizes are multiples of the seed block
(100) and split a condition's replicates into equal chunks. The sizes depend on the
study and the cost table only, never on a clock: a rerun plans the same jobs. And
they change only the jobs, never the numbers (seeds come in 100-replicate blocks).
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

from .seeds import SEED_BLOCK

#: seconds of fitting per job that ``auto`` aims at
TARGET_SECONDS = 30.0
#: at most this many data values (replicates × n) and estimate rows in one job
MAX_VALUES = 20_000_000
MAX_ROWS = 2_000_000
#: ``auto`` grows chunks (within the memory bounds) to keep a study under this many jobs
MAX_JOBS = 5_000
#: studies with at most this many estimate rows also get the single file estimates.parquet
SINGLE_FILE_ROWS = 5_000_000
COSTS = Path(__file__).with_name("costs.json")


@cache
def costs() -> dict:
    """``{"<family>/<estimator>": [a, b]}``: seconds per fit = a + b n."""
    return json.loads(COSTS.read_text(encoding="utf-8"))["seconds_per_fit"]


def fit_seconds(family: str, estimator: str, n: int) -> float:
    """Measured seconds of one fit, or of drawing one dataset (``estimator="draw"``);
    see the module docstring for the fallbacks."""
    table = {k: v for k, v in costs().items() if "/" in k}
    ab = table.get(f"{family}/{estimator}")
    if ab is None:
        same = [v for k, v in table.items() if k.split("/")[1] == estimator]
        pool = same or list(table.values())
        return max(a + b * n for a, b in pool)
    return ab[0] + ab[1] * n


def replicate_seconds(study, n: int) -> float:
    """Seconds a job spends per replicate: draw the dataset, fit every estimator, and
    build, summarise and write its rows (``row``, per estimate row)."""
    fam = study.family.name
    return (fit_seconds(fam, "draw", n) + costs().get("row", [0.0])[0] * rows_per_replicate(study)
            + sum(fit_seconds(fam, e.estimator.name, n) for e in study.estimators))


def rows_per_replicate(study) -> int:
    return len(study.estimators) * len(study.estimands)


def study_rows(study) -> int:
    """The study's estimate rows (an upper bound: every estimator × every estimand)."""
    return len(study.conditions()) * study.replications * rows_per_replicate(study)


def _blocks(x: float) -> int:
    return max(1, int(x // SEED_BLOCK))


def _even(reps: int, size: int) -> int:
    """``size`` rounded so that a condition's chunks are as equal as blocks allow."""
    k = math.ceil(reps / size)
    return SEED_BLOCK * math.ceil(reps / k / SEED_BLOCK)


def auto_sizes(study) -> dict:
    """Replicates per job for each condition (keyed by ``Condition.id``)."""
    reps = study.replications
    rows = rows_per_replicate(study)
    out, caps = {}, {}
    for c in study.conditions():
        per_rep = replicate_seconds(study, c.n)
        cap = min(_blocks(MAX_VALUES / max(c.n, 1)), _blocks(MAX_ROWS / rows))
        caps[c.id] = cap
        out[c.id] = min(_blocks(TARGET_SECONDS / max(per_rep, 1e-9)), cap)
    jobs = sum(math.ceil(reps / (SEED_BLOCK * b)) for b in out.values())
    if jobs > MAX_JOBS:  # grow every chunk by the same factor, within its memory bound
        grow = jobs / MAX_JOBS
        out = {k: min(math.ceil(b * grow), caps[k]) for k, b in out.items()}
    full = SEED_BLOCK * math.ceil(reps / SEED_BLOCK)
    return {k: _even(reps, min(SEED_BLOCK * b, full)) for k, b in out.items()}


def sizes_for(study, chunk_size: int | str):
    """What :meth:`fisherlab.study.Study.chunks` takes: an int, or for ``"auto"`` a
    function of the condition."""
    if chunk_size == "auto":
        sizes = auto_sizes(study)
        return lambda c: sizes[c.id]
    return int(chunk_size)
