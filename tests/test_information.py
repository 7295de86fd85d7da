"""The expected Fisher information for every family: closed forms where declared, else
numerical integration of the squared score (scipy.integrate.tanhsinh) or Monte Carlo
with its stated precision; and the numerical score behind them."""

import numpy as np
import pytest
from scipy import special

from fisherlab.families import get_family
from fisherlab.families.fallbacks import (
    QUADRATURE,
    monte_carlo_information,
    numerical_score,
    quadrature_information,
)

#: continuous registered families with a closed form, and their supports
CONTINUOUS = {"normal": (-np.inf, np.inf), "gamma": (0.0, np.inf), "beta": (0.0, 1.0),
              "weibull": (0.0, np.inf), "lognormal": (0.0, np.inf),
              "exponential": (0.0, np.inf)}
DISCRETE = ["bernoulli", "binomial", "poisson", "geometric", "negative_binomial"]


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_quadrature_equals_the_closed_form(name):
    fam = get_family(name)
    theta = fam.example_theta()
    got = quadrature_information(fam, theta, CONTINUOUS[name])
    want = fam.fisher_information(theta)
    scale = np.sqrt(np.outer(np.diag(want), np.diag(want)))
    assert got.source == QUADRATURE
    np.testing.assert_allclose(got.matrix / scale, want / scale, atol=1e-7)
    assert got.rel_error < 1e-6


@pytest.mark.parametrize("name", DISCRETE)
def test_monte_carlo_equals_the_closed_form_within_its_standard_error(name):
    fam = get_family(name)
    theta = fam.example_theta()
    got = monte_carlo_information(fam, theta, draws=50_000)
    want = fam.fisher_information(theta)
    assert got.source.startswith("Monte Carlo (±") and got.source.endswith("%)")
    z = (got.matrix - want) / np.where(got.error > 0, got.error, np.inf)
    assert np.all(np.abs(z) < 4), z


def test_scipy_gumbel_information_by_integration_is_the_textbook_one():
    """Gumbel (loc mu, scale b): I = [[1, -(1-g)], [-(1-g), pi^2/6 + (1-g)^2]] / b^2 with g
    Euler's constant (e.g. Johnson, Kotz & Balakrishnan, Continuous Univariate
    Distributions 2, ch. 22)."""
    fam = get_family("scipy.gumbel_r")
    info = fam.information({"loc": 10.0, "scale": 2.0})
    g = np.euler_gamma
    want = np.array([[1.0, -(1 - g)], [-(1 - g), np.pi**2 / 6 + (1 - g) ** 2]]) / 4.0
    assert info.source == QUADRATURE
    np.testing.assert_allclose(info.matrix, want, rtol=1e-8)
    # the generic hook returns the same matrix, and the CRLB inverts it
    np.testing.assert_allclose(fam.fisher_information({"loc": 10.0, "scale": 2.0}), want,
                               rtol=1e-8)


@pytest.mark.parametrize("a", [0.5, 2.0, 7.5])
def test_scipy_gamma_shape_with_known_scale_is_trigamma(a):
    # an integrable singularity at 0 for a < 1, which x = e^t makes a smooth tail
    fam = get_family("scipy.gamma").configure({"fixed": ["loc", "scale"]})
    info = fam.information({"a": a, "loc": 0.0, "scale": 0.5})
    assert info.source == QUADRATURE
    assert info.matrix[0, 0] == pytest.approx(special.polygamma(1, a), rel=1e-9)


def test_python_family_gets_a_monte_carlo_information_with_its_precision(monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    fam = get_family("python:studies.models.zero_inflated_poisson:ZeroInflatedPoisson")
    info = fam.information({"pi": 0.3, "lam": 3.0})
    assert info.source.startswith("Monte Carlo (±")
    # the ZIP information of lam alone (pi known): E[(x/lam - 1)^2 1{x>0}] - its
    # zero-part, here checked against a direct sum over the support
    x = np.arange(0, 60)
    from scipy import stats

    pmf = np.where(x == 0, 0.3 + 0.7 * np.exp(-3.0), 0.7 * stats.poisson.pmf(x, 3.0))
    d_lam = np.where(x == 0, -0.7 * np.exp(-3.0) / pmf, x / 3.0 - 1.0)
    exact = float(np.sum(pmf * d_lam**2))
    assert abs(info.matrix[1, 1] - exact) < 4 * info.error[1, 1]


def test_non_regular_family_has_no_information():
    with pytest.raises(NotImplementedError, match="non-regular"):
        get_family("uniform").information({"lower": 0.0, "upper": 1.0})


@pytest.mark.parametrize("name", ["gamma", "beta", "gaussian_mixture", "bernoulli",
                                  "poisson", "normal", "exponential"])
def test_numerical_score_equals_the_analytic_one(name):
    fam = get_family(name)
    theta = fam.example_theta()
    x = fam.sample(np.random.default_rng(1), theta, (20, 15))
    th = {k: np.full(20, float(v)) for k, v in theta.items()}
    assert fam.has("score")
    np.testing.assert_allclose(numerical_score(fam, x, th), fam.score(x, th), rtol=1e-6,
                               atol=1e-8)


def test_regression_numerical_score_equals_the_analytic_one():
    fam = get_family("logistic_regression", {"p": 2})
    theta = {"beta0": -0.5, "beta1": 1.0, "beta2": -0.7}
    x = fam.sample(np.random.default_rng(2), theta, (10, 40))
    th = {k: np.full(10, v) for k, v in theta.items()}
    np.testing.assert_allclose(numerical_score(fam, x, th), fam.score(x, th), rtol=1e-6)
