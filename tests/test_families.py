"""Conformance of every registered family and estimator, generated from the registries
(adding a family or an estimator adds its tests), and each closed form checked exactly."""

import numpy as np
import pytest
from scipy import differentiate, stats

from fisherlab.estimators import estimator_class, estimators_for, make_estimator
from fisherlab.families import family_names, get_family

FAMILIES = family_names()
#: every registered family × every estimator that applies to it (map and posterior too)
PAIRS = [(f, e) for f in FAMILIES for e in estimators_for(get_family(f))]
#: small settings for the estimators that sample, so the suite stays quick
QUICK = {"posterior": {"draws": 300, "tune": 300}}


@pytest.mark.parametrize("name", FAMILIES)
def test_sampler_shape_reproducible_and_in_support(name):
    fam = get_family(name)
    theta = fam.example_theta()
    x = fam.sample(np.random.default_rng(3), theta, (50, 7))
    y = fam.sample(np.random.default_rng(3), theta, (50, 7))
    assert x.shape == (50, 7) and np.array_equal(x, y)
    assert np.all(np.isfinite(fam.logpdf(x, theta)))


@pytest.mark.parametrize("name, est", PAIRS)
def test_estimator_contract(name, est):
    """Every estimator on every family it applies to: one result per replicate and
    estimand (derived ones by plug-in), finite estimates inside their intervals, the
    data untouched, and the same numbers again for the same data and seeds."""
    fam = get_family(name)
    theta = fam.example_theta()
    cls = estimator_class(est)
    n = max(cls.min_n(fam), 30)
    R = 40 if not cls.samples else 4
    x = fam.sample(np.random.default_rng(4), theta, (R, n))
    before = x.copy()
    estimands = cls.estimands_for(fam)
    seeds = np.arange(R, dtype=np.uint64) + 11

    def run():
        return make_estimator(est, QUICK.get(est)).fit(fam, x, fam.fixed_values(theta),
                                                      estimands, 0.9, seeds=seeds)

    fits = run()
    assert np.array_equal(x, before), "an estimator must not mutate the data"
    again = run()
    for e in estimands:
        f = fits[e]
        for arr in (f.estimate, f.se, f.ci_low, f.ci_high, f.converged):
            assert arr.shape == (R,)
        assert f.converged.all(), f.reason
        assert np.all(np.isfinite(f.estimate)) and np.all(f.se >= 0)
        assert np.all(f.ci_low <= f.estimate) and np.all(f.estimate <= f.ci_high), e
        assert np.array_equal(f.estimate, again[e].estimate)
        if cls.samples:  # draws for the PIT, flags (if any) per replicate
            assert f.draws is not None and f.draws.shape[0] == R


@pytest.mark.parametrize("name", [f for f in FAMILIES if get_family(f).has("mle")])
def test_mle_maximises_the_declared_likelihood(name):
    fam = get_family(name)
    theta = fam.example_theta()
    x = fam.sample(np.random.default_rng(5), theta, (30, 25))
    fixed = fam.fixed_values(theta)
    hat = {**fixed, **fam.mle(x, fixed, 0.95).estimate}
    best = fam.loglik(x, hat)
    for p in fam.estimated():
        for step in (1e-3, -1e-3, 0.05, -0.05):
            moved = dict(hat)
            moved[p.name] = hat[p.name] + step * np.maximum(np.abs(hat[p.name]), 1e-2)
            with np.errstate(all="ignore"):
                other = fam.loglik(x, moved)
            assert np.all((other <= best + 1e-9) | np.isnan(other)), (p.name, step)


@pytest.mark.parametrize("name", [f for f in FAMILIES if get_family(f).has_information()])
def test_fisher_information_is_the_variance_of_the_score(name):
    """E[score] = 0 and E[score score'] = I(theta), checked on 200 000 draws within 4 MCSE;
    the score is the numerical derivative of the declared log-density."""
    fam = get_family(name)
    theta = fam.example_theta()
    x = fam.sample(np.random.default_rng(6), theta, (200_000, 1))[:, 0]
    names = [p.name for p in fam.estimated()]
    scores = []
    for nm in names:
        def f(v, idx, nm=nm):  # elementwise: derivative() passes matching slices of idx
            return fam.logpdf(x[idx.astype(np.intp)], {**theta, nm: v})
        res = differentiate.derivative(f, np.full(x.shape, float(theta[nm])),
                                       args=(np.arange(x.size, dtype=float),),
                                       initial_step=1e-3)
        scores.append(res.df)
    s = np.stack(scores)  # (k, N)
    info = fam.fisher_information(theta)
    N = x.size
    for i in range(len(names)):
        assert abs(s[i].mean()) < 4 * s[i].std() / np.sqrt(N)
        for j in range(len(names)):
            prod = s[i] * s[j]
            assert abs(prod.mean() - info[i, j]) < 4 * prod.std() / np.sqrt(N) + 1e-9, (i, j)


# ----------------------------------------------------------------- exact closed forms
def fit(name, est, x, estimands=None, level=0.95, **theta_fixed):
    fam = get_family(name)
    estimands = estimands or estimator_class(est).estimands_for(fam)
    return make_estimator(est).fit(fam, np.atleast_2d(np.asarray(x, float)), theta_fixed,
                                   tuple(estimands), level)


def test_bernoulli_by_hand_with_boundary():
    f = fit("bernoulli", "mle", [[1, 0, 1, 1], [0, 0, 0, 0]])["p"]
    assert f.estimate.tolist() == [0.75, 0.0]
    assert f.se[0] == pytest.approx(np.sqrt(0.75 * 0.25 / 4))
    # p_hat = 0 is a valid estimate: its Wald interval is degenerate, reported as it is
    assert f.converged.tolist() == [True, True]
    assert (f.se[1], f.ci_low[1], f.ci_high[1]) == (0.0, 0.0, 0.0)


