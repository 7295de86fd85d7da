"""Every bad input stops with one message naming the file, the key and what is allowed."""

import pytest

from fisherlab.core.errors import StudyError
from fisherlab.estimators import estimators_for
from fisherlab.families import get_family
from fisherlab.spec.load import load_study

GOOD = """\
description: Bessel's correction
model:
  family: normal
  params: {mu: 5.0, sigma: [1.0, 2.0]}
sample_sizes: [5, 10]
replications: 200
seed: 1
estimators: [mle, unbiased, mom]
interval: {level: 0.95}
"""


def bad(write_study, text):
    path = write_study(text)
    with pytest.raises(StudyError) as info:
        load_study(path)
    msg = str(info.value)
    assert msg.startswith(str(path)), msg  # names the file
    return info.value


def test_good_study_loads(write_study):
    s = load_study(write_study(GOOD))
    assert s.name == "study" and s.family.name == "normal"
    assert [c.params for c in s.conditions()][::2] == [{"mu": 5.0, "sigma": 1.0},
                                                        {"mu": 5.0, "sigma": 2.0}]
    assert len(s.conditions()) == 4
    assert s.estimands == ["mu", "sigma"]
    assert [e.name for e in s.estimators] == ["mle", "unbiased", "mom"]


def test_product_of_lists(write_study):
    s = load_study(write_study(GOOD.replace("mu: 5.0", "mu: [0, 1, 2]")))
    assert len(s.param_grid()) == 6


def test_estimator_with_options_mapping(write_study):
    s = load_study(write_study(GOOD.replace("estimators: [mle, unbiased, mom]",
                                            "estimators: [mle, {mom: {}}]")))
    assert [e.name for e in s.estimators] == ["mle", "mom"]


def test_unknown_family(write_study):
    e = bad(write_study, GOOD.replace("family: normal", "family: normall"))
    assert e.key == "model.family"
    assert "did you mean 'normal'" in e.problem and "bernoulli" in e.problem


def test_unknown_estimator(write_study):
    e = bad(write_study, GOOD.replace("[mle, unbiased, mom]", "[mle, bayes]"))
    assert e.key == "estimators[1]"
    allowed = ", ".join(estimators_for(get_family("normal")))
    assert "unknown estimator 'bayes'" in e.problem
    assert f"allowed for normal: {allowed}" in e.problem
    assert "unbiased" in allowed


def test_estimator_that_does_not_apply(write_study):
    text = GOOD.replace("family: normal", "family: bernoulli").replace(
        "{mu: 5.0, sigma: [1.0, 2.0]}", "{p: 0.5}")
    e = bad(write_study, text)
    assert e.key == "estimators[1]"
    assert "'unbiased' does not apply to the bernoulli family" in e.problem
    do = estimators_for(get_family("bernoulli"))
    assert "unbiased" not in do and {"mle", "mom"} <= set(do)
    assert f"estimators that do: {', '.join(do)}" in e.problem


def test_unknown_estimator_option(write_study):
    e = bad(write_study, GOOD.replace("[mle, unbiased, mom]", "[{mom: {speed: 3}}]"))
    assert e.key == "estimators[0].mom.speed" and "allowed options" in e.problem


@pytest.mark.parametrize("key", ["description", "model", "sample_sizes", "replications",
                                 "seed", "estimators"])
def test_missing_key(write_study, key):
    lines = [ln for ln in GOOD.splitlines() if not ln.startswith(key)]
    if key == "model":
        lines = [ln for ln in lines if not ln.startswith("  ")]
    e = bad(write_study, "\n".join(lines) + "\n")
    assert e.key == key and "is missing" in e.problem and "required keys" in e.problem


def test_misspelled_key(write_study):
    e = bad(write_study, GOOD.replace("replications:", "replicatons:"))
    assert e.key == "replicatons"
    assert "did you mean 'replications'" in e.problem and "allowed:" in e.problem


def test_misspelled_nested_key(write_study):
    e = bad(write_study, GOOD.replace("params:", "parms:"))
    assert e.key == "model.parms" and "did you mean 'params'" in e.problem


def test_unknown_parameter(write_study):
    e = bad(write_study, GOOD.replace("sigma: [1.0, 2.0]", "sd: 1.0"))
    assert e.key == "model.params.sd" and "its parameters: mu, sigma" in e.problem


def test_missing_parameter(write_study):
    e = bad(write_study, GOOD.replace(", sigma: [1.0, 2.0]", ""))
    assert e.key == "model.params.sigma" and "needs mu, sigma" in e.problem


