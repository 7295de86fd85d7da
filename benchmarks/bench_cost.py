"""Seconds per fit of every family × estimator: the cost table of ``chunk_size: auto``.

    python benchmarks/bench_cost.py [--write] [--skip-bayes]

For each registered family and each estimator that applies to it (default options),
fits one seed block (100 datasets drawn at the family's typical parameters) at n = 10
and n = 1000, best of 3 (drawing the datasets too, as ``<family>/draw``; and the
cost per estimate row of a whole chunk job beyond drawing and fitting, as ``row``;
PyMC estimators: one warm-up, then best of 2, with
``draws``/``tune`` at their defaults), and solves seconds per fit = a + b n from the
two sizes. Prints the table; ``--write`` stores it in src/fisherlab/costs.json, which
:mod:`fisherlab.chunking` reads. Run it on the machine the studies run on.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from fisherlab.estimators import estimator_names, make_estimator
from fisherlab.families import family_names, get_family

OUT = Path(__file__).resolve().parents[1] / "src" / "fisherlab" / "costs.json"
SIZES = (10, 1000)
R = 100


def draw_seconds(fam, theta, n, k=3) -> float:
    best = float("inf")
    for _ in range(k):
        t0 = time.perf_counter()
        fam.sample(np.random.default_rng(1), theta, (R, n))
        best = min(best, time.perf_counter() - t0)
    return best / R


def row_seconds(reps: int = 20_000) -> float:
    """What a chunk job spends per estimate row beyond drawing and fitting: building
    the rows, the block statistics, writing both files (normal, mle + unbiased, n = 10)."""
    import tempfile

    from fisherlab import stages
    from fisherlab.study import Chunk, Condition, load_study

    text = ("description: cost\nmodel: {family: normal, params: {mu: 0.0, sigma: 1.0}}\n"
            f"sample_sizes: [10]\nreplications: {reps}\nseed: 1\n"
            "estimators: [mle, unbiased]\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cost.yaml"
        path.write_text(text)
        study = load_study(path)
        cond = Condition({"mu": 0.0, "sigma": 1.0}, 10)
        stages.chunk(study, Chunk(cond, 0, 0, 100), Path(tmp) / "warm.parquet")  # imports
        ch = Chunk(cond, 0, 0, reps)
        t0 = time.perf_counter()
        rows, _ = stages.chunk(study, ch, Path(tmp) / "c0.parquet")
        total = time.perf_counter() - t0
    fam = study.family
    fits = sum(seconds(e.estimator, fam, {"mu": 0.0, "sigma": 1.0}, 10, 3)
               for e in study.estimators)
    return max(total - reps * (fits + draw_seconds(fam, {"mu": 0.0, "sigma": 1.0}, 10)),
               0.0) / rows


def seconds(est, fam, theta, n, k) -> float:
    x = fam.sample(np.random.default_rng(1), theta, (R, n))
    fixed = {p.name: theta[p.name] for p in fam.params if not p.estimated}
    estimands = tuple(est.estimands_for(fam))
    seeds = np.arange(R)
    best = float("inf")
    for _ in range(k):
        t0 = time.perf_counter()
        est.fit(fam, x, fixed, estimands, 0.95, seeds=seeds)
        best = min(best, time.perf_counter() - t0)
    return best / R


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="store the table in costs.json")
    ap.add_argument("--skip-bayes", action="store_true", help="leave out PyMC estimators "
                    "(keeps their rows of the existing costs.json)")
    args = ap.parse_args()
    table = json.loads(OUT.read_text())["seconds_per_fit"] if OUT.exists() else {}
    print(f"{'family/estimator':<34} {'n=10 (ms)':>10} {'n=1000 (ms)':>12}")
    table["row"] = [float(f"{row_seconds():.3g}"), 0.0]
    print(f"{'row (per estimate row)':<34} {1e3 * table['row'][0]:>10.4f}")
    for fname in family_names():
        try:
            fam = get_family(fname)
        except Exception:  # noqa: BLE001 - a family that needs a design is skipped
            continue
        t = [draw_seconds(fam, fam.example_theta(), n) for n in SIZES]
        b = max((t[1] - t[0]) / (SIZES[1] - SIZES[0]), 0.0)
        table[f"{fname}/draw"] = [float(f"{max(t[0] - b * SIZES[0], 0.0):.3g}"),
                                  float(f"{b:.3g}")]
        for ename in estimator_names():
            est = make_estimator(ename)
            if not est.applies_to(fam) or (args.skip_bayes and est.bayesian):
                continue
            try:
                if est.bayesian:
                    seconds(est, fam, fam.example_theta(), SIZES[0], 1)  # compile once
                k = 2 if est.bayesian else 3
                t = [seconds(est, fam, fam.example_theta(), n, k) for n in SIZES]
            except Exception as exc:  # noqa: BLE001 - report and go on
                print(f"{fname}/{ename}: skipped ({type(exc).__name__}: {exc})"[:100])
                continue
            b = max((t[1] - t[0]) / (SIZES[1] - SIZES[0]), 0.0)
            a = max(t[0] - b * SIZES[0], 0.0)
            table[f"{fname}/{ename}"] = [float(f"{a:.3g}"), float(f"{b:.3g}")]
            print(f"{fname + '/' + ename:<34} {1e3 * t[0]:>10.4f} {1e3 * t[1]:>12.4f}",
                  flush=True)
    if args.write:
        OUT.write_text(json.dumps({
            "measured_by": "benchmarks/bench_cost.py",
            "machine": f"{platform.machine()}, {platform.python_version()}",
            "seconds_per_fit": dict(sorted(table.items()))}, indent=1) + "\n")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
