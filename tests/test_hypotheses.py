"""Hypothesis tests (tests:), exact sizes and coverages of discrete families, and the
Agresti–Coull, Jeffreys and Clopper–Pearson intervals, against known results:
statsmodels' proportion_confint, hand sums over the binomial support, the noncentral t
of the normal mean's Wald test, Bradley's bands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from fisherlab.core.errors import StudyError
from fisherlab.diagnostics import run_all
from fisherlab.diagnostics._exact import exact_coverage
from fisherlab.families import proportion
from fisherlab.spec.load import load_study
from fisherlab.verdicts import judge
from fisherlab.verdicts.size import band

from .conftest import run_study, study_for


def _write(tmp_path, text: str, name: str = "s"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("N", [1, 7, 30, 250])
@pytest.mark.parametrize("level", [0.9, 0.95])
def test_proportion_intervals_match_statsmodels(N, level):
    k = np.arange(N + 1)
    for ours, theirs in [("agresti_coull", "agresti_coull"), ("clopper_pearson", "beta"),
                         ("jeffreys", "jeffreys")]:
        lo, hi = proportion.METHODS[ours](k, N, level)
        slo, shi = (np.asarray(v, float) for v in
                    proportion_confint(k, N, alpha=1 - level, method=theirs))
        inner = slice(1, N) if ours == "jeffreys" else slice(None)  # BCD's ends below
        np.testing.assert_allclose(lo[inner], slo[inner], rtol=0, atol=1e-10)
        np.testing.assert_allclose(hi[inner], shi[inner], rtol=0, atol=1e-10)
        if ours == "jeffreys":  # Brown, Cai & DasGupta: 0 at k = 0 and 1 at k = N
            assert lo[0] == 0 and hi[-1] == 1
            np.testing.assert_allclose([hi[0], lo[-1]], [shi[0], slo[-1]], atol=1e-10)


@pytest.mark.parametrize("N", [5, 20, 60])
def test_clopper_pearson_covers_at_least_the_level_at_every_p(N):
    """Exact coverage sum_k Binom(k; N, p) 1{p in CP(k)} >= level on a fine grid of p."""
    k = np.arange(N + 1)
    lo, hi = proportion.clopper_pearson(k, N, 0.95)
    p = np.linspace(0.0005, 0.9995, 2000)
    cover = (lo[None, :] <= p[:, None]) & (p[:, None] <= hi[None, :])
    exact = (stats.binom.pmf(k[None, :], N, p[:, None]) * cover).sum(axis=1)
    assert exact.min() >= 0.95 - 1e-12, (p[np.argmin(exact)], exact.min())
    # and it is conservative: above the level almost everywhere, not equal to it
    assert np.mean(exact > 0.951) > 0.5


def test_exact_coverage_equals_a_hand_sum_over_the_binomial_support():
    """The coverage diagnostic's exact coverage of the MLE's Wald interval at p = 0.2,
    n = 17, equals sum_k Binom(k; 17, 0.2) 1{0.2 in k/n ± z sqrt(p_hat(1-p_hat)/n)}."""
    study = study_for("bernoulli")
    spec = study.estimators[0]
    n, p = 17, 0.2
    z = stats.norm.ppf(0.975)
    hand = 0.0
    for k in range(n + 1):
        ph = k / n
        half = z * np.sqrt(ph * (1 - ph) / n)
        if ph - half <= p <= ph + half:
            hand += stats.binom.pmf(k, n, p)
    assert exact_coverage(study, spec, {"p": p}, n, "p", p) == pytest.approx(hand, abs=1e-14)


TEST_STUDY = """
description: "tests"
model: {family: bernoulli, params: {p: [0.3, 0.45]}}
sample_sizes: [15, 40]
replications: 3000
seed: 7
estimators: [mle]
interval: {level: 0.95, method: [wald, clopper_pearson, jeffreys, agresti_coull]}
tests:
  - {estimand: p, null_value: 0.3, test: [wald, score, lr]}
  - {estimand: p, null_value: 0.3, test: score, sides: greater, level: 0.1}