@pytest.mark.parametrize("sigma", ["0", "-1.0"])
def test_sigma_not_positive(write_study, sigma):
    e = bad(write_study, GOOD.replace("sigma: [1.0, 2.0]", f"sigma: [1.0, {sigma}]"))
    assert e.key == "model.params.sigma[1]"
    assert "outside the domain" in e.problem and "(0, inf)" in e.problem


@pytest.mark.parametrize("p", ["1.5", "-0.1"])
def test_p_outside_unit_interval(write_study, p):
    text = GOOD.replace("family: normal", "family: bernoulli").replace(
        "{mu: 5.0, sigma: [1.0, 2.0]}", f"{{p: {p}}}").replace("unbiased, ", "")
    e = bad(write_study, text)
    assert e.key == "model.params.p" and "[0, 1]" in e.problem


def test_uniform_needs_lower_below_upper(write_study):
    text = GOOD.replace("family: normal", "family: uniform").replace(
        "{mu: 5.0, sigma: [1.0, 2.0]}", "{lower: 2.0, upper: 1.0}")
    e = bad(write_study, text)
    assert e.key == "model.params" and "must be below upper" in e.problem


def test_sample_size_below_family_minimum(write_study):
    e = bad(write_study, GOOD.replace("sample_sizes: [5, 10]", "sample_sizes: [1, 10]"))
    assert e.key == "sample_sizes" and "must be >= 2" in e.problem


def test_sample_size_below_estimator_minimum(write_study):
    text = GOOD.replace("family: normal", "family: exponential").replace(
        "{mu: 5.0, sigma: [1.0, 2.0]}", "{rate: 1.0}").replace("[5, 10]", "[2, 10]")
    e = bad(write_study, text)
    assert e.key == "sample_sizes" and "'unbiased'" in e.problem and ">= 3" in e.problem


@pytest.mark.parametrize("sizes", ["[5, 10.5]", "[5, ten]"])
def test_sample_size_not_integer(write_study, sizes):
    e = bad(write_study, GOOD.replace("[5, 10]", sizes))
    assert e.key == "sample_sizes[1]" and "must be an integer" in e.problem


def test_sample_size_zero(write_study):
    e = bad(write_study, GOOD.replace("[5, 10]", "[0, 10]"))
    assert e.key == "sample_sizes[0]" and "must be >= 1" in e.problem


@pytest.mark.parametrize("reps", ["1", "0", "-5"])
def test_replications_below_two(write_study, reps):
    e = bad(write_study, GOOD.replace("replications: 200", f"replications: {reps}"))
    assert e.key == "replications" and "must be >= 2" in e.problem


def test_level_outside_unit_interval(write_study):
    e = bad(write_study, GOOD.replace("level: 0.95", "level: 95"))
    assert e.key == "interval.level" and "must be < 1" in e.problem


def test_unknown_estimand(write_study):
    e = bad(write_study, GOOD + "estimands: [mu, variance]\n")
    assert e.key == "estimands[1]" and "sigma2" in e.problem


def test_estimand_the_estimator_does_not_give(write_study):
    text = GOOD.replace("family: normal", "family: poisson").replace(
        "{mu: 5.0, sigma: [1.0, 2.0]}", "{lam: 2.0}").replace("unbiased, ", "")
    path = write_study(text + "estimands: [lam, prob_zero]\n")
    assert load_study(path).estimands == ["lam", "prob_zero"]


@pytest.mark.parametrize("text, where", [
    ("description: [unclosed\n", "line 2"),
    ("model:\n  family: normal\n   params: 3\n", "line 3"),
    ("a: 1\na: 2\n", "duplicate key 'a'"),
])
def test_malformed_yaml(write_study, text, where):
    e = bad(write_study, text)
    assert "not valid YAML" in e.problem and where in str(e)


def test_not_a_mapping(write_study):
    e = bad(write_study, "- just\n- a list\n")
    assert "must be a mapping" in e.problem


def test_yaml_is_never_evaluated(write_study):
    e = bad(write_study, "description: !!python/object/apply:os.system ['true']\n")
    assert "not valid YAML" in e.problem


def test_study_name_must_be_a_safe_folder_name(tmp_path):
    p = tmp_path / "bad name!.yaml"
    p.write_text(GOOD)
    with pytest.raises(StudyError, match="file name must be"):
        load_study(p)
