"""The tails table: Tukey's far-out fences and the estimates beyond them, pinned to
values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fisherlab.diagnostics import REGISTRY
from fisherlab.diagnostics.tails import K, fences, tails


def rows(estimates, truth=5.0, se=None, converged=None, estimator="mle", n=10):
    k = len(estimates)
    return pd.DataFrame({"true_mu": 5.0, "n": n, "estimator": estimator, "estimand": "mu",
                         "replicate": np.arange(k),
                         "estimate": np.asarray(estimates, float),
                         "true_value": np.broadcast_to(np.asarray(truth, float), (k,)),
                         "se": np.ones(k) if se is None else np.asarray(se, float),
                         "converged": np.ones(k, bool) if converged is None
                         else np.asarray(converged, bool)})


def test_the_fences_are_tukeys_far_out_ones():
    assert K == 3.0
    # nine values: Q1 is the 3rd (3), Q3 the 7th (7), IQR 4; fences 3 - 12 and 7 + 12
    assert fences(np.array([1, 2, 3, 4, 5, 6, 7, 8, 100.0])) == (3.0, 7.0, -9.0, 19.0)


def test_a_far_out_estimate_is_counted_with_its_value_and_se():
    t = tails(rows([1, 2, 3, 4, 5, 6, 7, 8, 100], se=[1] * 8 + [9]), None)
    assert len(t) == 1
    row = t.iloc[0]
    assert (row.replicates, row.scale, row.true_value) == (9, "estimate", 5.0)
    assert (row.q1, row.q3, row.fence_low, row.fence_high) == (3.0, 7.0, -9.0, 19.0)
    assert (row.far_below, row.far_above) == (0, 1)
    assert (row.extreme, row.extreme_se) == (100.0, 9.0)


def test_failed_fits_and_non_finite_estimates_are_left_out():
    est = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1e9, np.inf]
    t = tails(rows(est, converged=[True] * 9 + [False, True]), None)
    row = t.iloc[0]
    assert row.replicates == 9 and row.far_above == 0 and row.extreme in (1.0, 9.0)


def test_drawn_truths_are_judged_on_the_errors():
    truth = np.arange(9, dtype=float) * 10  # errors 1..8 and 100, as above
    est = truth + np.array([1, 2, 3, 4, 5, 6, 7, 8, 100.0])
    row = tails(rows(est, truth=truth), None).iloc[0]
    assert row.scale == "error" and math.isnan(row.true_value)
    assert (row.fence_low, row.fence_high, row.far_above, row.extreme) == (-9, 19, 1, 100)


def test_no_fences_where_half_the_estimates_share_a_value():
    row = tails(rows([0, 0, 0, 0, 0, 0, 0, 0.2, 0.4]), None).iloc[0]
    assert math.isnan(row.fence_low) and math.isnan(row.fence_high)
    assert (row.far_below, row.far_above) == (0, 0)


def test_one_row_per_cell_and_registered_by_cell():
    df = pd.concat([rows([1, 2, 3, 4, 5, 6, 7, 8, -100], estimator=e, n=n)
                    for e in ("mle", "mom") for n in (10, 20)], ignore_index=True)
    t = tails(df, None)
    assert len(t) == 4 and (t["far_below"] == 1).all()
    assert list(t.columns[:4]) == ["true_mu", "n", "estimator", "estimand"]
    assert REGISTRY["tails"].by == ("n", "estimator", "estimand")


@pytest.mark.parametrize("k", [1, 3])
def test_few_values_give_a_row_without_far_out_ones(k):
    row = tails(rows(np.arange(k, dtype=float)), None).iloc[0]
    assert row.replicates == k and row.far_below == 0 and row.far_above == 0


def test_a_value_on_a_fence_by_its_rounding_is_not_beyond_it():
    """binomial_defects at n = 1 (20 trials, p = 0.3): Q1 = 5/20, Q3 = 7/20, and
    Q3 + 3·IQR = 0.6499999999999999 in floating point, where 13/20 = 0.65 is exactly on
    the fence: not far out. 14/20 is."""
    k = np.array([5] * 5 + [6] * 5 + [7] * 5 + [4, 8, 13])
    row = tails(rows(k / 20), None).iloc[0]
    assert (row.q1, row.q3) == (0.25, 0.35) and row.fence_high < 0.65
    assert row.far_above == 0
    row = tails(rows(np.append(k, 14) / 20), None).iloc[0]
    assert row.far_above == 1
