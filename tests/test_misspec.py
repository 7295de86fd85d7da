"""Misspecified models: a study's fit_model, pseudo-true values, sandwich standard errors.

Known facts: a Poisson fitted to negative-binomial counts (mean mu, size r) has
Var(x_bar) = (mu + mu^2/r)/n against the model's mu/n, so its model-based Wald interval
covers 2 Phi(1.96 / sqrt(1 + mu/r)) - 1, while the sandwich variance sum (x - x_bar)^2 / n^2
is consistent (White 1982). The pseudo-true values of the Poisson, exponential and normal
are lam* = E[X], rate* = 1/E[X], (mu*, sigma*^2) = (E[X], Var X)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from fisherlab.core.errors import StudyError
from fisherlab.estimators import make_estimator
from fisherlab.estimators.sandwich import observation_scores
from fisherlab.families import family_names, get_family
from fisherlab.families.pseudo_true import pseudo_true
from fisherlab.spec.load import load_study

R, N = 2000, 2000


def _coverage(fit, truth: float) -> float:
    return float(np.mean((fit.ci_low <= truth) & (truth <= fit.ci_high)))


def test_poisson_on_negative_binomial_model_coverage_fails_and_sandwich_holds():
    mean, size = 10.0, 10.0
    nb, poisson = get_family("negative_binomial"), get_family("poisson")
    x = nb.sample(np.random.default_rng(20261207), {"r": size, "p": size / (size + mean)},
                  (R, N))
    lam_star = pseudo_true(poisson, nb, {"r": size, "p": size / (size + mean)})["lam"]
    assert lam_star == pytest.approx(mean, abs=1e-9)
    exact = {"model": 2 * stats.norm.cdf(1.959964 / np.sqrt(1 + mean / size)) - 1,
             "sandwich": 0.95}
    assert exact["model"] == pytest.approx(0.834, abs=5e-4)
    for se, target in exact.items():
        fit = make_estimator("mle", {"se": se}).fit(poisson, x, {}, ("lam",), 0.95)["lam"]
        assert fit.converged.all()
        mcse = np.sqrt(target * (1 - target) / R)
        assert abs(_coverage(fit, lam_star) - target) < 3 * mcse, se


def test_poisson_sandwich_se_is_the_sample_sd_over_root_n():
    # per-observation score x_i/lam - 1 and observed information sum x / lam^2 at
    # lam = x_bar give Var = sum (x_i - x_bar)^2 / n^2 exactly
    x = np.random.default_rng(1).poisson(4.0, size=(50, 30)).astype(float)
    fit = make_estimator("mle", {"se": "sandwich"}).fit(
        get_family("poisson"), x, {}, ("lam",), 0.95)["lam"]
    np.testing.assert_allclose(fit.se, x.std(axis=1) / np.sqrt(30), rtol=1e-12)


def test_observation_scores_sum_to_the_dataset_score():
    normal = get_family("normal")
    x = np.random.default_rng(2).normal(1.0, 2.0, size=(7, 11))
    theta = {"mu": np.full(7, 0.5), "sigma": np.full(7, 1.5)}
    s = observation_scores(normal, x, theta)
    assert s.shape == (7, 11, 2)
    np.testing.assert_allclose(s.sum(axis=1), normal.score(x, theta), rtol=1e-12)


@pytest.mark.parametrize(("analysis", "data", "theta", "closed"), [
    # lam* = E[X] = r (1 - p) / p
    ("poisson", "negative_binomial", {"r": 10.0, "p": 0.5}, {"lam": 10.0}),
    # rate* = 1 / E[X] = rate / shape
    ("exponential", "gamma", {"shape": 2.5, "rate": 1.5}, {"rate": 1.5 / 2.5}),
    # mu* = loc, sigma*^2 = scale^2 df / (df - 2)
    ("normal", "scipy.t", {"df": 10.0, "loc": 1.0, "scale": 2.0},
     {"mu": 1.0, "sigma": 2.0 * np.sqrt(10.0 / 8.0)}),
    # contaminated data: 5% outliers N(5, 1) in N(0, 1); mean 0.25, variance
    # 0.95 + 0.05 (1 + 25) - 0.25^2
    ("normal", "gaussian_mixture",
     {"w": 0.95, "mu1": 0.0, "mu2": 5.0, "sigma1": 1.0, "sigma2": 1.0},
     {"mu": 0.25, "sigma": np.sqrt(0.95 + 0.05 * 26 - 0.25**2)}),
])
def test_numeric_pseudo_true_equals_the_closed_form(analysis, data, theta, closed):
    a, d = get_family(analysis), get_family(data)
    declared = pseudo_true(a, d, theta)
    numeric = pseudo_true(a, d, theta, numeric=True)
    for k, v in closed.items():
        assert declared[k] == pytest.approx(v, abs=1e-9)
        assert numeric[k] == pytest.approx(v, abs=1e-6)


# (regression families declare no space: an observation is several values)
@pytest.mark.parametrize("name", [f for f in family_names() if get_family(f).space is not None])
def test_every_draw_lies_in_the_declared_space(name):
    fam = get_family(name)
    x = fam.sample(np.random.default_rng(3), fam.example_theta(), (20, 50))
    assert np.all((x >= fam.space.low) & (x <= fam.space.high)), name
    if fam.space.integer:
        assert np.all(x == np.round(x)), name


STUDY = """\
description: "misspecified"
model:
  family: {data}
  params: {params}
