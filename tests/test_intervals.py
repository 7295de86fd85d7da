"""Likelihood-ratio and score intervals: against exact binomial coverage sums (Brown, Cai
& DasGupta 2001), closed forms, and an independent profile; the study's interval
methods as separate rows."""

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from fisherlab.core.errors import StudyError
from fisherlab.estimators import make_estimator
from fisherlab.families import get_family
from fisherlab.run.simulate import run_chunk
from fisherlab.spec.load import load_study

P, LEVEL = 0.005, 0.95
Z = stats.norm.ppf(0.975)
Q = stats.chi2.ppf(LEVEL, 1)


# ------------------------------------------------------ independent intervals for k of n
def wald(k, n):
    ph = k / n
    half = Z * np.sqrt(ph * (1 - ph) / n)
    return ph - half, ph + half


def wilson(k, n):
    centre = (k + Z**2 / 2) / (n + Z**2)
    half = Z / (n + Z**2) * np.sqrt(k * (n - k) / n + Z**2 / 4)
    return centre - half, centre + half


def lr(k, n):
    """Roots of 2 (l(k/n) - l(p)) = chi2 quantile, by brentq on scipy's binomial log-pmf."""
    ph = k / n
    top = stats.binom.logpmf(k, n, ph)

    def g(p):
        return 2 * (top - stats.binom.logpmf(k, n, p)) - Q

    lo = 0.0 if k == 0 else optimize.brentq(g, 1e-300, ph, xtol=1e-15)
    hi = 1.0 if k == n else optimize.brentq(g, ph, 1 - 1e-16, xtol=1e-15)
    return lo, hi


def exact_coverage(interval, n, p=P):
    """sum_k P(K = k) 1{p in interval(k)}, K ~ Binomial(n, p): scipy.stats.binom."""
    k = np.arange(n + 1)
    lo, hi = np.array([interval(j, n) for j in k]).T
    return float(np.sum(stats.binom.pmf(k, n, p) * ((lo <= p) & (p <= hi))))


def test_exact_sums_reproduce_brown_cai_dasgupta():
    # their Figure 1 and text: Wald at p = 0.005, n = 591 and 592
    assert exact_coverage(wald, 591) == pytest.approx(0.945, abs=5e-4)
    assert exact_coverage(wald, 592) == pytest.approx(0.792, abs=5e-4)


@pytest.mark.parametrize("method, independent", [("wald", wald), ("score", wilson),
                                                  ("likelihood_ratio", lr)])
def test_every_possible_sample_gets_the_independent_interval(method, independent):
    """Each k = 0..n as one dataset: the estimator's interval equals the independent one
    for every k, so its exact coverage is the exact binomial sum."""
    n = 591
    fam = get_family("bernoulli")
    x = (np.arange(n)[None, :] < np.arange(n + 1)[:, None]).astype(float)  # k ones
    f = make_estimator("mle", {"interval": method}).fit(fam, x, {}, ("p",), LEVEL)["p"]
    want = np.array([independent(k, n) for k in range(n + 1)])
    # only the k that matter (P(K = k) > 1e-12) need be exact to 1e-9
    k = np.arange(n + 1)
    keep = stats.binom.pmf(k, n, P) > 1e-12
    low = np.maximum(want[:, 0], 0) if method == "score" else want[:, 0]  # Wilson's is >= 0
    np.testing.assert_allclose(f.ci_low[keep], low[keep], atol=1e-9)
    np.testing.assert_allclose(f.ci_high[keep], want[keep, 1], atol=1e-9)


@pytest.fixture(scope="module")
def rare(tmp_path_factory):
    path = tmp_path_factory.mktemp("rare") / "rare.yaml"
    path.write_text(f"""description: rare proportion
model: {{family: bernoulli, params: {{p: {P}}}}}
sample_sizes: [591, 592]
replications: 4000
seed: 11
estimators: [mle]
interval: {{level: {LEVEL}, method: [wald, score, likelihood_ratio]}}
""")
    study = load_study(path)
    return study, pd.concat([run_chunk(study, ch) for ch in study.chunks(1000)])


