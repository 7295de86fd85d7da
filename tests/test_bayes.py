"""MAP and posterior (PyMC) against conjugate closed forms (the priors' checks: test_priors).

PyTensor compiles C on first use: the models here are few and tiny, and module-scoped.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from fisherlab.core import priors
from fisherlab.core.seeds import replicate_seeds
from fisherlab.estimators import make_estimator
from fisherlab.families import get_family
from fisherlab.spec.load import load_study

R, N = 40, 15


def _fit(name, family, theta, prior, n=N, r=R, seed=1, **opts):
    fam = get_family(family)
    x = fam.sample(np.random.default_rng(seed), theta, (r, n))
    est = make_estimator(name, {"prior": prior, **opts})
    return x, est.fit(fam, x, {}, fam.default_estimands(), 0.95)


@pytest.mark.parametrize("method", ["newton", "lbfgs"])
def test_map_beta_bernoulli(method):
    a, b = 2.0, 3.0
    x, fits = _fit("map", "bernoulli", {"p": 0.3}, {"p": {"dist": "Beta", "alpha": a, "beta": b}},
                   method=method)
    k, n = x.sum(axis=1), x.shape[1]
    mode = (k + a - 1) / (n + a + b - 2)  # argmax of p^(k+a-1) (1-p)^(n-k+b-1)
    f = fits["p"]
    assert f.converged.all()
    np.testing.assert_allclose(f.estimate, mode, atol=1e-5)
    # Laplace: -d2/dp2 log posterior = (k+a-1)/p^2 + (n-k+b-1)/(1-p)^2 at the mode
    info = (k + a - 1) / mode**2 + (n - k + b - 1) / (1 - mode) ** 2
    np.testing.assert_allclose(f.se, 1 / np.sqrt(info), rtol=1e-5)
    np.testing.assert_allclose(f.ci_high - f.ci_low, 2 * 1.959963984540054 * f.se, rtol=1e-12)


def test_map_gamma_poisson():
    a, b = 3.0, 0.5
    x, fits = _fit("map", "poisson", {"lam": 4.0},
                   {"lam": {"dist": "Gamma", "alpha": a, "beta": b}})
    # argmax lam^(sum x + a - 1) exp(-(n + b) lam) = (sum x + a - 1) / (n + b)
    mode = (x.sum(axis=1) + a - 1) / (x.shape[1] + b)
    assert fits["lam"].converged.all()
    np.testing.assert_allclose(fits["lam"].estimate, mode, atol=1e-5)


def test_map_normal_normal():
    """Joint MAP of (mu, sigma): at the mode, mu is the Normal-Normal posterior mean
    given sigma = sigma_MAP, (m0/s0^2 + sum x/sigma^2)/(1/s0^2 + n/sigma^2); and sigma
    solves the stationarity of its own log-posterior with a HalfNormal(5) prior:
    -n/sigma + S/sigma^3 - sigma/25 = 0 with S = sum (x - mu)^2."""
    m0, s0, tau = 1.0, 2.0, 5.0
    x, fits = _fit("map", "normal", {"mu": 2.0, "sigma": 1.5},
                   {"mu": {"dist": "Normal", "mu": m0, "sigma": s0},
                    "sigma": {"dist": "HalfNormal", "sigma": tau}})
    mu, sig = fits["mu"].estimate, fits["sigma"].estimate
    n = x.shape[1]
    post_mean = (m0 / s0**2 + x.sum(axis=1) / sig**2) / (1 / s0**2 + n / sig**2)
    np.testing.assert_allclose(mu, post_mean, atol=1e-5)
    S = ((x - mu[:, None]) ** 2).sum(axis=1)
    # sigma^2 (n + sigma^2/tau^2) = S  => closed form in sigma^2 (a quadratic)
    s2 = (-n + np.sqrt(n**2 + 4 * S / tau**2)) / (2 / tau**2)
    np.testing.assert_allclose(sig, np.sqrt(s2), atol=1e-5)


# --------------------------------------------------------------------------- posterior
# Exact conjugate posteriors: Beta(a + k, b + n - k) for a Bernoulli with a Beta(a, b)
# prior, Gamma(a + sum x, rate b + n) for a Poisson with a Gamma(a, rate b) prior. Per
# replicate, the posterior mean of the draws must sit within 4 of ArviZ's MCSE of the
# mean (which accounts for the draws' autocorrelation) of the exact mean, and the
# posterior SD within 4 MCSEs of the SD of the exact SD. Fixed seeds; R = 20 replicates,
# so a false alarm has probability about 20 x 6e-5 per quantity.
CONJ = {"draws": 500, "tune": 500, "chains": 2}


def _posterior(family, theta, prior, r=20, n=N, seed=1, **opts):
    fam = get_family(family)
    x = fam.sample(np.random.default_rng(seed), theta, (r, n))
    est = make_estimator("posterior", {"prior": prior, **CONJ, **opts})
    seeds = replicate_seeds(seed, family, theta, n, 0, r)
    return x, est.point(fam, x, {}, 0.95, seeds=seeds)


def _within_mcse(pt, name, exact):
    from arviz_stats.base import array_stats

    draws = pt.draws[name]
    mcse_mean = array_stats.mcse(draws, method="mean")
    mcse_sd = array_stats.mcse(draws, method="sd")
    assert pt.converged.all(), pt.reason
    z_mean = (pt.estimate[name] - exact.mean()) / mcse_mean
    z_sd = (pt.se[name] - exact.std()) / mcse_sd
    assert np.all(np.abs(z_mean) < 4), z_mean
    assert np.all(np.abs(z_sd) < 4), z_sd
    lo, hi = pt.interval[name]  # the equal-tailed interval straddles the exact median
    assert np.all((lo < exact.median()) & (exact.median() < hi))


@pytest.mark.parametrize("sampler", ["joint", "vectorized", "nutpie"])
def test_posterior_beta_bernoulli_within_mcse(sampler):
    a, b = 2.0, 3.0
    x, pt = _posterior("bernoulli", {"p": 0.3}, {"p": {"dist": "Beta", "alpha": a, "beta": b}},
                       sampler=sampler, block=10 if sampler != "nutpie" else None)
    k, n = x.sum(axis=1), x.shape[1]
    _within_mcse(pt, "p", stats.beta(a + k, b + n - k))  # conjugate posterior
    assert pt.draws["p"].shape == (20, 2, 500)
    assert set(pt.flags) == {"rhat", "ess_bulk", "ess_tail", "divergences"}


def test_posterior_gamma_poisson_within_mcse():
    a, b = 3.0, 0.5
    x, pt = _posterior("poisson", {"lam": 4.0}, {"lam": {"dist": "Gamma", "alpha": a, "beta": b}})
    # Gamma(a, rate b) prior x Poisson likelihood: Gamma(a + sum x, rate b + n)
    _within_mcse(pt, "lam", stats.gamma(a + x.sum(axis=1), scale=1 / (b + x.shape[1])))


BETA = {"p": {"dist": "Beta", "alpha": 2, "beta": 2}}


@pytest.mark.parametrize("sampler", ["joint", "vectorized"])
def test_identical_datasets_share_no_draws_unless_their_seeds_do(sampler):
    """20 copies of one dataset: with 20 different seeds no two replicates have the same
    draws; the same 10 seeds twice (two blocks of 10) give the same draws twice; and the
    same seeds again reproduce every draw bit for bit."""
    fam = get_family("bernoulli")
    x = np.tile(fam.sample(np.random.default_rng(3), {"p": 0.3}, (1, 5)), (20, 1))
    est = make_estimator("posterior", {"prior": BETA, "draws": 100, "tune": 100,
                                       "sampler": sampler, "block": 10})
    seeds = replicate_seeds(7, "bernoulli", {"p": 0.3}, 5, 0, 20)
    draws = est.point(fam, x, {}, 0.95, seeds=seeds).draws["p"].reshape(20, -1)
    assert len({d.tobytes() for d in draws}) == 20
    again = est.point(fam, x, {}, 0.95, seeds=seeds).draws["p"].reshape(20, -1)
    np.testing.assert_array_equal(again, draws)
    twice = np.concatenate([seeds[:10], seeds[:10]])
    pair = est.point(fam, x, {}, 0.95, seeds=twice).draws["p"].reshape(20, -1)
    np.testing.assert_array_equal(pair[:10], pair[10:])
    assert len({d.tobytes() for d in pair}) == 10


def test_results_do_not_depend_on_the_chunk_size(tmp_path):
    """A tiny posterior study run in chunks of 100 and of 200: byte-identical rows."""
    import pandas as pd

    from fisherlab.run.simulate import combine, run_chunk

    f = tmp_path / "tiny.yaml"
    f.write_text("description: t\nmodel: {family: bernoulli, params: {p: 0.3}}\n"
                 "sample_sizes: [5]\nreplications: 200\nseed: 3\nestimators:\n"
                 "  - posterior: {prior: {p: {dist: Beta, alpha: 2, beta: 2}}, draws: 50, "
                 "tune: 50}\n")
    study = load_study(f)

    def rows(size):  # combine drops the chunk index: it differs by chunk size
        return combine([run_chunk(study, ch) for ch in study.chunks(size)])

    a, b = rows(100), rows(200)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a["estimate"].notna().all() and a["converged"].all()


_DRAWS_DIGEST = """
import hashlib, numpy as np
from fisherlab.estimators import make_estimator
from fisherlab.families import get_family
fam = get_family("normal")
x = fam.sample(np.random.default_rng(5), {"mu": 1.0, "sigma": 2.0}, (20, 5))
est = make_estimator("posterior", {"draws": 50, "tune": 50, "retry_divergent": False})
pt = est.point(fam, x, {}, 0.95, seeds=np.arange(20))
print(hashlib.sha256(b"".join(pt.draws[k].tobytes() for k in sorted(pt.draws))).hexdigest())
"""


def test_draws_do_not_depend_on_a_warm_compile_cache(tmp_path):
    """The same seeds give the same draws whether PyTensor compiles the model afresh
    (an empty cache: the first run on a machine) or loads it from its cache (every later
    run). With numba's fastmath the two differed (pymc_models.compile_nutpie)."""
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={tmp_path / 'pytensor'}"}

    def digest():
        res = subprocess.run([sys.executable, "-c", _DRAWS_DIGEST], env=env, check=True,
                             capture_output=True, text=True)
        return res.stdout.split()[-1]

    cold, warm = digest(), digest()
    assert cold == warm


