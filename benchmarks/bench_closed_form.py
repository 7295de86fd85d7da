"""Closed-form estimators against the limit (drawing the data) and against scipy.

    python benchmarks/bench_closed_form.py [--reps 2000] [--n 100 1000] [--only normal] [--no-auto]

Defaults: R = 2000 datasets (a cell of a bundled study: normal_bessel has 2000
replications a cell) at n = 100, and again at n = 1000.

1. The limit. For every registered family × closed-form estimator (``mle`` where the
   family has a closed form, ``mom``, ``unbiased``; ``mom/num``: ``mom`` with
   ``jacobian: numeric``, scipy.differentiate's Jacobian, where the family declares
   ``mom_jacobian``, which ``mom`` uses by default), a
   one-estimator study's chunk of R replicates at n, run as a job runs it
   (:func:`fisherlab.run.chunks.write_chunk`: fit, build the rows, their per-block
   statistics, write the chunk's parquet files) but with its data already drawn,
   against drawing the same (R, n) data alone with one generator
   (``family.sample(rng, theta, (R, n))``: ``rng.normal(size=(R, n))`` and friends).
   ``ratio`` = chunk / draw; the bar is 2×. ``job draw`` is the chunk's own drawing
   (a generator per 100-replicate seed block), for reference. The chunk is a job of
   its own, so it carries a job's fixed costs (two new parquet files, each written
   atomically, one synced to disk), which a job spanning several cells shares among
   them.
2. At the sizes of the ``chunk_size: auto`` layout: for every bundled study
   (``studies/*.yaml``) whose estimators are all closed-form (as above; ``mle`` without
   likelihood-ratio intervals, a root search per dataset), its largest job as the auto
   layout plans it (:func:`fisherlab.plan.chunking.jobs_for`: a cheap condition's job
   spans its every sample size), run with each estimator alone and with all of them
   (``all``, the job as it runs), its cells' data drawn beforehand (at most
   :data:`MAX_VALUES` values: a longer job's first cells), against drawing the same
   cells' data with one generator a cell. The same bar; best of 3. Such a job carries
   its fixed costs once for all its cells, but writes a row per replicate, estimator
   and estimand of every cell: 2000 rows of ~120 bytes, hashed and encoded, for a
   cell of n = 2 whose data are 2000 × 2 values.
3. Against scipy: the ``mle`` estimator on all R datasets at once (estimates,
   observed-information SEs, intervals) against ``scipy.stats.<dist>.fit`` called once
   per dataset (estimates only, so the naive side does less work). Estimates must
   agree to 1e-10 relative; the ratio is naive time / fisherlab time.

Times are the best of 5 (scipy loop: of 2), in one process; compare ratios, not times,
across runs (the machine's load changes times).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

from fisherlab.estimators import estimators_for, make_estimator
from fisherlab.families import family_names, get_family
from fisherlab.plan.chunking import jobs_for
from fisherlab.run import chunks, simulate
from fisherlab.spec.load import load_study
from fisherlab.spec.study import Chunk, Condition, Job

#: the bundled studies
STUDIES = Path(__file__).resolve().parent.parent / "studies"

CASES = {
    # family, theta, estimand -> scipy fit returning that estimand
    "normal": ({"mu": 1.0, "sigma": 2.0}, "sigma", lambda x: stats.norm.fit(x)[1]),
    "exponential": ({"rate": 2.0}, "rate", lambda x: 1 / stats.expon.fit(x, floc=0)[1]),
    "uniform": ({"lower": 0.0, "upper": 3.0}, "upper", lambda x: sum(stats.uniform.fit(x))),
}
#: the rows' short names of estimators with options
ESTIMATORS = {"mom/num": "{mom: {jacobian: numeric}}"}
#: the bar of the issue: a chunk at most this many times its data's drawing
BAR = 2.0


def best_of(fn, k=5):
    times = []
    for _ in range(k):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def closed_form_pairs(only=None) -> list[tuple[str, str]]:
    """(family, estimator) for every registered family's closed-form estimators."""
    out = []
    for name in family_names():
        if only and name not in only:
            continue
        fam = get_family(name)
        for est in estimators_for(fam):
            if est in ("mom", "unbiased") or (
                    est == "mle" and make_estimator("mle").closed_form(fam)):
                out.append((name, est))
            if est == "mom" and fam.has("mom_jacobian"):
                out.append((name, "mom/num"))  # mom with jacobian: numeric
    return out