def test_simulated_coverage_matches_the_exact_sums_within_mcse(rare):
    from fisherlab.diagnostics.coverage import coverage

    study, df = rare
    assert [e.id for e in study.estimators] == ["mle[wald]", "mle[score]",
                                                "mle[likelihood_ratio]"]
    t = coverage(df, study)
    independent = {"mle[wald]": wald, "mle[score]": wilson, "mle[likelihood_ratio]": lr}
    assert len(t) == 6  # a row per n and method
    for row in t.itertuples():
        exact = exact_coverage(independent[row.estimator], int(row.n))
        mcse = np.sqrt(exact * (1 - exact) / row.S)
        assert abs(row.coverage - exact) < 4 * mcse, (row.estimator, row.n, row.coverage,
                                                      exact)
    kinds = dict(zip(t["estimator"], t["kind"], strict=False))
    assert kinds == {"mle[wald]": "wald", "mle[score]": "score",
                     "mle[likelihood_ratio]": "likelihood ratio"}
    # p_hat = 0 gives the Wald interval [0, 0]: its misses lie below the truth
    w = t[(t.estimator == "mle[wald]") & (t.n == 592)].iloc[0]
    assert w.miss_below > 10 * w.miss_above


def test_summary_and_coverage_tables_have_a_row_per_method(rare):
    from fisherlab.diagnostics.coverage import coverage
    from fisherlab.stats.measures import summarise

    study, df = rare
    for t in (summarise(df), coverage(df, study)):
        assert sorted(t["estimator"].unique()) == ["mle[likelihood_ratio]", "mle[score]",
                                                   "mle[wald]"]
        assert len(t) == 6


def test_normal_mean_lr_interval_is_the_closed_form():
    """Profile of mu: l_p(mu) = -n/2 log(s2 + (xbar - mu)^2) + c, so the LR interval is
    xbar -/+ sqrt(s2 (exp(q/n) - 1))."""
    fam = get_family("normal")
    x = fam.sample(np.random.default_rng(3), {"mu": 1.0, "sigma": 2.0}, (30, 12))
    f = make_estimator("mle", {"interval": "likelihood_ratio"}).fit(
        fam, x, {}, ("mu", "sigma", "sigma2"), LEVEL)
    half = np.sqrt(x.var(axis=1) * np.expm1(Q / 12))
    np.testing.assert_allclose(f["mu"].ci_low, x.mean(axis=1) - half, rtol=1e-8)
    np.testing.assert_allclose(f["mu"].ci_high, x.mean(axis=1) + half, rtol=1e-8)
    # a derived estimand of one parameter: sigma2's interval is sigma's, squared
    np.testing.assert_allclose(f["sigma2"].ci_low, f["sigma"].ci_low ** 2, rtol=1e-12)
    np.testing.assert_allclose(f["sigma2"].ci_high, f["sigma"].ci_high ** 2, rtol=1e-12)


def test_gamma_shape_lr_endpoints_solve_the_profile_equation():
    """Checked with an independent profile: scipy.optimize.minimize_scalar over the rate
    at each endpoint of the shape's interval."""
    fam = get_family("gamma")
    x = fam.sample(np.random.default_rng(4), {"shape": 2.0, "rate": 1.5}, (5, 40))
    f = make_estimator("mle", {"interval": "likelihood_ratio"}).fit(
        fam, x, {}, ("shape", "rate"), LEVEL)
    for i in range(5):
        top = stats.gamma.logpdf(x[i], f["shape"].estimate[i],
                                 scale=1 / f["rate"].estimate[i]).sum()
        for end in (f["shape"].ci_low[i], f["shape"].ci_high[i]):
            res = optimize.minimize_scalar(
                lambda lr, xi=x[i], a=end: -stats.gamma.logpdf(xi, a, scale=np.exp(-lr)).sum(),
                bracket=(-3, 3))
            assert 2 * (top + res.fun) == pytest.approx(Q, abs=1e-6)


