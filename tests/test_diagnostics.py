"""Each diagnostic on inputs with a known answer.

Constructed inputs (exact slopes, exact coverage counts, known failures) test the
arithmetic; real simulated studies (fixed seeds) test the statistics, with tolerances in
Monte Carlo standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from fisherlab.diagnostics.bessel import bessel
from fisherlab.diagnostics.consistency import (
    asymptotic_sizes,
    consistency,
    fit_slope,
    theoretical_slope,
)
from fisherlab.diagnostics.coverage import coverage
from fisherlab.diagnostics.efficiency import efficiency, with_bound
from fisherlab.diagnostics.normality import describe_many, describe_z, normality
from fisherlab.estimators import make_estimator
from fisherlab.families import get_family
from fisherlab.families.fallbacks import Information
from fisherlab.spec.load import load_study
from fisherlab.stats.measures import variance_rel_mcse

from .conftest import judged, run_study, study_for

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
    for name, slope in (("mle", -1.0), ("unbiased", -1.0), ("mom", -0.5)):
        # the method of moments is moment_based (a function of means): -1/2 anywhere
        assert theoretical_slope(get_family("uniform"), make_estimator(name)) == slope
    assert asymptotic_sizes([2, 5, 10, 20, 50, 100, 500]) == [20, 50, 100, 500]
    assert asymptotic_sizes([20, 100]) == [20, 100]


def test_consistency_root_n_against_one_over_n():
    """Sample means (RMSE sigma/sqrt(n)) have slope -1/2; the maximum of n uniforms
    (RMSE sqrt(2/((n+1)(n+2))) ~ sqrt(2)/n) has slope -1; each judged against its family."""
    rng = np.random.default_rng(1)
    means = {n: rng.normal(0.0, 1.0, (2000, n)).mean(axis=1) for n in SIZES}
    maxes = {n: rng.uniform(0.0, 1.0, (2000, n)).max(axis=1) for n in SIZES}
    def rate(estimates, truth, family):
        t = consistency(rows(estimates, truth), study_for(family))
        return t.iloc[0], judged("rate", t).verdict.iloc[0]

    (c_mean, v_mean), (c_max, v_max) = rate(means, 0.0, "normal"), rate(maxes, 1.0, "uniform")
    assert abs(c_mean.slope + 0.5) < 3 * c_mean.slope_se
    assert v_mean == "as theory"
    assert abs(c_max.slope + 1.0) < 3 * c_max.slope_se
    assert v_max == "as theory"
    # the 1/n estimator judged against the regular rate is flagged, and vice versa
    assert rate(maxes, 1.0, "normal")[1] == "faster"
    assert rate(means, 0.0, "uniform")[1] == "slower"


# --------------------------------------------------------------------------- normality
def z_verdict(z, lattice=None) -> dict:
    """describe_z's statistics of ``z`` with the normality rule's verdict and its band."""
    got = describe_z(z, lattice)
    row = pd.DataFrame([{**got, "n": 10, "estimator": "mle", "estimand": "theta",
                         "standardisation": "se"}])
    v = judged("normality", row).iloc[0]
    return {**got, "verdict": v["verdict"], "crit": v["high"]}


def test_describe_many_gives_each_sample_scipy_s_numbers():
    """Samples of one size tested together along an axis: every statistic equals scipy's
    for that sample alone, bit for bit (and a lattice's K² and the short, degenerate and
    unequal samples are as one at a time)."""
    rng = np.random.default_rng(5)
    same = [rng.standard_t(4, 300) for _ in range(4)]
    same[1][:3] = np.inf  # a standard error of 0: KS takes it, the moments do not
    lattice = rng.binomial(10, 0.3, 300) / 10.0
    items = [(z, None) for z in same] + [(rng.standard_normal(120), None), (lattice, True),
                                         (np.ones(50), None), (rng.standard_normal(10), None)]
    got = describe_many(items)
    for (z, _), row in zip(items[:5], got[:5], strict=True):
        fin = z[np.isfinite(z)]
        ks = stats.kstest(z, "norm")
        assert row["test"] == "KS" and row["S"] == z.size
        assert (row["statistic"], row["pvalue"]) == (ks.statistic, ks.pvalue)
        assert (row["skew"], row["ex_kurtosis"]) == (stats.skew(fin), stats.kurtosis(fin))
    k2 = stats.normaltest(lattice)
    assert got[5]["test"] == "K2" and (got[5]["statistic"], got[5]["pvalue"]) == (
        k2.statistic, k2.pvalue)
    assert got[6]["test"] == "degenerate" and got[7]["test"] == "" and got[7]["S"] == 10
    assert got == [describe_z(z, lat) for z, lat in items]


def test_groups_of_one_group_are_pandas_groups():
    """A frame that is one group yields the key pandas gives (values and types, a NaN
    key too) and the same rows, without a groupby; two groups go through pandas."""
    from fisherlab.diagnostics._common import groups

    df = pd.DataFrame({"true_mu": [np.nan] * 3, "n": [5] * 3, "estimator": ["mle"] * 3,
                       "estimate": [1.0, 2.0, 3.0]})
    keys = ["true_mu", "n", "estimator"]
    (k1, g1), = list(groups(df, keys))
    (k2, g2), = list(df.groupby(keys, sort=True, dropna=False))
    assert [type(v) for v in k1] == [type(v) for v in k2] and k1[1:] == k2[1:]
    assert np.isnan(k1[0]) and np.isnan(k2[0])
    pd.testing.assert_frame_equal(g1, g2)
    two = pd.concat([df, df.assign(n=20)], ignore_index=True)
    assert [k for k, _ in groups(two, keys)][1][1] == 20


def test_normal_sample_passes_and_uniform_max_fails():
    rng = np.random.default_rng(2)
    ok = z_verdict(rng.standard_normal(2000))
    assert ok["verdict"] == "normal" and ok["test"] == "KS"
    assert abs(ok["mean"]) < 4 / np.sqrt(2000) and abs(ok["skew"]) < 4 * np.sqrt(6 / 2000)
    # n (1 - max) -> Exp(1): standardised, skewness near -2 and excess kurtosis near 6
    n = 500
    m = rng.uniform(0.0, 1.0, (2000, n)).max(axis=1)
    z = (m - 1.0) / np.sqrt(n / ((n + 1) ** 2 * (n + 2)))
    bad = z_verdict(z)
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
    res = [z_verdict(row) for row in z]
    assert {r["test"] for r in res} == {"K2"}
    rejected = np.mean([r["verdict"] == "not normal" for r in res])
    assert rejected < 0.01 + 4 * np.sqrt(0.01 * 0.99 / 200)
    ks = np.mean([stats.kstest(row, "norm").pvalue < 0.01 for row in z])
    assert ks > 0.2  # 40% here: far above its 1% level


def with_ks_statistic(S: int, D: float) -> np.ndarray:
    """S values whose KS statistic against N(0, 1) is D: the normal quantiles at
    v_i = (i - 1/2)/S moved to v_i + delta 4 v_i (1 - v_i) (increasing and inside (0, 1)
    for delta < 1/4), which puts the ECDF's largest gap, 1/(2S) + delta (1 - 1/S^2), at
    the median."""
    v = (np.arange(1, S + 1) - 0.5) / S
    delta = (D - 0.5 / S) / (1 - 1 / S**2)
    assert 0 < delta < 0.25
    return special.ndtri(v + delta * 4 * v * (1 - v))


@pytest.mark.parametrize("S", [200, 1000])
def test_ks_critical_value_and_verdict_agree(S):
    """crit is the KS statistic's 99% point for S values (ALPHA = 0.01), and the verdict
    is 'normal' exactly when the statistic is at most crit: checked just inside, just
    outside (between the 99% and 99.5% points) and far outside."""
    from scipy import stats

    crit = stats.kstwo.ppf(1 - 0.01, S)
    wider = stats.kstwo.ppf(1 - 0.01 / 2, S)
    cases = [(0.95 * crit, "normal"), ((crit + wider) / 2, "not normal"),
             (1.5 * wider, "not normal")]
    for D, verdict in cases:
        z = with_ks_statistic(S, D)
        assert stats.kstest(z, "norm").statistic == pytest.approx(D, rel=1e-9)
        got = z_verdict(z, lattice=False)
        assert got["test"] == "KS" and got["S"] == S
        assert got["crit"] == pytest.approx(crit, rel=1e-12)
        assert got["statistic"] == pytest.approx(D, rel=1e-9)
        assert got["verdict"] == verdict, (D, crit, got)
        assert (got["verdict"] == "normal") == (got["statistic"] <= got["crit"])
    ok = z_verdict(np.random.default_rng(5).standard_normal(S))
    assert ok["crit"] == pytest.approx(crit, rel=1e-12)
    assert ok["verdict"] == "normal" and ok["statistic"] <= ok["crit"]


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
    return load_study(path), run_study(path)


def test_uniform_max_flagged_not_normal_at_every_n(uniform_rows):
    study, uniform_rows = uniform_rows
    t = normality(uniform_rows, study)
    assert set(t["standardisation"]) == {"se"}  # no Fisher information
    t = t.assign(verdict=judged("normality", t)["verdict"].to_numpy())
    for est in ("mle", "unbiased"):
        cell = t[(t.estimator == est) & (t.estimand == "upper")]
        assert len(cell) == 4 and (cell["verdict"] == "not normal").all()
    # the method of moments is a smooth function of means: normal at the largest n
    mom = t[(t.estimator == "mom") & (t.estimand == "upper") & (t.n == 400)]
    assert (mom["verdict"] == "normal").all()
    eff = efficiency(uniform_rows, study)
    assert with_bound(eff).empty
    assert set(eff["crlb_source"]) == {"none: a non-regular family has no Fisher information"}


def test_uniform_consistency_and_bessel(uniform_rows):
    study, uniform_rows = uniform_rows
    c = consistency(uniform_rows, study)
    assert (judged("rate", c)["verdict"] == "as theory").all(), c
    b = bessel(uniform_rows, study)
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
estimands: [mu, sigma2]
""")  # sigma2 named: the normal's default estimands are mu and sigma
    return load_study(path), run_study(path)


