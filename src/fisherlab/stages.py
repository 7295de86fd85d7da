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
    report_md  report.md                            the summary, readable
    diagnose   <diagnostic>.csv                     every diagnostic table, a piece at a time
    html       report.html, figures/, verdict.json  the study's page
    index      <results>/index.html                 every study on disk

No stage after ``chunk`` holds the whole study in memory: ``gather`` holds one cell,
``summarise`` merges statistics, ``diagnose`` and ``html`` read a condition or a cell
at a time (:class:`fisherlab.dataset.Estimates`). No stage rebuilds the family or an
estimator from a name: each receives the :class:`~fisherlab.study.Study` that
:func:`~fisherlab.study.load_study` built.

Chunks check themselves: each carries the digest of its rows and its spec's hash (its
statistics file the same spec hash), and :func:`gather` verifies them; a corrupt or
stale chunk is removed (so that the next run regenerates it) and named in a
:class:`ChunkError`, and every file derived from the old rows is removed with it, so no
summary or page is left beside rows it was not computed from. The dataset, the optional
estimates.parquet and summary.csv depend on nothing but the study file and the package
versions: byte-identical across runs, cores and chunk sizes; timings and the chunk list
are in provenance.json only.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from . import io, provenance
from .study import Job, Study

#: a job's chunk file under a results folder; the workflow's rules use the same layout
CHUNK_FILE = "{study}/chunks/{cond}/{chunk}.parquet"


def chunk_file(results: str | Path, study: Study, job: Job) -> Path:
    return Path(results) / CHUNK_FILE.format(study=study.name, cond=job.param_id,
                                             chunk=job.name)


def side_files(chunk: str | Path) -> list[Path]:
    """A chunk file's statistics and any posterior draws written beside it."""
    from .dataset import stats_path

    p = Path(chunk)
    return [stats_path(p), *p.parent.glob(f"{p.stem}.n*.draws.nc")]


def spec_sha256(spec: dict) -> str:
    """The hash that identifies what a chunk computes (its spec as canonical JSON)."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


# --------------------------------------------------------------------------- stages
def chunk(study: Study, job: Job, out: str | Path) -> tuple[int, float]:
    """Draw and fit one job, a cell at a time; write its rows (one row group per cell),
    its cells' per-block statistics beside them (``.stats.parquet``, with ``n``) and any
    kept posterior draws (``.n<n>.draws.nc``). Returns (rows, seconds)."""
    import pandas as pd

    from .dataset import stats_path
    from .simulate import drawn_params, timed_chunk
    from .sufficient import block_stats

    out = Path(out)
    frames, stats, fits, seconds = [], [], [], 0.0
    for ch in job.chunks:
        n = ch.condition.n
        df, sec = timed_chunk(study, ch, draws_path=out.with_name(f"{out.stem}.n{n}.draws.nc"))
        fits.append({"n": n, **df.attrs.get("fit_seconds", {})})
        st = block_stats(df, bool(drawn_params(ch.condition.params)))
        st.insert(0, "n", n)
        frames.append(df)
        stats.append(st)
        seconds += sec
    df = pd.concat(frames, ignore_index=True)
    df.attrs = {"fit_seconds": fits}  # per cell: provenance.json's timings
    spec = study.spec(job)
    sha = spec_sha256(spec)
    io.write_parquet(pd.concat(stats, ignore_index=True), stats_path(out),
                     meta={"spec_sha256": sha})
    io.write_parquet(df, out, meta={"spec": spec, "spec_sha256": sha,
                                    "seconds": round(seconds, 4),
                                    "versions": provenance.versions()},
                     checksum=True, row_group_size=max(len(frames[0]), 1))
    return len(df), seconds


class ChunkError(RuntimeError):
    """Chunks that are corrupt or stale: named, removed, to be regenerated."""


def derived_files(folder: str | Path) -> list[Path]:
    """The files of a study's results folder computed from its rows."""
    from .diagnostics import TABLES

    folder = Path(folder)
    names = ["estimates.parquet", "summary.csv", "precision.csv", "report.md", "report.html",
             "verdict.json", "status.json", "figures", *(f"{t}.csv" for t in TABLES)]
    return [folder / nm for nm in names]


def remove(paths) -> list[Path]:
    """Remove files and folders that exist; the ones removed."""
    gone = []
    for p in map(Path, paths):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
            gone.append(p)
        elif p.exists() or p.is_symlink():
            p.unlink(missing_ok=True)
            gone.append(p)
    return gone


