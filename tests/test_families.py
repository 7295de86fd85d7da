"""Conformance of every registered family and estimator, generated from the registries
(adding a family or an estimator adds its tests), and each closed form checked exactly."""

import numpy as np
import pytest
from scipy import stats

from fisherlab.estimators import estimator_class, make_estimator
from fisherlab.families import family_names, get_family
from fisherlab.testing import parametrize_with_checks

FAMILIES = family_names()


@parametrize_with_checks()
def test_conformance(check):
    """Every registered family's declarations and every estimator that applies to it
    (map and posterior too): :mod:`fisherlab.testing`, the checks a user's own family or
    estimator runs the same way."""
    check()


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


def test_positive_definite_symmetric_part_is_that_of_the_built_matrix():
    from fisherlab.core.numerics import positive_definite, positive_definite_sym

    rng = np.random.default_rng(13)
    # entries that overflow when doubled or multiplied, signed zeros, inf and NaN
    vals = np.array([0.0, -0.0, 1.0, -1.0, 2.0, 0.5, np.inf, -np.inf, np.nan, 1.7e308,
                     -1e308, 1e154, 1.4e154, 5e-324])
    for k in (1, 2, 3):
        m = rng.choice(vals, size=(20000, k, k))
        sym = 0.5 * (m + np.swapaxes(m, -1, -2))
        got = positive_definite_sym(m)
        np.testing.assert_array_equal(got, positive_definite(sym))
        assert got.any() and not got.all()


def test_bracketed_secant_finds_the_root_newton_finds():
    from scipy import special

    from fisherlab.core.numerics import newton_bracketed

    # the gamma shape's profile score log k - psi(k) = s at known shapes k (beyond a
    # few hundred, the rounding of log k - psi(k) ~ 1/(2k) limits any root's precision)
    k_true = np.array([0.05, 0.3, 1.0, 2.0, 7.5, 40.0, 150.0])
    s = np.log(k_true) - special.digamma(k_true)

    def f(k, rows):
        return np.log(k) - special.digamma(k) - s[rows]

    start = k_true * np.array([1.4, 0.6, 1.01, 0.99, 1.2, 0.9, 1.05])
    k, conv, nit = newton_bracketed(f, None, 0.5 / s, 1.0 / s, x0=start, tol=1e-13)
    assert conv.all()
    np.testing.assert_allclose(k, k_true, rtol=1e-12)
    kn, convn, nitn = newton_bracketed(
        f, lambda k, rows: 1.0 / k - special.polygamma(1, k), 0.5 / s, 1.0 / s, x0=start,
        tol=1e-13)
    assert convn.all()
    np.testing.assert_allclose(k, kn, rtol=1e-12)
    assert np.all(nit <= nitn + 3)


def test_bracketed_halley_finds_the_root_in_few_steps():
    from scipy import special

    from fisherlab.core.numerics import halley_bracketed

    # the gamma shape's profile score again, with exact derivatives: Halley's cubic
    # steps from within 1.5% (Minka's start) stop after two evaluations; from the
    # bracket's ends (f' tiny or the step outside) bisection keeps them converging
    k_true = np.array([0.05, 0.3, 1.0, 2.0, 7.5, 40.0, 150.0])
    s = np.log(k_true) - special.digamma(k_true)

    def fun(k, rows):
        return (np.log(k) - special.digamma(k) - s[rows], 1.0 / k - special.polygamma(1, k),
                -1.0 / k**2 - special.polygamma(2, k))

    near = k_true * np.array([1.015, 0.985, 1.01, 0.99, 1.012, 0.99, 1.005])
    for start, most in [(near, 2), (0.5 / s, 4), (1.0 / s, 4)]:
        k, conv, nit = halley_bracketed(fun, 0.5 / s, 1.0 / s, x0=start, tol=1e-13)
        assert conv.all()
        np.testing.assert_allclose(k, k_true, rtol=1e-12)
        assert nit.max() <= most



def test_trigamma_by_differences_is_scipys_to_its_stated_accuracy():
    from scipy import special

    from fisherlab.core.numerics import trigamma

    # the standard errors of gamma and beta MLEs read psi' from two digammas: within
    # 2.5e-10 of scipy's exact one over the arguments a shape takes (and a step 10x
    # larger or smaller would not be: truncation and rounding errors balance at 1e-5)
    p = np.logspace(-3, 6, 20001)
    exact = special.zeta(2.0, p)
    assert np.max(np.abs(trigamma(p) / exact - 1.0)) < 2.5e-10
    assert np.max(np.abs(trigamma(p) / exact - 1.0)) > 1e-11  # a difference, not a copy
    # the observed information at an MLE takes it; Fisher's information (the bound)
    # keeps the exact one
    theta = {"shape": np.array([0.3, 2.0, 50.0]), "rate": np.array([1.0, 0.5, 2.0])}
    g = get_family("gamma")
    np.testing.assert_array_equal(g.fisher_information(theta)[:, 0, 0],
                                  special.zeta(2.0, theta["shape"]))
    np.testing.assert_allclose(g.observed_information(np.ones((3, 7)), theta),
                               7 * g.fisher_information(theta), rtol=2.5e-10)
    b = get_family("beta")
    th = {"alpha": np.array([0.2, 3.0]), "beta": np.array([40.0, 1.5])}
    # an entry is a difference of two trigammas (psi'(b) - psi'(a + b)): within 2.5e-10
    # of each, not of their difference (1e-4 of them for b = 40, a + b = 40.2)
    psi1 = special.zeta(2.0, np.stack([th["alpha"], th["beta"]], -1))[:, :, None]
    np.testing.assert_array_less(np.abs(b.observed_information(np.full((2, 5), 0.5), th)
                                        - 5 * b.fisher_information(th)),
                                 5 * 2 * 2.5e-10 * np.maximum(psi1, psi1.swapaxes(1, 2)))

