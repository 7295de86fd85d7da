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
import yaml
from scipy import stats

from fisherlab.core.errors import StudyError
from fisherlab.diagnostics.failures import failure_rates
from fisherlab.run.simulate import draw_with_truth, pit, run_chunk
from fisherlab.spec.load import load_study
from fisherlab.spec.study import Chunk, Study
from fisherlab.stats.measures import performance, summarise

A, B = 2.0, 2.0
PRIOR = {"dist": "Beta", "alpha": A, "beta": B}


def _study(tmp_path, n=5, reps=100, estimators=("mle",), seed=11, prior=PRIOR,
           name="sbc") -> Study:
    """A Bernoulli study whose p is drawn from ``prior`` for every replicate."""
    doc = {"description": "x", "model": {"family": "bernoulli", "params": {"p": dict(prior)}},
           "sample_sizes": [n], "replications": reps, "seed": seed,
           "estimators": list(estimators), "estimands": ["p"]}
    f = tmp_path / f"{name}.yaml"
    f.write_text(yaml.safe_dump(doc))
    return load_study(f)


def _chunk(study: Study, start: int = 0, stop: int | None = None) -> Chunk:
    stop = study.replications if stop is None else stop
    return Chunk(study.conditions()[0], start // 100, start, stop)


def _run(study: Study, draws_path=None):
    return run_chunk(study, _chunk(study), draws_path)


def _file(tmp_path, params: str, name="s"):
    f = tmp_path / f"{name}.yaml"
    f.write_text(f"description: x\nmodel: {{family: bernoulli, params: {params}}}\n"
                 "sample_sizes: [5]\nreplications: 100\nseed: 1\nestimators: [mle]\n")
    return f


# --------------------------------------------------------------------------- the study file
def test_study_prior_param(tmp_path):
    s = load_study(_file(tmp_path, "{p: {dist: Beta, alpha: 2, beta: 2}}"))
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
        load_study(_file(tmp_path, params))
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
def test_truths_follow_the_prior_and_are_reproducible(tmp_path):
    study = _study(tmp_path, n=50, reps=3000)
    theta, x = draw_with_truth(study, _chunk(study))
    theta2, x2 = draw_with_truth(study, _chunk(study))
    assert np.array_equal(theta["p"], theta2["p"]) and np.array_equal(x, x2)  # bit-identical
    assert theta["p"].shape == (3000,) and x.shape == (3000, 50)
    assert stats.kstest(theta["p"], stats.beta(A, B).cdf).pvalue > 0.001
    # each dataset is drawn with its own truth: E[mean x_i | p_i] = p_i, Var = p(1-p)/n
    z = (x.mean(axis=1) - theta["p"]) / np.sqrt(theta["p"] * (1 - theta["p"]) / 50)
    m = performance(z, 0.0)  # mean 0 and SD 1, each within 4 MCSE (Morris Table 6)
    assert abs(m["bias"]) < 4 * m["bias_mcse"] and abs(m["empse"] - 1) < 4 * m["empse_mcse"]
    # chunking does not matter: replicates 100..199 alone equal rows 100..199
    part, xp = draw_with_truth(study, _chunk(study, 100, 200))
    assert np.array_equal(part["p"], theta["p"][100:200]) and np.array_equal(xp, x[100:200])
    # another prior is another condition: other seeds
    other = _study(tmp_path, n=50, reps=100, prior={**PRIOR, "alpha": 3.0}, name="other")
    assert not np.array_equal(draw_with_truth(other, _chunk(other))[0]["p"], theta["p"][:100])


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


def test_summarise_keeps_one_condition(tmp_path):
    df = _run(_study(tmp_path, n=5, reps=300))
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


def test_pit_counts_draws_strictly_below_the_truth():
    """PIT is the share of draws strictly below the truth: draws equal to it do not
    count (a lattice-valued sampler would otherwise shift every PIT up)."""
    assert pit(np.array([[0.1, 0.5, 0.5, 0.9]]), 0.5)[0] == 0.25
    # a truth per replicate, draws (R, chain, draw), ties in each row
    draws = np.array([[[0.1, 0.5], [0.5, 0.9]],
                      [[0.2, 0.2], [0.3, 0.2]],
                      [[1.0, 2.0], [3.0, 4.0]]])
    got = pit(draws, np.array([0.5, 0.2, 5.0]))
    np.testing.assert_array_equal(got, [0.25, 0.0, 1.0])
    # a replicate with a non-finite draw has no PIT
    draws[1, 0, 1] = np.nan
    np.testing.assert_array_equal(pit(draws, np.array([0.5, 0.2, 5.0])), [0.25, np.nan, 1.0])


@pytest.mark.parametrize("n", [5, 20])
def test_exact_posterior_is_calibrated(tmp_path, n):
    study = _study(tmp_path, n=n, reps=4000, seed=3)
    theta, x = draw_with_truth(study, _chunk(study))
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
def test_map_laplace_interval_covers_drawn_truths(tmp_path, n):
    """MAP with the matching prior: its Laplace (Wald) interval covers the drawn truth
    at 95% within 4 MCSE for n >= 20 (at n = 5 the Laplace PIT is visibly not uniform,
    KS p ~ 0.001 at 4000 replicates: the approximation, not the machinery)."""
    study = _study(tmp_path, n=n, reps=4000, seed=4,
                   estimators=[{"map": {"prior": {"p": PRIOR}}}])
    s = summarise(_run(study)).iloc[0]
    assert s["n_failed"] == 0
    assert abs(s["coverage"] - 0.95) < 4 * s["coverage_mcse"]
    assert abs(s["bias"]) < 4 * s["bias_mcse"]  # E[theta_MAP - theta] -> 0 (prior mean 1/2)


# --------------------------------------------------------------------------- PyMC
POST = {"prior": {"p": PRIOR}, "draws": 500, "tune": 300, "chains": 2}


@pytest.fixture(scope="module")
def posterior_run(tmp_path_factory):
    """200 replicates at n = 5, truths from the prior, the default (joint) sampler."""
    tmp = tmp_path_factory.mktemp("draws")
    study = _study(tmp, n=5, reps=200, seed=5,
                   estimators=[{"posterior": {**POST, "keep_draws": True}}])
    path = tmp / "c0.draws.nc"
    return study, _run(study, path), path


def test_posterior_pit_matches_exact_and_is_uniform(posterior_run):
    """Every replicate has a posterior (warnings are flags); its PIT, the share of draws
    below the truth, is within 4 of its own MCSE (ArviZ, the indicator's autocorrelation
    counted; at least 1/draws) of the exact posterior CDF at the truth; the PIT values are
    uniform (KS) and the credible intervals cover within 4 binomial MCSEs."""
    import xarray as xr
    from arviz_stats.base import array_stats

    study, df, path = posterior_run
    theta, x = draw_with_truth(study, _chunk(study))
    assert np.array_equal(df["true_p"].to_numpy(), theta["p"])
    _, _, exact = _exact(x, theta["p"], A, B)
    assert df["converged"].all(), df["reason"].value_counts()
    with xr.open_dataset(path) as ds:
        draws = ds["p"].to_numpy()
    below = (draws < theta["p"][:, None, None]).astype(float)
    mcse = np.nan_to_num(array_stats.mcse(below, method="mean"))
    pit = df["pit"].to_numpy()
    np.testing.assert_allclose(pit, below.mean(axis=(1, 2)), rtol=0, atol=1e-12)
    assert np.all(np.abs(pit - exact) < 4 * np.maximum(mcse, 1 / below[0].size))
    assert stats.kstest(pit, "uniform").pvalue > 0.001
    s = summarise(df).iloc[0]
    assert abs(s["coverage"] - 0.95) < 4 * s["coverage_mcse"]


def test_keep_draws_writes_the_chunk(posterior_run):
    import xarray as xr

    study, df, path = posterior_run
    with xr.open_dataset(path) as ds:
        assert dict(ds["p"].sizes) == {"replicate": 200, "chain": 2, "draw": 500}
        assert ds.attrs["estimator"] == "posterior" and ds.attrs["n"] == 5
        np.testing.assert_array_equal(ds["true_p"].to_numpy(), df["true_p"].to_numpy())
        mean = ds["p"].mean(dim=("chain", "draw")).to_numpy()
    np.testing.assert_allclose(mean, df["estimate"].to_numpy(), rtol=1e-12)
    assert not list(path.parent.glob(".*.tmp"))  # atomic: no temporary left behind


def test_no_draws_file_without_the_option(tmp_path):
    study = _study(tmp_path, n=5, reps=3, estimators=[{"posterior": {
        "prior": {"p": PRIOR}, "draws": 50, "tune": 50}}])
    df = _run(study, tmp_path / "c0.draws.nc")
    assert df["pit"].notna().all() and not (tmp_path / "c0.draws.nc").exists()
    assert {"flagged", "flag_reason", "rhat", "ess_bulk", "ess_tail", "divergences"} <= set(df)


# --------------------------------------------------------------------------- the report
def test_calibration_table_and_pit_sources(tmp_path, posterior_run):
    from fisherlab.diagnostics.calibration import FROM_DRAWS, FROM_NORMAL, calibration

    study, post, _ = posterior_run
    other = _study(tmp_path, n=5, reps=200, seed=5,
                   estimators=[{"map": {"prior": {"p": PRIOR}}}])
    df = pd.concat([post, _run(other)], ignore_index=True)
    t = calibration(df, study).set_index("estimator")
    assert t.loc["posterior", "pit_from"] == FROM_DRAWS
    assert t.loc["map", "pit_from"] == FROM_NORMAL
    assert (t["pvalue"] > 0.001).all()
    # a study with fixed truths has no calibration rows
    assert calibration(df.drop(columns="prior_p"), study).empty
