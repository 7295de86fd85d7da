"""The pipeline's stages, each a function of the study object and files.

The workflow's rules call these through the CLI (one sub-command per stage) and
``fisherlab run`` calls the same functions in one process, in the same order, writing
the same files under ``<results>/<study>/``:

    chunk      chunks/<cond>/<job>.parquet (+ .stats.parquet, .n<n>.draws.nc)
                                                   draw and fit one job: a replicate range
                                                   of one cell (job n<n>.c<k>), or of a
                                                   cheap condition at every n (c<k>)
    gather     estimates/cond=<cond>/n<n>.parquet, stats/cond=<cond>/n<n>.parquet
                                                   one condition's rows and cell statistics,
                                                   a file per n
    combine    provenance.json                      where every chunk came from
    export     estimates.parquet                    optional: every row in one file
    check      status.json                          ok, or stopped by max_failure_rate
    summarise  summary.csv                          Morris et al. measures, from statistics
    measures   measures.csv                         the study's own measures (measures:),
                                                   a cell at a time; only if it lists any
    paired     paired.csv                           paired comparisons with a reference
                                                   (compare:), a condition × n at a time
    diagnose   <diagnostic>.csv                     every diagnostic table, a piece at a time
    judge      verdicts.csv, claims.csv             every verdict, by its one rule; the claims
    report_md  report.md                            definition, claims, verdicts, summary
    html       report.html, figures/, verdict.json  the study's page
    index      <results>/index.html                 every study on disk

No stage after ``chunk`` holds the whole study in memory: ``gather`` holds one cell,
``summarise`` merges statistics, ``diagnose`` and ``html`` read a condition or a cell
at a time (:class:`fisherlab.run.dataset.Estimates`). No stage rebuilds the family or an
estimator from a name: each receives the :class:`~fisherlab.spec.study.Study`
that :func:`~fisherlab.spec.study.load_study` built.

Chunks check themselves: each carries the digest of its rows and its spec's hash (its
statistics file the same spec hash), and :func:`gather` verifies them; a corrupt or
stale chunk is removed (so that the next run regenerates it) and named in a
:class:`~fisherlab.core.errors.ChunkError` (:mod:`fisherlab.run.chunks`), and every file
derived from the old rows is removed with it, so no summary or page is left beside rows
it was not computed from. The dataset, the optional estimates.parquet and summary.csv
depend on nothing but the study file and the package
versions: byte-identical across runs, cores and chunk sizes; timings and the chunk list
are in provenance.json only.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ..core import files
from ..core.defaults import CHUNK_SIZE, SINGLE_FILE_ROWS
from ..core.errors import ChunkError, FailureRateError
from ..core.layout import ESTIMATES, INDEX, RESULTS, STATS, StudyFiles, chunk_file
from ..diagnostics import TABLES, stream_all
from ..diagnostics.failures import check_failure_rate_of
from ..diagnostics.paired import paired_table
from ..plan.chunking import jobs_for, study_rows
from ..run import provenance
from ..run.chunks import remove, verify_chunks, write_chunk
from ..run.dataset import Estimates
from ..run.dataset import export as stream_rows
from ..run.dataset import gather as gather_rows
from ..spec.study import Job, Study
from ..stats.measures import becoverage, performance_from_stats, summarise_stats
from ..verdicts import CLAIMS
from ..verdicts import TABLE as VERDICTS
from ..verdicts import judge as judge_all
from .measures import measures_table
from .rounds import mark, run_rounds, write_table


def chunk(study: Study, job: Job, out: str | Path) -> tuple[int, float]:
    """Draw and fit one job and write its chunk file (:func:`fisherlab.run.chunks.
    write_chunk`). Returns (rows, seconds)."""
    return write_chunk(study, job, out)


def gather(study: Study, cond: str, chunk_paths: list[str | Path],
           folder: str | Path, chunk_size=None) -> int:
    """One condition: for each n, ``estimates/cond=<cond>/n<n>.parquet`` (its rows, cell
    by cell) and ``stats/cond=<cond>/n<n>.parquet`` (its cells' merged statistics), from
    the condition's chunks that passed :func:`~fisherlab.run.chunks.verify_chunks`; if one
    did not, this condition's files and every file derived from the study's rows are
    removed first."""
    sf = StudyFiles(folder)
    cells = [c for c in study.conditions() if c.param_id == cond]
    if not cells:
        raise KeyError(f"no condition {cond!r} in study {study.name!r}")
    try:
        verify_chunks(study, chunk_paths, chunk_size)
    except ChunkError:
        remove([sf.folder / ESTIMATES / f"cond={cond}", sf.folder / STATS / f"cond={cond}",
                *sf.derived()])
        raise
    return sum(gather_rows(c, chunk_paths, sf.part(ESTIMATES, cond, c.n),
                           sf.part(STATS, cond, c.n)) for c in cells)


def combine(study: Study, chunk_paths: list[str | Path], provenance_json: str | Path) -> dict:
    """provenance.json: the study file, seed, versions, every chunk's spec and time, and
    when it was written; from chunks that pass verification (if one does not, every file
    derived from the study's rows is removed first)."""
    try:
        verify_chunks(study, chunk_paths)
    except ChunkError:
        remove(StudyFiles(Path(provenance_json).parent).derived())
        raise
    meta = provenance.study_provenance(study, chunk_paths)
    meta["created"] = datetime.now(UTC).isoformat(timespec="seconds")
    files.write_text(provenance_json, json.dumps(meta, indent=1, default=str))
    return meta


def export(study: Study, folder: str | Path, out: str | Path) -> int:
    """The optional single file ``estimates.parquet``: every row, in the study's order
    (condition, n, estimator, estimand, replicate), streamed from the dataset."""
    return stream_rows(Estimates(folder).parts(), out)


def check(study: Study, folder: str | Path, out: str | Path) -> dict:
    """status.json: ``stopped`` when more fits failed than the study's
    ``max_failure_rate`` allows (the message names the conditions), else ok; the rates
    come from the cells' statistics. A stopped study's derived files are removed: its
    summary and page stay absent."""
    status = {"study": study.name, "family": study.family.name,
              "description": study.description, "stopped": False, "message": "",
              "max_failure_rate": study.max_failure_rate,
              "created": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        check_failure_rate_of(Estimates(folder), study.max_failure_rate, study.name)
    except FailureRateError as exc:
        status.update(stopped=True, message=str(exc))
        sf = StudyFiles(Path(out).parent)
        remove([p for p in sf.derived() if p != sf.estimates_file])
    files.write_text(out, json.dumps(status, indent=1))
    return status


def summarise(study: Study, folder: str | Path, out: str | Path):
    """summary.csv from the cells' merged statistics; stops (FailureRateError) when the
    study's max_failure_rate is exceeded. Bias-eliminated coverage is counted from each
    cell's intervals, a cell at a time (one row group of its condition × n file). A study
    with target MCSEs gains ``hit_max`` (:func:`fisherlab.pipeline.rounds.mark`)."""
    source = Estimates(folder)
    check_failure_rate_of(source, study.max_failure_rate, study.name)
    cells = source.cells
    keys = source.keys + ["n", "estimator", "estimand"]
    drawn = any(c.startswith("prior_") for c in cells.columns)
    becov = {}
    for _, c in cells.iterrows():
        if not (c["x_cnt"] > 0 and c["width_cnt"] == c["x_cnt"]):
            continue
        p = performance_from_stats(c, drawn)
        d = source.read(c["cond"], c["n"], ["true_value", "ci_low", "ci_high", "converged"],
                        estimator=c["estimator"], estimand=c["estimand"])
        d = d[d["converged"].to_numpy(bool)]
        centre = d["true_value"].to_numpy(float) + p["bias"] if drawn else p["mean"]
        becov[tuple(c[k] for k in keys)] = becoverage(d["ci_low"], d["ci_high"], centre)
    summary = mark(summarise_stats(cells.drop(columns="cond"), becov), study, folder)
    files.write_csv(summary, out)
    return summary


def measures(study: Study, folder: str | Path, out: str | Path) -> pd.DataFrame:
    """measures.csv: every measure the study lists on every cell, read a cell at a time
    (:mod:`fisherlab.pipeline.measures`); nothing is written for a study without."""
    table = measures_table(study, Estimates(folder))
    if study.measures:
        files.write_csv(table, out)
    return table


def paired(study: Study, folder: str | Path, out: str | Path) -> pd.DataFrame:
    """paired.csv: every estimator against the study's reference (``compare:``) on the
    same datasets, a condition × n at a time (:mod:`fisherlab.diagnostics.paired`);
    nothing is written for a study without ``compare:``."""
    table = paired_table(study, Estimates(folder))
    if study.compare is not None:
        files.write_csv(table, out)
    return table


def report_md(study: Study, folder: str | Path, out: str | Path) -> None:
    """report.md: the study's definition, its claims and verdicts, and its summary as
    readable tables (and, for a study with target MCSEs, how they were met)."""
    from ..report.markdown import render  # start-up: the report's stack, only when drawn

    sf = StudyFiles(folder)
    files.write_text(out, render(study, files.read_table(sf.summary),
                                 files.read_table(sf.table(VERDICTS)), Estimates(folder).fits(),
                                 files.read_table(sf.precision) if study.targets
                                 and sf.precision.exists() else None,
                                 files.read_table(sf.measures) if study.measures
                                 and sf.measures.exists() else None,
                                 files.read_table(sf.paired) if study.compare is not None
                                 and sf.paired.exists() else None,
                                 files.read_table(sf.table("tests")) if study.tests
                                 and sf.table("tests").exists() else None))


def diagnose(study: Study, folder: str | Path, outdir: str | Path) -> dict:
    """Every diagnostic table, written as ``<outdir>/<name>.csv``, each computed a
    condition or a cell at a time (:func:`fisherlab.diagnostics.stream_all`)."""
    tables = stream_all(Estimates(folder), study)
    for name, t in tables.items():
        files.write_csv(t, StudyFiles(outdir).table(name))
    return tables


def judge(study: Study, folder: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """verdicts.csv and claims.csv: every rule (:mod:`fisherlab.verdicts`) on the
    summary and every diagnostic table of the results folder."""
    sf = StudyFiles(folder)
    tables = {name: files.read_table(sf.table(name)) for name in ("summary", *TABLES)}
    if study.measures:
        tables["measures"] = files.read_table(sf.measures)
    if study.compare is not None:
        tables["paired"] = files.read_table(sf.paired)
    verdicts, claims = judge_all(study, tables)
    files.write_csv(verdicts, sf.table(VERDICTS))
    files.write_csv(claims, sf.table(CLAIMS))
    return verdicts, claims


def html(study: Study, folder: str | Path, out: str | Path,
         figures: str | Path | None = None, verdict: str | Path | None = None) -> str:
    """The study's page from its results folder; returns the one-line verdict."""
    from ..report.page import write_report  # start-up: matplotlib and ArviZ, only when drawn

    return write_report(study, Path(folder), Path(out), figures, verdict)


def index(results: str | Path, out: str | Path | None = None) -> Path:
    """``<results>/index.html``: every study with results on disk."""
    from ..report.index import write_index  # start-up: the report's stack, only when drawn

    out = Path(out) if out is not None else Path(results) / INDEX
    write_index(Path(results), out)
    return out


# --------------------------------------------------------------------------- all of them
def run(study: Study, results: str | Path = RESULTS, chunk_size: int | str = CHUNK_SIZE,
        html_page: bool = True, single_file: int | None = None, echo=print) -> Path:
    """Every stage of one study in this process, writing the workflow's files; a study
    stopped by max_failure_rate raises FailureRateError after its status and the index.
    ``single_file``: write estimates.parquet when the study has at most this many rows
    (default :data:`fisherlab.core.defaults.SINGLE_FILE_ROWS`; 0: never)."""
    results = Path(results)
    sf = StudyFiles(results / study.name)
    t0 = time.perf_counter()
    paths: dict = {}
    if study.targets is not None:  # rounds of chunks until the targets are met
        study, _ = run_rounds(study, results, chunk_size, chunk)
    for job in jobs_for(study, chunk_size):
        path = chunk_file(results, study.name, job)
        if study.targets is None:
            chunk(study, job, path)
        paths.setdefault(job.param_id, []).append(path)
    rows = sum(gather(study, cond, p, sf.folder, chunk_size) for cond, p in paths.items())
    combine(study, [p for ps in paths.values() for p in ps], sf.provenance)
    limit = SINGLE_FILE_ROWS if single_file is None else single_file
    if study_rows(study) <= limit:
        export(study, sf.folder, sf.estimates_file)
    status = check(study, sf.folder, sf.status)
    if status["stopped"]:
        if html_page:
            index(results)
        raise FailureRateError(status["message"])
    summarise(study, sf.folder, sf.summary)
    if study.measures:
        measures(study, sf.folder, sf.measures)
    if study.compare is not None:
        paired(study, sf.folder, sf.paired)
    if study.targets is not None:
        write_table(study, sf.folder, sf.precision)
    diagnose(study, sf.folder, sf.folder)
    judge(study, sf.folder)
    report_md(study, sf.folder, sf.report_md)
    if html_page:
        html(study, sf.folder, sf.report_html, sf.figures, sf.verdict)
        index(results)
    echo(f"{study.name}: {rows} rows in {time.perf_counter() - t0:.1f} s -> {sf.folder}/")
    return sf.folder
