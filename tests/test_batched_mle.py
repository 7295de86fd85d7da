"""The generic batched MLE (estimators/numeric.py, ``batched_mle``): a damped Newton on
every replicate at once with finite-difference derivatives of the vectorised
log-density, for families without a batched hook of their own (``scipy.<name>``,
``python:``). Checked per dataset against scipy's ``fit`` and against exact observed
informations on fixed-seed data; a replicate the Newton cannot fit is refitted by scipy.
"""

from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, special, stats

from fisherlab.estimators import make_estimator
from fisherlab.estimators.numeric import scipy_mle
from fisherlab.families import Family, Param, get_family

ROOT = Path(__file__).resolve().parents[1]


def rel(a, b):
    return np.max(np.abs(np.asarray(a) / np.asarray(b) - 1.0))


def mle(fam, x, fixed, options=None):
    return make_estimator("mle", options).fit(fam, x, fixed, fam.estimands(), 0.95)


def _tight(func, x0, args=(), disp=0):
    return optimize.fmin(func, x0, args=args, xtol=1e-12, ftol=1e-14, disp=0,
                         maxiter=20000, maxfun=40000)


@pytest.mark.parametrize("name,theta,fixed,ref", [
    # loc-scale families with no shape: the standardised-density path
    ("scipy.gumbel_r", {"loc": 10.0, "scale": 2.0}, [], stats.gumbel_r.fit),
    ("scipy.logistic", {"loc": 1.0, "scale": 0.5}, [], stats.logistic.fit),
    # a free shape: the stencil path (scipy's lognorm fit with floc is closed form)
    ("scipy.lognorm", {"s": 0.5, "loc": 0.0, "scale": 2.0}, ["loc"],
     lambda x: stats.lognorm.fit(x, floc=0)),
    ("scipy.gamma", {"a": 2.5, "loc": 0.0, "scale": 1.0}, ["loc", "scale"],
     lambda x: stats.gamma.fit(x, floc=0, fscale=1, optimizer=_tight)),
    # no mean or variance: the start is the median and the interquartile range
    ("scipy.cauchy", {"loc": 2.0, "scale": 1.0}, [],
     lambda x: stats.cauchy.fit(x, optimizer=_tight)),
])
def test_batched_equals_scipy_fit(name, theta, fixed, ref):
    fam = get_family(name, {"fixed": fixed} if fixed else None)
    x = fam.sample(np.random.default_rng(7), theta, (20, 100))
    f = mle(fam, x, fam.fixed_values(theta))
    sc = np.array([ref(xi) for xi in x])
    names = [p.name for p in fam.params]
    for e in fam.estimands():
        assert f[e].converged.all() and set(f[e].reason) == {""}
        assert rel(f[e].estimate, sc[:, names.index(e)]) < 1e-6, e
        # and the same optimum as the per-dataset BFGS it replaces
        bfgs = mle(fam, x, fam.fixed_values(theta), {"method": "bfgs"})
        assert rel(f[e].estimate, bfgs[e].estimate) < 1e-6
        assert rel(f[e].se, bfgs[e].se) < 1e-6


