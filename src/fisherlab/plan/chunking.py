"""How many replicates one job fits: ``chunk_size: auto`` from measured per-fit costs.

A job (:class:`fisherlab.spec.study.Job`) fits one replicate range of one cell, or, for a
condition whose cells are all cheap, of the condition at every sample size: a cheap
condition is one job whatever its sample sizes (a job costs about a second of
start-up: Python and the scientific stack). It should do a useful
amount of work (about :data:`TARGET_SECONDS`, well inside 10 to 60 s, or four times its
estimators' set-up where that is longer: :func:`job_seconds`) and a study's
job count should stay in the thousands. The seconds per dataset
of each family × estimator, ``a + b n`` (drawing, fitting and building the rows of one
dataset in a chunk job), are the cost plan's measured table
(:mod:`fisherlab.plan.prices`, written by ``benchmarks/bench_costs.py``); a pair
never measured takes the largest figures measured for that estimator (a safe guess:
more jobs, never overlong ones).

Memory bounds the job too: it holds one cell at a time, its datasets and its rows,
and writes the cell's rows before the next (:func:`fisherlab.run.chunks.write_chunk`),
so its peak is its base (imports) plus the largest cell's bytes (:func:`cell_bytes`:
the cost table's bytes per observation × replicates × n, :data:`ROW_BYTES` per
estimate row, kept posterior draws): replicates are capped so that this stays under
:data:`JOB_MEMORY`, and under :data:`MAX_VALUES` data values and :data:`MAX_ROWS` rows
of a cell. Sizes are multiples of the seed block
(100) and split a condition's replicates into equal chunks. The sizes depend on the
study and the cost table only, never on a clock: a rerun plans the same jobs. And
they change only the jobs, never the numbers (seeds come in 100-replicate blocks).
"""

from __future__ import annotations

import math

from ..core.seeds import SEED_BLOCK
from . import cost_table
from .prices import price

#: seconds of fitting per job that ``auto`` aims at
TARGET_SECONDS = 30.0
#: a job's set-up (compiling its estimators' models: seconds for PyMC's, paid once per
#: process) is at most this share of its work: a study whose estimators take S seconds to
#: set up aims at S / SETUP_SHARE seconds per job when that is more than TARGET_SECONDS
SETUP_SHARE = 0.25
#: at most this many data values (replicates × n) and estimate rows in one cell of a job
MAX_VALUES = 20_000_000
MAX_ROWS = 2_000_000
#: a job's planned peak resident memory, bytes (its base and its largest cell): a job,
#: forked or in the Snakemake process, stays well under 1 GB
JOB_MEMORY = 750_000_000
#: bytes per estimate row while a job holds a cell's rows (the estimators' frames, their
#: concatenation and its Arrow table, measured with benchmarks/bench_memory.py)
ROW_BYTES = 300
#: ``auto`` grows chunks (within the memory bounds) to keep a study under this many jobs
MAX_JOBS = 5_000
#: a job whose estimated work (fits and estimators' set-up) is under this many seconds,
#: and whose estimators compile nothing, runs inside the Snakemake process
#: (fisherlab.cli.inprocess.chunk): a process of its own would cost ~2 s of start-up more
IN_PROCESS_SECONDS = 4.0
#: estimators' set-up seconds (cost table) above which a job always gets a process
IN_PROCESS_SETUP = 0.5
#: ... and whose largest cell holds at most this many bytes: the Snakemake process runs
#: one such job per CPU at once beside its own ~270 MB (two chunks of 500,000 replicates
#: in its threads took it to 1.25 GB); a larger job is forked, its memory its own
IN_PROCESS_BYTES = 100_000_000


def replicate_seconds(study, n: int) -> float:
    """Measured seconds a chunk job spends per replicate at sample size n: every
    estimator's ``a + b n`` (:func:`fisherlab.plan.prices.price`)."""
    return sum(price(study.analysis, e).seconds(n) for e in study.estimators)


def job_seconds(study) -> float:
    """Seconds of fitting one job of ``study`` aims at: :data:`TARGET_SECONDS`, or more
    when its estimators' set-up (the cost table's first-call seconds) is costly."""
    return max(TARGET_SECONDS, setup_seconds(study) / SETUP_SHARE)


def setup_seconds(study) -> float:
    """The cost table's first-call set-up of the study's estimators, summed."""
    return sum(price(study.analysis, e).setup for e in study.estimators)


def runs_in_process(study, cells) -> bool:
    """The rule for a chunk job of ``cells`` (``(replicates, n)`` pairs): it runs inside
    the Snakemake process when its estimated work is under :data:`IN_PROCESS_SECONDS`,
    it compiles nothing (no PyMC model) and its largest cell holds at most
    :data:`IN_PROCESS_BYTES`; else it is forked."""
    setup = setup_seconds(study)
    if setup > IN_PROCESS_SETUP or any(e.estimator.bayesian for e in study.estimators):
        return False
    work = sum(replicate_seconds(study, n) * reps for reps, n in cells)
    held = max(reps * cell_bytes(study, n) for reps, n in cells)
    return work + setup <= IN_PROCESS_SECONDS and held <= IN_PROCESS_BYTES


def in_process(study, job) -> bool:
    """Whether ``job`` runs inside the Snakemake process (:func:`runs_in_process`)."""
    return runs_in_process(study, [(c.stop - c.start, c.condition.n) for c in job.chunks])


