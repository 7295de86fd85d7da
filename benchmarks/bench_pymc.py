"""The project's Bayesian estimators against what a user writes first, in one run.

    python benchmarks/bench_pymc.py                 # everything (about 10 minutes)
    python benchmarks/bench_pymc.py --quick         # fewer datasets, no start-up runs

MAP (Beta-Bernoulli, n = 50): a new ``pm.Model`` + ``pm.find_MAP`` per dataset against
``map`` (one batched model per chunk, vectorised Newton), after its one-off compile.

Posterior, for a Bernoulli-Beta (n = 50) and a Normal(mu, sigma) (n = 100) model, on the
same R = 1000 datasets, 2 chains x (1000 tune + 1000 draws) and target acceptance 0.9
(the estimator's default) everywhere:

* ``pm.sample``: a new ``pm.Model`` + ``pm.sample`` per dataset (its compile included,
  as a user pays it; convergence checks on; PyMC 6 samples with nutpie), timed on the
  first ``--naive`` datasets after one untimed warm-up call;
* nutpie loop: the model compiled once, ``with_data`` per dataset, an ArviZ trace per
  dataset and ArviZ's R-hat/ESS/interval on it (the estimator before the joint sampler), timed on
  the first ``--loop`` datasets;
* ``posterior`` with ``sampler: joint`` (nutpie on blocks of 20 replicates as one model)
  and ``sampler: vectorized`` (BlackJAX vmapped over replicates), on all R datasets,
  after their compile, everything included (draws, R-hat, ESS, intervals, flags).

Two further rows bound what ``joint`` can reach with nutpie and ArviZ: the part of its
time spent in the summaries (ArviZ's rank-normalised R-hat, bulk and tail ESS, the
intervals), and nutpie alone on a standard normal of the joint block's dimension (20 x
parameters: the shape an adapted sampler sees, with a log-density that costs nothing),
per replicate, the same settings.

Ratios are per dataset (replicate), within this run. Start-up: a fresh process builds and
compiles the ``posterior`` model and samples one block, first with empty PyTensor and JAX
caches (first job), then again with the caches it left (a later job).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

MODELS = {
    "bernoulli": {"n": 50, "theta": {"p": 0.3},
                  "prior": {"p": {"dist": "Beta", "alpha": 2, "beta": 2}}},
    "normal": {"n": 100, "theta": {"mu": 2.0, "sigma": 1.5},
               "prior": {"mu": {"dist": "Normal", "mu": 0, "sigma": 1},
                         "sigma": {"dist": "HalfNormal", "sigma": 5}}},
}
# target_accept: the posterior estimator's default, for every method (PyMC's and
# nutpie's own default is 0.8, which takes longer steps)
SETTINGS = {"draws": 1000, "tune": 1000, "chains": 2, "target_accept": 0.9}


def _quiet():
    import pymc  # noqa: F401 - importing it sets its logger to INFO: quieten it after

    logging.getLogger("pymc").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


def data(model: str, R: int):
    from fisherlab.families import get_family

    m = MODELS[model]
    fam = get_family(model)
    return fam, fam.sample(np.random.default_rng(7), m["theta"], (R, m["n"]))


def naive_model(model: str, xi):
    import pymc as pm

    with pm.Model() as m:
        if model == "bernoulli":
            p = pm.Beta("p", 2, 2)
            pm.Bernoulli("obs", p=p, observed=xi.astype(int))
        else:
            mu = pm.Normal("mu", 0, 1)
            sigma = pm.HalfNormal("sigma", 5)
            pm.Normal("obs", mu=mu, sigma=sigma, observed=xi)
    return m


def time_pm_sample(model: str, x) -> float:
    import pymc as pm

    with naive_model(model, x[0]):  # once, untimed: the process's one-off start-up
        pm.sample(draws=10, tune=10, chains=2, cores=1, progressbar=False, random_seed=1)
    t = time.perf_counter()
    for xi in x:
        with naive_model(model, xi):
            pm.sample(**SETTINGS, cores=1, progressbar=False, random_seed=1)
    return (time.perf_counter() - t) / len(x)


def time_nutpie_loop(model: str, fam, x) -> tuple[float, float]:
    """(seconds per dataset, compile seconds): the per-dataset path as it was."""
    import nutpie
    from arviz_stats.base import array_stats

    from fisherlab.estimators.bayes import build_model

    m = MODELS[model]
    t = time.perf_counter()
    pm_model, _, data_var = build_model(fam, m["prior"], {}, x[0])
    compiled = nutpie.compile_pymc_model(pm_model)
    t_compile = time.perf_counter() - t
    t = time.perf_counter()
    for i, xi in enumerate(np.asarray(x, dtype=data_var.type.dtype)):
        tr = nutpie.sample(compiled.with_data(x=xi), **SETTINGS, cores=1, seed=i,
                           progress_bar=False, save_warmup=False)
        for nm in m["prior"]:
            ary = np.asarray(tr["posterior"][nm].values, float)
            array_stats.rhat(ary), array_stats.ess(ary, method="bulk")
            array_stats.ess(ary, method="tail", prob=0.05)
            array_stats.eti(ary.ravel(), 0.95)
        int(np.asarray(tr["sample_stats"]["diverging"].values).sum())
    return (time.perf_counter() - t) / len(x), t_compile


def time_floor(model: str, block: int = 20, reps: int = 5) -> float:
    """Seconds per replicate of nutpie alone: a standard normal of the joint block's
    dimension (block x parameters), the same settings, compiled once; best of ``reps``."""
    import nutpie
    import pymc as pm

    with pm.Model() as m:
        pm.Normal("z", 0, 1, shape=(block * len(MODELS[model]["prior"]),))
    compiled = nutpie.compile_pymc_model(m)
    best = np.inf
    for seed in range(reps):
        t = time.perf_counter()
        nutpie.sample(compiled, **SETTINGS, cores=1, seed=seed, progress_bar=False,
                      save_warmup=False, return_raw_trace=True)
        best = min(best, time.perf_counter() - t)
    return best / block


def time_posterior(model: str, fam, x, sampler: str) -> tuple[float, float, object, float]:
    """(seconds per replicate after compile, compile seconds, the fits, of which seconds
    per replicate in the summaries: estimates, intervals and diagnostics from the draws)."""
    from fisherlab.core.seeds import replicate_seeds
    from fisherlab.estimators import make_estimator

    m = MODELS[model]
    est = make_estimator("posterior", {"prior": m["prior"], "sampler": sampler, **SETTINGS})
    spent = [0.0]
    summarise = est.summarise

    def timed(*args, **kw):  # the estimator's summaries, timed on the way through
        t = time.perf_counter()
        out = summarise(*args, **kw)
        spent[0] += time.perf_counter() - t
        return out

    est.summarise = timed
    seeds = replicate_seeds(1, model, m["theta"], m["n"], 0, len(x))
    block = 20 if sampler == "joint" else 50
    estimands = fam.default_estimands()
    t = time.perf_counter()
    est.fit(fam, x[:block], {}, estimands, 0.95, seeds=seeds[:block])
    first = time.perf_counter() - t
    t = time.perf_counter()
    est.fit(fam, x[:block], {}, estimands, 0.95, seeds=seeds[:block])
    t_compile = first - (time.perf_counter() - t)
    spent[0] = 0.0
    t = time.perf_counter()
    fits = est.fit(fam, x, {}, estimands, 0.95, seeds=seeds)
    return (time.perf_counter() - t) / len(x), t_compile, fits, spent[0] / len(x)


def startup_child(model: str, sampler: str) -> None:
    """In a fresh process: import, build, compile and sample one block; print seconds."""
    t0 = time.perf_counter()
    _quiet()
    fam, x = data(model, 50)
    from fisherlab.estimators import make_estimator

    m = MODELS[model]
    est = make_estimator("posterior", {"prior": m["prior"], "sampler": sampler, **SETTINGS})
    t1 = time.perf_counter()
    est.fit(fam, x[:20 if sampler == "joint" else 50], {}, fam.default_estimands(), 0.95,
            seeds=np.arange(50, dtype=np.uint64)[:20 if sampler == "joint" else 50])
    print(f"{t1 - t0:.2f} {time.perf_counter() - t1:.2f}")


def startup(model: str, sampler: str) -> list[tuple[float, float, float]]:
    """(process wall, imports, first block incl. compile) for a first and a later job."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={tmp}/pytensor",
               "FISHERLAB_JAX_CACHE": f"{tmp}/jax"}
        for _ in range(2):
            t = time.perf_counter()
            res = subprocess.run([sys.executable, __file__, "--startup", model, sampler],
                                 env=env, capture_output=True, text=True, check=True)
            wall = time.perf_counter() - t
            imports, first = map(float, res.stdout.split()[-2:])
            out.append((wall, imports, first))
    return out