def verify_chunks(study: Study, chunk_paths: list[str | Path],
                  chunk_size=None) -> None:
    """Each chunk's checksum, and its spec hash against the study's (and its statistics
    file's against its own): bad chunks are removed with their side files and named in
    a :class:`ChunkError`. ``chunk_size``: a number or ``"auto"``, as the jobs were
    planned (:func:`fisherlab.chunking.jobs_for`); the paths must then be chunk files of
    this study."""
    from .chunking import jobs_for
    from .dataset import stats_path

    expected = ({spec_sha256(study.spec(job)) for job in jobs_for(study, chunk_size)}
                if chunk_size is not None else None)
    bad = []
    for p in map(Path, chunk_paths):
        _, meta, problem = io.read_checked(p)
        sha = meta.get("spec_sha256")
        if not problem and expected is not None and sha not in expected:
            problem = "is stale (computed for another spec: the study, the chunk size or " \
                      "fisherlab changed)"
        if not problem:
            try:
                if io.read_meta(stats_path(p)).get("spec_sha256") != sha:
                    problem = "has statistics of another spec"
            except Exception as exc:  # noqa: BLE001 - any failure to read is corruption
                problem = f"has unreadable statistics ({type(exc).__name__})"
        if problem:
            bad.append(f"  {p}: {problem}")
            remove([p, *side_files(p)])
    if bad:
        raise ChunkError(f"study {study.name!r}: {len(bad)} chunk file(s) removed, to be "
                         "regenerated by the next run (snakemake, or fisherlab run):\n"
                         + "\n".join(bad))


def gather(study: Study, cond: str, chunk_paths: list[str | Path],
           folder: str | Path, chunk_size=None) -> int:
    """One condition: for each n, ``estimates/cond=<cond>/n<n>.parquet`` (its rows, cell
    by cell) and ``stats/cond=<cond>/n<n>.parquet`` (its cells' merged statistics), from
    the condition's chunks that passed :func:`verify_chunks`; if one did not, this
    condition's files and every file derived from the study's rows are removed first."""
    from .dataset import ESTIMATES, STATS, part_path
    from .dataset import gather as gather_rows

    cells = [c for c in study.conditions() if c.param_id == cond]
    if not cells:
        raise KeyError(f"no condition {cond!r} in study {study.name!r}")
    try:
        verify_chunks(study, chunk_paths, chunk_size)
    except ChunkError:
        remove([Path(folder) / ESTIMATES / f"cond={cond}", Path(folder) / STATS / f"cond={cond}",
                *derived_files(folder)])
        raise
    return sum(gather_rows(c, chunk_paths, part_path(folder, ESTIMATES, cond, c.n),
                           part_path(folder, STATS, cond, c.n)) for c in cells)


def combine(study: Study, chunk_paths: list[str | Path], provenance_json: str | Path) -> dict:
    """provenance.json: the study file, seed, versions, every chunk's spec and time, and
    when it was written; from chunks that pass :func:`verify_chunks` (if one does not,
    every file derived from the study's rows is removed first)."""
    try:
        verify_chunks(study, chunk_paths)
    except ChunkError:
        remove(derived_files(Path(provenance_json).parent))
        raise
    meta = provenance.study_provenance(study, chunk_paths)
    meta["created"] = datetime.now(UTC).isoformat(timespec="seconds")
    io.write_text(provenance_json, json.dumps(meta, indent=1, default=str))
    return meta


def export(study: Study, folder: str | Path, out: str | Path) -> int:
    """The optional single file ``estimates.parquet``: every row, in the study's order
    (condition, n, estimator, estimand, replicate), streamed from the dataset."""
    from .dataset import Estimates
    from .dataset import export as stream

    return stream(Estimates(folder).parts(), out)


