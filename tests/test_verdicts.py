"""The rules: each question answered by one function, on all the replicates or saying
which it left out, 'cannot tell' where the data cannot decide."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fisherlab.verdicts import RULES, judge
from fisherlab.verdicts.calibration import ALPHA as KS_ALPHA
from fisherlab.verdicts.coverage import ALPHA, acceptance, nominal
from fisherlab.verdicts.rate import judge as rate_verdict

from .conftest import judged, study_for


@pytest.mark.parametrize("S, level", [(200, 0.95), (2000, 0.95), (10_000, 0.95), (50, 0.8)])
def test_the_nominal_band_is_the_binomial_tests_acceptance_region(S, level):
    """'nominal' exactly when the exact binomial test does not reject, and exactly when
    the coverage lies in the band the figures draw: one definition, every k checked."""
    lo, hi = acceptance(level, S)
    # every k around both ends of the band, and a few far out
    ks = sorted({*range(max(lo - 40, 0), min(hi + 40, S) + 1), 0, S, S // 2})
    for k in ks:
        p = stats.binomtest(k, S, level).pvalue
        v = nominal(k, S, level)
        assert (v["verdict"] == "nominal") == (p >= ALPHA) == (lo <= k <= hi), (k, p)
        assert (v["low"] <= k / S <= v["high"]) == (v["verdict"] == "nominal")
        if v["verdict"] != "nominal":
            assert v["verdict"] == ("under" if k < lo else "over")


def test_the_cases_the_old_rules_split():
    """coin_flips' 0.9390 at S = 2000 and rare_proportion's 0.9446 at S = 10 000: each
    gets one verdict, consistent with its band."""
    v = nominal(1878, 2000, 0.95)  # 0.939
    assert (v["verdict"] == "nominal") == (v["low"] <= 0.939 <= v["high"])
    w = nominal(9446, 10_000, 0.95)
    assert w["verdict"] == "nominal" and w["low"] <= 0.9446 <= w["high"]


def test_a_rate_over_a_narrow_range_of_n_cannot_be_told():
    # rare_proportion: slope -0.77 (SE 0.57) over n = 590-600
    assert rate_verdict(-0.77, 0.57, -0.5, 11)[0] == "cannot tell"
    assert rate_verdict(-0.51, 0.02, -0.5, 4) == ("as theory", "")
    assert rate_verdict(-0.30, 0.02, -0.5, 4)[0] == "slower"
    assert rate_verdict(-0.50, 0.02, -0.5, 2)[0] == "cannot tell"
    assert rate_verdict(0.1, 0.02, -0.5, 4)[0] == "not shrinking"


def _tables(**tables):
    summary = tables.pop("summary")
    return {"summary": summary, **{k: pd.DataFrame() for k in (
        "coverage", "calibration", "normality", "consistency", "efficiency", "bessel",
        "score", "information", "optimiser", "flags")}, **tables}


def _summary(n_rep, n_failed, estimator="mle", estimand="p", n=5, **cond):
    return pd.DataFrame([{**cond, "n": n, "estimator": estimator, "estimand": estimand,
                          "n_rep": n_rep, "n_failed": n_failed}])


def test_an_efficiency_whose_mcse_is_too_large_cannot_be_told():
    """A ratio of 14 (5) is within 3 MCSE of 1, yet says nothing about the bound; 1.02
    (0.05) is at it, 1.5 (0.05) above it, 14 (3) above it too."""
    rows = pd.DataFrame({"n": [10, 20, 30, 40], "estimator": "mle", "estimand": "b",
                         "crlb": 1.0, "crlb_source": "closed form",
                         "var_ratio": [14.0, 1.02, 1.5, 14.0],
                         "var_ratio_mcse": [5.0, 0.05, 0.05, 3.0]})
    v = judged("efficiency", rows)
    assert list(v["verdict"]) == ["cannot tell", "at the bound", "above", "above"]
    assert "too large" in v["note"].iloc[0] and v["note"].iloc[1] == ""


def test_a_verdict_on_fewer_replicates_says_how_many_and_why():
    study = study_for("bernoulli")
    cov = pd.DataFrame([{"true_p": 0.3, "n": 5, "estimator": "mle", "estimand": "p",
                         "S": 180, "nominal": 0.95, "coverage": 0.9, "coverage_mcse": 0.02}])
    t = _tables(summary=_summary(200, 5, true_p=0.3), coverage=cov)
    verdicts, _ = judge(study, t)
    row = verdicts[verdicts["question"] == "coverage"].iloc[0]
    assert (row["used"], row["left_out"]) == (180, 20)
    assert row["left_out_why"] == "5 failed fits; 15 intervals not finite"


def test_k2_leaving_out_more_infinite_z_than_ks_would_pass_is_not_normal():
    """K² takes finite z only; no normal law gives an infinite one (se = 0). A cell whose
    infinite share exceeds KS's critical gap at that many fitted replicates is 'not
    normal' whatever K² says of the rest (sbc_coverage's MLE at n = 5: 41 of 200); a
    smaller share leaves K²'s verdict, said to rest on a subset."""
    from fisherlab.verdicts.normality import ALPHA as NORMAL_ALPHA

    study = study_for("bernoulli")
    crit = float(stats.kstwo.ppf(1 - NORMAL_ALPHA, 200))  # 0.114
    many, few = 41, int(np.floor(crit * 200)) - 1  # 0.205 of them; just under the gap
    rows = pd.DataFrame([{"true_p": 0.3, "n": n, "estimator": "mle", "estimand": "p",
                          "standardisation": "se", "lattice": True, "S": 200 - k,
                          "mean": 0.0, "sd": 1.0, "skew": 0.0, "ex_kurtosis": 0.0,
                          "test": "K2", "statistic": 0.1, "pvalue": 0.95}
                         for n, k in ((5, many), (10, few))])
    summary = pd.concat([_summary(200, 0, n=5, true_p=0.3), _summary(200, 0, n=10, true_p=0.3)])
    verdicts, _ = judge(study, _tables(summary=summary, normality=rows))
    v = verdicts[verdicts["question"] == "normality"].set_index("n")
    assert v.loc[5, "verdict"] == "not normal" and v.loc[5, "value"] == many / 200
    assert v.loc[5, "high"] == pytest.approx(crit) and "infinite z" in v.loc[5, "rule"]
    assert v.loc[10, "verdict"] == "normal" and v.loc[10, "left_out"] == few