def bench_map(n: int = 50, naive: int = 10, fast: int = 1000) -> None:
    import pymc as pm

    from fisherlab.estimators import make_estimator

    fam, x = data("bernoulli", fast)
    ref, t = [], time.perf_counter()
    for xi in x[:naive]:
        with naive_model("bernoulli", xi):
            ref.append(float(pm.find_MAP(progressbar=False)["p"]))
    t_naive = (time.perf_counter() - t) / naive
    est = make_estimator("map", {"prior": MODELS["bernoulli"]["prior"]})
    t = time.perf_counter()
    est.fit(fam, x, {}, ("p",), 0.95)
    t_compile = time.perf_counter() - t
    t = time.perf_counter()
    fits = est.fit(fam, x, {}, ("p",), 0.95)["p"]
    t_map = (time.perf_counter() - t) / fast
    diff = np.max(np.abs(fits.estimate[:naive] - np.array(ref)))
    print(f"MAP, Bernoulli-Beta n = {n}: pm.Model + find_MAP {t_naive * 1e3:.1f} ms/dataset; "
          f"map (batched Newton) {t_map * 1e3:.4f} ms/dataset (+ {t_compile:.1f} s compile)"
          f", ratio {t_naive / t_map:.0f}x, max |diff| {diff:.1e}")


