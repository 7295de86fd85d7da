"""Classical facts, reproduced within Monte Carlo error.

Each check runs a fixed-seed study and states its tolerance in Monte Carlo standard
errors (Morris et al. 2019): |measured - theory| < Z * MCSE with Z = 4, so a correct
implementation fails a check with probability about 6e-5, and a wrong one with the
effect sizes below fails almost surely.
"""

import numpy as np
import pytest
from scipy import stats

from fisherlab.spec.load import load_study
from fisherlab.stats.measures import summarise

from .conftest import run_study, summary_of

Z = 4.0


def study(family, params, sizes, estimators, estimands=None, reps=4000, seed=11):
    text = (f"description: t\nmodel: {{family: {family}, params: {params}}}\n"
            f"sample_sizes: {sizes}\nreplications: {reps}\nseed: {seed}\n"
            f"estimators: {estimators}\n")
    if estimands:
        text += f"estimands: {estimands}\n"
    return text


def row(summary, estimator, estimand, n, **true):
    sel = (summary.estimator == estimator) & (summary.estimand == estimand) & (summary.n == n)
    for k, v in true.items():
        sel &= summary[f"true_{k}"] == v
    assert sel.sum() == 1
    return summary[sel].iloc[0]


@pytest.fixture(scope="module")
def normal(tmp_path_factory):
    p = tmp_path_factory.mktemp("normal") / "normal.yaml"
    p.write_text(study("normal", "{mu: 1.0, sigma: 2.0}", "[5, 20]", "[mle, unbiased]",
                       "[sigma2, mu, sigma]"))
    return summary_of(p)


@pytest.mark.parametrize("n", [5, 20])
def test_normal_variance_mle_bias_is_minus_sigma2_over_n(normal, n):
    r = row(normal, "mle", "sigma2", n)
    assert abs(r.bias - (-4.0 / n)) < Z * r.bias_mcse
    # and it is really there: the bias is many MCSEs away from 0
    assert abs(r.bias) > 5 * r.bias_mcse


@pytest.mark.parametrize("n", [5, 20])
def test_bessel_correction_is_unbiased_but_has_larger_mse(normal, n):
    u, m = row(normal, "unbiased", "sigma2", n), row(normal, "mle", "sigma2", n)
    assert abs(u.bias) < Z * u.bias_mcse
    s4 = 16.0
    assert abs(u.mse - 2 * s4 / (n - 1)) < Z * u.mse_mcse           # 2 sigma^4/(n-1)
    assert abs(m.mse - (2 * n - 1) * s4 / n**2) < Z * m.mse_mcse     # (2n-1) sigma^4/n^2
    assert m.mse < u.mse


@pytest.mark.parametrize("n", [5, 20])
@pytest.mark.parametrize("estimand", ["mu", "sigma", "sigma2"])
def test_exact_normal_intervals_cover_at_the_nominal_level(normal, n, estimand):
    r = row(normal, "unbiased", estimand, n)
    assert abs(r.coverage - 0.95) < Z * np.sqrt(0.95 * 0.05 / r.n_rep)


def test_c4_corrected_sd_is_unbiased(normal):
    r = row(normal, "unbiased", "sigma", 5)
    assert abs(r.bias) < Z * r.bias_mcse
    assert row(normal, "mle", "sigma", 5).bias < -5 * r.bias_mcse


def test_wald_undercovers_at_small_n(normal):
    r = row(normal, "mle", "mu", 5)
    assert r.coverage < 0.95 - Z * r.coverage_mcse


@pytest.fixture(scope="module")
def exponential(tmp_path_factory):
    p = tmp_path_factory.mktemp("exp") / "exp.yaml"
    p.write_text(study("exponential", "{rate: 2.0}", "[4, 10, 40]", "[mle, unbiased]",
                       "[rate, mean]"))
    return summary_of(p)


