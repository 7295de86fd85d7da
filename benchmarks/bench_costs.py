"""The measured figures behind the cost plan (src/fisherlab/plan/cost.py).

    python benchmarks/bench_costs.py                 # all; writes src/fisherlab/plan/cost_table.py
    python benchmarks/bench_costs.py --fits normal   # one family's fits, print only
    python benchmarks/bench_costs.py --summary-only  # only the summary steps, print only
    python benchmarks/bench_costs.py --update posterior  # one estimator's rows again

Run from the project root of an installed checkout (the custom family is imported from
studies/models/). Every measurement runs in a fresh process, as a Snakemake job does:

* fits, per family × estimator (plus ``scipy.gamma`` for ``scipy.<name>`` families and
  the bundled zero-inflated Poisson for ``python:`` families), one estimator per study:
  - seconds per dataset at n = 20 and n = 1000, from chunks of R and 4R datasets (R
    grown until a chunk takes >= 0.5 s), giving ``a + b·n``; for ``posterior``, R is a
    multiple of its joint sampler's block (20 replicates: a smaller chunk is padded to a
    whole block, and would time one block whatever R);
  - ``setup``: the first call's extra seconds (imports used only by it, PyMC compiling
    its model) and what a chunk costs beyond its datasets (a batched model compiled
    for its size), paid once per job;
  - bytes per observation: the slope of a job's peak RSS between chunks of R/4 and R
    datasets of n = 10^4 (R up to 1000, fewer where fits are slow; for ``posterior`` R/4
    is a block, and n down to 1000 where 4 blocks would take over about 20 s);
  - ``base``: the job's peak RSS without its datasets (imports, compiled model);
* a job's start: seconds from a new interpreter to a loaded study (a chunk job's imports);
* the summary steps, each in its own process on ~2·10^5 and ~10^6 estimate rows: the
  slopes of peak RSS and seconds give bytes and seconds per estimate row.

Times depend on the machine and its load; the table records both. Finished fits are
kept in $TMPDIR/fisherlab_bench_costs.json (an interrupted run continues; delete it to
measure everything again).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "src" / "fisherlab" / "plan" / "cost_table.py"
CACHE = Path(tempfile.gettempdir()) / "fisherlab_bench_costs.json"
EXTRA_FAMILIES = ("scipy.gamma", "python:studies.models.zero_inflated_poisson:ZeroInflatedPoisson")
BAYES = ("map", "posterior")


def maxrss() -> int:
    """Peak RSS of this process, bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def study_yaml(family: str, estimator: str, n: int) -> str:
    from fisherlab.families import get_family

    fam = get_family(family)
    theta = fam.example_theta()
    params = ", ".join(f"{k}: {v}" for k, v in theta.items())
    return (f"description: cost benchmark\nmodel: {{family: '{family}', params: {{{params}}}}}\n"
            f"sample_sizes: [{n}]\nreplications: 100\nseed: 1\nestimators: [{estimator}]\n")


def child_study(family: str, estimator: str, n: int):
    from fisherlab.spec.load import load_study

    p = Path(tempfile.mkdtemp()) / "bench.yaml"
    p.write_text(study_yaml(family, estimator, n))
    return load_study(p)


def chunk_of(study, n: int, R: int):
    from fisherlab.spec.study import Chunk, Condition

    params = {k: v[0] for k, v in study.params.items()}
    return Chunk(Condition(params, n), 0, 0, R)


def unit(estimator: str) -> int:
    """The replicates a chunk is a multiple of when timed: the joint sampler's block for
    ``posterior`` (its default sampler pads a chunk to whole blocks), else 1."""
    if estimator != "posterior":
        return 1
    from fisherlab.estimators.posterior import DEFAULT_BLOCK

    return DEFAULT_BLOCK["joint"]