SUFFICIENT = ["bernoulli", "binomial", "exponential", "geometric", "poisson"]
THETA = {"bernoulli": {"p": 0.3}, "binomial": {"p": 0.3, "trials": 4},
         "exponential": {"rate": 2.0}, "geometric": {"p": 0.3}, "poisson": {"lam": 3.0}}


def test_every_family_with_a_pymc_sufficient_likelihood_is_checked():
    from fisherlab.families import family_names

    assert {n for n in family_names()
            if get_family(n).has("pymc_sufficient_likelihood")} == set(SUFFICIENT)


@pytest.mark.parametrize("name", SUFFICIENT)
@pytest.mark.parametrize("n", [1, 2, 7])
def test_the_joint_model_from_sufficient_statistics_has_the_same_posterior(name, n):
    """Fisher-Neyman: the PyMC model of 3 datasets observed through their sufficient
    statistics (what the joint sampler compiles) and the one observing every value have
    log-densities that differ by a constant in theta, and equal gradients, at random
    points of the unconstrained space. Exact up to rounding (no Monte Carlo)."""
    import pymc as pm
    from pytensor.compile.mode import Mode

    fam = get_family(name)
    x = fam.sample(np.random.default_rng(n), THETA[name], (3, n))
    fixed = fam.fixed_values(THETA[name])
    spec = priors.priors_for(fam, None)
    fns = []
    for suff in (True, False):
        with pm.Model() as model:
            theta = {nm: priors.pymc_rv(nm, sp, shape=(3,)) for nm, sp in spec.items()}
            if suff:
                fam.pymc_sufficient_likelihood(theta, fam.sufficient(x, fixed), fixed)
            else:
                fam.pymc_likelihood({nm: v[:, None] for nm, v in theta.items()}, x, fixed)
        fns.append((model.compile_fn([model.logp(), model.dlogp()], point_fn=True,
                                     mode=Mode(linker="py", optimizer="fast_compile")),
                    model.initial_point()))
    (f_suff, point), (f_full, _) = fns
    rng = np.random.default_rng(0)
    diffs = []
    for _ in range(5):
        at = {k: v + rng.normal(size=np.shape(v)) for k, v in point.items()}
        (ls, gs), (lf, gf) = f_suff(at), f_full(at)
        assert np.isfinite(ls) and np.isfinite(lf)
        np.testing.assert_allclose(gs, gf, rtol=1e-9, atol=1e-9)
        diffs.append(ls - lf)
    np.testing.assert_allclose(diffs, diffs[0], rtol=0, atol=1e-9)


