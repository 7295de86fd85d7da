"""Optimisers compared: the step rules of gradient ascent and Adam on a concave
log-likelihood, Newton's handful of iterations, the expansion of ``method: [...]`` into
estimators, the evaluation counts in the estimates and the wall times outside them."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fisherlab.core.errors import StudyError
from fisherlab.estimators import make_estimator
from fisherlab.estimators.optimisers import (
    ADAM,
    ascend,
    hessian_u,
    loglik_hessian_u,
    scorer,
)
from fisherlab.families import get_family
from fisherlab.pipeline import stages
from fisherlab.spec.load import load_study

from .conftest import judged

SIGMA = 2.0


@pytest.fixture
def normal_mean():
    """N(mu, sigma = 2) with sigma known: l(mu)/n = -(xbar - mu)^2 / (2 sigma^2) + c, whose
    gradient (xbar - mu)/sigma^2 is linear in mu (a concave quadratic)."""
    fam = get_family("scipy.norm").configure({"fixed": ["scale"]})
    x = fam.sample(np.random.default_rng(1), {"loc": 3.0, "scale": SIGMA}, (50, 30))
    return fam, x


def test_gradient_ascent_follows_its_step_rule(normal_mean):
    """u_{t+1} = u_t + eta g_t makes the error e_t = xbar - u_t shrink by exactly
    (1 - eta/sigma^2) per step; it stops at the first t with |g_t| = |e_t|/sigma^2 <= tol."""
    fam, x = normal_mean
    eta, tol = 0.5, 1e-8
    u0 = np.zeros((50, 1))
    pt = ascend(fam, x, {"scale": SIGMA}, u0, method="gradient_ascent", learning_rate=eta,
                tol=tol)
    xbar = x.mean(axis=1)
    rate = 1 - eta / SIGMA**2
    want = np.ceil(np.log(tol * SIGMA**2 / np.abs(xbar)) / np.log(rate))
    assert pt.converged.all()
    # the numerical score is exact to ~1e-10 here: the count may differ by one step
    assert np.all(np.abs(pt.iterations - want) <= 1), (pt.iterations, want)
    np.testing.assert_allclose(pt.estimate["loc"], xbar, atol=2 * tol * SIGMA**2)
    assert np.array_equal(pt.evaluations["gevals"], pt.iterations + 1)


def test_adam_first_step_is_the_learning_rate_towards_the_maximum(normal_mean):
    """At t = 1, m_1/(1 - b1) = g_1 and v_1/(1 - b2) = g_1^2: the step is
    eta g/(|g| + eps) = eta sign(g) whatever the size of the gradient."""
    fam, x = normal_mean
    eta = 0.05
    u0 = np.zeros((50, 1))
    one = ascend(fam, x, {"scale": SIGMA}, u0, method="adam", learning_rate=eta, maxiter=1)
    g = x.mean(axis=1) / SIGMA**2  # the gradient of l/n at mu = 0
    step = eta * g / (np.abs(g) + ADAM["eps"])
    np.testing.assert_allclose(one.estimate["loc"], step, rtol=1e-9)
    full = ascend(fam, x, {"scale": SIGMA}, u0, method="adam", learning_rate=eta, tol=1e-7)
    assert full.converged.all()
    np.testing.assert_allclose(full.estimate["loc"], x.mean(axis=1), atol=1e-6)


def test_newton_needs_a_handful_of_iterations_and_finds_scipys_mle():
    fam = get_family("scipy.gamma").configure({"fixed": ["loc", "scale"]})
    x = fam.sample(np.random.default_rng(2), {"a": 2.0, "loc": 0.0, "scale": 0.5}, (40, 100))
    fixed = {"loc": 0.0, "scale": 0.5}
    newton = make_estimator("mle", {"method": "newton"}).fit(fam, x, fixed, ("a",), 0.95)
    ga = make_estimator("mle", {"method": "gradient_ascent"}).fit(fam, x, fixed, ("a",), 0.95)
    assert newton["a"].converged.all() and ga["a"].converged.all()
    assert newton["a"].iterations.max() <= 8
    assert ga["a"].iterations.min() > 3 * newton["a"].iterations.max()
    for i in range(5):
        a, _, _ = stats.gamma.fit(x[i], floc=0.0, fscale=0.5)
        assert newton["a"].estimate[i] == pytest.approx(a, rel=1e-6)
    np.testing.assert_allclose(ga["a"].estimate, newton["a"].estimate, rtol=1e-5)
    # one Hessian at the start, then one at each accepted step
    assert (newton["a"].evaluations["hevals"] == newton["a"].iterations + 1).all()


def test_newtons_hessian_from_the_declared_observed_information():
    """Where a family declares its observed information, Newton's Hessian in u comes from
    it by the chain rule (both terms: the negative binomial's r and p are log- and
    logit-transformed) and equals the central difference of the analytic score; the
    numerical Hessian agrees to its own accuracy."""
    fam = get_family("negative_binomial")
    theta = {"r": 3.0, "p": 0.4}
    x = fam.sample(np.random.default_rng(2), theta, (4, 50))
    est = fam.estimated()
    u = np.stack([p.to_unconstrained(np.full(4, theta[p.name] * 1.1)) for p in est], -1)
    np.testing.assert_allclose(loglik_hessian_u(fam, x, {}, u), hessian_u(fam, x, {}, u),
                               rtol=1e-6)
    logit = load_study("studies/optimisers_logistic.yaml").family
    x = logit.sample(np.random.default_rng(1), {"beta0": -4.0, "beta1": 0.06}, (3, 100))
    u = np.array([[-3.5, 0.05]] * 3)
    h, num = 1e-6, np.zeros((3, 2, 2))
    for j in range(2):
        step = np.eye(2)[j] * h
        up, down = ({"beta0": u[:, 0] + s * step[0], "beta1": u[:, 1] + s * step[1]}
                    for s in (1, -1))
        num[:, :, j] = (logit.score(x, up) - logit.score(x, down)) / (2 * h)
    np.testing.assert_allclose(loglik_hessian_u(logit, x, {}, u), num, rtol=1e-7)


@pytest.mark.parametrize("design", [
    {"covariates": [{"name": "income", "distribution": "norm", "loc": 50, "scale": 15}]},
    {"p": 2}, {"p": 2, "intercept": False}])
def test_logistic_scorer_gives_the_scores_bits(design):
    """Gradient ascent's and Adam's score (the family's ``scorer``, its data laid out
    once) is ``score``'s numbers to the bit, on every dataset, on a subset of them, on
    one, with or without an intercept: thousands of steps would amplify any rounding
    difference into other estimates and iteration counts."""
    fam = get_family("logistic_regression").configure(design)
    names = fam.coefficients()
    rng = np.random.default_rng(3)
    x = fam.sample(rng, {nm: 0.3 for nm in names}, (40, 120))
    score = scorer(fam, x)
    for rows in (None, np.array([3, 7, 8, 20, 39]), np.array([5, 6]), np.array([11])):
        for _ in range(3):
            r = 40 if rows is None else len(rows)
            theta = {nm: rng.normal(0.0, 0.5, r) for nm in names}
            want = fam.score(x if rows is None else x[rows], theta)
            assert np.array_equal(score(theta, rows), want), rows


def test_em_for_the_mixture_reaches_the_batched_em_optimum():
    fam = get_family("gaussian_mixture")
    theta = {"w": 0.4, "mu1": 0.0, "mu2": 4.0, "sigma1": 1.0, "sigma2": 1.0}
    x = fam.sample(np.random.default_rng(3), theta, (10, 400))
    names = ("w", "mu1", "mu2", "sigma1", "sigma2")
    em = make_estimator("mle", {"method": "em"}).fit(fam, x, {}, names, 0.95)
    ref = make_estimator("mle").fit(fam, x, {}, names, 0.95)
    ok = em["mu1"].converged & ref["mu1"].converged
    assert ok.sum() >= 8
    for e in names:
        np.testing.assert_allclose(em[e].estimate[ok], ref[e].estimate[ok], rtol=1e-4,
                                   atol=1e-4)


STUDY = """description: optimisers
model:
  family: scipy.gamma
  params: {a: 2.0, loc: 0.0, scale: 0.5}
  design: {fixed: [loc, scale]}
