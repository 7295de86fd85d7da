"""MAP and posterior (PyMC) against conjugate closed forms; prior validation.

PyTensor compiles C on first use: the models here are few and tiny, and module-scoped.
"""

import numpy as np
import pytest
from scipy import stats

from fisherlab import priors
from fisherlab.estimators import make_estimator
from fisherlab.families import get_family
from fisherlab.study import StudyError, load_study

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


def test_posterior_beta_bernoulli_within_mcse():
    a, b, chains = 2.0, 3.0, 2
    x, fits = _fit("posterior", "bernoulli", {"p": 0.3}, {"p": {"dist": "Beta", "alpha": a,
                                                                "beta": b}},
                   r=6, draws=500, tune=500, chains=chains)
    k, n = x.sum(axis=1), x.shape[1]
    post = stats.beta(a + k, b + n - k)  # conjugate posterior
    f = fits["p"]
    ok = f.converged
    assert ok.sum() >= 4, f.reason
    # converged replicates have bulk ESS >= 100 per chain, so MCSE(mean) <= sd/sqrt(200)
    mcse = f.se[ok] / np.sqrt(100 * chains)
    assert np.all(np.abs(f.estimate[ok] - post.mean()[ok]) < 4 * mcse)
    np.testing.assert_allclose(f.se[ok], post.std()[ok], rtol=0.15)
    # same data, same seed: bit-identical draws
    _, again = _fit("posterior", "bernoulli", {"p": 0.3},
                    {"p": {"dist": "Beta", "alpha": a, "beta": b}},
                    r=6, draws=500, tune=500, chains=chains)
    np.testing.assert_array_equal(again["p"].estimate, f.estimate)


STUDY = """description: t
model: {family: bernoulli, params: {p: 0.3}}
sample_sizes: [10]
replications: 100
seed: 1
estimators:
  - map: {prior: PRIOR}
"""


@pytest.mark.parametrize(("prior", "key", "words"), [
    ("{p: {dist: Betta, alpha: 2, beta: 2}}", "prior.p.dist", "did you mean 'Beta'"),
    ("{p: {dist: Beta, alpha: 2, bta: 2}}", "prior.p.bta", "allowed: alpha, beta"),
    ("{p: {dist: Beta, alpha: -1, beta: 2}}", "prior.p.alpha", "must be > 0"),
    ("{p: {dist: Beta, alpha: 2}}", "prior.p.beta", "is missing"),
    ("{p: {dist: Normal, mu: 0, sigma: 1}}", "prior.p.dist", "outside the domain"),
    ("{q: {dist: Beta, alpha: 2, beta: 2}}", "prior.q", "priors can be given for: p"),
    ("{p: {dist: __import__, alpha: 2}}", "prior.p.dist", "unknown distribution"),
    ("{p: {dist: Uniform, lower: 0.5, upper: 0.2}}", "prior.p", "must be below"),
])
def test_bad_priors_are_study_errors(tmp_path, prior, key, words):
    f = tmp_path / "s.yaml"
    f.write_text(STUDY.replace("PRIOR", prior))
    with pytest.raises(StudyError) as exc:
        load_study(f)
    assert exc.value.key == f"estimators[0].map.{key}"
    assert words in exc.value.problem
    assert str(f) in str(exc.value)


def test_default_priors_fit_every_pymc_family():
    for name in ["bernoulli", "binomial", "poisson", "normal", "exponential", "geometric"]:
        fam = get_family(name)
        for p in fam.estimated():
            spec = priors.default_prior(fam, p)
            assert priors.validate(spec, p) == spec
            lo, hi = priors.scipy_dist(spec).support()
            assert p.low <= lo and hi <= p.high


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