@pytest.mark.parametrize("n", [4, 10, 40])
def test_exponential_rate_mle_bias_is_rate_over_n_minus_1(exponential, n):
    r = row(exponential, "mle", "rate", n)
    assert abs(r.bias - 2.0 / (n - 1)) < Z * r.bias_mcse
    u = row(exponential, "unbiased", "rate", n)
    assert abs(u.bias) < Z * u.bias_mcse
    # Var((n-1)/sum x) = rate^2/(n-2), above the Cramér–Rao bound rate^2/n. The MCSE of
    # empSE, empse/sqrt(2(S-1)), assumes a finite fourth moment: the estimator is inverse
    # gamma with shape n, so it holds only for n > 4.
    if n > 4:
        assert abs(u.empse - 2.0 / np.sqrt(n - 2)) < Z * u.empse_mcse
    assert abs(u.coverage - 0.95) < Z * np.sqrt(0.95 * 0.05 / u.n_rep)


@pytest.mark.parametrize("lam, n", [(2.0, 5), (2.0, 50), (10.0, 20)])
def test_poisson_mle_variance_is_lam_over_n(tmp_path, lam, n):
    p = tmp_path / "pois.yaml"
    p.write_text(study("poisson", f"{{lam: {lam}}}", f"[{n}]", "[mle, unbiased]",
                       "[lam, prob_zero]"))
    s = summary_of(p)
    r = row(s, "mle", "lam", n)
    assert abs(r.empse - np.sqrt(lam / n)) < Z * r.empse_mcse
    assert abs(r.bias) < Z * r.bias_mcse
    u = row(s, "unbiased", "prob_zero", n)
    assert abs(u.bias) < Z * u.bias_mcse
    # the plug-in exp(-x̄): its exact bias, the family's, is the mean of exp(-T/n) over
    # T ~ Poisson(n lam) (summed here over the pmf) less exp(-lam), and the simulation's
    from fisherlab.families import get_family

    t = np.arange(0, int(n * lam + 40 * np.sqrt(n * lam)) + 40)
    exact = float(np.sum(stats.poisson.pmf(t, n * lam) * np.exp(-t / n)) - np.exp(-lam))
    # (both sides a difference of two numbers near exp(-lam): 1e-13 of rounding)
    assert get_family("poisson").mle_bias("prob_zero", {"lam": lam}, n) == pytest.approx(
        exact, abs=1e-13)
    m = row(s, "mle", "prob_zero", n)
    assert abs(m.bias - exact) < Z * m.bias_mcse


def test_bernoulli_variance_and_boundary(tmp_path):
    p = tmp_path / "coin.yaml"
    p.write_text(study("bernoulli", "{p: [0.3, 0.02]}", "[10, 100]", "[mle]"))
    s = summary_of(p)
    for n in (10, 100):
        r = row(s, "mle", "p", n, p=0.3)
        assert abs(r.empse - np.sqrt(0.3 * 0.7 / n)) < Z * r.empse_mcse
        assert abs(r.bias) < Z * r.bias_mcse
    # p = 0.02, n = 10: P(k = 0) = 0.98^10 = 0.817 of replicates give p_hat = 0 with a
    # degenerate [0, 0] interval, which misses p: Wald coverage is at most 1 - 0.817
    r = row(s, "mle", "p", 10, p=0.02)
    assert r.n_failed == 0
    assert r.coverage <= 1 - 0.98**10 + Z * r.coverage_mcse


def test_uniform_max_bias_and_umvue(tmp_path):
    p = tmp_path / "unif.yaml"
    p.write_text(study("uniform", "{lower: 0.0, upper: 10.0}", "[5, 50]", "[mle, unbiased]"))
    s = summary_of(p)
    for n in (5, 50):
        r = row(s, "mle", "upper", n)
        assert abs(r.bias - (-10.0 / (n + 1))) < Z * r.bias_mcse  # E[max] = b - w/(n+1)
        sd = 10 * np.sqrt(n / ((n + 1) ** 2 * (n + 2)))
        assert abs(r.empse - sd) < Z * r.empse_mcse
        u = row(s, "unbiased", "upper", n)
        assert abs(u.bias) < Z * u.bias_mcse
        assert abs(u.empse - 10 * np.sqrt(n / ((n - 1) * (n + 1) * (n + 2)))) < Z * u.empse_mcse
        assert abs(r.coverage - 0.95) < Z * np.sqrt(0.95 * 0.05 / r.n_rep)  # exact pivot