def test_binomial_by_hand():
    f = fit("binomial", "mle", [[3, 5, 4]], trials=10)["p"]
    assert f.estimate[0] == pytest.approx(0.4)
    assert f.se[0] == pytest.approx(np.sqrt(0.4 * 0.6 / 30))


def test_poisson_by_hand():
    f = fit("poisson", "mle", [[2, 0, 4, 2]], ["lam", "prob_zero"])
    assert f["lam"].estimate[0] == 2.0 and f["lam"].se[0] == pytest.approx(np.sqrt(2 / 4))
    assert f["prob_zero"].estimate[0] == pytest.approx(np.exp(-2))
    u = fit("poisson", "unbiased", [[2, 0, 4, 2]])
    assert u["prob_zero"].estimate[0] == pytest.approx((3 / 4) ** 8)


def test_geometric_by_hand():
    assert fit("geometric", "mle", [[1, 3, 2]])["p"].estimate[0] == pytest.approx(0.5)
    assert fit("geometric", "unbiased", [[1, 3, 2]])["p"].estimate[0] == pytest.approx(2 / 5)


def test_normal_equals_scipy_fit_and_bessel():
    x = np.random.default_rng(8).normal(3, 2, size=(5, 12))
    mle = fit("normal", "mle", x, ["mu", "sigma", "sigma2"])
    unb = fit("normal", "unbiased", x, ["mu", "sigma", "sigma2"])
    for i in range(5):
        mu, sd = stats.norm.fit(x[i])
        assert mle["mu"].estimate[i] == pytest.approx(mu, rel=1e-12)
        assert mle["sigma"].estimate[i] == pytest.approx(sd, rel=1e-12)
        assert unb["sigma2"].estimate[i] == pytest.approx(np.var(x[i], ddof=1), rel=1e-12)
        lo, hi = stats.t.interval(0.95, 11, loc=x[i].mean(), scale=stats.sem(x[i]))
        assert (unb["mu"].ci_low[i], unb["mu"].ci_high[i]) == pytest.approx((lo, hi))
    s = mle["sigma"].estimate
    assert mle["sigma"].se == pytest.approx(s / np.sqrt(2 * 12))  # observed information
    assert mle["sigma2"].se == pytest.approx(s**2 * np.sqrt(2 / 12))  # delta method
    assert mle["sigma2"].estimate == pytest.approx(s**2)  # invariance


def test_exponential_equals_scipy_fit():
    x = np.random.default_rng(9).exponential(0.5, size=(4, 15))
    f = fit("exponential", "mle", x)
    u = fit("exponential", "unbiased", x)
    for i in range(4):
        _, scale = stats.expon.fit(x[i], floc=0)
        assert f["rate"].estimate[i] == pytest.approx(1 / scale, rel=1e-12)
        assert u["rate"].estimate[i] == pytest.approx(14 / x[i].sum(), rel=1e-12)
    assert f["rate"].se == pytest.approx(f["rate"].estimate / np.sqrt(15))


def test_uniform_equals_scipy_fit_and_umvue():
    x = np.random.default_rng(10).uniform(2, 7, size=(4, 9))
    f = fit("uniform", "mle", x)
    u = fit("uniform", "unbiased", x)
    for i in range(4):
        loc, scale = stats.uniform.fit(x[i])
        assert f["lower"].estimate[i] == pytest.approx(loc, rel=1e-12)
        assert f["upper"].estimate[i] == pytest.approx(loc + scale, rel=1e-12)
        r = np.ptp(x[i])
        assert u["upper"].estimate[i] == pytest.approx(x[i].max() + r / 8)


def test_method_of_moments_by_hand():
    x = np.array([[1.0, 2.0, 3.0, 6.0]])
    f = fit("normal", "mom", x)
    assert f["mu"].estimate[0] == 3.0 and f["sigma"].estimate[0] == pytest.approx(np.sqrt(3.5))
    u = fit("uniform", "mom", x)
    assert u["upper"].estimate[0] == pytest.approx(3 + np.sqrt(3 * 3.5))
    # the delta-method SE of the mean from its moments is s/sqrt(n)
    assert f["mu"].se[0] == pytest.approx(np.std(x, ddof=1) / 2)


def test_crlb_of_derived_estimand():
    fam = get_family("normal")
    # Var bound for sigma^2: (2 sigma)^2 / (2/sigma^2) / n = 2 sigma^4 / n
    assert fam.crlb({"mu": 0.0, "sigma": 2.0}, "sigma2", 10) == pytest.approx(2 * 16 / 10)


def test_safe_inverse_and_positive_definiteness_of_small_matrices():
    from fisherlab.core.numerics import positive_definite, safe_inv

    rng = np.random.default_rng(12)
    for k in (1, 2, 3):
        a = rng.normal(size=(200, k, k))
        m = a @ np.swapaxes(a, -1, -2) + 0.05 * np.eye(k)
        m[0] = -np.eye(k)                      # negative definite
        m[1] = np.nan                          # not finite
        if k > 1:
            m[2] = np.ones((k, k))             # singular, positive semi-definite
        inv = safe_inv(m)
        np.testing.assert_allclose(inv[3:], np.linalg.inv(m[3:]), rtol=1e-10)
        assert np.isnan(inv[1]).all()
        if k > 1:
            assert np.isnan(inv[2]).all() or not np.isfinite(inv[2]).all()
        ref = np.all(np.linalg.eigvalsh(np.nan_to_num(m)) > 1e-12, axis=-1)
        ref[1] = False
        np.testing.assert_array_equal(positive_definite(m), ref)