def squared_errors(df: pd.DataFrame, estimator: str, estimand: str, n: int) -> np.ndarray:
    """(estimate - truth)^2 of one cell, in replicate order."""
    g = df[(df.estimator == estimator) & (df.estimand == estimand) & (df.n == n)]
    g = g.sort_values("replicate")
    return (g["estimate"].to_numpy(float) - g["true_value"].to_numpy(float)) ** 2


def test_normality_table_crit_is_the_ks_99_percent_point(normal_rows):
    from scipy import stats

    t = normality(normal_rows[1], normal_rows[0])
    v = judged("normality", t)
    t = t.assign(verdict=v["verdict"].to_numpy(), crit=v["high"].to_numpy())
    ks = t[t["test"] == "KS"]
    assert len(ks) >= 6
    for row in ks.itertuples():
        assert row.crit == pytest.approx(stats.kstwo.ppf(1 - 0.01, row.S), rel=1e-12)
        assert (row.verdict == "normal") == (row.statistic <= row.crit)
    assert t.loc[t["test"] != "KS", "crit"].isna().all()


def test_bessel_normal_variance(normal_rows):
    study, df = normal_rows
    b = bessel(df, study)
    assert "mu" not in set(b["estimand"])  # every estimator of mu is the same sample mean
    mle = b[(b.estimator == "mle") & (b.estimand == "sigma2")].sort_values("n")
    unb = b[(b.estimator == "unbiased") & (b.estimand == "sigma2")].sort_values("n")
    assert list(mle["n"]) == list(unb["n"]) == [5, 20, 100]
    assert np.allclose(mle["theory_bias"], -4.0 / mle["n"])  # -sigma^2/n
    assert (mle["bias_z"].abs() < 4).all() and (unb["bias_z"].abs() < 4).all()
    # MSE(1/n) / MSE(1/(n-1)) = (2n-1)(n-1)/(2n^2) < 1: the biased MLE is closer
    n = mle["n"].to_numpy()
    exact = (2 * n - 1) * (n - 1) / (2 * n**2)
    ratio = mle["mse_ratio"].to_numpy()
    assert (ratio < 1).all()
    np.testing.assert_allclose(ratio, mle["mse"].to_numpy() / unb["mse"].to_numpy(),
                               rtol=1e-12)
    # The ratio's MCSE: both MSEs come from the same datasets (the MLE is (n-1)/n times
    # the unbiased estimate), so their errors nearly cancel and the independent-errors
    # form ratio * hypot(mse_mcse / mse, ...) from the table's columns is 3-14 times too
    # wide (a ratio of 1 would pass it at n = 20 and 100). The delta method on the
    # paired squared errors a_i, b_i: MCSE(mean a / mean b) = sd(a - ratio b) /
    # (sqrt(S) mean b); here 0.013, 0.0067, 0.0031 at n = 5, 20, 100 (z = 1.2, -0.8,
    # 0.1), and a ratio of 1 would be 4.5 MCSEs (n = 100) or more from theory.
    for i, size in enumerate(n):
        a = squared_errors(df, "mle", "sigma2", size)
        c = squared_errors(df, "unbiased", "sigma2", size)
        assert a.size == c.size == 2000
        mcse = np.std(a - ratio[i] * c, ddof=1) / (np.sqrt(a.size) * c.mean())
        assert abs(ratio[i] - exact[i]) < 4 * mcse, (size, ratio[i], exact[i], mcse)


