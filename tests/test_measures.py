"""The Morris, White & Crowther (2019) measures against a hand computation."""

import math

import numpy as np
import pandas as pd
import pytest

from fisherlab.measures import MEASURES, performance, relative_precision, summarise

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
    assert m["empse_mcse"] == pytest.approx(math.sqrt(14 / 3) / math.sqrt(2 * 3))
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
        100 * ratio * math.sqrt(3 / (4 * S * 2.5**2) + 1 / (2 * 3)))
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
    # A: 1, 2, 3, 6 (variance 14/3); B: 2, 2, 3, 4 (variance 11/12); corr(A, B) by hand
    a, b = np.array([1.0, 2.0, 3.0, 6.0]), np.array([2.0, 2.0, 3.0, 4.0])
    gain, mcse = relative_precision(a, b)
    ratio2 = (14 / 3) / (11 / 12)
    # centred: A -2, -1, 0, 3; B -0.75, -0.75, 0.25, 1.25 -> cross 1.5+0.75+0+3.75 = 6
    rho = 6 / math.sqrt(14 * (11 / 4))
    assert gain == pytest.approx(100 * (ratio2 - 1))
    assert mcse == pytest.approx(200 * ratio2 * math.sqrt((1 - rho**2) / 3))