"""


@pytest.fixture(scope="module")
def bernoulli_tables(tmp_path_factory):
    path = _write(tmp_path_factory.mktemp("bern"), TEST_STUDY)
    study = load_study(path)
    return study, run_all(run_study(path), study)


def test_simulated_rates_are_within_3_mcse_of_the_exact_ones(bernoulli_tables):
    study, tables = bernoulli_tables
    cov, tests = tables["coverage"], tables["tests"]
    assert cov["exact_coverage"].notna().all() and len(cov) == 2 * 2 * 4
    assert (cov["exact_z"].abs() < 3).all(), cov[["n", "estimator", "exact_z"]]
    # Clopper-Pearson is conservative, by its exact sum
    cp = cov[cov["estimator"] == "mle[clopper_pearson]"]
    assert (cp["exact_coverage"] >= 0.95).all()
    assert set(tests["kind"]) == {"size", "power"}
    assert tests["exact"].notna().all()
    assert (tests["exact_z"].abs() < 3).all(), tests[["n", "test", "exact_z"]]


def test_exact_size_equals_a_hand_sum(bernoulli_tables):
    """The score test of p = 0.3 at n = 15, two-sided 5%: it rejects when
    |k - 15·0.3| > 1.96 sqrt(15·0.3·0.7); Wald when |k/n - 0.3| > 1.96 se(p_hat)."""
    study, tables = bernoulli_tables
    t = tables["tests"]
    n, p0, z = 15, 0.3, stats.norm.ppf(0.975)
    k = np.arange(n + 1)
    pmf = stats.binom.pmf(k, n, p0)
    score = pmf[np.abs(k - n * p0) > z * np.sqrt(n * p0 * (1 - p0))].sum()
    ph = k / n
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.abs(ph - p0) / np.sqrt(ph * (1 - ph) / n)
    wald = pmf[np.where(np.isnan(w), False, w > z)].sum()
    # the one-sided score test at 10%: (k - n p0)/sqrt(n p0 (1 - p0)) > z_0.9
    greater = pmf[(k - n * p0) / np.sqrt(n * p0 * (1 - p0)) > stats.norm.ppf(0.9)].sum()

    def exact(test, sides="two"):
        row = t[(t["true_p"] == 0.3) & (t["n"] == n) & (t["test"] == test)
                & (t["sides"] == sides) & (t["estimator"] == "mle[wald]")]
        return float(row["exact"].iloc[0])

    assert exact("score") == pytest.approx(score, abs=1e-12)
    assert exact("wald") == pytest.approx(wald, abs=1e-12)
    assert exact("score", "greater") == pytest.approx(greater, abs=1e-12)


def test_the_normal_means_wald_size_with_the_mle_se(tmp_path):
    """2 P(T_(n-1) > z sqrt((n-1)/n)): 0.1545 at n = 5, 0.0713 at n = 20 (σ̂ with
    divisor n makes the Wald test liberal); the simulated size within 3 MCSE."""
    path = _write(tmp_path, """
description: "normal Wald"
model: {family: normal, params: {mu: [0.0, 0.5], sigma: 1.0}}
sample_sizes: [5, 20]
replications: 4000
seed: 11
estimators: [mle]
estimands: [mu]
tests:
  - {estimand: mu, null_value: 0.0}
