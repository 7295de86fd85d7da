"""Mergeable statistics: merged per-block moments against the one-pass measures.

The one-pass :func:`fisherlab.stats.measures.performance` is the reference. Every measure
that the merged statistics give must equal it to 1e-12 relative
(:func:`tests.conftest.assert_summaries_close` says how near-zero values are scaled),
on skewed (lognormal), heavy-tailed (Student t, 3 df) and per-replicate-truth data,
with failed fits and missing standard errors, and whatever the chunking.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fisherlab.stats import moments
from fisherlab.stats.cellstats import block_stats, merge_cells
from fisherlab.stats.measures import (
    MEASURES,
    excess_kurtosis,
    performance,
    performance_from_stats,
    summarise,
    summarise_stats,
)

from .conftest import assert_summaries_close

R = 2345  # not a multiple of the seed block: the last block is partial


def rows(kind: str, seed: int = 7, drawn: bool = False) -> pd.DataFrame:
    """One condition × n, two estimators × one estimand, R replicates each."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(3.0, 1.0, R) if drawn else np.full(R, 3.0)
    frames = []
    for est in ("a", "b"):
        if kind == "lognormal":
            err = rng.lognormal(0.0, 1.0, R) - np.exp(0.5)
        elif kind == "t3":
            err = rng.standard_t(3, R)
        else:
            err = rng.exponential(1.0, R) - 1.0
        estimate = truth + 0.2 * err + (0.05 if est == "b" else 0.0)
        se = np.abs(rng.normal(0.2, 0.05, R))
        ok = rng.random(R) > 0.05
        if est == "b":
            se[rng.random(R) < 0.01] = np.nan  # missing SEs: modelse is NaN, as one pass
        frames.append(pd.DataFrame({
            "true_mu": np.nan if drawn else 3.0, "n": 10, "replicate": np.arange(R),
            "estimator": est, "estimand": "mu", "true_value": truth,
            "estimate": np.where(ok, estimate, np.nan), "se": se,
            "ci_low": estimate - 1.96 * se, "ci_high": estimate + 1.96 * se,
            "converged": ok, "reason": np.where(ok, "", "planted")}))
    df = pd.concat(frames, ignore_index=True)
    if drawn:
        df.insert(1, "prior_mu", "Normal(3, 1)")
    return df


def merged(df: pd.DataFrame, cuts, drawn: bool) -> pd.DataFrame:
    """Block statistics of the chunks [cuts[i], cuts[i+1]), merged per cell."""
    parts = [block_stats(df[(df.replicate >= a) & (df.replicate < b)], drawn)
             for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    cells = merge_cells(pd.concat(parts, ignore_index=True))
    head = df[[c for c in df.columns if c.startswith(("true_mu", "prior_"))] + ["n"]].iloc[:1]
    return pd.concat([pd.concat([head] * len(cells), ignore_index=True), cells], axis=1)


@pytest.mark.parametrize("kind", ["lognormal", "t3", "exponential"])
@pytest.mark.parametrize("drawn", [False, True])
def test_merged_statistics_equal_the_one_pass_measures(kind, drawn):
    df = rows(kind, drawn=drawn)
    cells = merged(df, [0, 700, 1500, R], drawn)
    for _, c in cells.iterrows():
        g = df[(df.estimator == c["estimator"]) & df.converged]
        truth = g["true_value"].to_numpy() if drawn else 3.0
        ref = performance(g["estimate"], truth, g["se"], g["ci_low"], g["ci_high"])
        got = performance_from_stats(c, drawn)
        ref = pd.DataFrame([ref]).drop(columns=["becoverage", "becoverage_mcse"])
        got = pd.DataFrame([got]).drop(columns=["becoverage", "becoverage_mcse"])
        assert_summaries_close(got, ref)
        if c["estimator"] == "b":
            assert np.isnan(got["modelse"].iloc[0])  # a missing SE, as in one pass
    # the kurtosis term matters here: heavy tails make empse's MCSE exceed normal theory
    a = cells[cells.estimator == "a"].iloc[0]
    S = a["x_cnt"]
    kappa = moments.excess_kurtosis(moments_of(a))
    g = df[(df.estimator == "a") & df.converged]
    err = g["estimate"] - (g["true_value"] if drawn else 3.0)
    assert kappa == pytest.approx(excess_kurtosis(err), rel=1e-12)
    assert kappa > (1.0 if kind != "exponential" else 0.5) and S > 2000


def moments_of(cell) -> dict:
    return {k: cell[f"x_{k}"] for k in moments.ORDERS}


def test_summary_from_statistics_equals_summarise_with_failures_and_drawn_truths():
    for drawn in (False, True):
        df = rows("t3", seed=3, drawn=drawn)
        ref = summarise(df)
        got = summarise_stats(merged(df, [0, 1200, R], drawn))
        assert list(got.columns) == list(ref.columns)
        assert_summaries_close(got.drop(columns=["becoverage", "becoverage_mcse"]),
                               ref.drop(columns=["becoverage", "becoverage_mcse"]))
        assert (got["n_failed"] > 0).all()


def test_merged_statistics_do_not_depend_on_the_chunking():
    df = rows("lognormal", seed=11)
    a = merged(df, [0, R], False)
    b = merged(df, [0, 100, 200, 1000, 2300, R], False)
    pd.testing.assert_frame_equal(a, b, check_exact=True)  # the same tree over blocks


def test_merge_formulas_against_numpy():
    rng = np.random.default_rng(5)
    x = rng.standard_t(4, 1000) * 3 + 100
    mask = rng.random(1000) > 0.1
    whole = moments.block_moments(x, mask)
    parts = moments.block_moments(x.reshape(10, 100), mask.reshape(10, 100))
    tree = moments.tree_merge(parts)
    v = x[mask]
    d = v - v.mean()
    expect = {"cnt": v.size, "mean": v.mean(), "m2": (d**2).sum(), "m3": (d**3).sum(),
              "m4": (d**4).sum()}
    for k, e in expect.items():
        assert tree[k] == pytest.approx(e, rel=1e-12, abs=1e-12 * abs(expect["m2"])), k
        assert whole[k] == pytest.approx(e, rel=1e-12, abs=1e-12 * abs(expect["m2"])), k


def test_empty_blocks_merge_as_nothing():
    a = moments.block_moments(np.array([[1.0, 2.0, 4.0]]), np.array([[True, True, True]]))
    empty = moments.block_moments(np.array([[9.0, 9.0, 9.0]]), np.zeros((1, 3), bool))
    m = moments.merge(a, empty)
    assert m["cnt"][0] == 3 and m["mean"][0] == pytest.approx(7 / 3)
    assert m["m2"][0] == pytest.approx(a["m2"][0])


def test_summary_measures_are_all_covered():
    c = merged(rows("exponential"), [0, R], False).iloc[0]
    assert set(performance_from_stats(c, False)) == set(MEASURES[2:])