def main(R: int = 1000, naive: int = 20, loop: int = 100, starts: bool = True) -> None:
    _quiet()
    bench_map()
    print(f"\nposterior: 2 chains x (1000 tune + 1000 draws); ms per dataset; R = {R} for "
          f"the posterior estimator, pm.sample on the first {naive}, the nutpie loop on the "
          f"first {loop}; ratios = pm.sample / method, within this run")
    head = f"{'model':<22}{'method':<44}{'ms/dataset':>11}{'compile s':>11}{'vs pm.sample':>14}"
    print(head + f"{'vs loop':>9}")
    for model in MODELS:
        fam, x = data(model, R)
        t_naive = time_pm_sample(model, x[:naive])
        t_loop, c_loop = time_nutpie_loop(model, fam, x[:loop])
        # (name, seconds per dataset, compile seconds); the bounds (parts of joint's
        # time, or nutpie without a model) get no ratio: they are no method of their own
        rows = [("new pm.Model + pm.sample per dataset", t_naive, np.nan),
                ("nutpie compiled once, with_data, ArviZ trace", t_loop, c_loop)]
        summaries = 0.0
        flagged = {}
        for sampler in ("joint", "vectorized"):
            t_s, c_s, fits, t_sum = time_posterior(model, fam, x, sampler)
            rows.append((f"posterior, sampler: {sampler}", t_s, c_s))
            if sampler == "joint":
                summaries = t_sum
            f = next(iter(fits.values()))
            flagged[sampler] = (int(f.flagged.sum()), int((~f.converged).sum()))
        floor = time_floor(model)
        label = f"{model}, n = {MODELS[model]['n']}"
        for name, t, c in rows:
            print(f"{label:<22}{name:<44}{t * 1e3:>11.2f}{c:>11.1f}{t_naive / t:>13.0f}x"
                  f"{t_loop / t:>8.1f}x")
        print(f"{label:<22}{'  joint: of which summaries (ArviZ)':<44}"
              f"{summaries * 1e3:>11.2f}")
        print(f"{label:<22}{'  nutpie alone: N(0, I), block dimension':<44}"
              f"{floor * 1e3:>11.2f}")
        print(f"{'':<22}300x pm.sample = {t_naive / 300 * 1e3:.2f} ms/dataset; nutpie alone "
              f"+ joint's summaries = {(floor + summaries) * 1e3:.2f} ms "
              f"({t_naive / (floor + summaries):.0f}x) before any likelihood")
        print(f"{'':<22}flagged / failed of {R}: " + ", ".join(
            f"{k} {a}/{b}" for k, (a, b) in flagged.items()))
    if not starts:
        return
    print("\nstart-up of a job (fresh process: imports, then build + compile + one block):")
    print(f"{'model':<12}{'sampler':<12}{'job':<22}{'wall s':>8}{'imports s':>11}"
          f"{'compile+block s':>17}")
    for model in MODELS:
        for sampler in ("joint", "vectorized"):
            for job, (wall, imp, first) in zip(("first (empty caches)", "later (cached)"),
                                               startup(model, sampler), strict=True):
                print(f"{model:<12}{sampler:<12}{job:<22}{wall:>8.1f}{imp:>11.1f}"
                      f"{first:>17.1f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--naive", type=int, default=20)
    ap.add_argument("--loop", type=int, default=100)
    ap.add_argument("-R", type=int, default=1000)
    ap.add_argument("--startup", nargs=2, metavar=("MODEL", "SAMPLER"))
    a = ap.parse_args()
    if a.startup:
        startup_child(*a.startup)
    elif a.quick:
        main(R=200, naive=3, loop=20, starts=False)
    else:
        main(R=a.R, naive=a.naive, loop=a.loop)