""")
    study = load_study(path)
    t = run_all(run_study(path), study)["tests"]
    for n, known in [(5, 0.1545), (20, 0.0713)]:
        formula = 2 * stats.t.sf(stats.norm.ppf(0.975) * np.sqrt((n - 1) / n), n - 1)
        assert formula == pytest.approx(known, abs=5e-5)
        row = t[(t["true_mu"] == 0.0) & (t["n"] == n)].iloc[0]
        assert row["kind"] == "size"
        assert row["exact"] == pytest.approx(formula, abs=1e-4)
        assert abs(row["rate"] - row["exact"]) < 3 * row["mcse"], row
    # power at mu = 0.5: the noncentral t with delta = 0.5 sqrt(n)
    for n in (5, 20):
        c = stats.norm.ppf(0.975) * np.sqrt((n - 1) / n)
        d = 0.5 * np.sqrt(n)
        power = stats.nct.sf(c, n - 1, d) + stats.nct.cdf(-c, n - 1, d)
        row = t[(t["true_mu"] == 0.5) & (t["n"] == n)].iloc[0]
        assert row["kind"] == "power" and row["exact"] == pytest.approx(power, abs=1e-10)
        assert abs(row["rate"] - power) < 3 * row["mcse"]


def test_bradleys_bands():
    assert [band(r, 0.05) for r in (0.05, 0.045, 0.055, 0.0449, 0.07, 0.025, 0.075, 0.02,
                                    0.08)] == (["within stringent"] * 3
                                               + ["within liberal"] * 4
                                               + ["outside liberal"] * 2)


def test_the_size_rule_judges_only_sizes_and_says_which_band():
    study = study_for("bernoulli")
    rows = [dict(true_p=p, n=20, estimator="mle", estimand="p", test="wald", null=0.5,
                 truth=p, sides="two", level=0.05, rejections=int(rate * 1000),
                 replicates=1000, rate=rate, mcse=np.sqrt(rate * (1 - rate) / 1000),
                 exact=np.nan, exact_z=np.nan, kind=kind)
            for p, rate, kind in [(0.5, 0.1, "size"), (0.7, 0.6, "power")]]
    summary = pd.DataFrame([dict(true_p=p, n=20, estimator="mle", estimand="p",
                                 n_rep=1000, n_failed=0) for p in (0.5, 0.7)])
    verdicts, _ = judge(study, {"summary": summary, "tests": pd.DataFrame(rows)})
    size = verdicts[verdicts["question"] == "size"]
    assert len(size) == 1
    row = size.iloc[0]
    assert row["verdict"] == "outside liberal" and row["detail"] == "wald test of p = 0.5"
    assert "0.025–0.075" in row["rule"] and "applied to the simulated rate" in row["rule"]
    assert row["used"] == 1000 and row["left_out"] == 0


BAD = """
description: "bad"
model: {family: normal, params: {mu: 0.0, sigma: 1.0}}
sample_sizes: [10]
replications: 10
seed: 1
estimators: [mle]
estimands: [mu]
"""


@pytest.mark.parametrize("tests, key, says", [
    ("[{estimand: sigma2, null_value: 1.0}]", "tests[0].estimand",
     "does not estimate 'sigma2'"),
    ("[{estimand: mu, null_value: 0.0, test: score}]", "tests[0].test",
     "estimated parameter"),
    ("[{estimand: mu, null_value: 0.0, test: bogus}]", "tests[0].test", "bogus"),
])
def test_the_validator_refuses_a_test_it_cannot_run(tmp_path, tests, key, says):
    text = BAD.replace("estimands: [mu]", "estimands: [mu]\ntests: " + tests)
    if "score" in tests:  # a score test of mu is fine; of the derived sigma2 it is not
        text = text.replace("estimands: [mu]", "estimands: [mu, sigma2]").replace(
            "estimand: mu, null_value: 0.0, test: score",
            "estimand: sigma2, null_value: 1.0, test: score")
    path = _write(tmp_path, text, "bad_tests")
    with pytest.raises(StudyError) as err:
        load_study(path)
    msg = str(err.value)
    assert "bad_tests.yaml" in msg and key in msg and says in msg, msg


def test_a_rejection_claim_names_one_of_the_studys_tests(tmp_path):
    text = BAD + ("tests: [{estimand: mu, null_value: 0.0}]\n"
                  "expect: [{measure: rejection, estimator: mle, estimand: mu, test: lr, "
                  "equals: exact}]\n")
    with pytest.raises(StudyError) as err:
        load_study(_write(tmp_path, text, "bad_claim"))
    assert "expect[0].test" in str(err.value) and "wald" in str(err.value)


def test_poisson_exact_coverage_is_a_truncated_hand_sum():
    """Poisson rate: the support of sum x ~ Poisson(n lam) keeps all but 2e-14 of the
    mass, and the MLE's Wald coverage is sum_s P(s) 1{lam in s/n ± z sqrt(s/n / n)}."""
    study = study_for("poisson")
    fam, spec = study.family, study.estimators[0]
    n, lam = 12, 1.7
    x, prob = fam.exact_support({"lam": lam}, n)
    assert prob.sum() == pytest.approx(1.0, abs=2e-14)
    assert x.shape == (prob.size, n)
    z = stats.norm.ppf(0.975)
    s = np.arange(0, 200)
    m = s / n
    half = z * np.sqrt(m / n)
    hand = stats.poisson.pmf(s, n * lam)[(m - half <= lam) & (lam <= m + half)].sum()
    got = exact_coverage(study, spec, {"lam": lam}, n, "lam", lam)
    assert got == pytest.approx(hand, abs=1e-13)


def test_fisherlab_validate_refuses_a_test_of_an_estimand_not_estimated(tmp_path, capsys):
    from fisherlab.cli.app import main

    path = _write(tmp_path, BAD + "tests: [{estimand: sigma2, null_value: 1.0}]\n",
                  "no_sigma2")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr()
    said = err.out + err.err
    assert "no_sigma2.yaml" in said and "tests[0].estimand" in said
    assert "does not estimate 'sigma2'" in said and "mu" in said


def test_report_md_lists_every_test_row_with_its_rate_and_exact_value(bernoulli_tables):
    from fisherlab.report.format import fmt_pm
    from fisherlab.report.markdown import tests_md
    study, tables = bernoulli_tables
    tests = tables["tests"]
    keys = [c for c in tests.columns if c.startswith("true_")]
    md = tests_md(tests, keys, study.labels())
    lines = [ln for ln in md.splitlines() if ln.startswith("| ") and "rate (MCSE)" not in ln]
    assert len(lines) == len(tests)  # one row per test × estimator × n × condition
    for line, r in zip(lines, tests.itertuples(index=False), strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[1] == r.test and int(cells[5]) == r.n and cells[6] == r.kind
        assert cells[7] == fmt_pm(r.rate, r.mcse) and float(cells[8]) == round(r.exact, 4)
