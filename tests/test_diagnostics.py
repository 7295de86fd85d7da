"""Each diagnostic on inputs with a known answer.

Constructed inputs (exact slopes, exact coverage counts, known failures) test the
arithmetic; real simulated studies (fixed seeds) test the statistics, with tolerances in
Monte Carlo standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fisherlab.diagnostics import bessel, consistency, coverage, efficiency, failures, normality
from fisherlab.diagnostics.consistency import asymptotic_sizes, fit_slope, theoretical_slope
from fisherlab.diagnostics.normality import describe_z, normal_from
from fisherlab.families import get_family

from .conftest import run_study

SIZES = [10, 20, 50, 100, 200, 500, 1000]


def rows(estimates: dict[int, np.ndarray], truth: float, estimator="mle", estimand="theta",
         se=None, lo=None, hi=None, param="theta") -> pd.DataFrame:
    """Replicate rows in the estimates contract from arrays of estimates per n."""
    out = []
    for n, est in estimates.items():
        R = len(est)
        out.append(pd.DataFrame({
            f"true_{param}": truth, "n": n, "replicate": np.arange(R), "estimator": estimator,
            "estimand": estimand, "true_value": truth, "estimate": est,
            "se": se[n] if se is not None else np.full(R, np.nan),
            "ci_low": lo[n] if lo is not None else np.full(R, np.nan),
            "ci_high": hi[n] if hi is not None else np.full(R, np.nan),
            "converged": True, "reason": "", "iterations": 0, "chunk": 0}))
    return pd.concat(out, ignore_index=True)


# --------------------------------------------------------------------------- consistency
def test_fit_slope_is_exact_on_power_laws():
    n = np.array(SIZES, dtype=float)
    for b in (-0.5, -1.0):
        slope, _, se_res = fit_slope(n, 3.0 * n**b, 0.01 * 3.0 * n**b)
        assert slope == pytest.approx(b, abs=1e-12)
        assert se_res == pytest.approx(0.0, abs=1e-10)


def test_theoretical_slopes():
    assert theoretical_slope(get_family("normal")) == -0.5
    assert theoretical_slope(get_family("uniform"), "mle") == -1.0
    assert theoretical_slope(get_family("uniform"), "unbiased") == -1.0
    assert theoretical_slope(get_family("uniform"), "mom") == -0.5  # a function of means
    assert asymptotic_sizes([2, 5, 10, 20, 50, 100, 500]) == [20, 50, 100, 500]
    assert asymptotic_sizes([20, 100]) == [20, 100]


def test_consistency_root_n_against_one_over_n():
    """Sample means (RMSE sigma/sqrt(n)) have slope -1/2; the maximum of n uniforms
    (RMSE sqrt(2/((n+1)(n+2))) ~ sqrt(2)/n) has slope -1; each judged against its family."""
    rng = np.random.default_rng(1)
    means = {n: rng.normal(0.0, 1.0, (2000, n)).mean(axis=1) for n in SIZES}
    maxes = {n: rng.uniform(0.0, 1.0, (2000, n)).max(axis=1) for n in SIZES}
    c_mean = consistency(rows(means, 0.0), get_family("normal")).iloc[0]
    c_max = consistency(rows(maxes, 1.0), get_family("uniform")).iloc[0]
    assert abs(c_mean.slope + 0.5) < 3 * c_mean.slope_se
    assert c_mean.verdict == "as theory"
    assert abs(c_max.slope + 1.0) < 3 * c_max.slope_se
    assert c_max.verdict == "as theory"
    # the 1/n estimator judged against the regular rate is flagged, and vice versa
    assert consistency(rows(maxes, 1.0), get_family("normal")).iloc[0].verdict == "faster"
    assert consistency(rows(means, 0.0), get_family("uniform")).iloc[0].verdict == "slower"


# --------------------------------------------------------------------------- normality
def test_normal_sample_passes_and_uniform_max_fails():
    rng = np.random.default_rng(2)
    ok = describe_z(rng.standard_normal(2000))
    assert ok["verdict"] == "normal" and ok["test"] == "KS"
    assert abs(ok["mean"]) < 4 / np.sqrt(2000) and abs(ok["skew"]) < 4 * np.sqrt(6 / 2000)
    # n (1 - max) -> Exp(1): standardised, skewness near -2 and excess kurtosis near 6
    n = 500
    m = rng.uniform(0.0, 1.0, (2000, n)).max(axis=1)
    z = (m - 1.0) / np.sqrt(n / ((n + 1) ** 2 * (n + 2)))
    bad = describe_z(z)
    assert bad["verdict"] == "not normal"
    # the max of n uniforms is Beta(n, 1): its exact skewness, within 4 MCSE of the
    # sample skewness (MCSE by scipy's bootstrap: skewness is far from normal here)
    from scipy import stats

    exact = float(stats.beta(n, 1).stats(moments="s"))
    mcse = stats.bootstrap((z,), stats.skew, n_resamples=2000, vectorized=True,
                           rng=np.random.default_rng(0)).standard_error
    assert abs(bad["skew"] - exact) < 4 * mcse


def test_lattice_estimates_use_k2_not_ks():
    """A binomial proportion is a lattice: KS against N(0, 1) rejects it for its steps,
    while the K^2 shape test keeps its level. Over 200 datasets of 2000 standardised
    proportions (n = 400, p = 1/2), K^2 rejects at about the 1% level (binomial MCSE
    sqrt(0.01 * 0.99 / 200) = 0.007) and KS rejects far more than 1% of them."""
    from scipy import stats

    rng = np.random.default_rng(3)
    n, p = 400, 0.5
    z = (rng.binomial(n, p, (200, 2000)) / n - p) / np.sqrt(p * (1 - p) / n)
    res = [describe_z(row) for row in z]
    assert {r["test"] for r in res} == {"K2"}
    rejected = np.mean([r["verdict"] == "not normal" for r in res])
    assert rejected < 0.01 + 4 * np.sqrt(0.01 * 0.99 / 200)
    ks = np.mean([stats.kstest(row, "norm").pvalue < 0.01 for row in z])
    assert ks > 0.2  # 40% here: far above its 1% level


@pytest.fixture(scope="module")
def uniform_rows(tmp_path_factory):
    path = tmp_path_factory.mktemp("u") / "u.yaml"
    path.write_text("""description: uniform max