def whole(R: float, step: int) -> int:
    """R rounded up to a multiple of ``step``."""
    return int(-(-int(R) // step) * step)


def child(mode: str, family: str, estimator: str, n: int, R: int) -> dict:
    """One measurement in this (fresh) process; prints JSON."""
    from fisherlab.run.simulate import run_chunk

    study = child_study(family, estimator, n)
    t0 = time.perf_counter()
    run_chunk(study, chunk_of(study, n, 2))  # warm-up: imports, compiled models
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_chunk(study, chunk_of(study, n, 2))
    setup -= time.perf_counter() - t0  # the first call's extra
    base = maxrss()
    if mode == "mem":  # peak RSS at R/4 and at R: the slope is per observation
        run_chunk(study, chunk_of(study, n, max(1, R // 4)))
        peak1 = maxrss()
        run_chunk(study, chunk_of(study, n, R))
        return {"base": base, "peak1": peak1, "peak": maxrss(), "R1": max(1, R // 4), "R": R,
                "n": n, "setup": setup}

    def timed(R: int) -> float:
        t0 = time.perf_counter()
        run_chunk(study, chunk_of(study, n, R))
        return time.perf_counter() - t0

    while True:  # time: grow R until a chunk takes >= 0.5 s, then time R and 4R
        first, sec = timed(R), timed(R)  # the first call at a size may compile for it
        if sec >= 0.5 or R >= 1000:
            break
        R = whole(min(1000, max(2 * R, int(R * 0.6 / max(sec, 1e-3)))), unit(estimator))
    timed(4 * R)  # compiles for 4R
    sec4 = timed(4 * R)
    per = max(0.0, (sec4 - sec) / (3 * R))
    # what a chunk costs beyond its datasets: a batched model compiled for its size, once
    # per job (chunks of a job all have one size), and any fixed cost per call
    return {"seconds_per_dataset": per, "per_chunk": max(0.0, first - R * per), "R": R,
            "n": n, "setup": setup, "base": base}


def run_child(*args) -> dict:
    for attempt in (1, 2):  # a child killed by a busy machine gets one more try
        res = subprocess.run([sys.executable, __file__, "--child", *map(str, args)],
                             capture_output=True, text=True, cwd=ROOT, timeout=3600)
        lines = res.stdout.strip().splitlines()
        if lines and lines[-1].startswith("{"):
            if res.returncode:  # measured, then crashed on the way out (seen: uniform
                # posterior, a segfault at interpreter exit): the figures stand
                print(f"{args}: measured, then exit {res.returncode}", flush=True)
            return json.loads(lines[-1])
        print(f"{args}: attempt {attempt} failed (exit {res.returncode}): "
              f"{res.stderr[-500:]}", flush=True)
    raise RuntimeError(f"{args}: {res.stderr[-2000:]}")


def measure_fit(family: str, estimator: str) -> dict:
    bayes = estimator in BAYES
    R0 = max(unit(estimator), 4) if bayes else 100
    small = run_child("time", family, estimator, 20, R0)
    large = run_child("time", family, estimator, 1000, R0)
    b = max(0.0, (large["seconds_per_dataset"] - small["seconds_per_dataset"]) / 980)
    a = max(0.0, small["seconds_per_dataset"] - 20 * b)
    # the warm-up's first call compiled what a job compiles once (at another chunk size)
    setup = max(0.0, small["setup"], small["per_chunk"], large["per_chunk"])
    n_mem = 10_000
    if estimator == "posterior":  # where a replicate takes seconds (a full-data joint
        # block at n = 10^4 takes minutes): a size at which 4 blocks take about 20 s
        n_mem = int(min(n_mem, max(1000, (20.0 / (4 * unit(estimator)) - a) / max(b, 1e-12))))
    per = a + b * n_mem
    R = int(min(1000, max(8, 10.0 / max(per, 1e-9))))  # ~10 s, at most 10^7 observations
    R = whole(R, 4 * unit(estimator))  # R / 4 too: whole blocks
    mem = run_child("mem", family, estimator, n_mem, R)
    per_obs = max(8.0, (mem["peak"] - mem["peak1"]) / ((R - mem["R1"]) * n_mem))
    out = {"a": a, "b": b, "setup": setup, "bytes_per_obs": per_obs,
           "base": max(mem["base"], mem["peak1"] - per_obs * mem["R1"] * n_mem),
           "mem_R": R, "mem_n": n_mem}
    print(f"{family:>22} {estimator:>10}: {1e3 * a:8.4f} ms + {1e6 * b:8.4f} us·n per dataset,"
          f" setup {setup:.2f} s, {per_obs:6.1f} B/observation, base "
          f"{out['base'] / 2**20:.0f} MiB", flush=True)
    return out


def measure_start() -> float:
    code = ("import fisherlab.cli, fisherlab.run.simulate, fisherlab.pipeline.stages, pandas, "
            "pyarrow; from fisherlab.spec.load import load_study; "
            "load_study('studies/normal_bessel.yaml')")
    best = 1e9
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - t0)
    print(f"job start (interpreter, imports, study loaded): {best:.2f} s", flush=True)
    return best


# --------------------------------------------------------------------------- summary steps
SUMMARY_STUDY = """\
description: summary-step benchmark
model: {{family: normal, params: {{mu: 0.0, sigma: 1.0}}}}
sample_sizes: [5, 10, 20, 50]
replications: {reps}
seed: 1
estimators: [mle, unbiased, mom]
estimands: [mu, sigma, sigma2]
"""
STAGES = ("gather", "check", "summarise", "diagnose", "html", "server")


def stage_child(stage: str, folder: str) -> dict:
    """One summary step of the workflow, as its job runs it, in this (fresh) process."""
    from fisherlab.core.layout import chunk_file
    from fisherlab.pipeline import stages
    from fisherlab.spec.load import load_study

    folder = Path(folder)
    study = load_study(folder / "bench.yaml")
    out = folder / "results" / study.name
    base = maxrss()
    t0 = time.perf_counter()
    if stage == "server":  # the preloaded server that forked jobs start from
        import importlib

        from fisherlab.cli.inprocess import PRELOAD

        for module in PRELOAD:
            importlib.import_module(module)
    elif stage == "gather":
        jobs = study.jobs(5000)
        for cond in dict.fromkeys(j.param_id for j in jobs):
            stages.gather(study, cond, [chunk_file(folder / "results", study.name, j)
                                        for j in jobs if j.param_id == cond], out, 5000)
    elif stage == "check":
        stages.combine(study, [chunk_file(folder / "results", study.name, j)
                               for j in study.jobs(5000)], out / "provenance.json")
        stages.check(study, out, out / "status.json")
    elif stage == "summarise":
        stages.summarise(study, out, out / "summary.csv")
    elif stage == "diagnose":  # and what the page's job does before drawing
        stages.diagnose(study, out, out)
        stages.judge(study, out)
        stages.report_md(study, out, out / "report.md")
    elif stage == "html":
        stages.html(study, out, out / "report.html", out / "figures", out / "verdict.json")
    return {"base": base, "peak": maxrss(), "seconds": time.perf_counter() - t0}


def measure_summary(which: tuple[str, ...] = STAGES) -> dict:
    from fisherlab.core.layout import chunk_file
    from fisherlab.pipeline import stages
    from fisherlab.spec.load import load_study

    out = {}
    for reps in (5_000, 25_000):
        with tempfile.TemporaryDirectory() as d:
            folder = Path(d)
            (folder / "bench.yaml").write_text(SUMMARY_STUDY.format(reps=reps))
            study = load_study(folder / "bench.yaml")
            for job in study.jobs(5000):
                stages.chunk(study, job, chunk_file(folder / "results", study.name, job))
            rows = 4 * reps * 9
            for stage in which:
                res = subprocess.run([sys.executable, __file__, "--stage", stage, str(folder)],
                                     capture_output=True, text=True, cwd=ROOT, timeout=3600)
                if res.returncode:
                    print(f"{stage}: failed: {res.stderr[-1500:]}", flush=True)
                    continue
                r = json.loads(res.stdout.strip().splitlines()[-1])
                # bytes per row of what a step holds (fisherlab.plan.cost.step_bytes):
                # gather a cell's rows (estimator × estimand), the page's steps one
                # condition × n's (the study has 4), the others' the study's; seconds
                # always per row of the study
                held = {"gather": reps, "diagnose": reps * 9, "html": reps * 9}.get(stage,
                                                                                 rows)
                out.setdefault(stage, []).append((rows, r["peak"], r["seconds"], held))
                print(f"{stage:>10} at {rows:>8} rows: peak {r['peak'] / 2**20:7.0f} MiB, "
                      f"{r['seconds']:6.1f} s", flush=True)
    table = {}
    if "server" in which:  # and the Snakemake process's base, in a real (tiny) run
        table["snakemake"] = {"bytes_per_row": 0.0, "base": snakemake_base(),
                              "seconds_per_row": 0.0, "seconds": 0.0}
    for stage, pts in out.items():
        if len(pts) < 2:
            continue
        if stage == "server":  # a base only
            table[stage] = {"bytes_per_row": 0.0, "base": max(p for _, p, _, _ in pts),
                            "seconds_per_row": 0.0, "seconds": 0.0}
            continue
        (r1, p1, s1, h1), (r2, p2, s2, h2) = pts
        slope = max(0.0, (p2 - p1) / (h2 - h1))  # bytes per row held
        table[stage] = {"bytes_per_row": slope, "base": max(0.0, p1 - slope * h1),
                        "seconds_per_row": max(0.0, (s2 - s1) / (r2 - r1)),
                        "seconds": max(0.0, s1 - (s2 - s1) / (r2 - r1) * r1)}
        print(f"{stage:>10}: {slope:6.0f} B/row above {table[stage]['base'] / 2**20:.0f} MiB, "
              f"{1e6 * table[stage]['seconds_per_row']:.2f} us/row", flush=True)
    return table


def snakemake_base() -> float:
    """Peak RSS of the Snakemake process in a run of a tiny study (its imports, the
    workflow, its threads; the steps' rows negligible), in a scratch copy of the workflow
    with its profile, sampled as benchmarks/bench_memory.py samples."""
    import shutil

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from rss import run_sampled

    with tempfile.TemporaryDirectory() as d:
        where = Path(d)
        for item in ("Snakefile", "workflow", "config", "profiles"):
            (shutil.copytree if (ROOT / item).is_dir() else shutil.copy)(ROOT / item,
                                                                          where / item)
        (where / "studies").mkdir()
        (where / "studies" / "tiny.yaml").write_text(SUMMARY_STUDY.format(reps=100))
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
               f"{os.environ.get('PATH', '')}"}
        rc, _, peaks = run_sampled([sys.executable, "-m", "snakemake", "--cores", "2"],
                                   cwd=where, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
    if rc:
        raise RuntimeError("the tiny workflow run failed")
    base = max(p.rss for p in peaks.values() if p.name == "snakemake")
    print(f" snakemake: {base / 2**20:.0f} MiB (the process, a tiny run)", flush=True)
    return base


# --------------------------------------------------------------------------- the table
def measured_line(what: str) -> list[str]:
    """When, where and under what load ``what`` was measured (the table's header)."""
    return [f"{what} measured {date.today().isoformat()} on {platform.node() or 'a machine'}",
            f"({os.cpu_count()} cores, Python {platform.python_version()}), load average "
            f"{os.getloadavg()[0]:.1f} at the end."]


def kind(estimator: str) -> str:
    """The job base an estimator's jobs have (``JOB_BASE_BYTES``): PyMC's, or numpy's."""
    return "pymc" if estimator in BAYES else "numpy"


def write_table(fits: dict, start: float, summary: dict, measured: list[str]) -> None:
    bases = {}  # per kind, the largest job base measured
    for (_, est), f in fits.items():
        bases[kind(est)] = max(bases.get(kind(est), 0), f["base"])
    lines = [
        '"""Measured costs for the cost plan (:mod:`fisherlab.plan.cost`). Generated by',
        "``python benchmarks/bench_costs.py``; do not edit by hand.",
        "",
        *measured,
        '"""',
        "",
        "#: (family, estimator) -> seconds per dataset a + b*n, first-call setup seconds",
        "#: per job, bytes per observation of a chunk job (data, fits and rows together)",
        "FITS = {",
    ]
    for (fam, est), f in sorted(fits.items()):
        lines.append(f"    ({fam!r}, {est!r}): ({f['a']:.3g}, {f['b']:.3g}, {f['setup']:.3g}, "
                     f"{f['bytes_per_obs']:.3g}),")
    lines += ["}", "",
              "#: seconds from a new interpreter to a loaded study (a job's start)",
              f"JOB_START_SECONDS = {start:.3g}",
              "#: a chunk job's peak RSS after imports and a warm-up fit, bytes, by kind",
              f"JOB_BASE_BYTES = {{'numpy': {bases.get('numpy', 0):.4g}, "
              f"'pymc': {bases.get('pymc', 0):.4g}}}",
              "#: summary steps: stage -> bytes per estimate row, base bytes, seconds per row,",
              "#: fixed seconds",
              "SUMMARY = {"]
    for stage, t in summary.items():
        lines.append(f"    {stage!r}: ({t['bytes_per_row']:.4g}, {t['base']:.4g}, "
                     f"{t['seconds_per_row']:.4g}, {t['seconds']:.3g}),")
    lines += ["}", ""]
    TABLE.write_text("\n".join(lines))
    print(f"wrote {TABLE}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, fam, est, n, R = sys.argv[2:7]
        print(json.dumps(child(mode, fam, est, int(n), int(R))))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--stage":
        print(json.dumps(stage_child(sys.argv[2], sys.argv[3])))
        return
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fits", nargs="*", help="only these families (print, do not write)")
    ap.add_argument("--summary-only", action="store_true")
    ap.add_argument("--update", nargs="+", metavar="ESTIMATOR",
                    help="measure these estimators' rows again (every family) and rewrite "
                         "the table with them, keeping its other figures")
    args = ap.parse_args()
    if args.update:
        update(args.update)
        return

    from fisherlab.estimators import estimators_for
    from fisherlab.families import family_names, get_family
    from fisherlab.plan.prices import table_key

    if not args.summary_only:
        cache = json.loads(CACHE.read_text()) if CACHE.exists() else {}  # see the docstring
        fits = {}
        for name in args.fits or [*family_names(), *EXTRA_FAMILIES]:
            fam = get_family(name)
            for est in estimators_for(fam):
                key = table_key(fam)  # the family, or its kind: scipy, python
                tag = f"{key}/{est}"
                if tag not in cache:
                    cache[tag] = measure_fit(name, est)
                    CACHE.write_text(json.dumps(cache, indent=1))
                fits[(key, est)] = cache[tag]
    if args.fits:
        return
    summary = measure_summary()
    if args.summary_only:
        return
    write_table(fits, measure_start(), summary, measured_line("Every figure"))


def update(estimators: list[str]) -> None:
    """Measure the rows of ``estimators`` again and rewrite the table with them; the
    other rows, the job start and the summary steps stay as they were measured (the
    header keeps their dates and adds this one)."""
    from fisherlab.estimators import estimators_for
    from fisherlab.families import family_names, get_family
    from fisherlab.plan import cost_table

    def row(est, f):  # a table row back as measure_fit's figures, with the table's base
        a, b, setup, per_obs = f
        return {"a": a, "b": b, "setup": setup, "bytes_per_obs": per_obs,
                "base": cost_table.JOB_BASE_BYTES[kind(est)]}

    # the other estimators' rows as they are (their job bases stand unless measured higher
    # now); these estimators' rows only where a family still offers them
    fits = {key: row(key[1], f) for key, f in cost_table.FITS.items()
            if key[1] not in estimators}
    cache = json.loads(CACHE.read_text()) if CACHE.exists() else {}
    for name in family_names():
        for est in estimators_for(get_family(name)):
            if est in estimators:
                tag = f"{name}/{est}/{date.today().isoformat()}"  # today's, if interrupted
                if tag not in cache:
                    cache[tag] = measure_fit(name, est)
                    CACHE.write_text(json.dumps(cache, indent=1))
                fits[(name, est)] = cache[tag]
    summary = {stage: dict(zip(("bytes_per_row", "base", "seconds_per_row", "seconds"), t,
                               strict=True)) for stage, t in cost_table.SUMMARY.items()}
    before = cost_table.__doc__.strip().split("\n\n", 1)[1].splitlines()
    write_table(fits, cost_table.JOB_START_SECONDS, summary,
                [*before, *measured_line(f"The rows of {', '.join(estimators)}")])


if __name__ == "__main__":
    main()