def test_efficiency_of_the_normal_mean_is_one(normal_rows):
    e = efficiency(normal_rows[1], normal_rows[0])
    mu = e[(e.estimand == "mu")]
    assert len(mu) == 2 * 3
    assert np.allclose(mu["crlb"], 4.0 / mu["n"])  # sigma^2 / n
    assert ((mu["var_ratio"] - 1).abs() < 4 * mu["var_ratio_mcse"]).all()
    # Var(s^2) = 2 sigma^4/(n-1) against the bound 2 sigma^4/n: ratio n/(n-1)
    s2 = e[(e.estimand == "sigma2") & (e.estimator == "unbiased")]
    assert len(s2) == 3
    exact = s2["n"] / (s2["n"] - 1)
    assert ((s2["var_ratio"] - exact).abs() < 4 * s2["var_ratio_mcse"]).all()


def test_a_monte_carlo_information_adds_its_error_to_the_efficiency_mcse(normal_rows,
                                                                        monkeypatch):
    """Every bundled closed form has relative error 0; an information known only to
    ±5% (Monte Carlo) widens the MCSE of Var/CRLB: ratio * hypot(rel. MCSE of the
    variance, 0.05)."""
    study, df = normal_rows
    closed = study.family.information
    rel = 0.05

    def sampled(theta):
        info = closed(theta)
        return Information(info.matrix, "Monte Carlo (±5%)", rel, rel * np.abs(info.matrix))

    plain = efficiency(df, study)
    monkeypatch.setattr(study.family, "information", sampled)
    e = efficiency(df, study)
    assert len(e) == 2 * 2 * 3 and (e["crlb_source"] == "Monte Carlo (±5%)").all()
    pd.testing.assert_series_equal(e["var_ratio"], plain["var_ratio"])  # the same bound
    for row in e.itertuples():
        g = df[(df.estimator == row.estimator) & (df.estimand == row.estimand)
               & (df.n == row.n) & df.converged]
        err = g["estimate"].to_numpy(float) - g["true_value"].to_numpy(float)
        assert row.var_ratio == pytest.approx(np.var(err, ddof=1) / row.crlb, rel=1e-12)
        want = row.var_ratio * np.hypot(variance_rel_mcse(err), rel)
        assert row.var_ratio_mcse == pytest.approx(want, rel=1e-12)
        assert row.var_ratio_mcse > 1.2 * row.var_ratio * variance_rel_mcse(err)


