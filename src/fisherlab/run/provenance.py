"""Where a result came from: package versions, the study file's hash, timings."""

from __future__ import annotations

import functools
import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

from ..core.files import read_attrs, read_meta

PACKAGES = ("fisherlab", "numpy", "scipy", "pandas", "pymc", "arviz", "snakemake")


def versions() -> dict[str, str]:
    """This process's Python and package versions (a copy: the caller may change it)."""
    return dict(_versions())


# installed versions do not change while a process runs; reading the packages'
# metadata costs ~8 ms, which a cheap chunk job paid for every chunk file
@functools.cache
def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


def file_hash(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def study_provenance(study, chunk_paths: list[str | Path]) -> dict:
    """Where a study's results came from: the study file and its SHA-256, its seed, the
    package versions of this process and of every chunk, and each chunk's spec hash and
    time, and each estimator's wall time per condition × n (``timings``). Read from the
    chunks' parquet metadata (see :func:`fisherlab.run.chunks.write_chunk`; the per-estimator
    seconds are each cell's ``attrs``, :func:`fisherlab.run.simulate.run_chunk`)."""
    study_file = study.path
    chunks, seen_versions = [], []
    timings: dict[tuple, dict] = {}
    for p in chunk_paths:
        meta = read_meta(p)
        spec = meta.get("spec", {})
        # one record per cell (n) of the job (older chunks kept them in pandas' attrs)
        fits = meta.get("fit_seconds") or read_attrs(p).get("fit_seconds") or []
        job_seconds: dict[str, float] = {}
        for fit in fits:
            for est, sec in (fit.get("seconds") or {}).items():
                key = (est, json.dumps(spec.get("params"), sort_keys=True), fit.get("n"))
                t = timings.setdefault(key, {"estimator": est, "params": spec.get("params"),
                                             "n": fit.get("n"), "seconds": 0.0, "fits": 0})
                t["seconds"] += float(sec)
                t["fits"] += int(fit.get("replicates", 0))
                job_seconds[est] = round(job_seconds.get(est, 0.0) + float(sec), 6)
        v = meta.get("versions", {})
        if v not in seen_versions:
            seen_versions.append(v)
        chunks.append({
            "file": str(p), "seconds": meta.get("seconds"), "seed": spec.get("seed"),
            "n": spec.get("n"), "chunk": spec.get("chunk"), "params": spec.get("params"),
            "replicates": [spec.get("start"), spec.get("stop")],
            "spec_sha256": hashlib.sha256(json.dumps(spec, sort_keys=True).encode())
            .hexdigest() if spec else None,
            "versions": seen_versions.index(v),
            "estimator_seconds": job_seconds})
    seconds = [c["seconds"] for c in chunks if c["seconds"] is not None]
    return {"study": study.name, "study_file": str(study_file),
            "study_sha256": file_hash(study_file),
            # the file itself, so that the results can be read after it changed or moved
            "study_text": Path(study_file).read_text(), "seed": study.seed,
            "versions": versions(),
            # versions of the processes that ran the chunks; `chunks[i].versions` indexes it
            "chunk_versions": seen_versions,
            "chunk_seconds_total": round(sum(seconds), 4), "chunks": chunks,
            # wall time of each estimator per condition × n, over its chunks' fits (the
            # report's optimiser section reads it; wall time is never a column)
            "timings": [{**t, "seconds": round(t["seconds"], 6),
                         "seconds_per_fit": t["seconds"] / t["fits"] if t["fits"] else None}
                        for t in timings.values()]}