def test_geometric_unbiased(tmp_path):
    p = tmp_path / "geo.yaml"
    p.write_text(study("geometric", "{p: 0.3}", "[3, 30]", "[mle, unbiased]"))
    s = summary_of(p)
    for n in (3, 30):
        assert abs(row(s, "unbiased", "p", n).bias) < Z * row(s, "unbiased", "p", n).bias_mcse
    r = row(s, "mle", "p", 3)
    assert r.bias > 5 * r.bias_mcse  # 1/x_bar overestimates p


REGRESSION = """description: the regression form of Bessel's correction
model: {family: linear_regression, params: {beta0: 1.0, beta1: 0.5, beta2: -0.5, sigma: 2.0},
        design: {p: 2}}
sample_sizes: [6, 30]
replications: 4000
seed: 12
estimators: [mle, unbiased]
estimands: [sigma2, sigma]
"""


@pytest.mark.parametrize("n", [6, 30])
def test_regression_variance_mle_bias_is_minus_k_sigma2_over_n(tmp_path, n):
    """k = 3 coefficients (intercept and p = 2 slopes): E[RSS/n] = (n - 3) sigma^2 / n,
    E[sqrt(RSS/n)] = sigma sqrt((n - 3)/n) c4(n - 2); declared by the family, so the
    Bessel table's exact bias is this one, and measured within Monte Carlo error."""
    from scipy.special import gammaln

    from fisherlab.diagnostics.bessel import bessel

    path = tmp_path / "reg.yaml"
    path.write_text(REGRESSION)
    df = run_study(path)
    s = summarise(df)
    m = row(s, "mle", "sigma2", n)
    assert abs(m.bias - (-3 * 4.0 / n)) < Z * m.bias_mcse  # -2 at n = 6
    assert abs(m.bias) > 5 * m.bias_mcse
    c4 = np.sqrt(2 / (n - 3)) * np.exp(gammaln((n - 2) / 2) - gammaln((n - 3) / 2))
    sd_bias = 2.0 * (c4 * np.sqrt((n - 3) / n) - 1)
    assert abs(row(s, "mle", "sigma", n).bias - sd_bias) < Z * row(s, "mle", "sigma", n).bias_mcse
    for e in ("sigma2", "sigma"):
        u = row(s, "unbiased", e, n)
        assert abs(u.bias) < Z * u.bias_mcse
    b = bessel(df, load_study(path)).set_index(["estimator", "estimand", "n"])
    assert b.loc[("mle", "sigma2", n), "theory_bias"] == pytest.approx(-12.0 / n, rel=1e-12)
    assert b.loc[("mle", "sigma", n), "theory_bias"] == pytest.approx(sd_bias, rel=1e-12)
    assert b.loc[("unbiased", "sigma2", n), "theory_bias"] == 0.0


def test_geometric_mle_bias_is_the_negative_binomial_mean_of_n_over_sum(tmp_path):
    """1/x̄ of geometric trials: E[n/Σx] with Σx − n negative binomial. At n = 1 it is the
    classical E[1/X] = −p ln p / (1 − p); at n = 2 and 10 the simulation's bias is within
    its MCSEs of the family's sum (0.0988 at p = 0.2, n = 2)."""
    from fisherlab.families import get_family

    fam = get_family("geometric")
    for p in (0.05, 0.2, 0.7):
        exact = -p * np.log(p) / (1 - p) - p
        assert fam.mle_bias("p", {"p": p}, 1) == pytest.approx(exact, abs=1e-12)
    path = tmp_path / "geom.yaml"
    path.write_text(study("geometric", "{p: 0.2}", "[2, 10]", "[mle, unbiased]"))
    s = summary_of(path)
    for n in (2, 10):
        r = row(s, "mle", "p", n)
        assert abs(r.bias - fam.mle_bias("p", {"p": 0.2}, n)) < Z * r.bias_mcse
        u = row(s, "unbiased", "p", n)
        assert abs(u.bias) < Z * u.bias_mcse