def job_base(study) -> float:
    """A chunk job's peak RSS before its data (imports; PyMC's compiled model), at least
    that of the preloaded server it is forked from (fisherlab.cli.inprocess: its pages,
    shared, count in the job's resident memory)."""
    kind = "pymc" if any(e.estimator.bayesian for e in study.estimators) else "numpy"
    server = cost_table.SUMMARY.get("server", (0, 0.0))[1]
    return max(cost_table.JOB_BASE_BYTES[kind], server)


def cell_bytes(study, n: int) -> float:
    """Bytes a chunk job holds per replicate of a cell of sample size ``n``: its data and
    fits (the most memory-hungry estimator's bytes per observation × n), its estimate
    rows, and kept posterior draws (and a copy)."""
    prices = [price(study.analysis, e) for e in study.estimators]
    per_obs = max((p.bytes_per_obs for p in prices), default=0.0)
    draws = sum(2 * 8 * p.kept_draws * len(study.estimands) for p in prices)
    return per_obs * n + ROW_BYTES * rows_per_replicate(study) + draws


def memory_cap(study, n: int) -> int:
    """Most seed blocks of replicates one job's cell of sample size ``n`` may hold:
    :data:`JOB_MEMORY`, :data:`MAX_VALUES` and :data:`MAX_ROWS`."""
    room = max(JOB_MEMORY - job_base(study), 0.0)
    return min(_blocks(room / max(cell_bytes(study, n), 1e-9)),
               _blocks(MAX_VALUES / max(n, 1)),
               _blocks(MAX_ROWS / max(rows_per_replicate(study), 1)))


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


def auto_layout(study) -> tuple[dict, frozenset]:
    """Replicates per chunk for each cell (keyed by ``Condition.id``), and the
    conditions whose jobs span all their sample sizes (by ``param_id``): those whose
    every cell, all replications, fits well inside one job. A costly condition keeps a
    job per cell, so adding a sample size to it runs only the new cells."""
    reps = study.replications
    target = job_seconds(study)
    out, grouped = {}, set()
    by: dict[str, list] = {}
    for c in study.conditions():
        by.setdefault(c.param_id, []).append(c)
    units = []  # (cell ids that share a size, its blocks) - a unit's jobs are counted once
    for pid, cells in by.items():
        secs = {c.id: replicate_seconds(study, c.n) for c in cells}
        # (a study with target MCSEs grows each cell in rounds of its own: a job per cell)
        if all(x * reps <= target for x in secs.values()) and study.targets is None:
            grouped.add(pid)  # a job holds one cell's datasets and rows at a time
            cap = memory_cap(study, max(c.n for c in cells))
            units.append(([c.id for c in cells], cap,
                          min(_blocks(target / max(sum(secs.values()), 1e-9)), cap)))
        else:
            for c in cells:
                cap = memory_cap(study, c.n)
                units.append(([c.id], cap, min(_blocks(target / max(secs[c.id], 1e-9)),
                                               cap)))
    jobs = sum(math.ceil(reps / (SEED_BLOCK * b)) for _, _, b in units)
    grow = jobs / MAX_JOBS if jobs > MAX_JOBS else 1.0  # every chunk by the same factor,
    full = SEED_BLOCK * math.ceil(reps / SEED_BLOCK)    # within its memory bound
    for ids, cap, b in units:
        size = _even(reps, min(SEED_BLOCK * min(math.ceil(b * grow), cap), full))
        out.update(dict.fromkeys(ids, size))
    return out, frozenset(grouped)


def auto_sizes(study) -> dict:
    """Replicates per chunk for each cell (keyed by ``Condition.id``)."""
    return auto_layout(study)[0]


def sizes_for(study, chunk_size: int | str):
    """What :meth:`fisherlab.spec.study.Study.chunks` takes: an int, or for ``"auto"`` a
    function of the cell."""
    if chunk_size == "auto":
        sizes = auto_sizes(study)
        return lambda c: sizes[c.id]
    return int(chunk_size)


def jobs_for(study, chunk_size: int | str) -> list:
    """The study's jobs (:class:`fisherlab.spec.study.Job`): with ``"auto"``, a cheap
    condition's jobs span its sample sizes; with a number, a job is one cell's
    replicate range of that size."""
    if chunk_size == "auto":
        sizes, grouped = auto_layout(study)
        return study.jobs(lambda c: sizes[c.id], grouped)
    return study.jobs(int(chunk_size))


def _auto_units(study):
    """``(jobs, spans every n)`` per unit of the auto layout: a grouped condition (its
    jobs span every sample size) or a single cell (arithmetic only)."""
    reps = study.replications
    sizes, grouped = auto_layout(study)
    seen = set()
    for c in study.conditions():
        unit = c.param_id if c.param_id in grouped else c.id
        if unit not in seen:
            seen.add(unit)
            yield math.ceil(reps / sizes[c.id]), c.param_id in grouped


def further_sizes(study, chunk_size: int | str) -> int:
    """How many (job, sample size) pairs there are beyond each job's first size: the
    auto layout's job of a cheap condition spans its every n, and an estimator that
    compiles a program per data shape compiles once more for each (arithmetic only)."""
    if chunk_size != "auto":
        return 0
    more = len(study.sample_sizes) - 1
    return sum(jobs * more for jobs, spans in _auto_units(study) if spans)


def count_jobs(study, chunk_size: int | str) -> tuple[int, int]:
    """(jobs, most cells in one job), with arithmetic only (no list of jobs)."""
    if chunk_size != "auto":
        return len(study.conditions()) * math.ceil(study.replications / int(chunk_size)), 1
    units = list(_auto_units(study))
    widest = len(study.sample_sizes) if any(spans for _, spans in units) else 1
    return sum(jobs for jobs, _ in units), widest
