"""Claims (``expect:``): checked when the study file is read, judged after the run in
MCSEs, formulas evaluated safely."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fisherlab.core.errors import StudyError
from fisherlab.spec.claims import Claim, formula_value
from fisherlab.spec.load import load_study
from fisherlab.verdicts.claims import judge, limit, values

STUDY = """\
description: the normal variance
model: {family: normal, params: {mu: 0.0, sigma: [1.0, 2.0]}}
sample_sizes: [10, 20]
replications: 200
seed: 1
estimators: [mle, unbiased]
estimands: [sigma2]
"""


def test_claims_are_read_with_their_study(write_study):
    path = write_study(STUDY + """expect:
  - {measure: bias, estimator: mle, estimand: sigma2, equals: "-sigma**2 / n"}
  - {measure: empse, estimator: unbiased, above: {estimator: mle}, n: 10}
  - {measure: coverage, estimator: mle, below: 0.95, where: {sigma: 2.0}}
""")
    s = load_study(path)
    assert [c.op for c in s.claims] == ["equals", "above", "below"]
    assert s.claims[1].n == (10,) and s.claims[1].estimand == "sigma2"
    assert s.claims[0].text == "bias of mle (sigma2) equals -sigma**2 / n at every n"


@pytest.mark.parametrize("claim, key, words", [
    ("{measure: bias, estimator: mle, estimand: sigma2, equals: \"-sigma**2 / m\"}",
     "expect[0].equals", "cannot evaluate"),
    ("{measure: bais, estimator: mle, equals: 0}", "expect[0].measure", "unknown measure"),
    ("{measure: bias, estimator: map, equals: 0}", "expect[0].estimator", "no estimator"),
    ("{measure: bias, estimator: mle, n: 11, equals: 0}", "expect[0].n", "not one of"),
    ("{measure: bias, estimator: mle, equals: 0, below: 1}", "expect[0]", "exactly one"),
    ("{measure: bias, estimator: mle, where: {sigma: 3.0}, equals: 0}",
     "expect[0].where.sigma", "not a condition"),
    ("{measure: bias, estimator: mle, equals: \"__import__('os').system('true')\"}",
     "expect[0].equals", "cannot evaluate"),
    ("{measure: slope, estimator: mle, n: 10, equals: -0.5}", "expect[0].n", "no n here"),
])
def test_a_claim_that_cannot_be_judged_stops_the_run(write_study, claim, key, words):
    path = write_study(STUDY + f"expect:\n  - {claim}\n")
    with pytest.raises(StudyError) as err:
        load_study(path)
    assert any(k == key and words in p for k, p in err.value.errors), err.value.errors


def test_a_formula_is_evaluated_without_eval():
    assert formula_value("-sigma**2 / n", {"sigma": 2.0, "n": 8.0}) == -0.5
    assert formula_value("sqrt(p * (1 - p) / n)", {"p": 0.5, "n": 25.0}) == 0.1
    for hostile in ("__import__('os')", "open('x')", "(1).__class__", "[x for x in ()]"):
        with pytest.raises(Exception):  # noqa: B017 - whatever simpleeval refuses with
            formula_value(hostile, {})


def test_the_limit_keeps_the_chance_of_a_true_claim_failing_that_of_one_cell():
    eq = Claim("bias", "mle", "p", "equals", 0.0)
    assert limit(eq, 1) == pytest.approx(3.0, abs=1e-9)
    # m cells: P(some |z| > limit) for m independent N(0, 1) z's is that of one at 3
    for m in (2, 6, 24):
        one = 2 * stats.norm.sf(3.0)
        assert 1 - (1 - 2 * stats.norm.sf(limit(eq, m))) ** m == pytest.approx(one, rel=0.01)
    below = Claim("coverage", "mle", "p", "below", 0.8)
    assert limit(below, 1) == pytest.approx(3.0, abs=1e-9)
    assert limit(Claim("bias", "mle", "p", "equals", 0.0, within=2.0), 12) == 2.0


def test_judging_an_equality_and_the_two_inequalities():
    eq = Claim("bias", "mle", "p", "equals", 0.0)
    assert judge(eq, np.array([0.5, -2.9])) == "holds"
    assert judge(eq, np.array([0.5, -3.3])) == "fails"  # 2 cells: limit 3.2
    assert judge(eq, np.array([0.5, -3.1, 0.0, 0.0])) == "holds"  # 4 cells: limit 3.4
    below = Claim("coverage", "mle", "p", "below", 0.8)
    assert judge(below, np.array([-3.5, -4.0])) == "holds"  # z = (value - target)/MCSE
    assert judge(below, np.array([-3.5, 1.0])) == "cannot tell"
    assert judge(below, np.array([-3.5, 3.5])) == "fails"
    above = Claim("coverage", "mle", "p", "above", 0.8)
    assert judge(above, np.array([3.5, 4.0])) == "holds"
    assert judge(above, np.array([])) == "cannot tell"


def test_the_values_of_a_claim_in_each_cell():
    """A formula's target per condition and n, and another estimator's value as target
    with the two MCSEs in quadrature."""
    from .conftest import study_for

    study = study_for("normal", ("mle", "unbiased"))
    rows = []
    for sigma in (1.0, 2.0):
        for n in (10, 20):
            for est, b in (("mle", -sigma**2 / n), ("unbiased", 0.0)):
                rows.append({"true_mu": 0.0, "true_sigma": sigma, "n": n, "estimator": est,
                             "estimand": "sigma2", "true_value": sigma**2, "bias": b + 0.01,
                             "bias_mcse": 0.02, "empse": 1.0 + (est == "unbiased"),
                             "empse_mcse": 0.03})
    study.claims = (Claim("bias", "mle", "sigma2", "equals", "-sigma**2 / n"),
                    Claim("empse", "unbiased", "sigma2", "above", {"estimator": "mle"}))
    t = values(study, {"summary": pd.DataFrame(rows)})
    first = t[t["claim"] == 0]
    assert len(first) == 4
    np.testing.assert_allclose(first["z"], 0.5)
    np.testing.assert_allclose(first["target"], [-0.1, -0.05, -0.4, -0.2])
    second = t[t["claim"] == 1]
    np.testing.assert_allclose(second["z"], 1.0 / np.hypot(0.03, 0.03))


def test_the_claims_command_prints_the_verdicts_and_fails_with_a_claim(write_study, tmp_path,
                                                                      capsys):
    from fisherlab.cli import main
    from fisherlab.pipeline import stages

    # the MLE of σ² has bias −σ²/n (true), not +σ²/n (false: 2σ²/n apart, about 6.7
    # MCSEs at σ = 2, n = 10 with 200 replicates, as sd(σ̂²) = σ²√(2(n − 1))/n)
    path = write_study(STUDY + """expect:
  - {measure: bias, estimator: mle, estimand: sigma2, equals: "-sigma**2 / n"}
  - {measure: bias, estimator: mle, estimand: sigma2, equals: "sigma**2 / n"}