# --------------------------------------------------------------------------- coverage
@pytest.mark.parametrize(("hits", "verdict"), [(950, "nominal"), (900, "under"),
                                               (990, "over")])
def test_coverage_exact_counts(hits, verdict):
    S = 1000
    est = np.zeros(S)
    lo, hi = np.full(S, -1.0), np.full(S, 1.0)
    lo[hits:] = 0.5  # these intervals [0.5, 1] miss the truth 0
    table = coverage(rows({10: est}, 0.0, lo={10: lo}, hi={10: hi}), study_for(level=0.95))
    t, v = table.iloc[0], judged("coverage", table).iloc[0]
    assert t.coverage == hits / S
    assert t.coverage_mcse == pytest.approx(np.sqrt(hits / S * (1 - hits / S) / S))
    # the band is the exact binomial test's acceptance region at 1%, found here by
    # testing every count
    from scipy import stats

    accepted = [k for k in range(S + 1) if stats.binomtest(k, S, 0.95).pvalue >= 0.01]
    assert (v["low"], v["high"]) == (min(accepted) / S, max(accepted) / S)
    assert v["verdict"] == verdict
    assert t.width == pytest.approx((2.0 * hits + 0.5 * (S - hits)) / S)


def test_coverage_of_the_exact_t_interval(normal_rows):
    t = coverage(normal_rows[1], normal_rows[0])
    exact = t[(t.estimator == "unbiased") & (t.estimand == "mu")]
    assert exact["exact"].all()  # the estimator declares it: a t pivot
    assert ((exact["coverage"] - 0.95).abs() < 4 * np.sqrt(0.95 * 0.05 / 2000)).all()


