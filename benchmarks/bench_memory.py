"""Peak memory of every process of a 24.3 M-row closed-form study run as a user runs it.

    python benchmarks/bench_memory.py --where DIR [--reps 20000] [--cores 2]

Writes into DIR a scratch copy of the workflow (Snakefile, workflow/, config/ and
profiles/, as a user's checkout has them) with one study: normal, mu in 5 values ×
sigma in 3, 9 sample sizes (5 to 200), ``reps`` replications, estimators mle, unbiased
and mom of mu, sigma and sigma2: 15 × 9 × reps × 9 estimate rows (24.3 M at 20,000).
Then runs ``snakemake --cores N`` while sampling, every 0.25 s, the resident memory of
every process under it (benchmarks/rss.py: forked jobs named by their log; steps in
Snakemake's threads count in its process), and prints the largest peaks beside the cost
plan's predicted ones (fisherlab.plan.cost: the largest chunk job, gather, the summary
steps, the Snakemake process with its threaded steps). Memory in MB (10^6 bytes).

Done when no process passes 1 GB (10^9 bytes) and the plan's predicted peak is within
1.5x of the measured one.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rss import by_kind, env, print_peaks, run_sampled, scratch  # noqa: E402

STUDY = """\
description: memory benchmark, 24.3 M rows at 20,000 replications
model:
  family: normal
  params: {{mu: [-2.0, -1.0, 0.0, 1.0, 2.0], sigma: [0.5, 1.0, 2.0]}}
sample_sizes: [5, 10, 15, 20, 30, 50, 75, 100, 200]
replications: {reps}
seed: 26
estimators: [mle, unbiased, mom]
estimands: [mu, sigma, sigma2]
"""
LIMIT = 1e9


def predicted(where: Path, study: str, cores: int) -> dict[str, float]:
    """The cost plan's predicted peaks for the study (bytes)."""
    from fisherlab.plan.cost import study_cost
    from fisherlab.spec.load import load_study

    c = study_cost(load_study(where / "studies" / f"{study}.yaml"), "auto", cores)
    print("cost plan: " + c.line())
    return {"chunk job": c.job_bytes, "gather": c.gather_bytes,
            "summary steps": c.summary_bytes, "snakemake process": c.process_bytes}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--where", type=Path, required=True)
    ap.add_argument("--reps", type=int, default=20_000)
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    where = scratch(args.where, "memory", STUDY.format(reps=args.reps))
    shutil.rmtree(where / "results", ignore_errors=True)
    print(f"study: 15 conditions x 9 sample sizes x {args.reps:,} replications x 9 = "
          f"{15 * 9 * args.reps * 9:,} estimate rows")
    plan = predicted(where, "memory", args.cores)
    t0 = time.perf_counter()
    with open(where / "snakemake.log", "w") as log:
        rc, wall, peaks = run_sampled([sys.executable, "-m", "snakemake", "--cores",
                                       str(args.cores)], cwd=where, env=env(),
                                      stdout=log, stderr=log)
    if rc:
        raise SystemExit(f"snakemake failed ({rc}): see {where / 'snakemake.log'}")
    print(f"snakemake --cores {args.cores}: {wall:.0f} s wall "
          f"({time.perf_counter() - t0:.0f} s with sampling)")
    print_peaks(peaks)
    kinds = by_kind(peaks)
    measured = max(p.rss for p in peaks.values())
    forecast = max(plan.values())
    pairs = {"chunk": "chunk job", "gather": "gather", "report_html": "summary steps",
             "snakemake process (threaded steps included)": "snakemake process"}
    print("measured against predicted (cost plan), MB:")
    for kind, what in pairs.items():
        got = kinds[kind].rss if kind in kinds else 0
        print(f"  {kind:<45} measured {got / 1e6:6.0f}  predicted {plan[what] / 1e6:6.0f}"
              + ("  (ran in Snakemake's threads)" if not got else ""))
    ratio = max(measured, forecast) / max(min(measured, forecast), 1)
    print(f"largest process: measured {measured / 1e6:.0f} MB, predicted "
          f"{forecast / 1e6:.0f} MB (ratio {ratio:.2f}); limit {LIMIT / 1e6:.0f} MB "
          f"(10^9 bytes): {'PASS' if measured < LIMIT and ratio <= 1.5 else 'FAIL'}")

if __name__ == "__main__":
    main()