def test_a_start_without_moments_matches_the_quartiles():
    """A Cauchy has no mean or variance, so the start matches the sample's median and
    interquartile range to the standard Cauchy's (0 and 2): on data with loc 2 and
    scale 1 it is loc = median, scale = IQR / 2, exactly."""
    fam = get_family("scipy.cauchy")
    x = fam.sample(np.random.default_rng(3), {"loc": 2.0, "scale": 1.0}, (5, 400))
    st = fam.start(x, {})
    lo, mid, hi = np.quantile(x, [0.25, 0.5, 0.75], axis=1)
    np.testing.assert_allclose(st["loc"], mid, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(st["scale"], (hi - lo) / 2.0, rtol=1e-12)


def test_observed_information_is_exact():
    # normal scale with known loc: at the MLE, -d2l/dsigma2 = 2n / sigma_hat^2
    fam = get_family("scipy.norm", {"fixed": ["loc"]})
    x = fam.sample(np.random.default_rng(1), {"loc": 1.0, "scale": 2.0}, (30, 50))
    f = mle(fam, x, {"loc": 1.0})["scale"]
    sig = np.sqrt(((x - 1.0) ** 2).mean(1))
    assert rel(f.estimate, sig) < 1e-9
    assert rel(f.se, sig / np.sqrt(2 * 50)) < 1e-6
    # gamma shape with known scale: -d2l/da2 = n trigamma(a_hat) at any a
    fam = get_family("scipy.gamma", {"fixed": ["loc", "scale"]})
    x = fam.sample(np.random.default_rng(2), {"a": 3.0, "loc": 0.0, "scale": 1.0}, (30, 80))
    f = mle(fam, x, {"loc": 0.0, "scale": 1.0})["a"]
    a = f.estimate
    assert rel(special.digamma(a), np.log(x).mean(1)) < 1e-8  # the score equation
    assert rel(f.se, 1 / np.sqrt(80 * special.polygamma(1, a))) < 1e-6


def test_unfitted_replicate_is_refitted_by_scipy():
    fam = get_family("scipy.t", {"fixed": ["loc", "scale"]})
    x = stats.t.rvs(4, size=(5, 200), random_state=np.random.default_rng(3))
    # normal quantiles: lighter tails than any t, the likelihood rises towards df = inf
    # too slowly for Newton's steps to settle
    x[2] = stats.norm.ppf((np.arange(200) + 0.5) / 200)
    fixed = {"loc": 0.0, "scale": 1.0}
    f = mle(fam, x, fixed)["df"]
    assert f.reason[2] == ("batched Newton did not converge within 100 iterations: "
                           "refitted by scipy BFGS")
    alone = scipy_mle(fam, x[2:3], fixed, method="BFGS", tol=1e-9, maxiter=None, starts=1)
    assert f.estimate[2] == alone.estimate["df"][0]
    others = [0, 1, 3, 4]
    assert set(f.reason[others]) == {""} and f.converged[others].all()
    ref = np.array([stats.t.fit(x[i], floc=0, fscale=1, optimizer=_tight)[0]
                    for i in others])
    assert rel(f.estimate[others], ref) < 1e-6


def test_python_family_equals_bfgs(monkeypatch):
    monkeypatch.chdir(ROOT)  # python:studies.models... resolves from the project root
    fam = get_family("python:studies.models.zero_inflated_poisson:ZeroInflatedPoisson")
    theta = {"pi": 0.3, "lam": 3.0}
    x = fam.sample(np.random.default_rng(4), theta, (30, 200))
    f = mle(fam, x, {})
    bfgs = mle(fam, x, {}, {"method": "bfgs"})
    for e in ("pi", "lam"):
        assert f[e].converged.all()
        assert rel(f[e].estimate, bfgs[e].estimate) < 1e-6
        assert rel(f[e].se, bfgs[e].se) < 1e-6


def test_closed_form_newton_step_matches_lapack():
    from fisherlab.core.numerics import _newton_step_small

    r = np.random.default_rng(5)
    for k in (1, 2):
        a = r.normal(size=(500, k, k))
        h = a @ np.swapaxes(a, 1, 2) - 0.5 * np.eye(k)  # some definite, some not
        g = r.normal(size=(500, k))
        pd, d = _newton_step_small(h, g)
        assert list(pd) == list(np.all(np.linalg.eigvalsh(h) > 0, axis=1))
        assert 0 < pd.sum() < 500
        ref = np.linalg.solve(h[pd], g[pd][..., None])[..., 0]
        assert np.allclose(d[pd], ref, rtol=1e-9, atol=0)


class _Normal(Family):
    """A user's normal with an analytic score (and, in the subclass, information)."""

    name = "test_normal"
    params = (Param("mu", typical=(-1.0, 1.0)), Param("sigma", 0.0, typical=(0.5, 2.0)))

    def sample(self, rng, theta, size):
        return rng.normal(theta["mu"], theta["sigma"], size)

    def logpdf(self, x, theta):
        return stats.norm.logpdf(x, theta["mu"], theta["sigma"])

    def score(self, x, theta):
        mu, s = (np.asarray(theta[k], float)[..., None] for k in ("mu", "sigma"))
        d = x - mu
        return np.stack([(d / s**2).sum(-1), ((d**2 / s**2 - 1) / s).sum(-1)], -1)


class _NormalInfo(_Normal):
    def observed_information(self, x, theta):
        mu, s = (np.asarray(theta[k], float)[..., None] for k in ("mu", "sigma"))
        d = x - mu
        n = x.shape[-1]
        out = np.empty(x.shape[:-1] + (2, 2))
        out[..., 0, 0] = n / s[..., 0] ** 2
        out[..., 0, 1] = out[..., 1, 0] = (2 * d / s**3).sum(-1)
        out[..., 1, 1] = (3 * d**2 / s**4 - 1 / s**2).sum(-1)
        return out


@pytest.mark.parametrize("cls", [_Normal, _NormalInfo])
def test_analytic_score_family(cls):
    fam = cls()
    x = fam.sample(np.random.default_rng(6), {"mu": 1.0, "sigma": 2.0}, (25, 60))
    f = mle(fam, x, {})
    mu, sig = x.mean(1), x.std(1)
    assert rel(f["mu"].estimate, mu) < 1e-9 and rel(f["sigma"].estimate, sig) < 1e-9
    # at the MLE the observed information is diag(n / sigma^2, 2n / sigma^2)
    assert rel(f["mu"].se, sig / np.sqrt(60)) < 1e-6
    assert rel(f["sigma"].se, sig / np.sqrt(120)) < 1e-6


def test_standard_log_derivatives_are_scipys():
    """The closed-form phi, phi', phi'' of the loc-scale path: phi is scipy's logpdf of
    the standard distribution, phi' and phi'' its derivatives (scipy.differentiate)."""
    from scipy import differentiate

    from fisherlab.families.scipy_dist import STANDARD_LOG_DERIVATIVES

    z = np.concatenate([np.linspace(-20.0, 20.0, 161), [-1e-9, 0.0, 1e-9]])
    for name, derivs in STANDARD_LOG_DERIVATIVES.items():
        dist = getattr(stats, name)
        phi, d1, d2 = derivs(z)
        np.testing.assert_allclose(phi, dist.logpdf(z), rtol=1e-14, atol=1e-14)
        g1 = differentiate.derivative(dist.logpdf, z).df
        g2 = differentiate.derivative(lambda t, f=derivs: f(t)[1], z).df  # of the closed phi'
        np.testing.assert_allclose(d1, g1, rtol=1e-9, atol=1e-9, err_msg=name)
        np.testing.assert_allclose(d2, g2, rtol=1e-9, atol=1e-9, err_msg=name)
