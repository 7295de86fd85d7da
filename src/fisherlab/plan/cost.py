"""What a study will cost, before any job runs, and the limits past which a run stops.

:func:`study_cost` counts, with arithmetic only (no list of chunks is built), a study's
chunk jobs, datasets and estimate rows, and estimates from measured figures
(:mod:`fisherlab.plan.cost_table`, written by ``benchmarks/bench_costs.py``):

* the peak memory of its largest chunk job: the job's base (imports; PyMC's compiled
  model for ``map``/``posterior``) plus its largest cell (a job holds one at a time):
  bytes per observation × chunk replicates × the largest n (the most memory-hungry
  estimator's measured figure; regression data scaled by its number of columns), its
  estimate rows and kept posterior draws (:func:`fisherlab.plan.chunking.cell_bytes`);
* the peak memory of its summary steps (gather, check, summarise, diagnose, html): a
  base plus bytes per estimate row of one condition × n, the largest over the steps;
  gather streams, holding one estimator × estimand of a cell at a time, at most
  :data:`GATHER_ROWS` rows of it;
* the peak of the Snakemake process: its base plus, in its threads, the light steps
  and cheap chunk jobs that run there (:data:`IN_PROCESS`), at most one per CPU at once,
  each counted by what it adds beyond a step process's imports (:func:`process_bytes_of`);
* CPU time: per job, a start (interpreter and imports) and each estimator's setup
  (compiling), then seconds per dataset ``a + b·n`` per estimator; plus the summary
  steps' seconds per row; plus, for a study with ``measures:``, reading each cell's
  rows again and each measure on them (:func:`measures_seconds`); for a study with
  ``compare:``, reading each condition × n again to pair its rows (:func:`paired_seconds`).

:func:`check_limits` turns a cost past :data:`LIMITS` into a :class:`StudyError` naming
the study file and the key to change, unless the run opts in (config ``allow_large:
true``, ``fisherlab run/validate --allow-large``). The limits, and the measured figures
behind them, are in README ("Limits").
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ..core.errors import StudyError, StudyErrors
from ..core.layout import CHUNK_ROW_GROUP, PART_ROW_GROUP
from ..stats.plugins import BOOTSTRAP, JACKKNIFE
from ..stats.plugins.mcse import JACKKNIFE_GROUPS, RESAMPLES
from . import cost_table
from .chunking import (
    auto_layout,
    cell_bytes,
    count_jobs,
    further_sizes,
    job_base,
    runs_in_process,
    sizes_for,
)
from .prices import price

GiB = 1 << 30
#: past these a run stops unless it opts in (README, "Limits"):
#: chunk jobs per run (Snakemake's DAG: ~2 ms and ~16 KB per job, measured by
#: benchmarks/bench_dag.py), peak memory of one chunk job, peak of a summary step,
#: estimated CPU time of one study (1000 CPU-hours: five days on 8 cores)
LIMITS = {"jobs": 10_000, "job_memory": 2 * GiB, "summary_memory": 4 * GiB,
          "cpu_seconds": 1000 * 3600}
OPT_IN = ("or opt in: snakemake --config allow_large=true (or allow_large: true in "
          "config/config.yaml), fisherlab run --allow-large")


def machine_cpus() -> int:
    """The CPUs this process may run on (its affinity, as a container or ``taskset``
    sets it), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Cost:
    study: str
    file: str
    conditions: int
    jobs: int
    datasets: int
    rows: int
    #: the largest chunk job: its sample size, replicates, peak bytes
    job_n: int
    job_reps: int
    job_bytes: int
    summary_bytes: int
    cpu_seconds: float
    #: peaks of a gather job and of the Snakemake process (its base and in-process steps)
    gather_bytes: int = 0
    process_bytes: int = 0
    #: estimators whose figures were not measured for this family (a bound was used)
    unmeasured: tuple[str, ...] = ()
    #: the study file's key that drives the largest job's memory, and the CPU time
    memory_key: str = "sample_sizes"
    time_key: str = "replications"

    def line(self) -> str:
        est = f" (no measured figure for {', '.join(self.unmeasured)}: upper bound used)" \
            if self.unmeasured else ""
        jobs = f"{self.jobs:,} job{'s' * (self.jobs != 1)}"
        return (f"{jobs}, {self.datasets:,} datasets, {self.rows:,} estimate rows; "
                f"largest job {size(self.job_bytes)} (n = {self.job_n:,}, "
                f"{self.job_reps:,} replicates), summary steps {size(self.summary_bytes)} "
                f"(gather {size(self.gather_bytes)}), Snakemake process "
                f"{size(self.process_bytes)}; "
                f"about {duration(self.cpu_seconds)} of CPU{est}")


