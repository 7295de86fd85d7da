"""A job's chunk file: written a cell at a time and self-checking, verified before use.

A chunk job draws and fits its replicates a cell at a time (:mod:`.simulate`) and writes
each cell's rows as it goes into one parquet file (a row group per cell × estimator ×
estimand) that carries the SHA-256 of its rows and its spec's hash, with its cells'
per-block statistics beside it (:mod:`fisherlab.stats.cellstats`) under the same spec
hash. The chunk also carries the SHA-256 of its statistics file, so that a job syncs
one file to disk, the chunk, renamed last. :func:`verify_chunks` checks all three, a
row group at a time, before anything reads them: a corrupt or stale chunk is removed
with its side files (so that the next run regenerates it) and named in a
:class:`~fisherlab.core.errors.ChunkError`.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..core import files
from ..core.errors import ChunkError
from ..core.layout import CHUNK_ROW_GROUP, draws_path, side_files, stats_path
from ..plan.chunking import jobs_for
from ..spec.study import Job, Study, spec_sha256
from ..stats.cellstats import VALUES, cell_stats, stats_columns
from . import provenance
from .simulate import drawn_params, fitted_parts

#: most rows in one row group of a chunk file
ROW_GROUP = CHUNK_ROW_GROUP
#: the columns with min/max statistics in a chunk file: those by which gather finds a
#: cell's row groups and orders them (:func:`fisherlab.run.dataset.gather`); the
#: others' would cost a tenth of the file's writing and nobody reads them
PRUNE_COLUMNS = ["n", "estimator", "estimand", "replicate"]


def write_chunk(study: Study, job: Job, out: str | Path) -> tuple[int, float]:
    """Draw and fit one job, a cell at a time, writing each cell's rows as soon as they
    are fitted (a row group per cell × estimator × estimand, :data:`ROW_GROUP` rows at
    most; :class:`~fisherlab.core.files.CheckedWriter`), so that the job holds one
    cell's datasets and rows at a time whatever its size; its cells' per-block
    statistics go beside them (``.stats.parquet``, with ``n``), and any kept posterior
    draws (``.n<n>.draws.nc``). Returns (rows, seconds).

    The rows go from the fits' arrays to Arrow directly and their statistics are taken
    per estimator × estimand as they come (the same numbers and bytes as
    ``pa.Table.from_pandas(run_chunk(...))`` and :func:`block_stats` of it): a DataFrame
    of the rows and a group-by over its string columns cost more than drawing the data
    of a cheap cell."""
    out = Path(out)
    stats, fits, seconds = [], [], 0.0
    spec = study.spec(job)
    sha = spec_sha256(spec)
    with files.CheckedWriter(out, {"spec": spec, "spec_sha256": sha},
                             statistics=PRUNE_COLUMNS) as writer:
        for ch in job.chunks:
            n = ch.condition.n
            drawn = bool(drawn_params(ch.condition.params))
            timing: dict = {}
            cells = []
            t0 = time.perf_counter()
            for est, parts in fitted_parts(study, ch, draws_path(out, n), timing):
                seconds += time.perf_counter() - t0
                cells += _cells(est, parts, drawn)
                for _, cols in parts:
                    writer.write(_table(cols), row_group_size=ROW_GROUP)
                del parts
                t0 = time.perf_counter()
            seconds += time.perf_counter() - t0
            fits.append({"n": n, **timing})
            stats.append((n, cells))
        writer.meta.update({"seconds": round(seconds, 4), "versions": provenance.versions(),
                            "fit_seconds": fits})  # per cell: provenance.json's timings
        # before the chunk's own rename: a chunk on disk always has its statistics. One
        # fsync a job (each is a journal commit, milliseconds: more than fitting a cheap
        # cell): the statistics are not synced, their digest goes into the chunk, which
        # is, so that statistics lost in a crash of the machine are found by
        # verify_chunks (the rename already keeps a killed job from leaving half a file)
        writer.meta["stats_sha256"] = files.write_parquet(
            _stats_table(stats), stats_path(out), meta={"spec_sha256": sha}, sync=False)
    return writer.rows, seconds


#: Arrow schemas (types and pandas metadata) by columns' names and dtypes
_SCHEMAS: dict = {}


def _table(cols: dict) -> pa.Table:
    """Numpy columns as the Arrow table ``pa.Table.from_pandas(pd.DataFrame(cols),
    preserve_index=False)`` gives, without the DataFrame: its schema (types, pandas
    metadata) is taken once from a frame of one row."""
    key = tuple((c, v.dtype.str) for c, v in cols.items())
    if (schema := _SCHEMAS.get(key)) is None:
        schema = _SCHEMAS[key] = pa.Schema.from_pandas(
            pd.DataFrame({c: v[:1] for c, v in cols.items()}), preserve_index=False)
    return pa.Table.from_arrays([_array(cols[f.name], f.type) for f in schema],
                                schema=schema)


def _array(values: np.ndarray, kind: pa.DataType) -> pa.Array:
    """``pa.array(values, kind, from_pandas=True)`` (pandas' NaN is a null in Arrow, as
    from_pandas writes it); a column of one string (an estimator's name, its reasons)
    repeated, the same array, without converting every value (60 us a column of 2000)."""
    if (values.dtype == object and len(values) and isinstance(values[0], str)
            and (values == values[0]).all()):
        return pa.repeat(pa.scalar(values[0], kind), len(values))
    return pa.array(values, kind, from_pandas=True)


def _stats_table(stats: list) -> pa.Table:
    """The statistics file's table: per cell of the job ``(n, its cells' statistics)``,
    as :func:`~fisherlab.stats.cellstats.stats_columns` of each with ``n`` first,
    concatenated."""
    parts = []
    for n, cs in stats:
        cols = stats_columns(cs)
        parts.append({"n": np.full(len(cols["block"]), n, np.int64), **cols})
    return _table({k: np.concatenate([p[k] for p in parts]) for k in parts[0]})


def _cells(estimator: str, parts: list, drawn: bool) -> list[dict]:
    """The per-block statistics (:func:`~fisherlab.stats.cellstats.cell_stats`) of one
    estimator's rows, an estimand's columns each."""
    rep = parts[0][1]["replicate"]
    # replicates whose fit by this estimator failed for any estimand
    failed = np.zeros(len(rep), bool)
    for _, cols in parts:
        if len(cols["replicate"]) != len(rep) or np.any(cols["replicate"] != rep):
            raise ValueError(f"{estimator}: estimands fitted on different replicates")
        failed |= ~cols["converged"].astype(bool)
    order = np.argsort(rep, kind="stable")
    return [cell_stats(estimator, estimand, cols["replicate"], ~cols["converged"].astype(bool),
                       rep[order], failed[order], {c: np.asarray(cols[c], float) for c in VALUES},
                       drawn) for estimand, cols in parts]


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
    planned (:func:`fisherlab.plan.chunking.jobs_for`); the paths must then be chunk
    files of this study."""
    expected = ({spec_sha256(study.spec(job)) for job in jobs_for(study, chunk_size)}
                if chunk_size is not None else None)
    bad = []
    for p in map(Path, chunk_paths):
        meta, problem = files.verify_checked(p)  # a row group at a time
        sha = meta.get("spec_sha256")
        if not problem and expected is not None and sha not in expected:
            problem = "is stale (computed for another spec: the study, the chunk size or " \
                      "fisherlab changed)"
        if not problem:
            try:
                if files.read_meta(stats_path(p)).get("spec_sha256") != sha:
                    problem = "has statistics of another spec"
                elif ("stats_sha256" in meta
                      and files.file_sha256(stats_path(p)) != meta["stats_sha256"]):
                    problem = "has statistics that do not match their checksum"
            except Exception as exc:  # noqa: BLE001 - any failure to read is corruption
                problem = f"has unreadable statistics ({type(exc).__name__})"
        if problem:
            bad.append(f"  {p}: {problem}")
            remove([p, *side_files(p)])
    if bad:
        raise ChunkError(f"study {study.name!r}: {len(bad)} chunk file(s) removed, to be "
                         "regenerated by the next run (snakemake, or fisherlab run):\n"
                         + "\n".join(bad))