fit_model:
  family: {fit}
sample_sizes: [10]
replications: 100
seed: 1
estimators: [mle]
"""


@pytest.mark.parametrize(("data", "params", "fit", "where"), [
    ("normal", "{mu: 0.0, sigma: 1.0}", "poisson", "the integers from 0"),
    ("normal", "{mu: 0.0, sigma: 1.0}", "exponential", "the interval [0, inf]"),
    ("gamma", "{shape: 2.0, rate: 1.0}", "bernoulli", "the integers 0 to 1"),
])
def test_a_fit_model_that_cannot_hold_the_data_is_refused(tmp_path, data, params, fit, where):
    path = tmp_path / "bad.yaml"
    path.write_text(STUDY.format(data=data, params=params, fit=fit))
    with pytest.raises(StudyError) as info:
        load_study(path)
    text = str(info.value)
    assert "bad.yaml" in text and "fit_model.family" in text
    assert f"{fit} cannot fit data drawn from {data}" in text and where in text


def test_validate_names_the_file_and_the_key(tmp_path):
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "bad.yaml").write_text(
        STUDY.format(data="normal", params="{mu: 0.0, sigma: 1.0}", fit="poisson"))
    res = subprocess.run([sys.executable, "-m", "fisherlab", "validate"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    assert "studies/bad.yaml" in res.stderr and "fit_model.family" in res.stderr


def test_targets_pseudo_true_or_data(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(STUDY.format(data="gamma", params="{shape: 2.0, rate: 3.0}",
                                 fit="exponential"))
    assert load_study(path).fit_truths({"shape": 2.0, "rate": 3.0})["rate"] == \
        pytest.approx(1.5, abs=1e-12)
    path.write_text(path.read_text().replace("family: exponential\n",
                                             "family: exponential\n  target: {rate: data}\n"))
    study = load_study(path)
    assert study.fit_truths({"shape": 2.0, "rate": 3.0})["rate"] == 3.0
    assert study.analysis.name == "exponential" and study.family.name == "gamma"
    assert study.spec(study.chunks(100)[0])["fit_model"]["family"] == "exponential"


def test_sandwich_needs_wald_intervals(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(STUDY.format(data="normal", params="{mu: 0.0, sigma: 1.0}", fit="normal")
                    .replace("[mle]", "[{mle: {se: [model, sandwich], "
                             "interval: likelihood_ratio}}]"))
    with pytest.raises(StudyError, match="estimators.0..mle.se"):
        load_study(path)
