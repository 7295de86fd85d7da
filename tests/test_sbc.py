"""Simulation-based calibration: truths drawn from a prior, per-row measures, PIT, draws.

With truths drawn from the analysis prior, a correct posterior covers the truth at its
nominal level and its PIT values are uniform (Cook, Gelman & Rubin 2006; Talts et al.
2018). The Beta-Bernoulli posterior is known exactly, which tests the machinery without
PyMC; one small PyMC test checks the ``posterior`` estimator's PIT and kept draws.

Thresholds: coverage within 4 Monte Carlo SEs of 0.95; a KS test of uniformity "passes"
at p > 0.001 and a deliberately wrong prior must give p < 1e-6 (fixed seeds, no retries).
"""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fisherlab.diagnostics.failures import failure_rates
from fisherlab.measures import performance, summarise
from fisherlab.simulate import draw_with_truth, run_chunk
from fisherlab.study import StudyError, load_study

A, B = 2.0, 2.0
PRIOR = {"dist": "Beta", "alpha": A, "beta": B}


def _spec(n=5, stop=100, estimators=(), seed=11, prior=PRIOR):
    return {"study": "t", "family": "bernoulli", "params": {"p": dict(prior)}, "n": n,
            "chunk": 0, "start": 0, "stop": stop, "seed": seed, "level": 0.95,
            "estimators": list(estimators), "estimands": ["p"]}


def _study(tmp_path, params: str, name="s"):
    f = tmp_path / f"{name}.yaml"
    f.write_text(f"description: x\nmodel: {{family: bernoulli, params: {params}}}\n"
                 "sample_sizes: [5]\nreplications: 100\nseed: 1\nestimators: [mle]\n")
    return f


# --------------------------------------------------------------------------- the study file
def test_study_prior_param(tmp_path):
    s = load_study(_study(tmp_path, "{p: {dist: Beta, alpha: 2, beta: 2}}"))
    (cond,) = s.conditions()
    assert cond.param_id == "p=prior" and cond.id == "p=prior/n5"
    assert f"{s.params['p'][0]:g}" == "Beta(alpha=2, beta=2)"  # reports format it
    assert json.loads(json.dumps(s.spec(s.chunks(100)[0])))["params"]["p"] == PRIOR


@pytest.mark.parametrize(("params", "key", "words"), [
    ("{p: {dist: Normal, mu: 0, sigma: 1}}", "model.params.p.dist", "outside the domain"),
    ("{p: {dist: Betta, alpha: 2, beta: 2}}", "model.params.p.dist", "did you mean 'Beta'"),
    ("{p: {dist: Beta, alpha: -1, beta: 2}}", "model.params.p.alpha", "must be > 0"),
    ("{p: {dist: Beta, alpha: 2, gamma: 2}}", "model.params.p.gamma", "not a keyword"),
    ("{p: {alpha: 2}}", "model.params.p.dist", "is missing"),
])
def test_study_bad_prior_param(tmp_path, params, key, words):
    with pytest.raises(StudyError) as exc:
        load_study(_study(tmp_path, params))
    assert exc.value.key == key and words in exc.value.problem
    assert exc.value.file.endswith("s.yaml")


def test_study_prior_on_fixed_param(tmp_path):
    f = tmp_path / "b.yaml"
    f.write_text("description: x\nmodel: {family: binomial, params: {trials: {dist: Gamma, "
                 "alpha: 2, beta: 1}, p: 0.3}}\nsample_sizes: [5]\nreplications: 100\n"
                 "seed: 1\nestimators: [mle]\n")
    with pytest.raises(StudyError) as exc:
        load_study(f)
    assert exc.value.key == "model.params.trials" and "only an estimated" in exc.value.problem