def test_calibration_counts_point_masses_and_says_when_it_cannot_judge():
    """A Bernoulli MLE at n = 5 with p drawn from Beta(2, 2): p_hat = 0 or 1 has se = 0;
    its PIT is 0 or 1 (a point mass), counted, so the test rejects; it is not left out."""
    from fisherlab.diagnostics.calibration import calibration, pit_values

    rng = np.random.default_rng(3)
    p = rng.beta(2, 2, 400)
    k = rng.binomial(5, p)
    est = k / 5
    se = np.sqrt(est * (1 - est) / 5)
    df = pd.DataFrame({"prior_p": "Beta(alpha=2, beta=2)", "true_p": p, "n": 5,
                       "estimator": "mle", "estimand": "p", "estimate": est,
                       "true_value": p, "se": se, "converged": True})
    d = pit_values(df)
    assert len(d) == 400 and int(d["limit"].sum()) == int(np.sum((k == 0) | (k == 5)))
    assert set(d.loc[d["limit"], "pit"]) <= {0.0, 1.0}
    t = calibration(df, study_for("bernoulli"))
    assert t["replicates"].iloc[0] == 400 and t["limits"].iloc[0] > 0
    assert t["pvalue"].iloc[0] < KS_ALPHA  # the point masses are far from uniform


def test_every_question_has_one_rule():
    questions = [r.question for r in RULES.values()]
    assert len(questions) == len(set(questions))
    assert {"coverage", "calibration", "normality", "rate", "efficiency", "bias",
            "score mean", "score variance", "information", "optimiser", "flags",
            "claim"} <= set(questions)
