"""Fuzz the study loader: whatever the file holds, load_study returns a Study or raises
StudyError, never another exception, never hangs, never evaluates anything."""

from __future__ import annotations

import copy
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fisherlab.study import Study, StudyError, load_study

VALID = {
    "description": "a valid study",
    "model": {"family": "normal", "params": {"mu": [0.0, 1.0], "sigma": 2.0}},
    "sample_sizes": [5, 10],
    "replications": 200,
    "seed": 1,
    "estimators": ["mle", {"unbiased": None}],
    "estimands": ["mu", "sigma2"],
    "interval": {"level": 0.9},
}

SETTINGS = settings(max_examples=150, deadline=2000, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.text(alphabet="αβγ🙂\u202e\x85\u2028 ", max_size=8),
    st.sampled_from(["mle", "mom", "normal", "mu", "sigma", "0.5", "1e999", "-.inf",
                     ".nan", "~", "yes", "2001-12-14", "0x1F", "!!python/none"]),
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.text(max_size=10), st.integers()),
                                            inner, max_size=4)),
    max_leaves=20)
paths = st.lists(st.sampled_from(list(VALID) + ["model.family", "model.params",
                                                "model.params.mu", "model.params.sigma"]),
                 min_size=1, max_size=3)


def check(path: Path) -> Study | None:
    try:
        return load_study(path)
    except StudyError as exc:  # the only error allowed, naming the file
        assert str(path) in str(exc)
        return None


def dump(doc) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def test_the_valid_base_loads(tmp_path):
    p = tmp_path / "base.yaml"
    p.write_text(dump(VALID))
    assert isinstance(check(p), Study)


@SETTINGS
@given(tree=trees)
def test_any_yaml_tree_as_the_whole_file(tmp_path, tree):
    p = tmp_path / "fuzz.yaml"
    p.write_text(dump(tree), encoding="utf-8")
    check(p)


@SETTINGS
@given(where=paths, value=trees, drop=st.booleans())
def test_one_key_replaced_or_removed(tmp_path, where, value, drop):
    doc = copy.deepcopy(VALID)
    for dotted in where:
        *parents, last = dotted.split(".")
        node = doc
        for k in parents:
            node = node.get(k) if isinstance(node, dict) else None
        if isinstance(node, dict):
            if drop:
                node.pop(last, None)
            else:
                node[last] = value
    p = tmp_path / "fuzz.yaml"
    p.write_text(dump(doc), encoding="utf-8")
    check(p)


@SETTINGS
@given(extra=st.dictionaries(st.text(min_size=1, max_size=12), trees, min_size=1,
                             max_size=3))
def test_unknown_keys(tmp_path, extra):
    doc = {**VALID, **extra}
    p = tmp_path / "fuzz.yaml"
    p.write_text(dump(doc), encoding="utf-8")
    result = check(p)
    if set(extra) - set(VALID):
        assert result is None


@SETTINGS
@given(text=st.text(alphabet=string.printable + "{}[]:-&*!|>'\"%@`#αβ🙂\t\n", max_size=300))
def test_arbitrary_text(tmp_path, text):
    p = tmp_path / "fuzz.yaml"
    p.write_text(text, encoding="utf-8")
    check(p)


@SETTINGS
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes(tmp_path, data):
    p = tmp_path / "fuzz.yaml"
    p.write_bytes(data)
    check(p)


@pytest.mark.parametrize("depth", [50, 1000, 100_000])
@pytest.mark.parametrize("where", ["top", "sample_sizes", "params"])
def test_deep_nesting(tmp_path, depth, where):
    nest = "[" * depth + "1" + "]" * depth
    text = {"top": nest,
            "sample_sizes": dump({**VALID, "sample_sizes": None}).replace(
                "sample_sizes: null", f"sample_sizes: {nest}"),
            "params": dump(VALID).replace("sigma: 2.0", f"sigma: {nest}")}[where]
    p = tmp_path / "deep.yaml"
    p.write_text(text)
    assert check(p) is None


@pytest.mark.parametrize("text", [
    "!!python/object/apply:os.system ['touch /tmp/fisherlab_pwned']",
    "description: !!python/object/new:os.system [echo pwned]\n",
    "a: &a [*a]\n",  # a recursive alias
    "a: &a [1]\nb: [*a, *a, *a]\n" * 1,
    "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else '1'}]\n"
            for i in range(8)),  # billion laughs, small
])
def test_nothing_is_evaluated_and_aliases_do_not_explode(tmp_path, text):
    p = tmp_path / "evil.yaml"
    p.write_text(text)
    assert check(p) is None
    assert not Path("/tmp/fisherlab_pwned").exists()


@pytest.mark.parametrize("value, key", [
    (10**400, "model.params.mu"), (-(10**400), "model.params.mu"), (1e308, None),
    (float("inf"), "model.params.mu"), (float("nan"), "model.params.mu"),
])
def test_huge_numbers(tmp_path, value, key):
    doc = copy.deepcopy(VALID)
    doc["model"]["params"]["mu"] = value
    p = tmp_path / "huge.yaml"
    p.write_text(dump(doc))
    if key is None:
        assert check(p).params["mu"] == [value]
    else:
        with pytest.raises(StudyError) as err:
            load_study(p)
        assert err.value.key == key


def test_a_huge_grid_is_refused_before_it_is_built(tmp_path):
    doc = copy.deepcopy(VALID)
    doc["model"]["params"] = {"mu": [float(i) for i in range(1000)],
                              "sigma": [float(i + 1) for i in range(1000)]}
    p = tmp_path / "grid.yaml"
    p.write_text(dump(doc))
    with pytest.raises(StudyError, match="1000000 combinations"):
        load_study(p)


@pytest.mark.parametrize("stem", ["..", ".hidden", "with space", "é", "x" * 101, "-dash",
                                  "a\\b", "nul\x01"])
def test_a_study_name_must_be_plain(tmp_path, stem):
    """The study's name is its file stem and names results/<name>/: only plain names."""
    p = tmp_path / f"{stem}.yaml"
    try:
        p.write_text(dump(VALID))
    except (OSError, ValueError):
        pytest.skip("the file system refuses this name")
    with pytest.raises(StudyError, match="file name"):
        load_study(p)


@SETTINGS
@given(rel=st.lists(st.sampled_from(["..", ".", "studies", "x", "a.b"]), max_size=4))
def test_results_of_any_loaded_study_stay_under_results(tmp_path, rel):
    """Whatever path the study is loaded from, results/<name> stays inside results/."""
    d = tmp_path.joinpath("w", "s", "t")
    d.mkdir(parents=True, exist_ok=True)
    p = d.joinpath(*rel, "mystudy.yaml")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(dump(VALID))
    study = load_study(p)
    results = (tmp_path / "results").resolve()
    assert (results / study.name).resolve().parent == results