# --------------------------------------------------------------------------- drawing truths
def test_truths_follow_the_prior_and_are_reproducible():
    spec = _spec(n=50, stop=3000)
    theta, x = draw_with_truth(spec)
    theta2, x2 = draw_with_truth(spec)
    assert np.array_equal(theta["p"], theta2["p"]) and np.array_equal(x, x2)  # bit-identical
    assert theta["p"].shape == (3000,) and x.shape == (3000, 50)
    assert stats.kstest(theta["p"], stats.beta(A, B).cdf).pvalue > 0.001
    # each dataset is drawn with its own truth: E[mean x_i | p_i] = p_i, Var = p(1-p)/n
    z = (x.mean(axis=1) - theta["p"]) / np.sqrt(theta["p"] * (1 - theta["p"]) / 50)
    m = performance(z, 0.0)  # mean 0 and SD 1, each within 4 MCSE (Morris Table 6)
    assert abs(m["bias"]) < 4 * m["bias_mcse"] and abs(m["empse"] - 1) < 4 * m["empse_mcse"]
    # chunking does not matter: replicates 100..199 alone equal rows 100..199
    part, xp = draw_with_truth({**spec, "start": 100, "stop": 200})
    assert np.array_equal(part["p"], theta["p"][100:200]) and np.array_equal(xp, x[100:200])
    # another prior is another condition: other seeds
    other, _ = draw_with_truth(_spec(n=50, stop=100, prior={**PRIOR, "alpha": 3.0}))
    assert not np.array_equal(other["p"], theta["p"][:100])


# --------------------------------------------------------------------------- measures
def test_performance_with_per_row_truth_by_hand():
    est = np.array([0.2, 0.5, 0.9, 0.4])
    truth = np.array([0.1, 0.6, 0.7, 0.4])
    lo, hi = est - 0.15, est + 0.15
    m = performance(est, truth, np.full(4, 0.1), lo, hi)
    err = est - truth  # 0.1, -0.1, 0.2, 0
    assert m["bias"] == pytest.approx(0.05)
    assert m["bias_mcse"] == pytest.approx(err.std(ddof=1) / 2)
    assert m["mse"] == pytest.approx(np.mean(err**2))
    assert m["empse"] == pytest.approx(err.std(ddof=1))
    assert m["coverage"] == 0.75  # |err| <= 0.15 except replicate 3
    assert math.isnan(m["rel_bias"])
    # a constant per-row truth gives exactly the fixed-truth measures
    fixed = performance(est, 0.5, np.full(4, 0.1), lo, hi)
    per_row = performance(est, np.full(4, 0.5), np.full(4, 0.1), lo, hi)
    for k, v in fixed.items():
        if k != "rel_bias":
            assert per_row[k] == pytest.approx(v, rel=1e-12, abs=1e-15), k


def test_summarise_keeps_one_condition():
    spec = _spec(n=5, stop=300, estimators=[{"name": "mle", "options": {}}])
    df = run_chunk(spec)
    assert df["true_p"].nunique() == 300 and (df["prior_p"] == "Beta(alpha=2, beta=2)").all()
    s = summarise(df)
    assert len(s) == 1 and s["n_rep"].iloc[0] == 300
    assert math.isnan(s["true_p"].iloc[0]) and math.isnan(s["true_value"].iloc[0])
    ok = df[df["converged"]]
    assert s["bias"].iloc[0] == pytest.approx((ok["estimate"] - ok["true_value"]).mean())
    assert len(failure_rates(df)) == 1  # not one "condition" per drawn truth


# --------------------------------------------------------------------------- calibration
def _exact(x, truth, a, b, level=0.95):
    """The conjugate posterior Beta(a + k, b + n - k): its equal-tailed interval and its
    CDF at the truth (the exact PIT)."""
    k, n = x.sum(axis=1), x.shape[1]
    post = stats.beta(a + k, b + n - k)
    return post.ppf((1 - level) / 2), post.ppf((1 + level) / 2), post.cdf(truth)


@pytest.mark.parametrize("n", [5, 20])
def test_exact_posterior_is_calibrated(n):
    theta, x = draw_with_truth(_spec(n=n, stop=4000, seed=3))
    truth = theta["p"]
    lo, hi, pit = _exact(x, truth, A, B)
    m = performance((lo + hi) / 2, truth, None, lo, hi)
    assert abs(m["coverage"] - 0.95) < 4 * m["coverage_mcse"]
    assert stats.kstest(pit, "uniform").pvalue > 0.001
    # the same machinery sees a wrong analysis prior (Beta(20, 2): p near 0.9)
    lo, hi, pit = _exact(x, truth, 20.0, 2.0)
    m = performance((lo + hi) / 2, truth, None, lo, hi)
    assert m["coverage"] < 0.95 - 4 * m["coverage_mcse"]
    assert stats.kstest(pit, "uniform").pvalue < 1e-6