model: {family: uniform, params: {lower: 0.0, upper: 1.0}}
sample_sizes: [5, 20, 100, 400]
replications: 1000
seed: 7
estimators: [mle, unbiased, mom]
""")
    return run_study(path)


def test_uniform_max_flagged_not_normal_at_every_n(uniform_rows):
    t = normality(uniform_rows, get_family("uniform"))
    assert set(t["standardisation"]) == {"se"}  # no Fisher information
    for est in ("mle", "unbiased"):
        cell = t[(t.estimator == est) & (t.estimand == "upper")]
        assert len(cell) == 4 and (cell["verdict"] == "not normal").all()
    # the method of moments is a smooth function of means: normal at the largest n
    mom = t[(t.estimator == "mom") & (t.estimand == "upper") & (t.n == 400)]
    assert (mom["verdict"] == "normal").all()
    nf = normal_from(t)
    assert nf[(nf.estimator == "mle")]["normal_at"].eq(0).all()
    assert efficiency(uniform_rows, get_family("uniform")).empty


def test_uniform_consistency_and_bessel(uniform_rows):
    fam = get_family("uniform")
    c = consistency(uniform_rows, fam)
    assert (c["verdict"] == "as theory").all(), c
    b = bessel(uniform_rows, fam)
    mle = b[(b.estimator == "mle") & (b.estimand == "upper")]
    # E[max] - upper = -w/(n+1)
    assert np.allclose(mle["theory_bias"], -1.0 / (mle["n"] + 1))
    assert (mle["bias_z"].abs() < 4).all()


# --------------------------------------------------------------------------- Bessel, CRLB
@pytest.fixture(scope="module")
def normal_rows(tmp_path_factory):
    path = tmp_path_factory.mktemp("n") / "n.yaml"
    path.write_text("""description: normal
