"""The Morris, White & Crowther (2019) measures against a hand computation."""

import math

import numpy as np
import pandas as pd
import pytest

from fisherlab.stats.measures import MEASURES, performance, relative_precision, summarise

# Four replicates, true value 2: estimates 1, 2, 3, 6 (mean 3), se 1, 1, 2, 2,
# intervals that cover 2 in replicates 1-3 only.
EST = np.array([1.0, 2.0, 3.0, 6.0])
SE = np.array([1.0, 1.0, 2.0, 2.0])
LO = np.array([0.0, 1.0, 1.5, 4.0])
HI = np.array([2.5, 3.0, 4.5, 8.0])


def test_by_hand():
    m = performance(EST, 2.0, SE, LO, HI)
    S = 4
    # deviations from the mean 3: -2, -1, 0, 3 -> sum of squares 14
    assert m["mean"] == 3.0
    assert m["bias"] == 1.0
    assert m["bias_mcse"] == pytest.approx(math.sqrt(14 / (S * (S - 1))))
    assert m["empse"] == pytest.approx(math.sqrt(14 / 3))
    # kurtosis: m2 = 14/4, m4 = (16 + 1 + 0 + 81)/4 = 24.5 -> kappa = 24.5/3.5^2 - 3 = -1;
    # Var(s^2)/sigma^4 = 2/(S-1) + kappa/S = 2/3 - 1/4, and MCSE(s) = s/2 * sqrt of that
    rel = math.sqrt(2 / 3 - 1 / 4)
    assert m["empse_mcse"] == pytest.approx(math.sqrt(14 / 3) * rel / 2)
    # squared errors from 2: 1, 0, 1, 16 -> MSE 4.5
    assert m["mse"] == pytest.approx(4.5)
    dev = np.array([1, 0, 1, 16]) - 4.5
    assert m["mse_mcse"] == pytest.approx(math.sqrt(np.sum(dev**2) / (S * (S - 1))))
    assert m["rmse"] == pytest.approx(math.sqrt(4.5))
    assert m["rmse_mcse"] == pytest.approx(m["mse_mcse"] / (2 * math.sqrt(4.5)))
    # se^2: 1, 1, 4, 4 -> mean 2.5, modelse sqrt(2.5); Var(se^2) = 4 * 2.25 / 3 = 3
    assert m["modelse"] == pytest.approx(math.sqrt(2.5))
    assert m["modelse_mcse"] == pytest.approx(math.sqrt(3 / (4 * S * 2.5)))
    ratio = math.sqrt(2.5) / math.sqrt(14 / 3)
    assert m["relerr_modelse"] == pytest.approx(100 * (ratio - 1))
    assert m["relerr_modelse_mcse"] == pytest.approx(
        100 * ratio * math.sqrt(3 / (4 * S * 2.5**2) + rel**2 / 4))
    # coverage of 2: [0,2.5] yes, [1,3] yes, [1.5,4.5] yes, [4,8] no
    assert m["coverage"] == 0.75
    assert m["coverage_mcse"] == pytest.approx(math.sqrt(0.75 * 0.25 / 4))
    # bias-eliminated: coverage of the mean 3: no, yes, yes, no
    assert m["becoverage"] == 0.5
    assert m["width"] == pytest.approx(np.mean(HI - LO))
    assert m["rel_bias"] == 0.5


def test_failed_rows_are_counted_not_used():
    df = pd.DataFrame({"true_p": 0.5, "n": 10, "estimator": "mle", "estimand": "p",
                       "true_value": 2.0, "estimate": np.r_[EST, np.nan],
                       "se": np.r_[SE, np.nan], "ci_low": np.r_[LO, np.nan],
                       "ci_high": np.r_[HI, np.nan],
                       "converged": [True] * 4 + [False]})
    s = summarise(df)
    assert len(s) == 1
    row = s.iloc[0]
    assert row["n_rep"] == 5 and row["n_failed"] == 1
    assert row["bias"] == 1.0 and row["coverage"] == 0.75
    assert list(s.columns[-len(MEASURES):]) == MEASURES