@pytest.mark.parametrize("name", [nm for nm in family_names()
                                  if get_family(nm).has("mom_jacobian")])
def test_mom_jacobian_is_the_derivative_of_the_moment_map(name):
    # the declared derivatives against scipy.differentiate's of mom_from_moments, at the
    # sample moments of 20 datasets (where the differences keep their precision: the
    # moments are away from 0), and the delta-method SEs they give
    from scipy import differentiate

    fam = get_family(name)
    theta = fam.example_theta()
    fixed = fam.fixed_values(theta)
    if name == "normal":
        theta = {**theta, "mu": 2.0}
    x = fam.sample(np.random.default_rng(3), theta, (20, 200))
    k = fam.mom_moments
    m = np.stack([np.mean(x.astype(float) ** (j + 1), axis=1) for j in range(k)])  # (k, R)
    names = [p.name for p in fam.estimated()]

    def h(mm):
        est = fam.mom_from_moments(np.moveaxis(mm, 0, -1), fixed)
        return np.stack([np.asarray(est[nm], float) for nm in names])

    want = differentiate.jacobian(h, m, initial_step=1e-3 * np.abs(m)).df  # (p, k, R)
    got = fam.mom_jacobian(m.T, fixed)
    for i, nm in enumerate(names):
        np.testing.assert_allclose(np.moveaxis(got[nm], -1, 0), want[i], rtol=1e-7,
                                   atol=1e-9 * np.abs(want).max())
    numeric = make_estimator("mom", {"jacobian": "numeric"}).point(fam, x, fixed, 0.95).cov
    analytic = make_estimator("mom", {"jacobian": "analytic"}).point(fam, x, fixed, 0.95).cov
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=0)
    # the default takes the declared derivatives
    np.testing.assert_array_equal(make_estimator("mom").point(fam, x, fixed, 0.95).cov,
                                  analytic)


@pytest.mark.parametrize("name, again", [("uniform", True), ("normal", True),
                                         ("gamma", False)])
def test_mom_two_pass_jacobian_has_the_bits_of_one_scipy_call(name, again):
    # the uniform has a few datasets whose entries need more than the first pass, the
    # normal all of them (its d mu / d m2 never converges), the gamma none: all must
    # give scipy's bits
    from scipy import differentiate

    from fisherlab.estimators import closed_form

    fam = get_family(name)
    x = fam.sample(np.random.default_rng(5), fam.example_theta(), (2000, 10))
    m = np.stack([np.mean(x ** (j + 1), axis=1) for j in range(fam.mom_moments)])
    names = [p.name for p in fam.estimated()]

    def h(mm):
        est = fam.mom_from_moments(np.moveaxis(mm, 0, -1), {})
        return np.stack([np.asarray(est[nm], float) for nm in names])

    step = 1e-3 * np.maximum(np.abs(m), 1e-8)
    first = differentiate.jacobian(h, m, initial_step=step, maxiter=closed_form.FIRST_PASS)
    assert np.any(first.status != 0) == again  # whether a second pass is needed
    want = differentiate.jacobian(h, m, initial_step=step).df
    closed_form._SLOW_JACOBIAN.discard(name)
    for _ in range(2):  # the two-pass call, then the one call the family may get after it
        got = closed_form._jacobian(h, m, step, name)
        assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("R, n, k", [(2000, 100, 2), (333, 1000, 3), (2000, 3, 2),
                                     (1, 20000, 2), (5, 20000, 2), (21, 9000, 3)])
def test_mom_moment_sums_by_blocks_have_the_bits_of_the_whole(R, n, k, monkeypatch):
    # mom sums its centred powers' products a block of datasets at a time: the same
    # bits as einsum over all of them at once, whatever the blocks (here of 2 or 3
    # datasets beyond einsum's 8192-value loop, and more below it)
    from fisherlab.estimators import closed_form

    x = np.random.default_rng(R + n).gamma(2.0, 1.5, (R, n))
    c, m = closed_form._centred_powers(x, k)
    want = np.einsum("iRn,jRn->Rij", c, c)
    for block in (closed_form.MOMENT_BLOCK, 2 * n + 1):
        monkeypatch.setattr(closed_form, "MOMENT_BLOCK", block)
        cross, m_blocks = closed_form._moment_sums(x, k)
        assert cross.tobytes() == want.tobytes() and m_blocks.tobytes() == m.tobytes()
