"""Measures as plug-ins: the MCSE methods against exact identities and asymptotic
values, the built-in measures against the Morris et al. formulas they share, and a
study file's ``measures:`` read, refused and run."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fisherlab.cli import app as cli
from fisherlab.core.errors import StudyError
from fisherlab.core.seeds import measure_rng
from fisherlab.pipeline import stages
from fisherlab.spec.load import load_study
from fisherlab.stats.measures import performance
from fisherlab.stats.plugins import (
    BOOTSTRAP,
    CLOSED_FORM,
    COLUMNS,
    JACKKNIFE,
    MEASURES,
    Cell,
    MeasureSpec,
    evaluate,
    resolve,
)
from fisherlab.stats.plugins.mcse import jackknife, median_se

from .conftest import ROOT


def spec(name: str, method: str | None = None, **args) -> MeasureSpec:
    m = resolve(name)
    method = method or (CLOSED_FORM if m.closed_form else JACKKNIFE)
    return MeasureSpec(name, m.text({**m.args, **args}), {**m.args, **args}, m, method)


# --------------------------------------------------------------------------- jackknife
def test_jackknife_of_mean_bias_is_s_over_root_S():
    x = np.random.default_rng(1).gamma(2.0, 3.0, 500)  # skewed: no normal shortcut
    se = jackknife(lambda keep: performance(x[keep], 6.0)["bias"], x.size)
    assert se == pytest.approx(x.std(ddof=1) / math.sqrt(x.size), rel=1e-12, abs=0)
    # and it is Morris et al.'s bias MCSE
    assert se == pytest.approx(performance(x, 6.0)["bias_mcse"], rel=1e-12, abs=0)


def test_jackknife_of_coverage_is_binomial_with_S_minus_1():
    rng = np.random.default_rng(2)
    S = 400
    est = rng.normal(0.0, 1.0, S)
    lo, hi = est - 1.6, est + 1.6
    cov = performance(est, 0.0, None, lo, hi)["coverage"]
    se = jackknife(lambda keep: performance(est[keep], 0.0, None, lo[keep],
                                            hi[keep])["coverage"], S)
    assert 0.8 < cov < 0.95
    assert se == pytest.approx(math.sqrt(cov * (1 - cov) / (S - 1)), rel=1e-12, abs=0)


def test_grouped_jackknife_beyond_the_limit_still_estimates_s_over_root_S():
    x = np.random.default_rng(3).normal(0.0, 2.0, 20_000)
    se = jackknife(lambda keep: x[keep].mean(), x.size)  # 1000 groups of 20
    # the grouped estimate of a variance from 1000 groups: relative SE sqrt(1/(2 * 999))
    assert se == pytest.approx(x.std(ddof=1) / math.sqrt(x.size),
                               rel=4 * math.sqrt(1 / (2 * 999)))


# --------------------------------------------------------------------------- medians
def test_median_bias_declares_a_closed_form_and_refuses_the_jackknife():
    m = MEASURES["median_bias"]
    assert m.closed_form is not None and not m.smooth
    assert spec("median_bias").mcse == CLOSED_FORM


def test_a_measure_without_a_formula_gets_the_jackknife_or_if_not_smooth_the_bootstrap(
        tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    s = load_study(write(tmp_path, "measures:\n  - winsorised_bias\n"
                         "  - \"python:studies.models.my_measures:hodges_lehmann_bias\"\n"))
    assert [m.mcse for m in s.measures] == [JACKKNIFE, BOOTSTRAP]


def test_median_bias_mcse_is_the_asymptotic_sqrt_pi_over_2_sigma_over_root_S():
    S, sigma = 10_000, 2.0
    want = math.sqrt(math.pi / 2) * sigma / math.sqrt(S)
    rng = np.random.default_rng(20261207)
    x = rng.normal(5.0, sigma, S)
    value, mcse = evaluate(spec("median_bias"), Cell.of(x, 5.0))
    assert value == np.median(x - 5.0)
    assert mcse == pytest.approx(want, rel=0.05)
    # over 20 samples the kernel estimate's own noise (~2.2% each) averages out; its
    # bias at Silverman's bandwidth is h^2 / 2 sigma^2 ~ 1%
    ratios = [median_se(rng.normal(0.0, sigma, S)) / want for _ in range(20)]
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.025)


# --------------------------------------------------------------------------- built-ins
def test_trimmed_bias_mcse_is_the_winsorised_variance_formula():
    S, g = 10_000, 0.1
    e = np.random.default_rng(4).normal(0.0, 1.0, S)
    value, mcse = evaluate(spec("trimmed_bias"), Cell.of(e, 0.0))
    assert value == pytest.approx(stats.trim_mean(e, g), rel=1e-14)
    # the 10%-trimmed mean of N(0, 1): variance sigma_w^2 / (1 - 2g)^2, sigma_w^2 =
    # (2 Phi(c) - 1) - 2 c phi(c) + 2 g c^2 with c = z_(1-g)
    c = stats.norm.isf(g)
    var_w = (1 - 2 * g) - 2 * c * stats.norm.pdf(c) + 2 * g * c**2
    assert mcse == pytest.approx(math.sqrt(var_w / (1 - 2 * g) ** 2 / S), rel=0.05)
    # and the jackknife, for a smooth measure, agrees with the formula
    _, jk = evaluate(spec("trimmed_bias", JACKKNIFE), Cell.of(e, 0.0))
    assert jk == pytest.approx(mcse, rel=0.1)


def test_rejection_rate_is_one_minus_the_wald_coverage():
    rng = np.random.default_rng(5)
    S, alpha = 3000, 0.1
    truth = 2.0
    se = rng.uniform(0.5, 1.5, S)
    est = truth + rng.standard_t(4, S) * se
    z = stats.norm.isf(alpha / 2)
    cov = performance(est, truth, se, est - z * se, est + z * se)["coverage"]
    value, mcse = evaluate(spec("rejection_rate", alpha=alpha), Cell.of(est, truth, se))
    assert value == pytest.approx(1 - cov, abs=1e-15)
    assert mcse == pytest.approx(math.sqrt(value * (1 - value) / S), rel=1e-14)
    assert value > alpha  # t(4) errors: heavier tails than the normal the test assumes


def test_relative_measures_are_the_morris_formulas():
    rng = np.random.default_rng(6)
    est, se = rng.normal(3.0, 0.5, 800), rng.uniform(0.4, 0.6, 800)
    p = performance(est, 2.5, se)
    cell = Cell.of(est, 2.5, se)
    assert evaluate(spec("relerr_modelse"), cell) == (p["relerr_modelse"],
                                                      p["relerr_modelse_mcse"])
    value, mcse = evaluate(spec("relative_bias"), cell)
    assert value == p["rel_bias"] and mcse == pytest.approx(p["bias_mcse"] / 2.5)


def test_bootstrap_is_reproducible_from_the_study_seed_and_near_the_formula():
    e = np.random.default_rng(7).normal(0.0, 1.0, 2000)
    cell = Cell.of(e, 0.0)
    words = (1, "normal", {"mu": 0.0}, 10, "mle", "mu", "trimmed_bias")
    a = evaluate(spec("trimmed_bias", BOOTSTRAP), cell, measure_rng(*words))
    b = evaluate(spec("trimmed_bias", BOOTSTRAP), cell, measure_rng(*words))
    assert a == b
    _, formula = evaluate(spec("trimmed_bias"), cell)
    # 1000 resamples: the bootstrap SD's own relative SE is about 1/sqrt(2000)
    assert a[1] == pytest.approx(formula, rel=0.1)
    other = evaluate(spec("trimmed_bias", BOOTSTRAP), cell, measure_rng(*words[:-1], "x"))
    assert other[1] != a[1]


# --------------------------------------------------------------------------- study files
BASE = """description: a test
model: {family: normal, params: {mu: 0.0, sigma: 1.0}}
sample_sizes: [10]
replications: 200
seed: 11
estimators: [mle]
estimands: [mu]
"""


def write(tmp_path, text: str, name: str = "m"):
    p = tmp_path / f"{name}.yaml"
    p.write_text(BASE + text)
    return p


@pytest.mark.parametrize(("text", "key", "words"), [
    ("measures: [median_bais]\n", "measures[0].name", "known: median_abs_error"),
    ("measures: [{name: trimmed_bias, trim: 0.7}]\n", "measures[0]", "between 0 and 0.5"),
    ("measures: [{name: trimmed_bias, cut: 0.2}]\n", "measures[0]", "its arguments: trim"),
    ("measures: [{name: median_bias, mcse: jackknife}]\n", "measures[0].mcse",
     "inconsistent"),
    ("measures: [{name: winsorised_bias, mcse: closed form}]\n", "measures[0].mcse",
     "no closed-form"),
    ("measures: [median_bias, median_bias]\n", "measures[1].name", "twice"),
    ("measures: [{name: rejection_rate, mcse: exact}]\n", "measures", ""),
    ("measures: [\"python:studies.models.nothing_here:f\"]\n", "measures[0].name",
     "cannot import"),
    ("expect:\n  - {measure: median_bias, estimator: mle, equals: 0}\n", "expect[0].measure",
     "listed under measures:"),
])
def test_bad_measures_name_the_key_and_what_is_allowed(tmp_path, text, key, words):
    with pytest.raises(StudyError) as err:
        load_study(write(tmp_path, text))
    msg = str(err.value)
    assert "m.yaml" in msg and key in msg and words in msg


def test_study_measures_interface(tmp_path):
    s = load_study(write(tmp_path, "measures:\n  - median_bias\n"
                         "  - {name: trimmed_bias, trim: 0.2, mcse: bootstrap}\n"
                         "expect:\n  - {measure: trimmed_bias, estimator: mle, equals: 0}\n"))
    assert [(m.name, m.args, m.mcse) for m in s.measures] == [
        ("median_bias", {}, CLOSED_FORM), ("trimmed_bias", {"trim": 0.2}, BOOTSTRAP)]
    assert s.measures[1].label == "trimmed bias (20% each end)"
    assert s.measures[1].measure is MEASURES["trimmed_bias"]
    assert s.claims[0].measure == "trimmed_bias"


def test_a_python_measure_runs_in_a_study(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # python: modules are found from the project root
    mod = "python:studies.models.my_measures"
    path = write(tmp_path, f"measures:\n  - \"{mod}:trimmed_mse\"\n"
                 f"  - {{name: \"{mod}:hodges_lehmann_bias\", mcse: bootstrap}}\n"
                 "  - median_bias\n"
                 f"expect:\n  - {{measure: \"{mod}:hodges_lehmann_bias\", estimator: mle, "
                 "equals: 0}\n", name="custom_measures")
    study = load_study(path)
    folder = stages.run(study, tmp_path / "res", chunk_size=100, html_page=False,
                        echo=lambda *_: None)
    t = pd.read_csv(folder / "measures.csv")
    assert list(t.columns) == ["true_mu", "true_sigma", *COLUMNS]
    assert list(t["measure"]) == [f"{mod}:trimmed_mse", f"{mod}:hodges_lehmann_bias",
                                  "median_bias"]
    assert list(t["mcse_method"]) == [JACKKNIFE, BOOTSTRAP, CLOSED_FORM]
    assert (t["replicates"] == 200).all() and (t["mcse"] > 0).all()
    rows = pd.read_parquet(folder / "estimates.parquet")
    e = np.sort((rows["estimate"] - rows["true_value"]).to_numpy() ** 2)
    assert t["value"].iloc[0] == pytest.approx(e[:180].mean(), rel=1e-12)
    summary = pd.read_csv(folder / "summary.csv")
    assert t["value"].iloc[0] < summary["mse"].iloc[0]  # the largest errors left out
    claims = pd.read_csv(folder / "claims.csv")
    assert list(claims["measure"]) == [f"{mod}:hodges_lehmann_bias"]
    assert claims["text"].iloc[0].startswith("Hodges–Lehmann bias of mle (mu) equals 0")
    assert claims["value"].iloc[0] == t["value"].iloc[1]
    # made again from the same rows by the workflow's command: the same bytes (the
    # bootstrap's seed is the study's)
    again = tmp_path / "again.csv"
    assert cli.main(["measures", "--study", str(path), "--dir", str(folder),
                     "--out", str(again)]) == 0
    assert again.read_bytes() == (folder / "measures.csv").read_bytes()


def test_a_failing_python_measure_is_named_with_its_cell(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    path = write(tmp_path, 'measures: ["python:tests.faulty_measures:broken"]\n')
    with pytest.raises(RuntimeError, match=r"measure 'python:tests.faulty_measures:broken' "
                       r"failed on mu=0_sigma=1/n10 mle mu: ZeroDivisionError"):
        stages.run(load_study(path), tmp_path / "res", chunk_size=100, html_page=False,
                   echo=lambda *_: None)


def test_a_python_object_that_is_no_measure_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(StudyError, match="must be a fisherlab Measure or a function"):
        load_study(write(tmp_path, 'measures: ["python:tests.faulty_measures:not_a_measure"]\n'))


def test_no_measures_no_file(tmp_path):
    folder = stages.run(load_study(write(tmp_path, "")), tmp_path / "res", chunk_size=100,
                        html_page=False, echo=lambda *_: None)
    assert not (folder / "measures.csv").exists()