# --------------------------------------------------------------------------- designs
def test_regression_efficiency_uses_the_study_design(tmp_path):
    """OLS slope with an N(50, 15) covariate and sigma = 2: Var(beta1_hat) =
    sigma^2 E[1/sum (x - xbar)^2] = sigma^2 / (15^2 (n - 3)) (1/chi^2_{n-1} has mean
    1/(n-3)), against the bound sigma^2 / (n 15^2): n Var I = n / (n - 3) exactly, -> 1.
    The bound must come from the study's design, not a standard-normal default."""
    path = tmp_path / "reg.yaml"
    path.write_text("""description: slope with a wide covariate
model:
  family: linear_regression
  params: {beta0: 1.0, beta1: 0.5, sigma: 2.0}
  design: {covariates: [{name: income, distribution: norm, loc: 50, scale: 15}]}
sample_sizes: [20, 100, 1000]
replications: 2000
seed: 21
estimators: [mle]
estimands: [beta1]
""")
    study = load_study(path)
    e = efficiency(run_study(path), study).sort_values("n")
    n = e["n"].to_numpy()
    assert np.allclose(e["crlb"], 4.0 / (n * 225.0))  # 1.8e-4 at n = 100
    exact = n / (n - 3)
    assert (np.abs(e["var_ratio"] - exact) < 4 * e["var_ratio_mcse"]).all(), e
    big = e.iloc[-1]
    assert abs(big["var_ratio"] - 1) < 4 * big["var_ratio_mcse"]


def test_two_covariates_with_beta2_run_through_every_diagnostic(tmp_path):
    path = tmp_path / "reg2.yaml"
    path.write_text("""description: two covariates
model:
  family: linear_regression
  params: {beta0: 0.0, beta1: 1.0, beta2: -0.5, sigma: 1.0}
  design: {p: 2}
sample_sizes: [10, 40]
replications: 200
seed: 22
estimators: [mle, unbiased]
estimands: [beta1, beta2, sigma2]
""")
    from fisherlab.diagnostics import run_all

    study = load_study(path)
    tables = run_all(run_study(path), study)
    eff = tables["efficiency"]
    b2 = eff[eff["estimand"] == "beta2"]
    # standard normal covariates: the bound of each slope is sigma^2 / n
    assert len(b2) == 4 and np.allclose(b2["crlb"], 1.0 / b2["n"])


