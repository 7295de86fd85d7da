"""The pipeline's stages, each a function of the study object and files.

The workflow's rules call these through the CLI (one sub-command per stage) and
``fisherlab run`` calls the same functions in one process, in the same order, writing
the same files under ``<results>/<study>/``:

    chunk      chunks/<cond>/n<n>/c<k>.parquet (+ .draws.nc)   draw and fit one chunk
    combine    estimates.parquet, provenance.json               all replicate rows
    summarise  summary.csv                                      Morris et al. measures
    report_md  report.md                                        the summary, readable
    diagnose   <diagnostic>.csv                                 every diagnostic table
    html       report.html, figures/, verdict.json              the study's page
    index      <results>/index.html                             every study on disk

No stage rebuilds the family or an estimator from a name: each receives the
:class:`~fisherlab.study.Study` that :func:`~fisherlab.study.load_study` built.
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
    """Draw and fit one chunk; write its rows (and kept posterior draws beside them).
    Returns (rows, seconds)."""
    from .simulate import timed_chunk

    out = Path(out)
    df, seconds = timed_chunk(study, ch, draws_path=out.with_suffix(".draws.nc"))
    spec = study.spec(ch)
    io.write_parquet(df, out, meta={"spec": spec, "spec_sha256": spec_sha256(spec),
                                    "seconds": round(seconds, 4),
                                    "versions": provenance.versions()})
    return len(df), seconds


def combine(study: Study, chunk_paths: list[str | Path], estimates: str | Path,
            provenance_json: str | Path | None = None) -> int:
    """Every chunk's rows as one table in a fixed order, with the study's provenance."""
    import pandas as pd

    from .simulate import combine as concat

    df = concat([pd.read_parquet(p) for p in chunk_paths])
    meta = provenance.study_provenance(study, chunk_paths)
    io.write_parquet(df, estimates, meta=meta)
    if provenance_json is not None:
        io.write_text(provenance_json, json.dumps(meta, indent=1, default=str))
    return len(df)


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
    """Every stage of one study in this process, writing the workflow's files."""
    results = Path(results)
    folder = results / study.name
    t0 = time.perf_counter()
    paths = []
    for ch in study.chunks(chunk_size):
        path = chunk_file(results, study, ch)
        chunk(study, ch, path)
        paths.append(path)
    rows = combine(study, paths, folder / "estimates.parquet", folder / "provenance.json")
    summarise(study, folder / "estimates.parquet", folder / "summary.csv")
    report_md(study, folder / "summary.csv", folder / "report.md")
    diagnose(study, folder / "estimates.parquet", folder)
    if html_page:
        html(study, folder, folder / "report.html", folder / "figures",
             folder / "verdict.json")
        index(results)
    echo(f"{study.name}: {rows} rows in {time.perf_counter() - t0:.1f} s -> {folder}/")
    return folder
