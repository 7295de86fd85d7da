"""How long Snakemake takes to build the DAG of a study with 10^4 chunk jobs.

    python benchmarks/bench_dag.py [--params 100] [--sizes 10] [--chunks 10]

Writes a scratch copy of the workflow with one generated study of
params × sizes conditions × chunks chunks (default 100 × 10 × 10 = 10^4 simulate jobs,
plus combine, summarise, report), then times

* the package's side alone: ``Plan.from_config`` and every chunk's spec (what the
  Snakefile's input and params functions compute);
* ``snakemake -n`` (parse, validate, build and print the whole DAG; no job runs);
* ``snakemake -n`` with the SLURM profile's grouping (``--groups simulate=chunks
  --group-components chunks=20``), which is what a cluster run plans.
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


def snakemake_n(where: Path, *extra: str) -> tuple[float, int]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--quiet", "rules",
                          "--config", "chunk_size=100", *extra], cwd=where, env=env,
                         capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - t0
    if res.returncode:
        raise SystemExit(res.stderr[-3000:])
    out = res.stdout + res.stderr
    m = re.search(r"^simulate\s+(\d+)", out, flags=re.M)
    return seconds, int(m.group(1)) if m else -1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params", type=int, default=100)
    ap.add_argument("--sizes", type=int, default=10)
    ap.add_argument("--chunks", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        where = Path(d)
        for item in ("Snakefile", "workflow", "config"):
            src = ROOT / item
            (shutil.copytree if src.is_dir() else shutil.copy)(src, where / item)
        (where / "studies").mkdir()
        (where / "studies" / "dag.yaml").write_text(
            study_text(args.params, args.sizes, 100 * args.chunks))

        from fisherlab.workflow import Plan

        t0 = time.perf_counter()
        plan = Plan.from_config({"studies_dir": str(where / "studies"), "chunk_size": 100})
        chunks = plan.chunks("dag")
        for ch in chunks:
            plan.spec_param(type("W", (), {"study": "dag", "cond": ch.condition.param_id,
                                           "n": ch.condition.n, "chunk": ch.index})())
        package = time.perf_counter() - t0
        print(f"jobs: {len(chunks)} simulate (+ combine, summarise, report)")
        print(f"package: Plan + every chunk spec: {package:.2f} s")
        seconds, n = snakemake_n(where)
        print(f"snakemake -n: {seconds:.1f} s (DAG with {n} simulate jobs)")
        seconds, n = snakemake_n(where, "--groups", "simulate=chunks",
                                 "--group-components", "chunks=20")
        print(f"snakemake -n --groups simulate=chunks --group-components chunks=20: "
              f"{seconds:.1f} s ({n} simulate jobs in {-(-n // 20)} group jobs)")


if __name__ == "__main__":
    main()