def test_the_paired_mse_difference_against_exact_theory_and_its_verdict(normal_rows):
    """MSE(S²_n) − MSE(S²_{n−1}) = σ⁴((2n − 1)/n² − 2/(n − 1)) (−5.6, −0.43, −0.039 at
    σ = 2, n = 5, 20, 100): the table's paired difference is within 4 of its MCSEs of it,
    the MCSE is the sd of the per-replicate differences over √2000, and the rule says
    'lower MSE' where the difference is beyond 3 MCSE, 'cannot tell' within."""
    study, df = normal_rows
    b = bessel(df, study)
    mle = b[(b.estimator == "mle") & (b.estimand == "sigma2")].sort_values("n")
    n = mle["n"].to_numpy()
    exact = 16.0 * ((2 * n - 1) / n**2 - 2 / (n - 1))
    assert (np.abs(mle["mse_diff"].to_numpy() - exact)
            < 4 * mle["mse_diff_mcse"].to_numpy()).all(), (mle["mse_diff"], exact)
    for size, row in zip(n, mle.itertuples(), strict=True):
        d = squared_errors(df, "mle", "sigma2", size) - squared_errors(
            df, "unbiased", "sigma2", size)
        assert row.pairs == 2000 and row.mse_diff == pytest.approx(d.mean(), rel=1e-12)
        assert row.mse_diff_mcse == pytest.approx(d.std(ddof=1) / np.sqrt(2000), rel=1e-12)
    v = judged("mse vs unbiased", b[~b["unbiased"].astype(bool)])
    z = (mle["mse_diff"] / mle["mse_diff_mcse"]).to_numpy()
    words = v[v.estimand == "sigma2"].sort_values("n")["verdict"].tolist()
    assert words == ["lower MSE" if zi < -3 else "cannot tell" for zi in z]
    assert words[0] == "lower MSE"  # n = 5: -5.6, about 40 MCSE


def test_the_uniform_mle_against_the_umvue_by_their_exact_mse_difference(uniform_rows):
    """Uniform(0, 1), both ends unknown: the MLE of upper is the maximum a, with MSE
    2/((n+1)(n+2)); the unbiased estimator (n a − b)/(n − 1) (b the minimum) has variance
    n/((n+1)(n+2)(n−1)); so MSE(MLE) − MSE(unbiased) = (n − 2)/((n+1)(n+2)(n−1)): 0 at
    n = 2 (uniform_max's equal MSEs), positive after. The paired difference is within 4
    MCSE of it at every n, and the rule says 'higher MSE' exactly where it is beyond 3."""
    study, rows = uniform_rows
    b = bessel(rows, study)
    mle = b[(b.estimator == "mle") & (b.estimand == "upper")].sort_values("n")
    n = mle["n"].to_numpy(float)
    exact = (n - 2) / ((n + 1) * (n + 2) * (n - 1))
    assert (np.abs(mle["mse_diff"].to_numpy() - exact)
            < 4 * mle["mse_diff_mcse"].to_numpy()).all(), (mle["mse_diff"], exact)
    v = judged("mse vs unbiased", b[~b["unbiased"].astype(bool)])
    words = v[(v.estimator == "mle") & (v.estimand == "upper")].sort_values("n")["verdict"]
    z = (mle["mse_diff"] / mle["mse_diff_mcse"]).to_numpy()
    assert words.tolist() == ["higher MSE" if zi > 3 else "cannot tell" for zi in z]
    assert words.iloc[0] == "higher MSE"  # n = 5: 3/168, many MCSEs
