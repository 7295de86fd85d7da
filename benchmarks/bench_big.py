"""A 10^8-row closed-form study through the real workflow, on this machine.

    python benchmarks/bench_big.py --where DIR [--params 100] [--reps 1000000] [--n 10]
                                   [--cores 2] [--dry-run-only]

Writes a scratch copy of the workflow into DIR (Snakefile, workflow/, config/ and
profiles/, as a user's checkout has them: the profile runs light jobs in Snakemake's
threads) with one study: normal family, mu in
``params`` values, sigma 1, one sample size ``n``, ``reps`` replications, estimator
``mle`` of ``mu``: params × reps estimate rows (10^8 at the defaults). Then

* times ``snakemake -n`` (the whole DAG planned, ``chunk_size: auto``) and prints the
  job counts per rule;
* runs ``snakemake --cores N`` while sampling, every 0.25 s, the resident memory of
  every process under it (benchmarks/rss.py: forked jobs named by their log, steps in
  Snakemake's threads counted in its process), and prints the wall time and the
  largest peak of each kind of process (MB = 10^6 bytes).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rss import env, print_peaks, run_sampled, scratch  # noqa: E402


def study_text(params: int, reps: int, n: int) -> str:
    mus = ", ".join(f"{i / 10:g}" for i in range(params))
    return (f"description: 10^8 rows, closed form\nmodel:\n  family: normal\n"
            f"  params: {{mu: [{mus}], sigma: 1.0}}\nsample_sizes: [{n}]\n"
            f"replications: {reps}\nseed: 8\nestimators: [mle]\nestimands: [mu]\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--where", type=Path, required=True)
    ap.add_argument("--params", type=int, default=100)
    ap.add_argument("--reps", type=int, default=1_000_000)
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--dry-run-only", action="store_true")
    args = ap.parse_args()
    where = scratch(args.where, "big", study_text(args.params, args.reps, args.n))
    print(f"study: {args.params} conditions x {args.reps:,} replications x 1 estimate = "
          f"{args.params * args.reps:,} rows")

    t0 = time.perf_counter()
    dry = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--quiet", "rules"],
                         cwd=where, env=env(), capture_output=True, text=True)
    plan = time.perf_counter() - t0
    if dry.returncode:
        raise SystemExit(dry.stderr[-3000:])
    jobs = {m.group(1): int(m.group(2)) for m in re.finditer(
        r"^(\w+)\s+(\d+)\s*$", dry.stdout + dry.stderr, flags=re.M)}
    print(f"snakemake -n: {plan:.1f} s; jobs: {jobs}")
    for line in (dry.stdout + dry.stderr).splitlines():
        if line.startswith(("cost plan:", "fisherlab: WARNING")):
            print(line)
    if args.dry_run_only:
        return

    with open(where / "snakemake.log", "w") as log:
        rc, wall, peaks = run_sampled([sys.executable, "-m", "snakemake", "--cores",
                                       str(args.cores)], cwd=where, env=env(),
                                      stdout=subprocess.DEVNULL, stderr=log)
    if rc:
        raise SystemExit(f"snakemake failed: see {where / 'snakemake.log'}")
    print(f"snakemake --cores {args.cores}: {wall:.0f} s wall ({wall / 60:.1f} min)")
    print_peaks(peaks)
    top = max(p.rss for p in peaks.values())
    print(f"largest process {top / 1e6:.0f} MB: {'under' if top < 1e9 else 'OVER'} 1 GB "
          "(10^9 bytes)")


if __name__ == "__main__":
    main()
