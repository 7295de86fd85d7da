"""The pipeline's stages, each a function of the study object and files.

The workflow's rules call these through the CLI (one sub-command per stage) and
``fisherlab run`` calls the same functions in one process, in the same order, writing
the same files under ``<results>/<study>/``:

    chunk      chunks/<cond>/n<n>/c<k>.parquet (+ .stats.parquet, .draws.nc)
                                                   draw and fit one chunk; its statistics
    gather     estimates/cond=<cond>/n<n>.parquet, stats/cond=<cond>/n<n>.parquet
                                                   one condition's rows and cell statistics
    combine    provenance.json                      where every chunk came from
    export     estimates.parquet                    optional: every row in one file
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
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from . import io, provenance
from .study import Chunk, Study

#: a chunk's file under a results folder; the workflow's rules use the same layout
CHUNK_FILE = "{study}/chunks/{cond}/n{n}/c{chunk}.parquet"


def chunk_file(results: str | Path, study: Study, chunk: Chunk) -> Path:
    c = chunk.condition
    return Path(results) / CHUNK_FILE.format(study=study.name, cond=c.param_id, n=c.n,
                                             chunk=chunk.index)


def spec_sha256(spec: dict) -> str:
    """The hash that identifies what a chunk computes (its spec as canonical JSON)."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


# --------------------------------------------------------------------------- stages
def chunk(study: Study, ch: Chunk, out: str | Path) -> tuple[int, float]:
    """Draw and fit one chunk; write its rows (one row group per cell), its cells'
    per-block statistics beside them (``.stats.parquet``) and any kept posterior draws
    (``.draws.nc``). Returns (rows, seconds)."""
    from .dataset import stats_path
    from .simulate import drawn_params, timed_chunk
    from .sufficient import block_stats

    out = Path(out)
    df, seconds = timed_chunk(study, ch, draws_path=out.with_suffix(".draws.nc"))
    spec = study.spec(ch)
    sha = spec_sha256(spec)
    stats = block_stats(df, bool(drawn_params(ch.condition.params)))
    io.write_parquet(stats, stats_path(out), meta={"spec_sha256": sha})
    io.write_parquet(df, out, meta={"spec": spec, "spec_sha256": sha,
                                    "seconds": round(seconds, 4),
                                    "versions": provenance.versions()},
                     row_group_size=max(ch.stop - ch.start, 1))
    return len(df), seconds


def gather(study: Study, cond: str, n: int, chunk_paths: list[str | Path],
           folder: str | Path) -> int:
    """One condition × n: ``estimates/cond=<cond>/n<n>.parquet`` (its rows, cell by cell)
    and ``stats/cond=<cond>/n<n>.parquet`` (its cells' merged statistics)."""
    from .dataset import ESTIMATES, STATS, part_path
    from .dataset import gather as gather_rows

    condition = next(c for c in study.conditions() if c.param_id == cond and c.n == int(n))
    return gather_rows(condition, chunk_paths, part_path(folder, ESTIMATES, cond, n),
                       part_path(folder, STATS, cond, n))


def combine(study: Study, chunk_paths: list[str | Path], provenance_json: str | Path) -> dict:
    """provenance.json: the study file, seed, versions and every chunk's spec and time."""
    meta = provenance.study_provenance(study, chunk_paths)
    io.write_text(provenance_json, json.dumps(meta, indent=1, default=str))
    return meta


def export(study: Study, folder: str | Path, out: str | Path) -> int:
    """The optional single file ``estimates.parquet``: every row, in the study's order
    (condition, n, estimator, estimand, replicate), streamed from the dataset."""
    from .dataset import Estimates
    from .dataset import export as stream

    return stream(Estimates(folder).parts(), out)


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
    io.write_csv(summary, out)
    return summary


def report_md(study: Study, summary: str | Path, out: str | Path) -> None:
    import pandas as pd

    from .report.markdown import render

    io.write_text(out, render(study, pd.read_csv(summary)))


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
    """Every stage of one study in this process, writing the workflow's files.
    ``single_file``: write estimates.parquet when the study has at most this many rows
    (default :data:`fisherlab.chunking.SINGLE_FILE_ROWS`; 0: never)."""
    from .chunking import SINGLE_FILE_ROWS, sizes_for, study_rows

    results = Path(results)
    folder = results / study.name
    t0 = time.perf_counter()
    paths: dict = {}
    for ch in study.chunks(sizes_for(study, chunk_size)):
        path = chunk_file(results, study, ch)
        chunk(study, ch, path)
        paths.setdefault((ch.condition.param_id, ch.condition.n), []).append(path)
    rows = sum(gather(study, cond, n, p, folder) for (cond, n), p in paths.items())
    combine(study, [p for ps in paths.values() for p in ps], folder / "provenance.json")
    limit = SINGLE_FILE_ROWS if single_file is None else single_file
    if study_rows(study) <= limit:
        export(study, folder, folder / "estimates.parquet")
    summarise(study, folder, folder / "summary.csv")
    report_md(study, folder / "summary.csv", folder / "report.md")
    diagnose(study, folder, folder)
    if html_page:
        html(study, folder, folder / "report.html", folder / "figures",
             folder / "verdict.json")
        index(results)
    echo(f"{study.name}: {rows} rows in {time.perf_counter() - t0:.1f} s -> {folder}/")
    return folder