sample_sizes: [30, 120]
replications: 100
seed: 5
estimators:
  - mle: {method: [newton, bfgs, gradient_ascent]}
  - mom
"""


def test_method_list_expands_into_labelled_estimators(write_study):
    with pytest.raises(StudyError, match="mom"):  # scipy families have no mom
        load_study(write_study(STUDY))
    s = load_study(write_study(STUDY.replace("  - mom\n", "")))
    assert [(e.id, e.label) for e in s.estimators] == [
        ("mle[newton]", "mle, method newton"), ("mle[bfgs]", "mle, method bfgs"),
        ("mle[gradient_ascent]", "mle, method gradient ascent")]
    assert [e.options["method"] for e in s.estimators] == ["newton", "bfgs",
                                                           "gradient_ascent"]
    with pytest.raises(StudyError, match="em needs a family"):
        load_study(write_study(STUDY.replace("gradient_ascent]", "em]").replace(
            "  - mom\n", "")))


def test_counts_in_the_estimates_wall_times_in_provenance(write_study, tmp_path):
    from fisherlab.diagnostics.optimiser import optimiser

    s = load_study(write_study(STUDY.replace("  - mom\n", "")))
    folder = stages.run(s, tmp_path / "res", chunk_size=100, html_page=False,
                        echo=lambda *_: None)
    est = pd.read_parquet(folder / "estimates.parquet")
    assert {"fevals", "gevals", "hevals"} <= set(est.columns)
    assert not any("second" in c or "time" in c for c in est.columns)
    import pyarrow.parquet as pq

    meta = pq.read_schema(folder / "estimates.parquet").metadata or {}
    assert b"fit_seconds" not in meta.get(b"pandas", b"")
    prov = json.loads((folder / "provenance.json").read_text())
    timed = {(t["estimator"], t["n"]) for t in prov["timings"]}
    assert timed == {(e.id, n) for e in s.estimators for n in (30, 120)}
    assert all(t["fits"] == 100 and t["seconds_per_fit"] > 0 for t in prov["timings"])
    t = optimiser(est, s)
    assert len(t) == 6 and t["converged_share"].eq(1).all()
    newton = t[t.estimator == "mle[newton]"]
    ga = t[t.estimator == "mle[gradient_ascent]"]
    assert newton["reference"].all() and (newton["iterations_mean"] < 8).all()
    assert (ga["iterations_mean"].to_numpy() > 4 * newton["iterations_mean"].to_numpy()).all()
    assert (judged("optimiser", t)["verdict"] == "agrees").all()
    assert len(judged("optimiser", t)) == (~t.reference).sum()
