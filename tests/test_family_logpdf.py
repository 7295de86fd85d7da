"""The mixture's one-pass log-likelihood and score (which hands core.densities the
standardised values it computed for the score) and the linear regression's logpdf give
scipy's numbers, bit for bit (the profile likelihood's optimiser must see the same
function values whichever path computes them)."""

import numpy as np
from scipy import stats

from fisherlab.families import get_family


def same_bits(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


def test_mixture_loglik_score_log_likelihood_is_scipys():
    fam = get_family("gaussian_mixture")
    rng = np.random.default_rng(11)
    theta = {"w": rng.uniform(0.1, 0.9, 6), "mu1": rng.normal(-1.0, 0.5, 6),
             "mu2": rng.normal(2.0, 0.5, 6), "sigma1": rng.uniform(0.3, 2.0, 6),
             "sigma2": rng.uniform(0.3, 2.0, 6)}
    x = fam.sample(rng, {k: v[:, None] for k, v in theta.items()}, (6, 80))
    col = {k: v[:, None] for k, v in theta.items()}
    want = np.logaddexp(np.log(col["w"]) + stats.norm.logpdf(x, col["mu1"], col["sigma1"]),
                        np.log1p(-col["w"]) + stats.norm.logpdf(x, col["mu2"], col["sigma2"]))
    ll, score = fam.loglik_score(x, theta)
    assert same_bits(ll, want.sum(-1))
    assert same_bits(ll, fam.loglik(x, theta))
    assert same_bits(score, fam.score(x, theta))
    # a collapsed component (sigma = 0) takes scipy's own path: NaN, as scipy gives
    bad = {**theta, "sigma1": np.where(np.arange(6) == 2, 0.0, theta["sigma1"])}
    with np.errstate(all="ignore"):
        ll_bad, _ = fam.loglik_score(x, bad)
    assert np.isnan(ll_bad[2]) and same_bits(np.delete(ll_bad, 2), np.delete(ll, 2))


def test_linear_regression_logpdf_is_scipys():
    fam = get_family("linear_regression", {"p": 2})
    rng = np.random.default_rng(5)
    theta = {"beta0": 1.0, "beta1": 0.5, "beta2": -0.5, "sigma": 2.0}
    data = fam.sample(rng, theta, (4, 30))
    y, X = data["y"], data["X"]
    eta = 1.0 * X[..., 0] + 0.5 * X[..., 1] + -0.5 * X[..., 2]
    assert same_bits(fam.logpdf(data, theta), stats.norm.logpdf(y, eta, 2.0))
    # sigma per dataset, as the optimisers pass it; sigma <= 0 falls back to scipy (NaN)
    sig = np.array([[1.5], [0.7], [0.0], [-1.0]])
    with np.errstate(all="ignore"):
        want = stats.norm.logpdf(y, eta, sig)
        got = fam.logpdf(data, {**theta, "sigma": sig})
    assert np.isnan(want[2:]).all()
    assert same_bits(got, want)
