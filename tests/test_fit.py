"""`fisherlab fit` on the worked examples of examples/: the numbers every textbook on
maximum likelihood prints for them, to the digits it prints, and hand computations of
the standard errors and the three kinds of interval."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, stats

from fisherlab.cli import app as cli
from fisherlab.run.fitdata import fit_data
from fisherlab.run.userdata import read_data

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CALLS = np.array([3, 5, 2, 8, 4, 6, 3, 5], float)
Z = stats.norm.ppf(0.975)
Q = stats.chi2.ppf(0.95, 1)


def fit(capsys, *args: str) -> str:
    assert cli.main(["fit", *args]) == 0
    return capsys.readouterr().out


def at(out: str, what: str) -> tuple[float, float]:
    """(log L, L) of the line ``at <what>: log L = ..., L = ...``."""
    m = re.search(rf"^at {re.escape(what)}: log L = (\S+), L = (\S+)$", out, re.M)
    assert m, out
    return float(m.group(1)), float(m.group(2))


def row(f, estimator: str, estimand: str):
    return next(r for r in f.rows if r.estimator == estimator and r.estimand == estimand)


def test_coin_likelihoods_with_the_binomial_coefficient(capsys):
    out = fit(capsys, str(EXAMPLES / "coin.csv"), "--family", "binomial", "--fixed",
              "trials=10", "--at", "p=0.5", "--at", "p=0.7", "--at", "p=0.9")
    # L(p) = C(10, 7) p^7 (1 - p)^3
    for p, shown in ((0.5, 0.1172), (0.7, 0.2668), (0.9, 0.0574)):
        log_l, lik = at(out, f"p = {p:g}")
        assert round(lik, 4) == shown
        assert log_l == pytest.approx(math.log(math.comb(10, 7) * p**7 * (1 - p) ** 3),
                                      rel=1e-5)
    assert re.search(r"^mle\s+p\s+0\.7\s", out, re.M)
    f = fit_data(read_data([str(EXAMPLES / "coin.csv")], "binomial", fixed={"trials": 10}))
    assert f.mle == {"p": pytest.approx(0.7, abs=1e-15)}


def test_reaction_times_mean_and_both_variances(capsys):
    out = fit(capsys, str(EXAMPLES / "reaction_times.csv"), "--family", "normal")
    assert re.search(r"^mle\s+mu\s+255\s", out, re.M)
    assert re.search(r"^mle\s+sigma2\s+113\.2\s", out, re.M)  # divisor n
    assert re.search(r"^unbiased\s+sigma2\s+141\.5\s", out, re.M)  # divisor n - 1
    f = fit_data(read_data([str(EXAMPLES / "reaction_times.csv")], "normal"))
    assert round(row(f, "mle", "mu").estimate, 10) == 255
    assert round(row(f, "mle", "sigma2").estimate, 10) == 113.2
    assert round(row(f, "unbiased", "sigma2").estimate, 10) == 141.5
    # l(theta_hat) = -n/2 (log(2 pi sigma_hat^2) + 1); AIC = 4 - 2 l; BIC = 2 log 5 - 2 l
    ll = -2.5 * (math.log(2 * math.pi * 113.2) + 1)
    assert f.loglik == pytest.approx(ll, rel=1e-12)
    assert f.aic == pytest.approx(4 - 2 * ll) and f.bic == pytest.approx(2 * math.log(5) - 2 * ll)


def test_calls_rate_and_its_three_intervals(capsys):
    out = fit(capsys, str(EXAMPLES / "calls.csv"), "--family", "poisson")
    assert re.search(r"^mle\s+lam\s+4\.5\s", out, re.M)
    f = fit_data(read_data([str(EXAMPLES / "calls.csv")], "poisson"))
    lam = row(f, "mle", "lam")
    n, xbar = len(CALLS), CALLS.mean()
    assert lam.estimate == 4.5
    # Wald: x̄ ± z sqrt(x̄ / n)
    half = Z * math.sqrt(xbar / n)
    assert lam.intervals["wald"] == pytest.approx((xbar - half, xbar + half), rel=1e-12)
    # score: the roots in lam of (x̄ - lam)^2 = z^2 lam / n,
    # i.e. lam^2 - (2 x̄ + z^2/n) lam + x̄^2 = 0
    b = 2 * xbar + Z**2 / n
    disc = math.sqrt(b**2 - 4 * xbar**2)
    assert lam.intervals["score"] == pytest.approx(((b - disc) / 2, (b + disc) / 2),
                                                   rel=1e-12)

    # likelihood ratio: 2 (l(x̄) - l(lam)) = chi2_1(0.95) on each side of x̄
    def drop(v):
        return 2 * (stats.poisson.logpmf(CALLS, xbar).sum()
                    - stats.poisson.logpmf(CALLS, v).sum()) - Q

    lr = (optimize.brentq(drop, 1e-6, xbar, xtol=1e-14),
          optimize.brentq(drop, xbar, 50, xtol=1e-14))
    assert lam.intervals["likelihood ratio"] == pytest.approx(lr, rel=1e-8)
    # se: model sqrt(x̄ / n); sandwich J⁻¹ S J⁻¹ = sum (x - x̄)^2 / n^2
    assert lam.se == pytest.approx(math.sqrt(xbar / n), rel=1e-12)
    assert lam.sandwich == pytest.approx(math.sqrt(((CALLS - xbar) ** 2).sum()) / n,
                                         rel=1e-9)


def test_credit_log_likelihood_at_a_given_beta_and_separation(capsys):
    out = fit(capsys, str(EXAMPLES / "credit.csv"), "--family", "logistic_regression",
              "--y", "default", "--x", "income", "--at", "beta0=-4,beta1=0.06")
    log_l, _ = at(out, "beta0 = -4, beta1 = 0.06")
    assert round(log_l, 3) == -4.268
    # by hand: eta = -1, 0.8, -1.6; log expit(-1) + log(1 - expit(0.8)) + log expit(-1.6)
    eta = -4 + 0.06 * np.array([50.0, 80, 40])
    p = 1 / (1 + np.exp(-eta))
    assert log_l == pytest.approx(float(np.log([p[0], 1 - p[1], p[2]]).sum()), rel=1e-5)
    # defaults at 40 and 50, none at 80: a threshold on income separates them
    assert "complete separation: the MLE does not exist" in out
    for beta in ("beta0", "beta1"):
        line = re.search(rf"^mle\s+{beta}\s+(.*)$", out, re.M).group(1)
        assert not re.search(r"\d", line.split("complete separation")[0]), line
    assert "maximised log-likelihood" not in out


def test_the_map_under_a_prior_given_as_in_study_files(capsys):
    # Gamma(3, 1) prior on the Poisson rate: the posterior is Gamma(3 + sum x, 1 + n),
    # its mode (3 + sum x - 1) / (1 + n) = 38 / 9
    out = fit(capsys, *map(str, CALLS.astype(int)), "--family", "poisson", "--prior",
              "{lam: {dist: Gamma, alpha: 3, beta: 1}}")
    est = float(re.search(r"^map, Gamma\(3, 1\) prior\s+lam\s+(\S+)\s", out, re.M).group(1))
    assert est == pytest.approx(38 / 9, rel=1e-5)


def test_numbers_on_the_command_line_fit_as_a_file_does(capsys):
    a = fit(capsys, "3", "5", "2", "8", "4", "6", "3", "5", "--family", "poisson")
    b = fit(capsys, str(EXAMPLES / "calls.csv"), "--family", "poisson")
    assert a.splitlines()[2:] == b.splitlines()[2:]
    assert a.startswith("poisson fitted to command line: n = 8")


def test_a_boundary_mle_says_so():
    f = fit_data(read_data(["0", "0", "0", "0"], "poisson"))
    assert f.mle == {"lam": 0.0}
    assert any("on the boundary" in note for note in f.notes)


def test_a_flat_likelihood_says_so(tmp_path):
    # a covariate that never varies is the intercept again: X'WX is singular, and the
    # log-likelihood is constant along beta0 + 5 beta1 = const
    path = tmp_path / "flat.csv"
    path.write_text("c,d\n5,1\n5,0\n5,1\n5,0\n")
    f = fit_data(read_data([str(path)], "logistic_regression", y="d", covariates=("c",)))
    assert f.mle is None
    assert f.notes == ["the likelihood is flat, no unique MLE: information matrix X'WX "
                       "singular"]
