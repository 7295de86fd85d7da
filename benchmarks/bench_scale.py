"""Memory and time of every post-processing step, at two study sizes 10× apart.

    python benchmarks/bench_scale.py [--reps 2000 20000] [--keep DIR]

The study: normal family, mu in 9 values × sigma in 3 (27 parameter sets) × n in
(10, 20, 50, 100, 200) = 135 conditions, estimators mle, unbiased and mom, estimands
mu, sigma, sigma2 (9 rows per replicate): 135 × 9 × reps rows (2.43M and 24.3M at the
defaults). Its chunks (``chunk_size: auto``) and all but one ``gather`` job run in a
pool of two worker processes (no interpreter start-up per job); the last gather (one
condition) and every later step run as their own ``fisherlab`` process, each stage
alone (the workflow's rules run ``combine`` inside ``check``, ``diagnose`` inside the
page's job): ``combine``, ``summarise``, ``diagnose``, ``html`` and the optional
``export``. Peak
memory is the process's maximum resident set (``os.wait4``'s ``ru_maxrss``); bytes per
row is that peak over the study's rows, and seconds per million rows the step's wall
time over the rows. A step that streams has a peak that does not grow with the rows.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STUDY = """\
description: scale benchmark (closed form)
model:
  family: normal
  params: {{mu: [-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0], sigma: [0.5, 1.0, 2.0]}}
sample_sizes: [10, 20, 50, 100, 200]
replications: {reps}
seed: 20261123
estimators: [mle, unbiased, mom]
estimands: [mu, sigma, sigma2]
"""
FISHERLAB = [sys.executable, "-m", "fisherlab"]


def run(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in bytes) of one fisherlab process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(FISHERLAB + argv, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if status:
        raise SystemExit(f"{' '.join(argv[:3])} failed:\n{proc.stderr.read().decode()[-3000:]}")
    return seconds, usage.ru_maxrss * 1024.0


_STUDY = {}


def _job(args) -> None:
    """One chunk or gather job in a worker process (no interpreter start-up per job)."""
    from fisherlab.pipeline import stages
    from fisherlab.spec.load import load_study

    kind, path, *rest = args
    study = _STUDY.setdefault(path, load_study(path))
    if kind == "chunk":
        cond, name, size, out = rest
        stages.chunk(study, study.job(cond, name, size), out)
    else:
        cond, paths, folder = rest
        stages.gather(study, cond, paths, folder)


def measure(reps: int, where: Path) -> tuple[int, list[tuple[str, float, float]]]:
    from multiprocessing import get_context

    from fisherlab.core.layout import chunk_file
    from fisherlab.plan.chunking import auto_sizes, jobs_for
    from fisherlab.spec.load import load_study

    where.mkdir(parents=True, exist_ok=True)
    path = where / "scale.yaml"
    path.write_text(STUDY.format(reps=reps))
    study = load_study(path)
    folder = where / "results" / study.name
    sizes = auto_sizes(study)
    by_cond: dict = {}
    jobs = []
    for job in jobs_for(study, "auto"):
        out = str(chunk_file(where / "results", study.name, job))
        by_cond.setdefault(job.param_id, []).append(out)
        jobs.append(("chunk", str(path), job.param_id, job.name,
                     sizes[job.chunks[0].condition.id], out))
    steps = []
    with get_context("fork").Pool(2) as workers:
        t0 = time.perf_counter()
        workers.map(_job, jobs, chunksize=1)
        steps.append((f"chunk ({len(jobs)} jobs, 2 at a time)", time.perf_counter() - t0,
                      float("nan")))
        # every condition but the last in the pool; that one measured alone
        c_last, last = list(by_cond.items())[-1]
        t0 = time.perf_counter()
        workers.map(_job, [("gather", str(path), c, p, str(folder))
                           for c, p in list(by_cond.items())[:-1]], chunksize=1)
        rest = time.perf_counter() - t0
    seconds, rss = run(["gather", "--study", str(path), "--cond", c_last,
                        "--dir", str(folder), *last])
    steps.append((f"gather (1 of {len(by_cond)} jobs, alone)", seconds, rss))
    steps.append((f"gather (all {len(by_cond)}, 2 at a time)", rest + seconds / 2,
                  float("nan")))
    every = [p for ps in by_cond.values() for p in ps]
    s = str(path)
    for name, argv in [
        ("combine", ["combine", "--study", s, "--provenance", str(folder / "provenance.json"),
                     *every]),
        ("summarise", ["summarise", "--study", s, "--dir", str(folder), "--out",
                       str(folder / "summary.csv")]),
        ("diagnose", ["diagnose", "--study", s, "--dir", str(folder), "--out-dir",
                      str(folder)]),
        ("html", ["html", "--study", s, "--dir", str(folder), "--out",
                  str(folder / "report.html"), "--figures", str(folder / "figures")]),
        ("export (optional)", ["export", "--study", s, "--dir", str(folder), "--out",
                               str(folder / "estimates.parquet")]),
    ]:
        seconds, rss = run(argv)
        steps.append((name, seconds, rss))
    import pandas as pd

    rows = int(pd.read_csv(folder / "summary.csv")["n_rep"].sum())
    return rows, steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, nargs=2, default=[2000, 20000],
                    help="replications of the two runs (default: 2000 20000)")
    ap.add_argument("--keep", type=Path, help="keep the results here (default: a temp dir)")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench_scale_"))
    results = {}
    for reps in args.reps:
        t0 = time.perf_counter()
        rows, steps = measure(reps, base / f"r{reps}")
        results[reps] = (rows, steps)
        print(f"# {reps} replications: {rows:,} rows, {time.perf_counter() - t0:.0f} s "
              "in all", flush=True)
    a, b = args.reps
    print(f"\n{'step':<34} {'rows':>12} {'peak MB':>9} {'B/row':>8} {'s':>8} "
          f"{'s/M rows':>9}")
    for reps in args.reps:
        rows, steps = results[reps]
        for name, seconds, rss in steps:
            mem = f"{rss / 1e6:>9.0f} {rss / rows:>8.1f}" if rss == rss else f"{'':>9} {'':>8}"
            print(f"{name:<34} {rows:>12,} {mem} {seconds:>8.1f} "
                  f"{seconds / rows * 1e6:>9.2f}")
    print(f"\npeak ratio, {b} vs {a} replications ({results[b][0] / results[a][0]:.0f}x "
          "the rows):")
    for (name, _, ra), (_, _, rb) in zip(results[a][1], results[b][1], strict=True):
        if ra == ra:  # measured
            print(f"  {name:<32} {rb / ra:.2f}x")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