def test_a_joint_block_outside_the_support_goes_to_the_full_model():
    """A dataset with a value a Bernoulli cannot take (2) is not summarised into
    statistics that would hide it: its block is sampled one dataset at a time with
    every value observed, where that dataset fails and the others do not."""
    fam = get_family("bernoulli")
    x = fam.sample(np.random.default_rng(4), {"p": 0.3}, (10, 10))
    x[3, 0] = 2.0
    est = make_estimator("posterior", {"prior": BETA, "draws": 100, "tune": 100, "block": 10})
    fits = est.fit(fam, x, {}, ("p",), 0.95, seeds=np.arange(10, dtype=np.uint64))["p"]
    assert not fits.converged[3]
    assert np.delete(fits.converged, 3).all()


def test_warnings_are_flags_not_failures():
    """Thresholds no chain can meet flag every replicate, with the kinds named and the
    values kept; none fails, and every estimate is usable."""
    fam = get_family("bernoulli")
    x = fam.sample(np.random.default_rng(4), {"p": 0.3}, (10, 10))
    est = make_estimator("posterior", {"prior": BETA, "draws": 100, "tune": 100, "block": 10,
                                       "max_rhat": 1.0, "min_ess": 1e9})
    fits = est.fit(fam, x, {}, ("p",), 0.95, seeds=np.arange(10, dtype=np.uint64))["p"]
    assert fits.converged.all() and np.isfinite(fits.estimate).all()
    assert fits.flagged.all()
    assert all("ESS below min_ess" in r for r in fits.flag_reason)
    assert np.all(fits.flags["ess_bulk"] > 0) and np.all(fits.flags["rhat"] > 0.9)