""")
    results = tmp_path / "results"
    stages.run(load_study(path), results, html_page=False, echo=lambda *_: None)
    assert main(["claims", str(path), "--results", str(results)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("holds  bias of mle (sigma2) equals -sigma**2 / n at every n")
    assert out[1].startswith("fails  bias of mle (sigma2) equals sigma**2 / n at every n")
    assert out[-1].endswith(": 1 of 2 claims hold")
    # a claim file edited after the run is not judged by the old verdicts
    path.write_text(path.read_text().replace('equals: "sigma**2 / n"}', "below: 0}"))
    assert main(["claims", str(path), "--results", str(results)]) == 2
    assert "judged other claims than the file states now" in capsys.readouterr().err


def test_a_formula_may_use_the_designs_numbers_and_distribution_functions(write_study):
    path = write_study("""description: regression
model: {family: linear_regression, params: {beta0: 1.0, beta1: 0.5, beta2: 0.0, sigma: 2.0},
        design: {p: 2}}
sample_sizes: [10]
replications: 100
seed: 1
estimators: [mle, unbiased]
estimands: [sigma2]
expect:
  - {measure: bias, estimator: mle, equals: "-(p + 1) * sigma**2 / n"}
  - {measure: coverage, estimator: unbiased,
     equals: "chi2_cdf(chi2_ppf(level, n - p - 1), n - p - 1)"}
""")
    s = load_study(path)
    assert len(s.claims) == 2
    # the formula's value for a cell: the design's p with the condition's parameters
    from fisherlab.verdicts.claims import _target

    cell = pd.Series({"true_sigma": 2.0, "n": 10, "true_value": 4.0})
    assert _target(s.claims[0], cell, None, [], s) == (-1.2, 0.0)
    assert _target(s.claims[1], cell, None, [], s)[0] == pytest.approx(0.95, abs=1e-12)
    assert formula_value("2 * t_cdf(norm_ppf(0.975), 1e9) - 1", {}) == pytest.approx(0.95)
    assert formula_value("exp(lgamma(5))", {}) == pytest.approx(24.0)


def test_a_share_against_a_claimed_share_has_its_mcse_at_the_claim():
    """No failure in 1000 fits against a claimed chance of 0.0004: z is -0.63 with the
    binomial MCSE at 0.0004, where at the observed 0 it would be 0 and z infinite; a
    claimed 0 with no failure holds exactly, and one failure contradicts it."""
    from .conftest import study_for

    study = study_for("normal", ("mle",))
    rows = [{"true_mu": 0.0, "true_sigma": 1.0, "n": n, "estimator": "mle", "estimand": "mu",
             "n_rep": 1000, "n_failed": k} for n, k in ((10, 0), (20, 0), (30, 1))]
    study.claims = (Claim("failure_rate", "mle", "mu", "equals", 0.0004, n=(10,)),
                    Claim("failure_rate", "mle", "mu", "equals", 0.0, n=(20, 30)))
    t = values(study, {"summary": pd.DataFrame(rows)})
    mcse = np.sqrt(0.0004 * 0.9996 / 1000)
    assert t["mcse"].iloc[0] == pytest.approx(mcse)
    assert t["z"].iloc[0] == pytest.approx(-0.0004 / mcse)
    assert list(t["z"].iloc[1:]) == [0.0, np.inf]


def test_a_claims_verdict_quotes_the_cell_nearest_to_failing():
    from fisherlab.verdicts.claims import _worst

    z = np.array([67.0, 94.0, -2.0])
    assert _worst(Claim("bias", "mle", "p", "equals", 0.0), z) == 94.0
    assert _worst(Claim("iterations", "mle", "", "above", 100.0), z) == -2.0
    assert _worst(Claim("iterations", "mle", "", "below", 100.0), -z) == 2.0
    assert np.isnan(_worst(Claim("bias", "mle", "p", "equals", 0.0), np.array([])))
