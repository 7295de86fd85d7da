"""Resume and extend, on the real workflow in a scratch copy.

* SIGKILL the whole Snakemake run (scheduler and its jobs) mid-way, resume with
  ``--rerun-incomplete``: every file is whole, finished chunks are kept, and the final
  estimates equal those of an uninterrupted run.
* Add replications and a sample size: only the new chunks run; the old chunk files are
  untouched (same bytes, same mtime) and the combined table equals a fresh computation.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from fisherlab.run.simulate import combine, run_chunk
from fisherlab.spec.load import load_study

from .conftest import snakemake as run_snakemake
from .conftest import snakemake_cmd as base_cmd
from .conftest import snakemake_env
from .conftest import workflow_copy as copy_of_workflow

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.workflow, pytest.mark.slow]

STUDY = """\
description: resume test
model:
  family: normal
  params: {{mu: [0.0, 2.0], sigma: 1.5}}
sample_sizes: {sizes}
replications: {reps}
seed: 424242
estimators: [mle, unbiased, mom]
estimands: [mu, sigma, sigma2]
"""


def workflow_copy(dest: Path, text: str) -> Path:
    return copy_of_workflow(dest, {"resume": text})


def snakemake_cmd(*args: str) -> list[str]:
    return base_cmd("--config", "chunk_size=100", *args)


def snakemake(where: Path, *args: str) -> subprocess.CompletedProcess:
    return run_snakemake(where, "--config", "chunk_size=100", *args)


def chunk_files(where: Path) -> dict[str, tuple[int, str]]:
    """Every chunk file: (mtime in ns, sha256 of its bytes)."""
    return {str(p.relative_to(where)): (p.stat().st_mtime_ns,
                                        hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted((where / "results").rglob("*.parquet"))
            if re.fullmatch(r"(n\d+\.)?c\d+\.parquet", p.name)}


def session_pids(sid: int) -> list[int]:
    """Processes in session ``sid`` (the Snakemake run and every job it started)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[3]) == sid:  # field 6 of stat: the session id
                out.append(int(d.name))
    return out


def incomplete_marked(where: Path) -> set[str]:
    """Output files Snakemake has marked incomplete (.snakemake/incomplete/<base64 path>,
    long names split into '@'-prefixed parts: snakemake/persistence/file.py)."""
    from base64 import urlsafe_b64decode

    root = where / ".snakemake" / "incomplete"
    out = set()
    for p in root.rglob("*") if root.exists() else []:
        if p.is_file() and p.name != "migration_underway":
            parts = p.relative_to(root).parts
            b64 = "".join(x[1:] if x.startswith("@") else x for x in parts)
            out.add(urlsafe_b64decode(b64).decode())
    return out