@pytest.mark.parametrize("n", [20, 50])
def test_map_laplace_interval_covers_drawn_truths(n):
    """MAP with the matching prior: its Laplace (Wald) interval covers the drawn truth
    at 95% within 4 MCSE for n >= 20 (at n = 5 the Laplace PIT is visibly not uniform,
    KS p ~ 0.001 at 4000 replicates: the approximation, not the machinery)."""
    spec = _spec(n=n, stop=4000, seed=4,
                 estimators=[{"name": "map", "options": {"prior": {"p": PRIOR}}}])
    s = summarise(run_chunk(spec)).iloc[0]
    assert s["n_failed"] == 0
    assert abs(s["coverage"] - 0.95) < 4 * s["coverage_mcse"]
    assert abs(s["bias"]) < 4 * s["bias_mcse"]  # E[theta_MAP - theta] -> 0 (prior mean 1/2)


# --------------------------------------------------------------------------- PyMC
@pytest.fixture(scope="module")
def posterior_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("draws") / "c0.draws.nc"
    opts = {"prior": {"p": PRIOR}, "draws": 500, "tune": 300, "chains": 2, "max_rhat": 1.05,
            "keep_draws": True}
    spec = _spec(n=5, stop=100, seed=5, estimators=[{"name": "posterior", "options": opts}])
    return spec, run_chunk(spec, path), path


def test_posterior_pit_matches_exact_and_is_uniform(posterior_run):
    spec, df, _ = posterior_run
    theta, x = draw_with_truth(spec)
    assert np.array_equal(df["true_p"].to_numpy(), theta["p"])
    lo, hi, exact = _exact(x, theta["p"], A, B)
    ok = df["converged"].to_numpy(bool)
    assert ok.sum() >= 95, df["reason"].value_counts()
    # the PIT from 1000 draws estimates the exact posterior CDF at the truth; its MCSE
    # is at most 0.5 / sqrt(ESS) with ESS >= min_ess = 200 (converged replicates)
    pit = df["pit"].to_numpy()
    assert np.max(np.abs(pit[ok] - exact[ok])) < 4 * 0.5 / math.sqrt(200)
    assert stats.kstest(pit[ok], "uniform").pvalue > 0.001
    s = summarise(df).iloc[0]
    assert abs(s["coverage"] - 0.95) < 4 * s["coverage_mcse"]


def test_keep_draws_writes_the_chunk(posterior_run):
    import xarray as xr

    spec, df, path = posterior_run
    with xr.open_dataset(path) as ds:
        assert dict(ds["p"].sizes) == {"replicate": 100, "chain": 2, "draw": 500}
        assert ds.attrs["estimator"] == "posterior" and ds.attrs["n"] == 5
        np.testing.assert_array_equal(ds["true_p"].to_numpy(), df["true_p"].to_numpy())
        mean = ds["p"].mean(dim=("chain", "draw")).to_numpy()
    np.testing.assert_allclose(mean, df["estimate"].to_numpy(), rtol=1e-12)
    assert not list(path.parent.glob(".*.tmp"))  # atomic: no temporary left behind


def test_no_draws_file_without_the_option(tmp_path):
    opts = {"prior": {"p": PRIOR}, "draws": 50, "tune": 50, "chains": 2, "max_rhat": 2.0,
            "min_ess": 0}
    spec = _spec(n=5, stop=3, estimators=[{"name": "posterior", "options": opts}])
    df = run_chunk(spec, tmp_path / "c0.draws.nc")
    assert df["pit"].notna().all() and not (tmp_path / "c0.draws.nc").exists()


# --------------------------------------------------------------------------- the report
def test_pit_ecdf_plot_and_uniformity(posterior_run):
    import matplotlib.figure
    from fisherlab.report.sbc import FROM_DRAWS, FROM_NORMAL, pit_ecdf_plot, uniformity

    spec, post, _ = posterior_run
    spec = {**spec, "estimators": [{"name": "map", "options": {"prior": {"p": PRIOR}}}]}
    df = pd.concat([post, run_chunk(spec)], ignore_index=True)
    u = uniformity(df).set_index("estimator")
    assert u.loc["posterior", "pit_from"] == FROM_DRAWS
    assert u.loc["map", "pit_from"] == FROM_NORMAL
    assert (u["ks_pvalue"] > 0.001).all()
    fig = pit_ecdf_plot(df)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len([a for a in fig.axes if a.get_visible()]) == 2
    # a study with fixed truths has no SBC figure
    assert pit_ecdf_plot(df.drop(columns="prior_p")) is None