def machine_memory() -> int | None:
    """This machine's physical memory in bytes, where the OS says."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def size(nbytes: float) -> str:
    nbytes = float(min(nbytes, 1e30))
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if nbytes < 1024 or unit == "PiB":
            return f"{nbytes:.0f} {unit}" if unit in ("B", "KiB", "MiB") else \
                f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    raise AssertionError  # pragma: no cover


def duration(seconds: float) -> str:
    s = float(min(seconds, 1e30))
    if s < 90:
        return f"{max(s, 1):.0f} s"
    if s < 90 * 60:
        return f"{s / 60:.0f} min"
    if s < 48 * 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:,.0f} days"


#: rows a gather holds at most (an estimates file's row group being filled, and one
#: row group of a chunk): fisherlab.run.dataset.gather
GATHER_ROWS = PART_ROW_GROUP + CHUNK_ROW_GROUP
#: summary steps that run in the Snakemake process's threads (fisherlab.cli.inprocess;
#: the report page's steps, diagnose and html, fork); also cheap chunk jobs
IN_PROCESS = ("gather", "combine", "check", "summarise")
#: summary steps forked from the preloaded server (the report page's job): their peak
#: counts the server's pages (imports the step itself would not make) too
FORKED = ("diagnose", "html")
#: entries of the table's SUMMARY that are not steps: the Snakemake process's base (its
#: imports, the workflow's, its threads), the preloaded server's (fisherlab.cli.inprocess)
#: and a step's process before its step (what a step in a thread does not add)
NOT_STEPS = ("snakemake", "server", "imports")
#: the Snakemake process's memory per job of its DAG (benchmarks/bench_dag.py: ~16 KB)
DAG_JOB_BYTES = 16_000


def step_bytes(unit_rows: int, gather_rows: int) -> dict[str, float]:
    """Peak bytes of each summary step of the cost table (and the Snakemake process's
    base) on one condition × n of ``unit_rows`` estimate rows (every estimator's and
    estimand's), of which gather holds ``gather_rows`` (one estimator × estimand's) up
    to :data:`GATHER_ROWS`."""
    table = cost_table.SUMMARY
    # what the server imports beyond a plain job's stack
    extra = max(0.0, table.get("server", (0, 0.0))[1] - cost_table.JOB_BASE_BYTES["numpy"])
    out = {}
    for stage, (per_row, base, _, _) in table.items():
        held = min(gather_rows, GATHER_ROWS) if stage == "gather" else unit_rows
        out[stage] = base + per_row * held + (extra if stage in FORKED else 0.0)
    return out


def in_process_cell_bytes(study, chunk_size) -> float:
    """The most a chunk job that runs in the Snakemake process
    (:func:`fisherlab.plan.chunking.runs_in_process`) holds at once: its largest cell;
    0 when every job is forked."""
    grouped = auto_layout(study)[1] if chunk_size == "auto" else frozenset()
    size_of = sizes_for(study, chunk_size)
    by: dict[str, list] = {}
    for c in study.conditions():
        by.setdefault(c.param_id, []).append(c)
    most = 0.0
    for pid, cells in by.items():
        for unit in ([cells] if pid in grouped else [[c] for c in cells]):
            reps = min(size_of(unit[0]) if callable(size_of) else size_of,
                       int(study.replications))
            if runs_in_process(study, [(reps, c.n) for c in unit]):
                most = max(most, reps * cell_bytes(study, max(c.n for c in unit)))
    return most


def process_bytes_of(steps: dict, in_process_job: float, cores: int | None,
                     jobs: int = 0) -> float:
    """The Snakemake process's peak: its base and its DAG of ``jobs`` jobs plus, for each
    of at most ``cores`` threads at once (one job per CPU), the most that an in-process
    step adds to its own base: a light step's rows, or a cheap chunk job's largest cell
    (``in_process_job`` bytes). A step adds its peak less the imports its own process
    had before it (the table's ``imports``): the intercept of its line over rows (its
    ``base``) also holds what the step allocates whatever its rows."""
    table = cost_table.SUMMARY
    base = table.get("snakemake", (0, 0, 0, 0))[1] + DAG_JOB_BYTES * jobs
    imports = table["imports"][1]
    adds = [steps[k] - imports for k in IN_PROCESS if k in table]
    return base + max(1, cores or machine_cpus()) * max([*adds, in_process_job])


def study_cost(study, chunk_size: int | str, cores: int | None = None) -> Cost:
    """What ``study`` costs in chunks of ``chunk_size`` replicates, or ``"auto"``
    (:mod:`fisherlab.plan.chunking`) (arithmetic only); ``cores``: jobs at once (the
    Snakemake process's threads; default: this machine's CPUs)."""
    grid = math.prod(len(v) for v in study.params.values())
    sizes = list(study.sample_sizes)
    reps = int(study.replications)
    size_of = sizes_for(study, chunk_size)
    per = [size_of(c) if callable(size_of) else size_of for c in study.conditions()]
    jobs, _ = count_jobs(study, chunk_size)  # study.Job: a cell or every n
    chunk = min(max(per), reps)
    n_est, n_estimands = len(study.estimators), len(study.estimands)
    datasets = grid * len(sizes) * reps
    rows = datasets * n_est * n_estimands
    n_max = max(sizes)
    unmeasured, most_draws, slowest, data_bytes, draws_bytes = [], (0, ""), (0.0, ""), 0.0, 0.0
    per_dataset = []  # (a, b) per estimator, scaled
    setup = size_setup = 0.0
    for i, e in enumerate(study.estimators):
        pr = price(study.analysis, e)
        if not pr.measured:
            unmeasured.append(e.name)
        if pr.kept_draws:
            draws_bytes += 2 * 8 * pr.kept_draws * n_estimands * chunk  # draws, and a copy
            most_draws = max(most_draws, (pr.kept_draws, f"estimators[{i}].{e.name}.draws"))
            slowest = max(slowest, (pr.a, f"estimators[{i}].{e.name}"))
        per_dataset.append((pr.a, pr.b))
        data_bytes = max(data_bytes, pr.bytes_per_obs * chunk * n_max)
        setup += pr.setup
        size_setup += pr.size_setup
    # a job holds one cell at a time: its largest
    job_bytes = int(job_base(study) + chunk * cell_bytes(study, n_max))
    # the summary steps stream one condition × n at a time (fisherlab.run.dataset)
    steps = step_bytes(reps * n_est * n_estimands, reps)
    gather_bytes = int(steps.get("gather", 0))
    summary_bytes = int(max(v for k, v in steps.items() if k not in NOT_STEPS))
    process_bytes = int(process_bytes_of(steps, in_process_cell_bytes(study, chunk_size),
                                         cores, jobs))
    fit_seconds = sum(grid * reps * (a + b * n) for n in sizes for a, b in per_dataset)
    job_seconds = (jobs * (cost_table.JOB_START_SECONDS + setup)
                   + further_sizes(study, chunk_size) * size_setup)
    # the diagnostics and verdicts walk the cells (condition × n × estimator × estimand):
    # their fixed seconds, measured on the benchmark's cells, scale with the study's; a
    # gather job per condition × n, each with its fixed seconds (opening its chunks,
    # merging their statistics, writing two files)
    cells = grid * len(sizes) * n_est * n_estimands
    scale = {"diagnose": cells / cost_table.SUMMARY_CELLS,
             "gather": grid * len(sizes) / cost_table.SUMMARY_UNITS}
    summary_seconds = sum(s * scale.get(k, 1.0) + per_row * rows
                          for k, (_, _, per_row, s) in cost_table.SUMMARY.items()
                          if k not in NOT_STEPS)
    summary_seconds += measures_seconds(study, rows, rows // max(reps, 1))
    summary_seconds += paired_seconds(study, rows, grid * len(sizes))
    # the posterior's sampling dominates when its seconds per dataset are most of all
    time_key = slowest[1] if slowest[0] > 0.5 * sum(a for a, _ in per_dataset) \
        else "replications"
    return Cost(study.name, str(study.path), grid * len(sizes), jobs,
                datasets, rows, n_max, chunk, job_bytes, summary_bytes,
                fit_seconds + job_seconds + summary_seconds, gather_bytes, process_bytes,
                tuple(unmeasured),
                most_draws[1] if draws_bytes > data_bytes else "sample_sizes", time_key)


#: the measures stage (measured on 2 cores, 2,000 and 20,000 replicates a cell): opening
#: one cell's rows, reading a row, a measure's pass over a row (a closed form's
#: median and kernel density) and one resampled evaluation's pass (jackknife, bootstrap)
MEASURE_PRICES = {"cell": 5e-3, "read_row": 2e-7, "row": 2e-7, "resampled_row": 2e-8}


def measures_seconds(study, rows: int, cells: int) -> float:
    """CPU seconds of measures.csv: every cell read once, and each measure of
    ``study.measures`` on its rows, times its ``work`` (a median sorts: a few) and,
    without a closed form, its resampled evaluations (the jackknife's groups, capped at
    :data:`~fisherlab.stats.plugins.mcse.JACKKNIFE_GROUPS`; the bootstrap's resamples)."""
    measures = getattr(study, "measures", ())
    if not measures:
        return 0.0
    p = MEASURE_PRICES
    reps = max(int(study.replications), 1)
    total = cells * p["cell"] + rows * p["read_row"]
    for m in measures:
        evals = {JACKKNIFE: min(reps, JACKKNIFE_GROUPS), BOOTSTRAP: RESAMPLES}.get(m.mcse, 0)
        total += rows * m.measure.work * (p["row"] + evals * p["resampled_row"])
    return total


#: the paired stage (measured on 2 cores: gamma_mle_vs_mom, 8 condition × n files of
#: 2,000 rows, 0.15 s): reading and pairing one condition × n, and a row
PAIRED_PRICES = {"unit": 1.5e-2, "row": 5e-7}


def paired_seconds(study, rows: int, units: int) -> float:
    """CPU seconds of paired.csv (``compare:``): each of the ``units`` condition × n
    files read once and its rows paired by replicate."""
    if getattr(study, "compare", None) is None:
        return 0.0
    return units * PAIRED_PRICES["unit"] + rows * PAIRED_PRICES["row"]


def check_limits(costs: list[Cost], allow_large: bool = False,
                 chunk_size_key: str = "chunk_size") -> None:
    """A StudyError (StudyErrors for several files) for every study past a limit; the
    job limit counts the jobs of all ``costs`` together (one Snakemake DAG)."""
    if allow_large:
        return
    errors: dict[str, list[tuple[str, str]]] = {}
    lim = LIMITS
    total = sum(c.jobs for c in costs)
    if total > lim["jobs"]:
        for c in sorted(costs, key=lambda c: -c.jobs)[:3]:
            errors.setdefault(c.file, []).append((
                "replications", f"the run plans {total:,} chunk jobs ({c.jobs:,} of them this "
                f"study's: conditions × replications / {chunk_size_key}); the limit is "
                f"{lim['jobs']:,}: lower replications, the parameter lists or sample_sizes, "
                f"raise {chunk_size_key}, run fewer studies at once, {OPT_IN}"))
    for c in costs:
        if c.job_bytes > lim["job_memory"]:
            what = ("the posterior draws kept per replicate (draws × chains)"
                    if c.memory_key != "sample_sizes" else "the largest sample size")
            errors.setdefault(c.file, []).append((
                c.memory_key, f"the largest job (n = {c.job_n:,}, {c.job_reps:,} replicates) "
                f"needs about {size(c.job_bytes)}; the limit is {size(lim['job_memory'])} per "
                f"job: lower {what} or {chunk_size_key}, {OPT_IN}"))
        if c.cpu_seconds > lim["cpu_seconds"]:
            errors.setdefault(c.file, []).append((
                c.time_key, f"the study needs about {duration(c.cpu_seconds)} of CPU; the "
                f"limit is {duration(lim['cpu_seconds'])}: lower replications, sample_sizes "
                f"or the parameter lists (or the posterior's draws, tune or chains), {OPT_IN}"))
        if c.summary_bytes > lim["summary_memory"]:
            errors.setdefault(c.file, []).append((
                "replications", f"{c.rows:,} estimate rows need about {size(c.summary_bytes)} "
                f"in the summary steps; the limit is {size(lim['summary_memory'])}: lower "
                f"replications, the parameter lists, sample_sizes, estimators or estimands, "
                f"{OPT_IN}"))
    each = [StudyError(f, k, p, more) for f, ((k, p), *more) in errors.items()]
    if len(each) == 1:
        raise each[0]
    if each:
        raise StudyErrors(each)


def plan_text(costs: list[Cost], cores: int | None = None, per_study: bool = True) -> str:
    """The cost plan as text: a line per study, a total, the limits."""
    lines = [f"cost plan: {c.study}: {c.line()}" for c in costs] if per_study else []
    if len(costs) > 1:
        cpu = sum(c.cpu_seconds for c in costs)
        lines.append(f"cost plan: total: {sum(c.jobs for c in costs):,} jobs, "
                     f"{sum(c.rows for c in costs):,} estimate rows, about {duration(cpu)} "
                     "of CPU")
    if cores:
        cpu = sum(c.cpu_seconds for c in costs)
        lines.append(f"cost plan: about {duration(cpu / cores)} on {cores} core(s) "
                     "(measured per-fit costs; the machine's load changes it)")
    ram = machine_memory()
    if ram and costs:
        parallel = max(1, min(cores or 1, max(c.jobs for c in costs)))
        need = max(max(c.job_bytes for c in costs) * parallel,
                   max(c.summary_bytes for c in costs), max(c.process_bytes for c in costs))
        if need > ram:
            lines.append(f"cost plan: WARNING: this machine has {size(ram)} of memory; "
                         f"{parallel} job(s) at once or a summary step may need {size(need)}"
                         " (run with fewer --cores, or on a larger machine)")
    lines.append(f"cost plan: limits: {LIMITS['jobs']:,} jobs per run, "
                 f"{size(LIMITS['job_memory'])} per job, {size(LIMITS['summary_memory'])} "
                 f"per summary step, {duration(LIMITS['cpu_seconds'])} of CPU per study "
                 "(README, 'Limits')")
    return "\n".join(lines)