def test_convergence_diagnostics_are_arviz_array_functions():
    """R-hat, bulk and tail ESS of all replicates at once equal ArviZ's array functions
    replicate by replicate (to rounding): autocorrelated chains, a constant replicate
    (R-hat NaN, ESS chain x draw), a stuck chain, discrete draws (ties in the ranks)."""
    from arviz_stats.base import array_stats

    from fisherlab.estimators.posterior import convergence

    rng = np.random.default_rng(0)
    a = rng.normal(size=(12, 2, 400)).cumsum(-1) * 0.05 + rng.normal(size=(12, 2, 400))
    a[3] = 1.5
    a[4, 0] = 2.0
    a[5] = np.round(a[5])
    with np.errstate(all="ignore"):
        rhat, bulk, tail = convergence(a)
        want = (array_stats.rhat(a), array_stats.ess(a, method="bulk"),
                array_stats.ess(a, method="tail", prob=0.05))
    for got, ref in zip((rhat, bulk, tail), want, strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert np.isnan(rhat[3]) and bulk[3] == tail[3] == 800 and rhat[4] > 1.5


def test_divergences_are_retried_then_flagged():
    """Normal(mu, sigma) at n = 5 (the funnel between mu and log sigma) sampled with a
    deliberately large step size (target_accept 0.3, one dataset at a time) diverges; the
    retry at target_accept 0.99 removes most divergences, and those left are flags."""
    fam = get_family("normal")
    x = fam.sample(np.random.default_rng(5), {"mu": 2.0, "sigma": 1.5}, (20, 5))
    prior = {"mu": {"dist": "Normal", "mu": 0, "sigma": 1},
             "sigma": {"dist": "HalfNormal", "sigma": 5}}
    opts = {"prior": prior, "draws": 200, "tune": 200, "sampler": "nutpie",
            "target_accept": 0.3}
    seeds = np.arange(20, dtype=np.uint64)
    raw = make_estimator("posterior", {**opts, "retry_divergent": False}).point(
        fam, x, {}, 0.95, seeds=seeds)
    div = raw.flags["divergences"]
    assert (div > 0).sum() >= 5
    assert raw.converged.all()
    assert all("divergences" in r for r in raw.flag_reason[div > 0])
    retried = make_estimator("posterior", opts).point(fam, x, {}, 0.95, seeds=seeds)
    assert (retried.flags["divergences"] > 0).sum() <= (div > 0).sum() // 3
    assert retried.converged.all()


def test_a_failed_sampler_is_a_failure_with_its_reason():
    """No usable posterior (sampling raised, or non-finite draws): converged False."""
    from fisherlab.estimators.samplers import Raw

    fam = get_family("bernoulli")
    est = make_estimator("posterior", {"prior": BETA})
    raw = Raw.empty(["p"], 3, 2, 50)
    raw.draws["p"][0] = np.random.default_rng(0).uniform(size=(2, 50))
    raw.draws["p"][1] = 0.5
    raw.draws["p"][1, 0, 3] = np.nan
    raw.error[2] = "RuntimeError: boom"
    pt = est.summarise(fam, {}, raw, 0.95)
    assert pt.converged.tolist() == [True, False, False]
    assert pt.reason.tolist() == ["", "non-finite posterior draws", "RuntimeError: boom"]
    assert not pt.flagged[1:].any() and np.isnan(pt.estimate["p"][1:]).all()


@pytest.mark.parametrize("method", ["newton", "lbfgs"])
def test_map_linear_regression_is_ridge(method):
    """Normal(0, tau) priors on every coefficient (intercept included): the MAP given
    sigma maximises -|y - Xb|^2/(2 sigma^2) - |b|^2/(2 tau^2), so b solves the ridge
    normal equations (X'X + lambda I) b = X'y with lambda = sigma^2/tau^2, at the MAP
    sigma. sigma's own MAP (HalfNormal(s0) prior, no Jacobian) solves
    -n/sigma + RSS/sigma^3 - sigma/s0^2 = 0 with RSS = |y - Xb|^2."""
    tau, s0 = 0.5, 5.0
    fam = get_family("linear_regression", {"p": 2})
    data = fam.sample(np.random.default_rng(7), {"beta0": 1.0, "beta1": -0.5, "beta2": 0.8,
                                                 "sigma": 1.5}, (8, 12))
    prior = {nm: {"dist": "Normal", "mu": 0, "sigma": tau} for nm in fam.coefficients()}
    prior["sigma"] = {"dist": "HalfNormal", "sigma": s0}
    est = make_estimator("map", {"prior": prior, "method": method})
    fits = est.fit(fam, data, {}, ("beta0", "beta1", "beta2", "sigma"), 0.95)
    assert all(f.converged.all() for f in fits.values())
    b = np.stack([fits[nm].estimate for nm in fam.coefficients()], axis=1)
    sigma = fits["sigma"].estimate
    y, X = data["y"], data["X"]
    lam = sigma**2 / tau**2
    xtx = np.einsum("rni,rnj->rij", X, X)
    xty = np.einsum("rni,rn->ri", X, y)[..., None]
    ridge = np.linalg.solve(xtx + lam[:, None, None] * np.eye(3), xty)[..., 0]
    np.testing.assert_allclose(b, ridge, atol=1e-5)
    ols = np.linalg.solve(xtx, xty)[..., 0]
    assert np.all(np.abs(b - ols).max(axis=1) > 1e-3)  # the prior does shrink: not OLS
    rss = ((y - np.einsum("rnj,rj->rn", X, b)) ** 2).sum(axis=1)
    n = y.shape[1]
    np.testing.assert_allclose(-n / sigma + rss / sigma**3 - sigma / s0**2, 0, atol=1e-5)