def one_estimator_study(family: str, estimator: str, n: int, folder: Path):
    """A study of one condition (the family's example parameters), one n, one estimator,
    its default estimands."""
    theta = get_family(family).example_theta()
    params = ", ".join(f"{k}: {v}" for k, v in theta.items())
    path = folder / f"{family}_{estimator.replace('/', '_')}.yaml"
    path.write_text(f"description: closed-form benchmark\nmodel: {{family: '{family}', "
                    f"params: {{{params}}}}}\nsample_sizes: [{n}]\nreplications: 100\n"
                    f"seed: 1\nestimators: [{ESTIMATORS.get(estimator, estimator)}]\n")
    return load_study(path)


def limit_row(family: str, estimator: str, R: int, n: int, folder: Path) -> dict:
    study = one_estimator_study(family, estimator, n, folder)
    params = {k: v[0] for k, v in study.params.items()}
    chunk = Chunk(Condition(params, n), 0, 0, R)
    fam = study.family
    t_draw, _ = best_of(lambda: fam.sample(np.random.default_rng(1), params, (R, n)))
    t_job_draw, drawn = best_of(lambda: simulate.draw_with_truth(study, chunk))
    k = iter(range(10))
    real = simulate.draw_with_truth
    # the job's own path with its drawing taken out: run_chunk draws through this name
    simulate.draw_with_truth = lambda _study, _chunk: drawn
    try:
        # a new file each time, as a job writes one (Snakemake removes a job's old
        # outputs first; a rename over a file just synced cost milliseconds more)
        t_chunk, _ = best_of(lambda: chunks.write_chunk(study, Job((chunk,)), folder / (
            f"{family}_{estimator.replace('/', '_')}_{n}_{next(k)}.parquet")))
    finally:
        simulate.draw_with_truth = real
    return {"draw": t_draw, "job_draw": t_job_draw, "chunk": t_chunk,
            "ratio": t_chunk / t_draw}


def limit(R: int, sizes: list[int], only=None) -> list[tuple]:
    pairs = closed_form_pairs(only)
    over = []
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            print(f"\nR = {R} datasets of n = {n}: a chunk (fit, rows, statistics, written) "
                  f"against drawing its data; best of 5")
            print(f"{'family':<18} {'estimator':<9} {'draw':>9} {'chunk':>9} {'ratio':>7} "
                  f"{'job draw':>9}")
            for fam, est in pairs:
                r = limit_row(fam, est, R, n, Path(d))
                flag = "" if r["ratio"] <= BAR else f"  > {BAR:g}x"
                print(f"{fam:<18} {est:<9} {r['draw'] * 1e3:7.2f}ms {r['chunk'] * 1e3:7.2f}ms "
                      f"{r['ratio']:6.1f}x {r['job_draw'] * 1e3:7.2f}ms{flag}", flush=True)
                if flag:
                    over.append((fam, est, n, r["ratio"]))
    return over


def is_closed_form(estimator, family) -> bool:
    """``mom``, ``unbiased``, and ``mle`` where the family has a closed form, but with
    likelihood-ratio intervals (a root search per dataset)."""
    return estimator.name in ("mom", "unbiased") or (
        estimator.name == "mle" and estimator.closed_form(family)
        and estimator.options.get("interval", "wald") != "likelihood_ratio")


def auto_job(study) -> Job:
    """The study's job of the auto layout with the most data values."""
    return max(jobs_for(study, "auto"), key=lambda j: sum(
        (c.stop - c.start) * c.condition.n for c in j.chunks))


def auto_rows(study, job: Job) -> list[dict]:
    """The job with each of the study's estimators alone, then with all of them (as it
    runs): its chunk with its cells' data drawn beforehand against drawing them."""
    drawn = {id(c): simulate.draw_with_truth(study, c) for c in job.chunks}
    fam = study.family

    def draw_all():
        for c in job.chunks:
            fam.sample(np.random.default_rng(1), dict(c.condition.params),
                       (c.stop - c.start, c.condition.n))

    t_draw, _ = best_of(draw_all, k=3)
    variants = [(s.id, [s]) for s in study.estimators]
    if len(study.estimators) > 1:
        variants.append(("all", list(study.estimators)))
    rows = []
    real = simulate.draw_with_truth
    # the job's own path with its drawing taken out: it draws through this name
    simulate.draw_with_truth = lambda _study, chunk: drawn[id(chunk)]
    try:
        with tempfile.TemporaryDirectory() as d:
            for name, ests in variants:
                one = dataclasses.replace(study, estimators=ests)
                k = iter(range(10))
                # a new file each time, as a job writes one
                t_chunk, _ = best_of(lambda one=one, k=k: chunks.write_chunk(
                    one, job, Path(d) / f"c{next(k)}.parquet"), k=3)
                rows.append({"estimator": name, "draw": t_draw, "chunk": t_chunk,
                             "ratio": t_chunk / t_draw})
    finally:
        simulate.draw_with_truth = real
    return rows


