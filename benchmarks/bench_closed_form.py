"""Closed-form path against a per-dataset loop of scipy.stats fits, same datasets.

    python benchmarks/bench_closed_form.py [--reps 2000] [--n 100]

For each family: fisherlab's `mle` estimator on all R datasets at once (estimates,
observed-information SEs, intervals) against `scipy.stats.<dist>.fit` called once per
dataset (estimates only, so the naive side does less work). Estimates must agree to
1e-10 relative; the ratio is naive time / fisherlab time, best of 5.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from fisherlab.estimators import make_estimator
from fisherlab.families import get_family

CASES = {
    # family, theta, estimand -> scipy fit returning that estimand
    "normal": ({"mu": 1.0, "sigma": 2.0}, "sigma", lambda x: stats.norm.fit(x)[1]),
    "exponential": ({"rate": 2.0}, "rate", lambda x: 1 / stats.expon.fit(x, floc=0)[1]),
    "uniform": ({"lower": 0.0, "upper": 3.0}, "upper", lambda x: sum(stats.uniform.fit(x))),
}


def best_of(fn, k=5):
    times = []
    for _ in range(k):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--n", type=int, default=100)
    args = ap.parse_args()
    print(f"R = {args.reps} datasets of n = {args.n}; time per chunk, best of 5\n")
    print(f"{'family':<12} {'fisherlab':>12} {'scipy loop':>12} {'ratio':>8}  max rel diff")
    for name, (theta, estimand, scipy_fit) in CASES.items():
        fam = get_family(name)
        x = fam.sample(np.random.default_rng(1), theta, (args.reps, args.n))
        est = make_estimator("mle")
        t_fl, fits = best_of(lambda fam=fam, x=x, est=est: est.fit(
            fam, x, {}, fam.default_estimands(), 0.95))
        t_sp, naive = best_of(lambda x=x, f=scipy_fit: np.array([f(row) for row in x]), k=2)
        diff = np.max(np.abs(fits[estimand].estimate - naive) / np.abs(naive))
        assert diff < 1e-10, (name, diff)
        print(f"{name:<12} {t_fl * 1e3:>10.2f}ms {t_sp * 1e3:>10.1f}ms {t_sp / t_fl:>7.0f}x"
              f"  {diff:.1e}")


if __name__ == "__main__":
    main()
