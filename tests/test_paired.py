"""Paired comparisons of estimators on the same datasets (compare:, paired.csv): the
measures and their MCSEs (fisherlab.stats.paired), the pairing and what it leaves out
(fisherlab.diagnostics.paired), the compare: key, and Fisher's (1922) efficiency of the
gamma shape's method of moments."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special

from fisherlab.core.errors import StudyError
from fisherlab.diagnostics.paired import pair_cell
from fisherlab.estimators import make_estimator
from fisherlab.families import get_family
from fisherlab.spec.load import load_study
from fisherlab.stats.paired import ROBUST, compare, mean_diff, mse_ratio, rp_normal, rp_robust

ROOT = Path(__file__).resolve().parents[1]


def bivariate(rng, S, rho, scale=0.5):
    a = rng.standard_normal(S)
    return a, scale * (rho * a + math.sqrt(1 - rho**2) * rng.standard_normal(S))


def test_relative_precision_normal_mcse_is_morris_by_hand():
    # Morris et al. (2019) Table 6: 200 (v_ref / v) sqrt((1 - rho^2) / (S - 1)),
    # written here with numpy's covariance matrix instead of the module's calls
    rng = np.random.default_rng(11)
    ref, est = bivariate(rng, 50, 0.7)
    c = np.cov(np.vstack([est, ref]))  # ddof 1
    ratio = c[1, 1] / c[0, 0]
    rho2 = c[0, 1] ** 2 / (c[0, 0] * c[1, 1])
    value, mcse = rp_normal(est, ref)
    assert value == pytest.approx(100 * (ratio - 1), rel=1e-12)
    assert mcse == pytest.approx(200 * ratio * math.sqrt((1 - rho2) / 49), rel=1e-12)


def test_robust_mcses_agree_with_normal_theory_for_normal_errors():
    # bivariate normal errors: the delta method's Var(u) is 4 (1 - rho^2), so both
    # methods estimate the same MCSE; at S = 20000 their own error is about 1 %
    rng = np.random.default_rng(3)
    ref, est = bivariate(rng, 20_000, 0.6)
    assert rp_robust(est, ref)[1] == pytest.approx(rp_normal(est, ref)[1], rel=0.10)
    # MSE ratio with a bias in each (the normal-theory Var(e^2) has its 4 b^2 s^2 term)
    est, ref = est + 0.3, ref - 0.2
    assert mse_ratio(est, ref, ROBUST)[1] == pytest.approx(mse_ratio(est, ref)[1], rel=0.10)


def test_robust_mcse_matches_the_spread_of_rp_for_heavy_tailed_errors():
    # a contaminated normal (scale 3 with probability 0.1, shared by both errors):
    # E[W^2] / E[W]^2 = 9 / 3.24 for the variance mixture W, so the normal-theory MCSE
    # is about 1.67 times too small. Over K = 400 independent studies of S = 400, the
    # SD of RP (its true MCSE; relative SE about 1 / sqrt(2 K) = 3.5 %, more with the
    # tails) is matched by the mean robust MCSE within 15 %, and exceeds the mean
    # normal-theory MCSE by more than 40 %.
    rng = np.random.default_rng(2026)
    K, S, rho = 400, 400, 0.6
    rp, robust, normal = np.empty(K), np.empty(K), np.empty(K)
    for k in range(K):
        ref, est = bivariate(rng, S, rho)
        w = np.where(rng.random(S) < 0.1, 3.0, 1.0)
        ref, est = w * ref, w * est
        rp[k], robust[k] = rp_robust(est, ref)
        normal[k] = rp_normal(est, ref)[1]
    spread = rp.std(ddof=1)
    assert robust.mean() == pytest.approx(spread, rel=0.15)
    assert spread > 1.4 * normal.mean()


def test_paired_differences_mcse_by_hand():
    rng = np.random.default_rng(5)
    c, c_ref = (rng.random(300) < 0.93).astype(float), (rng.random(300) < 0.9).astype(float)
    d = c - c_ref
    value, mcse = mean_diff(c, c_ref)
    assert value == pytest.approx(d.sum() / 300, abs=1e-12)
    assert mcse == pytest.approx(math.sqrt(np.sum((d - d.mean()) ** 2) / 299 / 300),
                                 abs=1e-12)
    out = compare(rng.standard_normal(300), rng.standard_normal(300), c, c_ref)
    assert out["coverage_diff_mcse"] == pytest.approx(mcse, abs=1e-12)


def _cell(rng, S, failed=()):
    truth = 2.0
    est = truth + rng.standard_normal(S)
    frame = pd.DataFrame({"true_value": truth, "estimate": est, "ci_low": est - 1.96,
                          "ci_high": est + 1.96, "converged": True},
                         index=pd.Index(np.arange(S), name="replicate"))
    frame.loc[list(failed), ["estimate", "converged"]] = [np.nan, False]
    return frame


def test_pairs_leave_out_a_replicate_where_either_fit_failed():
    rng = np.random.default_rng(8)
    est, ref = _cell(rng, 40, failed=(3, 7)), _cell(rng, 40, failed=(7, 20))
    ref = ref.drop(index=39)  # a replicate without a row of the reference
    out = pair_cell(est, ref, "normal")
    assert (out["used"], out["left_out"], out["coverage_used"]) == (36, 4, 36)
    keep = [i for i in range(39) if i not in (3, 7, 20)]
    e = est.loc[keep, "estimate"].to_numpy() - 2.0
    r = ref.loc[keep, "estimate"].to_numpy() - 2.0
    assert out["bias_diff"] == pytest.approx(np.mean(e - r), abs=1e-12)
    assert out["relative_precision"] == pytest.approx(
        100 * (r.var(ddof=1) / e.var(ddof=1) - 1), rel=1e-12)
    cov = (np.abs(e) <= 1.96).astype(float) - (np.abs(r) <= 1.96).astype(float)
    assert out["coverage_diff_mcse"] == pytest.approx(
        math.sqrt(cov.var(ddof=1) / 36), abs=1e-12)


def test_gamma_shape_mle_over_mom_reaches_fisher_efficiency():
    # Fisher (1922): the moment estimator of the gamma shape k has asymptotic relative
    # efficiency 1 / (2 (k + 1) (k psi'(k) - 1)), so the MLE's relative precision over
    # it tends to 100 (2 (k + 1) (k psi'(k) - 1) - 1) = 73.9 % at k = 2. At n = 1000,
    # R = 2000 paired datasets (batched estimators): within 3 MCSEs by either method.
    k = 2.0
    exact = 100 * (2 * (k + 1) * (k * special.polygamma(1, k) - 1) - 1)
    assert exact == pytest.approx(73.92, abs=0.01)
    fam = get_family("gamma")
    theta = {"shape": k, "rate": 1.0}
    x = fam.sample(np.random.default_rng(1922), theta, (2000, 1000))
    fits = {name: make_estimator(name).fit(fam, x, fam.fixed_values(theta), ("shape",),
                                           0.95)["shape"].estimate - k
            for name in ("mle", "mom")}
    for fn in (rp_normal, rp_robust):
        value, mcse = fn(fits["mle"], fits["mom"])
        assert abs(value - exact) < 3 * mcse, (fn.__name__, value, mcse)


def _study(tmp_path, compare, expect=""):
    text = (ROOT / "studies" / "gamma_mle_vs_mom.yaml").read_text()
    text = text.split("compare:")[0] + compare + "\n" + expect
    path = tmp_path / "paired_study.yaml"
    path.write_text(text)
    return path


def test_compare_key_is_read_and_a_bad_reference_is_refused(tmp_path):
    s = load_study(ROOT / "studies" / "gamma_mle_vs_mom.yaml")
    assert (s.compare.reference, s.compare.mcse) == ("mom", "normal")
    assert load_study(_study(tmp_path, "compare: mle")).compare.reference == "mle"
    with pytest.raises(StudyError) as exc:
        load_study(_study(tmp_path, "compare: {reference: map, mcse: robust}"))
    text = str(exc.value)
    assert "paired_study.yaml" in text and "compare.reference" in text
    assert "'map' is not an estimator" in text and "mle, mom" in text
    with pytest.raises(StudyError, match="compare"):
        load_study(_study(tmp_path, "compare: {reference: mom, mcse: bootstrap}"))
    # a paired claim on the reference itself, or without compare:, is refused
    claim = "expect:\n  - {measure: paired_mse_ratio, estimator: mom, estimand: shape, below: 1}\n"
    with pytest.raises(StudyError, match=r"expect\[0\].measure"):
        load_study(_study(tmp_path, "compare: mom", claim))
    with pytest.raises(StudyError, match="add compare:"):
        load_study(_study(tmp_path, "", claim.replace("mom", "mle")))


def test_the_precision_rule_says_cannot_tell_within_two_mcses():
    from fisherlab.verdicts import judge
    from fisherlab.verdicts.paired import Z, precision_verdict

    assert Z == 2.0
    assert precision_verdict(5.0, 2.0) == "more precise"  # z = 2.5
    assert precision_verdict(-5.0, 2.0) == "less precise"
    assert precision_verdict(3.9, 2.0) == "cannot tell"  # z = 1.95
    assert precision_verdict(50.0, float("nan")) == "cannot tell"
    paired = pd.DataFrame({"true_mu": 0.0, "n": [10, 20], "estimator": "mle",
                           "reference": "mom", "estimand": "mu", "used": [98, 100],
                           "left_out": [2, 0], "relative_precision": [30.0, 3.0],
                           "relative_precision_mcse": [10.0, 10.0],
                           "mcse_method": "normal"})
    summary = pd.DataFrame({"true_mu": 0.0, "n": [10, 20], "estimator": "mle",
                            "estimand": "mu", "n_rep": 100, "n_failed": [2, 0]})
    study = type("S", (), {"claims": ()})()
    verdicts, _ = judge(study, {"summary": summary, "paired": paired})
    rows = verdicts[verdicts["question"] == "precision"]
    assert list(rows["verdict"]) == ["more precise", "cannot tell"]
    assert list(rows["used"]) == [98, 100] and list(rows["left_out"]) == [2, 0]
    assert rows["left_out_why"].iloc[0] == "2 replicates where either fit failed"
    assert "2 MCSEs" in rows["rule"].iloc[0] and "normal MCSE" in rows["rule"].iloc[0]


def test_validate_refuses_a_reference_that_is_not_an_estimator(tmp_path, capsys):
    from fisherlab.cli.app import main

    path = _study(tmp_path, "compare: {reference: unbiased}")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr()
    text = err.out + err.err
    assert f"FAIL {path}" in text
    assert "key 'compare.reference': the reference 'unbiased' is not an estimator" in text
