"""The pipeline's stages, each a function of the study object and files.

The workflow's rules call these through the CLI (one sub-command per stage) and
``fisherlab run`` calls the same functions in one process, in the same order, writing
the same files under ``<results>/<study>/``:

    chunk      chunks/<cond>/n<n>/c<k>.parquet (+ .draws.nc)   draw and fit one chunk
    combine    estimates.parquet, provenance.json               all replicate rows
    check      status.json                                      ok, or stopped by
                                                                max_failure_rate
    summarise  summary.csv                                      Morris et al. measures
    report_md  report.md                                        the summary, readable
    diagnose   <diagnostic>.csv                                 every diagnostic table
    html       report.html, figures/, verdict.json              the study's page
    index      <results>/index.html                             every study on disk

No stage rebuilds the family or an estimator from a name: each receives the
:class:`~fisherlab.study.Study` that :func:`~fisherlab.study.load_study` built.

Chunks check themselves: each carries the digest of its rows and its spec's hash, and
:func:`combine` verifies both; a corrupt or stale chunk is removed (so that the next run
regenerates it) and named in a :class:`ChunkError`. ``combine`` first removes every file
derived from the old estimates (:func:`derived_files`), so no summary or page is left
beside estimates it was not computed from. estimates.parquet and summary.csv depend on
nothing but the study file and the package versions: byte-identical across runs, cores
and chunk sizes; timings and the chunk list are in provenance.json only.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from datetime import UTC, datetime
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
    """Draw and fit one chunk; write its rows (and kept posterior draws beside them).
    Returns (rows, seconds)."""
    from .simulate import timed_chunk

    out = Path(out)
    df, seconds = timed_chunk(study, ch, draws_path=out.with_suffix(".draws.nc"))
    spec = study.spec(ch)
    io.write_parquet(df, out, meta={"spec": spec, "spec_sha256": spec_sha256(spec),
                                    "seconds": round(seconds, 4),
                                    "versions": provenance.versions()}, checksum=True)
    return len(df), seconds


class ChunkError(RuntimeError):
    """Chunks that are corrupt or stale: named, removed, to be regenerated."""


def derived_files(folder: str | Path) -> list[Path]:
    """The files of a study's results folder computed from its estimates.parquet."""
    from .diagnostics import TABLES

    folder = Path(folder)
    names = ["summary.csv", "report.md", "report.html", "verdict.json", "status.json",
             "figures", *(f"{t}.csv" for t in TABLES)]
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


def combine(study: Study, chunk_paths: list[str | Path], estimates: str | Path,
            provenance_json: str | Path | None = None, chunk_size: int | None = None) -> int:
    """Every chunk's rows as one table in a fixed order; provenance.json beside it.

    Each chunk's checksum is verified, and with ``chunk_size`` (the paths then come in
    the order of ``study.chunks(chunk_size)``) its spec hash against the study's; bad
    chunks are removed and named in a :class:`ChunkError`."""
    from .simulate import combine as concat

    estimates = Path(estimates)
    remove(derived_files(estimates.parent))
    expected = ([spec_sha256(study.spec(ch)) for ch in study.chunks(chunk_size)]
                if chunk_size else None)
    if expected is not None and len(expected) != len(chunk_paths):
        raise ChunkError(f"study {study.name!r} has {len(expected)} chunks at chunk size "
                         f"{chunk_size}, {len(chunk_paths)} were given")
    frames, bad = [], []
    for i, p in enumerate(chunk_paths):
        df, meta, problem = io.read_checked(p)
        if not problem and expected is not None and meta.get("spec_sha256") != expected[i]:
            problem = "is stale (computed for another spec: the study, the chunk size or " \
                      "fisherlab changed)"
        if problem:
            bad.append(f"  {p}: {problem}")
            remove([p, Path(p).with_suffix(".draws.nc")])
        else:
            frames.append(df)
    if bad:
        raise ChunkError(f"study {study.name!r}: {len(bad)} chunk file(s) removed, to be "
                         "regenerated by the next run (snakemake, or fisherlab run):\n"
                         + "\n".join(bad))
    df = concat(frames)
    meta = provenance.study_provenance(study, chunk_paths)
    # only what does not depend on chunking or timing: the file is byte-identical
    # across runs, cores and chunk sizes
    io.write_parquet(df, estimates, meta={k: meta[k] for k in
                                          ("study", "study_sha256", "seed", "versions")})
    if provenance_json is not None:
        meta["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        io.write_text(provenance_json, json.dumps(meta, indent=1, default=str))
    return len(df)


def check(study: Study, estimates: str | Path, out: str | Path) -> dict:
    """status.json: ``stopped`` when more fits failed than the study's
    ``max_failure_rate`` allows (the message names the conditions), else ok. A stopped
    study's derived files are removed: its summary and page stay absent."""
    import pandas as pd

    from .diagnostics.failures import FailureRateError, check_failure_rate

    status = {"study": study.name, "family": study.family.name,
              "description": study.description, "stopped": False, "message": "",
              "max_failure_rate": study.max_failure_rate,
              "created": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        check_failure_rate(pd.read_parquet(estimates), study.max_failure_rate, study.name)
    except FailureRateError as exc:
        status.update(stopped=True, message=str(exc))
        remove(derived_files(Path(out).parent))
    io.write_text(out, json.dumps(status, indent=1))
    return status


def summarise(study: Study, estimates: str | Path, out: str | Path):
    """summary.csv; stops (FailureRateError) when the study's max_failure_rate is exceeded."""
    import pandas as pd

    from .diagnostics.failures import check_failure_rate
    from .measures import summarise as measures

    df = pd.read_parquet(estimates)
    check_failure_rate(df, study.max_failure_rate, study.name)
    summary = measures(df)
    io.write_csv(summary, out)
    return summary


def report_md(study: Study, summary: str | Path, out: str | Path) -> None:
    import pandas as pd

    from .report.markdown import render

    io.write_text(out, render(study, pd.read_csv(summary)))


def diagnose(study: Study, estimates: str | Path, outdir: str | Path) -> dict:
    """Every diagnostic table, written as ``<outdir>/<name>.csv``."""
    import pandas as pd

    from .diagnostics import run_all

    tables = run_all(pd.read_parquet(estimates), study)
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
def run(study: Study, results: str | Path = "results", chunk_size: int = 1000,
        html_page: bool = True, echo=print) -> Path:
    """Every stage of one study in this process, writing the workflow's files; a study
    stopped by max_failure_rate raises FailureRateError after its status and the index."""
    from .diagnostics.failures import FailureRateError

    results = Path(results)
    folder = results / study.name
    t0 = time.perf_counter()
    paths = []
    for ch in study.chunks(chunk_size):
        path = chunk_file(results, study, ch)
        chunk(study, ch, path)
        paths.append(path)
    rows = combine(study, paths, folder / "estimates.parquet", folder / "provenance.json",
                   chunk_size)
    status = check(study, folder / "estimates.parquet", folder / "status.json")
    if status["stopped"]:
        if html_page:
            index(results)
        raise FailureRateError(status["message"])
    summarise(study, folder / "estimates.parquet", folder / "summary.csv")
    report_md(study, folder / "summary.csv", folder / "report.md")
    diagnose(study, folder / "estimates.parquet", folder)
    if html_page:
        html(study, folder, folder / "report.html", folder / "figures",
             folder / "verdict.json")
        index(results)
    echo(f"{study.name}: {rows} rows in {time.perf_counter() - t0:.1f} s -> {folder}/")
    return folder
