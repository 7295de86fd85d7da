"""The project's compiled-once Bayesian estimators against the naive per-dataset rebuild.

    python benchmarks/bench_pymc.py            # Beta-Bernoulli, n = 50

Naive: for each dataset a new ``pm.Model`` and ``pm.find_MAP`` / ``pm.sample`` (what a
user writes first). Project: ``map`` (one batched model per chunk, vectorised Newton)
and ``posterior`` (nutpie compiled once, ``with_data`` per dataset), timed after their
one-off compile, which is reported separately. Same datasets, same run; prints ratios.
Targets (issue 5): >= 300x for MAP, >= 15x for posterior sampling.
"""

from __future__ import annotations

import logging
import time
import warnings

import numpy as np


def main(n: int = 50, naive_map: int = 10, naive_nuts: int = 4, fast_map: int = 1000,
         fast_nuts: int = 20) -> None:
    import pymc as pm

    from fisherlab.estimators import make_estimator
    from fisherlab.families import get_family

    logging.getLogger("pymc").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    fam = get_family("bernoulli")
    x = fam.sample(np.random.default_rng(7), {"p": 0.3}, (fast_map, n))
    prior = {"p": {"dist": "Beta", "alpha": 2, "beta": 2}}

    def naive_model(xi):
        with pm.Model() as m:
            p = pm.Beta("p", 2, 2)
            pm.Bernoulli("obs", p=p, observed=xi.astype(int))
        return m

    t = time.perf_counter()
    ref = []
    for xi in x[:naive_map]:
        with naive_model(xi):
            ref.append(float(pm.find_MAP(progressbar=False)["p"]))
    t_naive_map = (time.perf_counter() - t) / naive_map

    est = make_estimator("map", {"prior": prior})
    t = time.perf_counter()
    est.fit(fam, x, {}, ("p",), 0.95)
    t_compile_map = time.perf_counter() - t
    t = time.perf_counter()
    fits = est.fit(fam, x, {}, ("p",), 0.95)["p"]
    t_map = (time.perf_counter() - t) / fast_map
    diff = np.max(np.abs(fits.estimate[:naive_map] - np.array(ref)))

    t = time.perf_counter()
    for xi in x[:naive_nuts]:
        with naive_model(xi):
            pm.sample(draws=1000, tune=1000, chains=2, cores=1, progressbar=False,
                      random_seed=1, compute_convergence_checks=False)
    t_naive_nuts = (time.perf_counter() - t) / naive_nuts

    post = make_estimator("posterior", {"prior": prior, "draws": 1000, "tune": 1000})
    t = time.perf_counter()
    post.fit(fam, x[:1], {}, ("p",), 0.95)
    t_compile_nuts = time.perf_counter() - t
    t = time.perf_counter()
    post.fit(fam, x[:fast_nuts], {}, ("p",), 0.95)
    t_nuts = (time.perf_counter() - t) / fast_nuts

    print(f"MAP       naive pm.Model + find_MAP: {t_naive_map * 1e3:9.3f} ms/dataset")
    print(f"          project (batched Newton):  {t_map * 1e3:9.4f} ms/dataset "
          f"(+ {t_compile_map:.1f} s compile once)  ratio {t_naive_map / t_map:8.0f}x "
          f"(max |diff| {diff:.1e})")
    print(f"posterior naive pm.Model + pm.sample: {t_naive_nuts * 1e3:8.1f} ms/dataset "
          "(2 chains x 1000 + 1000)")
    print(f"          project (nutpie with_data): {t_nuts * 1e3:8.1f} ms/dataset "
          f"(+ {t_compile_nuts:.1f} s compile once)  ratio {t_naive_nuts / t_nuts:8.1f}x")


if __name__ == "__main__":
    main()