def test_poisson_score_interval_solves_the_score_test():
    fam = get_family("poisson")
    x = fam.sample(np.random.default_rng(5), {"lam": 2.0}, (20, 15))
    f = make_estimator("mle", {"interval": "score"}).fit(fam, x, {}, ("lam", "prob_zero"),
                                                         LEVEL)
    xbar = x.mean(axis=1)
    for end in (f["lam"].ci_low, f["lam"].ci_high):
        np.testing.assert_allclose(15 * (xbar - end) ** 2 / end, Z**2, rtol=1e-10)
    # prob_zero = e^-lam is decreasing: its interval is the mapped one, reversed
    np.testing.assert_allclose(f["prob_zero"].ci_low, np.exp(-f["lam"].ci_high))


def _study(write_study, interval, family="bernoulli", params="{p: 0.3}", est="[mle, mom]"):
    return write_study(f"""description: intervals
model: {{family: {family}, params: {params}}}
sample_sizes: [20]
replications: 100
seed: 1
estimators: {est}
interval: {interval}
""")


def test_interval_methods_expand_only_where_offered(write_study):
    s = load_study(_study(write_study, "{method: [wald, score]}"))
    assert [(e.id, e.label) for e in s.estimators] == [
        ("mle[wald]", "mle, interval wald"), ("mle[score]", "mle, interval score"),
        ("mom", "mom")]
    one = load_study(_study(write_study, "{method: likelihood_ratio}"))
    assert [(e.id, e.label) for e in one.estimators] == [
        ("mle", "mle, interval likelihood ratio"), ("mom", "mom")]
    with pytest.raises(StudyError, match="interval.method.*score"):
        load_study(_study(write_study, "{method: [wald, score]}", "gamma",
                          "{shape: 2, rate: 1}"))
    with pytest.raises(StudyError, match="interval.method"):
        load_study(_study(write_study, "{method: [lr]}"))


# ------------------------------------------------ sufficient statistics (one pass per chunk)
SUFFICIENT = {"bernoulli": {"p": 0.3}, "normal": {"mu": 1e3, "sigma": 0.5},
              "poisson": {"lam": 3.0}, "exponential": {"rate": 2.0}, "geometric": {"p": 0.3},
              "binomial": {"p": 0.3, "trials": 4}}


def test_every_family_declaring_sufficient_statistics_is_checked():
    from fisherlab.families import family_names

    declared = {n for n in family_names() if get_family(n).has("sufficient")}
    assert declared == set(SUFFICIENT)
    for n in declared:  # declared in pairs
        assert get_family(n).has("loglik_sufficient")


@pytest.mark.parametrize("name", sorted(SUFFICIENT))
def test_loglik_from_sufficient_statistics_is_the_sum_of_logpdf(name):
    """The exact log-likelihood (base measure included), far from and at the MLE, and
    -inf for a dataset with a value outside the support."""
    fam, theta = get_family(name), SUFFICIENT[name]
    x = fam.sample(np.random.default_rng(7), theta, (40, 25))
    x[0, 3] = -1.5  # outside every support here but the normal's
    if name == "normal":
        x[0, 3] = np.inf
    if name == "binomial":  # and above its trials
        x[1, 0] = theta["trials"] + 1
    fixed = fam.fixed_values(theta)
    t = fam.sufficient(x, fixed)
    for k in [p.name for p in fam.estimated()]:
        for factor in (0.4, 1.0, 1.9):
            th = {**theta, k: np.full(40, theta[k] * factor)}
            want = fam.loglik(x, th)
            got = fam.loglik_sufficient(t, th)
            assert got[0] == -np.inf == want[0]
            if name == "binomial":
                assert got[1] == -np.inf == want[1]
            np.testing.assert_allclose(got[1:], want[1:], rtol=1e-12)