model: {family: normal, params: {mu: 1.0, sigma: 2.0}}
sample_sizes: [5, 20, 100]
replications: 2000
seed: 11
estimators: [mle, unbiased]
""")
    return run_study(path)


def test_bessel_normal_variance(normal_rows):
    b = bessel(normal_rows, get_family("normal"))
    assert "mu" not in set(b["estimand"])  # every estimator of mu is the same sample mean
    mle = b[(b.estimator == "mle") & (b.estimand == "sigma2")].sort_values("n")
    unb = b[(b.estimator == "unbiased") & (b.estimand == "sigma2")].sort_values("n")
    assert np.allclose(mle["theory_bias"], -4.0 / mle["n"])  # -sigma^2/n
    assert (mle["bias_z"].abs() < 4).all() and (unb["bias_z"].abs() < 4).all()
    # MSE(1/n) / MSE(1/(n-1)) = (2n-1)(n-1)/(2n^2) < 1: the biased MLE is closer
    n = mle["n"].to_numpy()
    exact = (2 * n - 1) * (n - 1) / (2 * n**2)
    assert (mle["mse_ratio"].to_numpy() < 1).all()
    assert np.allclose(mle["mse_ratio"].to_numpy(), exact, rtol=0.1)


def test_efficiency_of_the_normal_mean_is_one(normal_rows):
    e = efficiency(normal_rows, get_family("normal"))
    mu = e[(e.estimand == "mu")]
    assert np.allclose(mu["crlb"], 4.0 / mu["n"])  # sigma^2 / n
    assert ((mu["var_ratio"] - 1).abs() < 4 * mu["var_ratio_mcse"]).all()
    # Var(s^2) = 2 sigma^4/(n-1) against the bound 2 sigma^4/n: ratio n/(n-1)
    s2 = e[(e.estimand == "sigma2") & (e.estimator == "unbiased")]
    exact = s2["n"] / (s2["n"] - 1)
    assert ((s2["var_ratio"] - exact).abs() < 4 * s2["var_ratio_mcse"]).all()


# --------------------------------------------------------------------------- coverage
@pytest.mark.parametrize(("hits", "verdict"), [(950, "nominal"), (900, "under"),
                                               (990, "over")])
def test_coverage_exact_counts(hits, verdict):
    S = 1000
    est = np.zeros(S)
    lo, hi = np.full(S, -1.0), np.full(S, 1.0)
    lo[hits:] = 0.5  # these intervals [0.5, 1] miss the truth 0
    t = coverage(rows({10: est}, 0.0, lo={10: lo}, hi={10: hi}), level=0.95).iloc[0]
    assert t.coverage == hits / S
    assert t.coverage_mcse == pytest.approx(np.sqrt(hits / S * (1 - hits / S) / S))
    assert t.band_low == pytest.approx(0.95 - 2 * np.sqrt(0.95 * 0.05 / S))
    assert t.verdict == verdict
    assert t.width == pytest.approx((2.0 * hits + 0.5 * (S - hits)) / S)


def test_coverage_of_the_exact_t_interval(normal_rows):
    t = coverage(normal_rows, 0.95)
    exact = t[(t.estimator == "unbiased") & (t.estimand == "mu")]
    assert ((exact["coverage"] - 0.95).abs() < 4 * np.sqrt(0.95 * 0.05 / 2000)).all()


# --------------------------------------------------------------------------- failures
def test_failures_counted_per_reason():
    df = rows({10: np.zeros(6)}, 0.0)
    df = pd.concat([df, df.assign(estimand="other")], ignore_index=True)
    df.loc[[0, 1, 6], "converged"] = False  # replicate 0 fails for both estimands
    df.loc[[0, 6], "reason"] = "separation"
    df.loc[1, "reason"] = ""
    t = failures(df)
    assert list(t["reason"]) == ["separation", "unspecified"]
    assert list(t["failed"]) == [1, 1] and list(t["of"]) == [6, 6]
    assert t["estimands"].iloc[0] == "other, theta"
    assert failures(rows({10: np.zeros(6)}, 0.0)).empty