def check(study: Study, folder: str | Path, out: str | Path) -> dict:
    """status.json: ``stopped`` when more fits failed than the study's
    ``max_failure_rate`` allows (the message names the conditions), else ok; the rates
    come from the cells' statistics. A stopped study's derived files are removed: its
    summary and page stay absent."""
    from .dataset import Estimates
    from .diagnostics.failures import FailureRateError, check_failure_rate_of

    status = {"study": study.name, "family": study.family.name,
              "description": study.description, "stopped": False, "message": "",
              "max_failure_rate": study.max_failure_rate,
              "created": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        check_failure_rate_of(Estimates(folder), study.max_failure_rate, study.name)
    except FailureRateError as exc:
        status.update(stopped=True, message=str(exc))
        remove([p for p in derived_files(Path(out).parent) if p.name != "estimates.parquet"])
    io.write_text(out, json.dumps(status, indent=1))
    return status


def summarise(study: Study, folder: str | Path, out: str | Path):
    """summary.csv from the cells' merged statistics; stops (FailureRateError) when the
    study's max_failure_rate is exceeded. Bias-eliminated coverage is counted from each
    cell's intervals, a cell at a time (one row group of its condition × n file)."""
    from .dataset import Estimates
    from .diagnostics.failures import check_failure_rate_of
    from .measures import becoverage, performance_from_stats, summarise_stats

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
    summary = summarise_stats(cells.drop(columns="cond"), becov)
    from .precision import mark  # issue 13: hit_max, for a study with target MCSEs

    summary = mark(summary, study, folder)
    io.write_csv(summary, out)
    return summary


def report_md(study: Study, summary: str | Path, out: str | Path) -> None:
    import pandas as pd

    from .report.markdown import render

    prec = Path(summary).with_name("precision.csv")  # issue 13: a study with targets
    io.write_text(out, render(study, pd.read_csv(summary),
                              pd.read_csv(prec) if study.targets and prec.exists() else None))


def diagnose(study: Study, folder: str | Path, outdir: str | Path) -> dict:
    """Every diagnostic table, written as ``<outdir>/<name>.csv``, each computed a
    condition or a cell at a time (:func:`fisherlab.diagnostics.stream_all`)."""
    from .dataset import Estimates
    from .diagnostics import stream_all

    tables = stream_all(Estimates(folder), study)
    for name, t in tables.items():
        io.write_csv(t, Path(outdir) / f"{name}.csv")
    return tables


def html(study: Study, folder: str | Path, out: str | Path,
         figures: str | Path | None = None, verdict: str | Path | None = None) -> str:
    """The study's page from its results folder; returns the one-line verdict."""
    from .report.page import write_report

    return write_report(study, Path(folder), Path(out), figures, verdict)


def index(results: str | Path, out: str | Path | None = None) -> Path:
    """``<results>/index.html``: every study with results on disk."""
    from .report.index import write_index

    out = Path(out) if out is not None else Path(results) / "index.html"
    write_index(Path(results), out)
    return out


# --------------------------------------------------------------------------- all of them
def run(study: Study, results: str | Path = "results", chunk_size: int | str = "auto",
        html_page: bool = True, single_file: int | None = None, echo=print) -> Path:
    """Every stage of one study in this process, writing the workflow's files; a study
    stopped by max_failure_rate raises FailureRateError after its status and the index.
    ``single_file``: write estimates.parquet when the study has at most this many rows
    (default :data:`fisherlab.chunking.SINGLE_FILE_ROWS`; 0: never)."""
    from .chunking import SINGLE_FILE_ROWS, jobs_for, study_rows
    from .diagnostics.failures import FailureRateError

    results = Path(results)
    folder = results / study.name
    t0 = time.perf_counter()
    paths: dict = {}
    if study.targets is not None:  # issue 13: rounds of chunks until the targets are met
        from .precision import run_rounds

        run_rounds(study, results, chunk_size, chunk)
    for job in jobs_for(study, chunk_size):
        path = chunk_file(results, study, job)
        if study.targets is None:
            chunk(study, job, path)
        paths.setdefault(job.param_id, []).append(path)
    rows = sum(gather(study, cond, p, folder, chunk_size) for cond, p in paths.items())
    combine(study, [p for ps in paths.values() for p in ps], folder / "provenance.json")
    limit = SINGLE_FILE_ROWS if single_file is None else single_file
    if study_rows(study) <= limit:
        export(study, folder, folder / "estimates.parquet")
    status = check(study, folder, folder / "status.json")
    if status["stopped"]:
        if html_page:
            index(results)
        raise FailureRateError(status["message"])
    summarise(study, folder, folder / "summary.csv")
    if study.targets is not None:  # issue 13
        from .precision import write_table

        write_table(study, folder, folder / "precision.csv")
    report_md(study, folder / "summary.csv", folder / "report.md")
    diagnose(study, folder, folder)
    if html_page:
        html(study, folder, folder / "report.html", folder / "figures",
             folder / "verdict.json")
        index(results)
    echo(f"{study.name}: {rows} rows in {time.perf_counter() - t0:.1f} s -> {folder}/")
    return folder