#: most data values of a job drawn beforehand (8 bytes each): a longer job's first cells
MAX_VALUES = 2 * 10**7


def at_auto_sizes(only=None) -> list[tuple]:
    print("\nThe bundled closed-form studies' largest job of the auto layout: its chunk "
          "with each estimator, and with all (the job as it runs), against drawing its "
          "cells' data; best of 3")
    print(f"{'study':<26} {'estimator':<22} {'cells':>5} {'values':>8} {'draw':>9} "
          f"{'chunk':>9} {'ratio':>7}")
    over = []
    for path in sorted(STUDIES.glob("*.yaml")):
        study = load_study(path)
        if only and study.family.name not in only:
            continue
        if not all(is_closed_form(s.estimator, study.analysis) for s in study.estimators):
            continue
        job = auto_job(study)
        cells, values = [], 0
        for c in job.chunks:  # the data drawn beforehand stay within MAX_VALUES
            if cells and values + (c.stop - c.start) * c.condition.n > MAX_VALUES:
                break
            cells.append(c)
            values += (c.stop - c.start) * c.condition.n
        if len(cells) < len(job.chunks):
            print(f"{study.name}: the job's first {len(cells)} of {len(job.chunks)} cells")
            job = dataclasses.replace(job, chunks=tuple(cells))
        for r in auto_rows(study, job):
            flag = "" if r["ratio"] <= BAR else f"  > {BAR:g}x"
            print(f"{study.name:<26} {r['estimator']:<22} {len(job.chunks):>5} "
                  f"{values / 1e6:>7.2f}M {r['draw'] * 1e3:>7.1f}ms {r['chunk'] * 1e3:>7.1f}ms "
                  f"{r['ratio']:>6.1f}x{flag}", flush=True)
            if flag:
                over.append((study.name, r["estimator"], "auto", r["ratio"]))
    return over


def against_scipy(R: int, n: int) -> None:
    print(f"\nR = {R} datasets of n = {n}: mle against a scipy .fit loop; best of 5")
    print(f"{'family':<12} {'fisherlab':>12} {'scipy loop':>12} {'ratio':>8}  max rel diff")
    for name, (theta, estimand, scipy_fit) in CASES.items():
        fam = get_family(name)
        x = fam.sample(np.random.default_rng(1), theta, (R, n))
        est = make_estimator("mle")
        t_fl, fits = best_of(lambda fam=fam, x=x, est=est: est.fit(
            fam, x, {}, fam.default_estimands(), 0.95))
        t_sp, naive = best_of(lambda x=x, f=scipy_fit: np.array([f(row) for row in x]), k=2)
        diff = np.max(np.abs(fits[estimand].estimate - naive) / np.abs(naive))
        assert diff < 1e-10, (name, diff)
        print(f"{name:<12} {t_fl * 1e3:>10.2f}ms {t_sp * 1e3:>10.1f}ms {t_sp / t_fl:>7.0f}x"
              f"  {diff:.1e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--n", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--only", nargs="+", metavar="FAMILY", help="only these families")
    ap.add_argument("--no-auto", action="store_true",
                    help="skip the bundled studies' jobs at the auto layout's sizes")
    args = ap.parse_args()
    over = limit(args.reps, args.n, args.only)
    if not args.no_auto:
        over += at_auto_sizes(args.only)
    against_scipy(args.reps, args.n[0])
    if over:
        print(f"\nover {BAR:g}x the drawing: "
              + ", ".join(f"{f} {e} (n = {n}: {r:.1f}x)" for f, e, n, r in over))
        sys.exit(1)
    print(f"\nevery closed-form chunk within {BAR:g}x of drawing its data")


if __name__ == "__main__":
    main()
