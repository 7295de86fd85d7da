"""How many replicates one job fits: ``chunk_size: auto`` from measured per-fit costs.

A job should do a useful amount of work (about :data:`TARGET_SECONDS`, well inside 10
to 60 s) and a study's job count should stay in the thousands. The seconds per dataset
of each family × estimator, ``a + b n`` (drawing, fitting and building the rows of one
dataset in a chunk job), are the cost plan's measured table
(:func:`fisherlab.cost.fit_figures`, written by ``benchmarks/bench_costs.py``); a pair
never measured takes the largest figures measured for that estimator (a safe guess:
more jobs, never overlong ones).

Memory bounds the chunk too: a job holds its datasets (replicates × n values) and its
rows (replicates × estimators × estimands, about 250 bytes each while in pandas), so
at most :data:`MAX_VALUES` and :data:`MAX_ROWS`. Sizes are multiples of the seed block
(100) and split a condition's replicates into equal chunks. The sizes depend on the
study and the cost table only, never on a clock: a rerun plans the same jobs. And
they change only the jobs, never the numbers (seeds come in 100-replicate blocks).
"""

from __future__ import annotations

import math

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


def replicate_seconds(study, n: int) -> float:
    """Measured seconds a chunk job spends per replicate at sample size n: every
    estimator's ``a + b n`` (a sampler's scaled by its draws against the measured ones)."""
    from .cost import _posterior, fit_figures

    total = 0.0
    for e in study.estimators:
        (a, b, _, _), _ = fit_figures(study.family.name, e.name)
        factor = _posterior(e.options)[0] if e.estimator.samples else 1.0
        total += factor * (a + b * n)
    return total


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
