"""How long Snakemake takes to build the DAG of a study with 10^4 chunk jobs.

    python benchmarks/bench_dag.py [--params 100] [--sizes 10] [--chunks 10] [--groups]
    python benchmarks/bench_dag.py --params 10      # 10^3 jobs

Writes a scratch copy of the workflow with one generated study of
params × sizes conditions × chunks chunks (default 100 × 10 × 10 = 10^4 simulate jobs,
plus gather, export, check, summarise, report), then times

* the package's side alone: ``Workflow.from_config`` and every chunk's spec (what the
  Snakefile's input and params functions compute);
* ``snakemake -n`` (parse, validate, build and print the whole DAG; no job runs), its
  wall time and peak RSS (the figures behind the cost plan's job limit, README "Limits");
* with ``--groups``, ``snakemake -n`` with the SLURM profile's grouping (``--groups
  simulate=chunks --group-components chunks=20``), which is what a cluster run plans.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def study_text(n_params: int, n_sizes: int, reps: int) -> str:
    mus = ", ".join(f"{i / 10:.1f}" for i in range(n_params))
    sizes = ", ".join(str(5 + 5 * i) for i in range(n_sizes))
    return (f"description: DAG benchmark\nmodel:\n  family: normal\n"
            f"  params: {{mu: [{mus}], sigma: 1.0}}\nsample_sizes: [{sizes}]\n"
            f"replications: {reps}\nseed: 1\nestimators: [mle, unbiased]\n")


def snakemake_n(where: Path, *extra: str) -> tuple[float, int, int]:
    """(seconds, simulate jobs, peak RSS in bytes) of ``snakemake -n``."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([sys.executable, "-m", "snakemake", "-n", "--quiet", "rules",
                                 "--config", "chunk_size=100", "allow_large=True", *extra],
                                cwd=where, env=env,
                                stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t0
        out.seek(0)
        text = out.read()
    if proc.returncode:
        raise SystemExit(text[-3000:])
    m = re.search(r"^simulate\s+(\d+)", text, flags=re.M)
    return seconds, int(m.group(1)) if m else -1, usage.ru_maxrss * 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params", type=int, default=100)
    ap.add_argument("--sizes", type=int, default=10)
    ap.add_argument("--chunks", type=int, default=10)
    ap.add_argument("--groups", action="store_true", help="also time the grouped DAG")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        where = Path(d)
        for item in ("Snakefile", "workflow", "config"):
            src = ROOT / item
            (shutil.copytree if src.is_dir() else shutil.copy)(src, where / item)
        (where / "studies").mkdir()
        (where / "studies" / "dag.yaml").write_text(
            study_text(args.params, args.sizes, 100 * args.chunks))

        from fisherlab.pipeline.workflow import Workflow

        t0 = time.perf_counter()
        plan = Workflow.from_config({"studies_dir": str(where / "studies"), "chunk_size": 100,
                                 "allow_large": True})
        chunks = plan.chunks("dag")
        for job in chunks:
            plan.spec_hash(type("W", (), {"study": "dag", "cond": job.param_id,
                                          "chunk": job.name})())
        package = time.perf_counter() - t0
        print(f"jobs: {len(chunks)} simulate (+ gather, export, check, summarise, report)")
        print(f"package: Plan + every chunk spec: {package:.2f} s")
        seconds, n, rss = snakemake_n(where)
        print(f"snakemake -n: {seconds:.1f} s, peak RSS {rss / 2**20:.0f} MiB (DAG with {n} "
              "simulate jobs)")
        if args.groups:
            seconds, n, rss = snakemake_n(where, "--groups", "simulate=chunks",
                                          "--group-components", "chunks=20")
            print(f"snakemake -n --groups simulate=chunks --group-components chunks=20: "
                  f"{seconds:.1f} s, peak RSS {rss / 2**20:.0f} MiB ({n} simulate jobs in "
                  f"{-(-n // 20)} group jobs)")


if __name__ == "__main__":
    main()