@pytest.mark.parametrize("name", ["bernoulli", "normal"])
def test_lr_intervals_are_the_same_from_sufficient_statistics(name, monkeypatch):
    from fisherlab.estimators import intervals as iv

    fam, theta = get_family(name), SUFFICIENT[name]
    x = fam.sample(np.random.default_rng(3), theta, (60, 30))
    mle = fam.mle(x, {}, LEVEL)
    hat = {k: np.asarray(v, float) for k, v in mle.estimate.items()
           if k in [p.name for p in fam.estimated()]}
    fast = iv.lr_intervals(fam, x, {}, hat, LEVEL)
    from fisherlab.families.base import Family

    monkeypatch.setattr(type(fam), "sufficient", Family.sufficient)
    assert not fam.has("sufficient")  # the per-observation path
    slow = iv.lr_intervals(fam, x, {}, hat, LEVEL)
    for k in fast:
        for a, b in zip(fast[k], slow[k], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)


def test_profile_with_the_analytic_score_is_at_least_as_high(monkeypatch):
    """More than one nuisance parameter: BFGS per grid point with the family's score
    finds a profile log-likelihood no lower than with finite differences (a maximum)."""
    from fisherlab.estimators import intervals as iv
    from fisherlab.families.base import Family

    fam = get_family("gaussian_mixture")
    theta = fam.example_theta()
    x = fam.sample(np.random.default_rng(11), theta, (1, 200))
    hat = {p.name: np.array([float(theta[p.name])]) for p in fam.estimated()}
    name = fam.estimated()[0].name
    grid = float(theta[name]) + np.array([-0.3, 0.0, 0.3])
    rows = np.zeros(3, np.intp)
    fast, _ = iv.profile(fam, x, {}, hat, name, grid, rows)
    monkeypatch.setattr(type(fam), "score", Family.score)
    assert not fam.has("score")
    slow, _ = iv.profile(fam, x, {}, hat, name, grid, rows)
    assert np.all(np.isfinite(fast)) and np.all(fast >= slow - 1e-6)


@pytest.mark.parametrize("x", [[240.0, 255, 261, 248, 271], [0.0, 60.0]],
                         ids=["far from zero", "wider than 40"])
def test_likelihood_ratio_interval_of_a_location(x):
    # the normal mean's profile drop is n log(1 + (x̄ - mu)^2 / sigma_hat^2), so the
    # interval is x̄ ± sigma_hat sqrt(e^(q/n) - 1), wherever x̄ lies on the real line
    # and however wide the interval is in mu's units
    x = np.array([x])
    n = x.shape[1]
    fam = get_family("normal")
    est = make_estimator("mle", {"interval": "likelihood_ratio"})
    fit = est.fit(fam, x, {}, ("mu",), LEVEL)["mu"]
    half = x.std() * np.sqrt(np.expm1(Q / n))
    assert fit.ci_low[0] == pytest.approx(x.mean() - half, rel=1e-9)
    assert fit.ci_high[0] == pytest.approx(x.mean() + half, rel=1e-9)


def test_mixture_loglik_score_in_one_pass_gives_the_same_profile():
    """The mixture's loglik_score is loglik and score bit for bit, so the profile's
    BFGS, which takes both from it, follows the same path as with the two apart."""
    from fisherlab.estimators.intervals import profile
    from fisherlab.families.base import Family

    fam = get_family("gaussian_mixture")
    theta = {"w": 0.4, "mu1": 0.0, "mu2": 2.5, "sigma1": 1.0, "sigma2": 1.0}
    x = fam.sample(np.random.default_rng(7), theta, (2, 60))
    hat = {k: np.full(2, v) for k, v in theta.items()}
    ll, g = fam.loglik_score(x, hat)
    assert np.array_equal(ll, fam.loglik(x, hat))
    assert np.array_equal(g, fam.score(x, hat))

    class Apart(type(fam)):  # the family without its one-pass method
        loglik_score = Family.loglik_score

    assert not Apart.has("loglik_score")
    psi, rows = np.array([-0.3, 0.0, 0.4]), np.array([0, 1, 1])
    one = profile(fam, x, {}, hat, "mu1", psi, rows)
    two = profile(Apart(), x, {}, hat, "mu1", psi, rows)
    assert np.array_equal(one[0], two[0])
    for k in one[1]:
        assert np.array_equal(one[1][k], two[1][k])