def jobs_planned(dry_run_stdout: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run, as {rule: count}."""
    table = dry_run_stdout.split("Job stats:", 1)[1]
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, flags=re.M)
            if m.group(1) != "total"}


def estimates(where: Path) -> pd.DataFrame:
    return pd.read_parquet(where / "results" / "resume" / "estimates.parquet")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_sigkill_mid_run_then_resume_equals_an_uninterrupted_run(tmp_path):
    text = STUDY.format(sizes="[5, 20]", reps=300)  # 2 x 2 conditions x 3 chunks = 12 jobs
    killed = workflow_copy(tmp_path / "killed", text)
    clean = workflow_copy(tmp_path / "clean", text)

    t0 = time.perf_counter()
    proc = subprocess.Popen(snakemake_cmd("--cores", "1"), cwd=killed, env=snakemake_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        while len(chunk_files(killed)) < 4 and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        for pid in session_pids(proc.pid):  # the scheduler and every running job
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(30)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    killed_after = time.perf_counter() - t0
    survivors = chunk_files(killed)
    assert 4 <= len(survivors) < 12
    assert not (killed / "results" / "resume" / "estimates.parquet").exists()
    for f in survivors:  # every file that exists is whole
        pd.read_parquet(killed / f)

    # Snakemake marks a job's outputs incomplete when the job starts and unmarks them when
    # it has recorded the job done; a chunk renamed into place just before the kill may
    # still be marked, and --rerun-incomplete then runs it again (same numbers).
    marked = incomplete_marked(killed)
    assert len(marked & set(survivors)) <= 1  # --cores 1: one job in flight
    frames = {f: pd.read_parquet(killed / f) for f in survivors}

    t1 = time.perf_counter()
    res = snakemake(killed, "--cores", "2", "--rerun-incomplete")
    unlocked = bool(res.returncode and "LockException" in res.stderr + res.stdout)
    if unlocked:  # a killed run leaves its lock in .snakemake/locks
        snakemake(killed, "--unlock")
        res = snakemake(killed, "--cores", "2", "--rerun-incomplete")
    resumed = time.perf_counter() - t1
    assert res.returncode == 0, res.stderr[-3000:]
    after = chunk_files(killed)
    assert len(after) == 12
    rerun = {f for f in survivors if after[f] != survivors[f]}
    assert rerun == marked & set(survivors)  # finished chunks were not run again
    for f in rerun:
        pd.testing.assert_frame_equal(pd.read_parquet(killed / f), frames[f], check_exact=True)

    t2 = time.perf_counter()
    res = snakemake(clean, "--cores", "2")
    uninterrupted = time.perf_counter() - t2
    assert res.returncode == 0, res.stderr[-3000:]
    pd.testing.assert_frame_equal(estimates(killed), estimates(clean), check_exact=True)
    a = pd.read_csv(killed / "results/resume/summary.csv")
    b = pd.read_csv(clean / "results/resume/summary.csv")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    print(f"\nkill/resume: killed after {killed_after:.1f} s with {len(survivors)}/12 chunks "
          f"done ({len(rerun)} marked incomplete, re-run); unlock needed: {unlocked}; "
          f"resume {resumed:.1f} s; uninterrupted run {uninterrupted:.1f} s; "
          "estimates.parquet and summary.csv identical")


def test_adding_replications_and_a_sample_size_runs_only_new_chunks(tmp_path):
    where = workflow_copy(tmp_path / "wf", STUDY.format(sizes="[5]", reps=200))
    res = snakemake(where, "--cores", "2")
    assert res.returncode == 0, res.stderr[-3000:]
    before = chunk_files(where)
    assert len(before) == 2 * 1 * 2

    study_file = where / "studies" / "resume.yaml"
    study_file.write_text(STUDY.format(sizes="[5, 12]", reps=300))
    dry = snakemake(where, "--cores", "2", "-n")
    assert dry.returncode == 0, dry.stderr[-3000:]
    planned = jobs_planned(dry.stdout + dry.stderr)
    # 2 params x (n=5: chunk 2 only; n=12: chunks 0-2) = 8 new chunks, nothing else
    assert planned["simulate"] == 2 * (1 + 3), planned

    res = snakemake(where, "--cores", "2")
    assert res.returncode == 0, res.stderr[-3000:]
    after = chunk_files(where)
    assert len(after) == 2 * 2 * 3
    for f, stamp in before.items():
        assert after[f] == stamp, f"{f} was rewritten"

    # the combined table is exactly what the extended study computes from scratch
    study = load_study(study_file)
    fresh = combine_frames([run_chunk(study, ch) for ch in study.chunks(100)], tmp_path)
    pd.testing.assert_frame_equal(estimates(where), fresh, check_exact=True)


def combine_frames(frames: list[pd.DataFrame], where: Path) -> pd.DataFrame:
    """What `fisherlab combine` writes for these chunks, read back (parquet round trip)."""
    from fisherlab.core import files as io

    io.write_parquet(combine(frames), where / "fresh.parquet")
    return pd.read_parquet(where / "fresh.parquet")


def test_a_truncated_chunk_is_named_and_regenerated_by_the_next_run(tmp_path):
    """Truncate a finished chunk: the next run names it, removes it and every file
    computed from the old estimates, and fails; the run after regenerates it, and the
    results are byte-identical to the uninterrupted run's."""
    where = workflow_copy(tmp_path / "wf", STUDY.format(sizes="[5]", reps=200))
    res = snakemake(where, "--cores", "2")
    assert res.returncode == 0, res.stderr[-3000:]
    folder = where / "results" / "resume"
    before = {nm: (folder / nm).read_bytes() for nm in ("estimates.parquet", "summary.csv")}
    chunk = sorted(folder.rglob("*c1.parquet"))[0]
    chunk.write_bytes(chunk.read_bytes()[: chunk.stat().st_size // 2])

    res = snakemake(where, "--cores", "2")
    assert res.returncode != 0
    assert "Error in rule gather" in res.stdout + res.stderr
    log = "".join(p.read_text() for p in folder.glob("logs/gather/*.log"))
    rel = chunk.relative_to(where)
    assert f"{rel}: cannot be read" in log and "to be regenerated by the next run" in log
    assert not chunk.exists()
    for nm in ("estimates.parquet", "summary.csv", "report.md", "report.html", "verdict.json"):
        assert not (folder / nm).exists(), nm  # nothing left looking current

    res = snakemake(where, "--cores", "2")
    assert res.returncode == 0, res.stderr[-3000:]
    assert chunk.exists()
    for nm, data in before.items():
        assert (folder / nm).read_bytes() == data, nm