def test_coverage_mcse_is_binomial_at_large_S():
    rng = np.random.default_rng(1)
    cover = rng.random(10_000) < 0.9
    lo = np.where(cover, -1.0, 1.0)
    m = performance(np.zeros(10_000), 0.0, None, lo, lo + 0.5 + 10 * cover)
    c = cover.mean()
    assert m["coverage"] == pytest.approx(c)
    assert m["coverage_mcse"] == pytest.approx(math.sqrt(c * (1 - c) / 10_000), rel=1e-12)


def test_relative_precision_by_hand():
    # A: 1, 2, 3, 6 (variance 14/3); B: 2, 2, 3, 4 (variance 11/12)
    a, b = np.array([1.0, 2.0, 3.0, 6.0]), np.array([2.0, 2.0, 3.0, 4.0])
    gain, mcse = relative_precision(a, b)
    ratio2 = (14 / 3) / (11 / 12)
    assert gain == pytest.approx(100 * (ratio2 - 1))
    # delta method: u_i = dA_i^2/vA - dB_i^2/vB with centred A -2, -1, 0, 3 and
    # B -0.75, -0.75, 0.25, 1.25; Var(log ratio) = var(u)/S
    u = np.array([4, 1, 0, 9]) * 3 / 14 - np.array([0.5625, 0.5625, 0.0625, 1.5625]) * 12 / 11
    assert mcse == pytest.approx(100 * ratio2 * math.sqrt(u.var(ddof=1) / 4))


def test_relative_precision_mcse_is_morris_for_normal_estimates():
    # for bivariate normal estimates the delta-method MCSE is Morris et al.'s
    # 200 r sqrt((1 - rho^2)/(S - 1)) (Table 6), up to its own Monte Carlo error
    rng = np.random.default_rng(3)
    S, rho = 20_000, 0.6
    a = rng.standard_normal(S)
    b = 0.5 * (rho * a + np.sqrt(1 - rho**2) * rng.standard_normal(S))
    _, mcse = relative_precision(a, b)
    r = a.var(ddof=1) / b.var(ddof=1)
    morris = 200 * r * math.sqrt((1 - np.corrcoef(a, b)[0, 1] ** 2) / (S - 1))
    assert mcse == pytest.approx(morris, rel=0.05)


def test_variance_mcse_allows_for_kurtosis():
    # Var(s^2) = sigma^4 (2/(S-1) + kappa/S): for exponential data kappa = 6, so the
    # normal-theory sqrt(2/(S-1)) understates the spread of s^2 about 2.2-fold at S = 50.
    # Over 4000 samples of S = 50, the SD of s^2/sigma^2 is compared with the formula at
    # the true kappa, within 4 MCSEs of an SD of 4000 draws (the same formula, applied
    # to the 4000 values of s^2: relative MCSE of their SD = half that of their variance).
    from fisherlab.stats.measures import excess_kurtosis, variance_rel_mcse

    rng = np.random.default_rng(7)
    S, reps = 50, 4000
    x = rng.exponential(size=(reps, S))
    s2 = x.var(axis=1, ddof=1)  # sigma^2 = 1
    exact = math.sqrt(2 / (S - 1) + 6 / S)
    tol = 4 * variance_rel_mcse(s2) / 2
    assert s2.std(ddof=1) == pytest.approx(exact, rel=tol)
    assert abs(s2.std(ddof=1) - math.sqrt(2 / (S - 1))) > 0.4 * exact  # normal theory fails
    est = np.array([variance_rel_mcse(row) for row in x[:400]])
    assert np.all(np.isfinite(est)) and est.mean() > math.sqrt(2 / (S - 1))
    assert excess_kurtosis(np.r_[1.0, 2.0, 3.0, 6.0]) == pytest.approx(-1.0)
