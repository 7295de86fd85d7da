"""Fuzz what runs before any job: whatever the file holds, loading it and checking its
cost plan (as the workflow does) gives a Study or a StudyError naming the file, never
another exception, never a hang (each file under 5 s), in bounded memory, and never
evaluates anything.

Examples per test: ``FISHERLAB_FUZZ_EXAMPLES`` (default 150). The 10^4-file run:

    FISHERLAB_FUZZ_EXAMPLES=1000 pytest tests/test_fuzz.py tests/test_fuzz_numbers.py -s

prints the number of files checked, the slowest file's time and the peak RSS.
"""

from __future__ import annotations

import copy
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fisherlab.core.errors import StudyError
from fisherlab.spec.load import load_study
from fisherlab.spec.study import Study

from .fuzzing import (
    EXAMPLES,
    SETTINGS,
    VALID,
    check,
    dump,
    paths,
    report_the_numbers,  # noqa: F401 - the module's numbers, printed at its end
    trees,
)

#: a hostile file that is not refused (an alias bomb expanded, deep nesting scanned)
#: hangs rather than fails: pytest-timeout stops each test long before the suite's
#: default (the slowest takes ~3 s at 150 examples; the limit grows with the examples)
pytestmark = [pytest.mark.timeout(30 * max(1, EXAMPLES // 150)),
              pytest.mark.usefixtures("report_the_numbers")]


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


@SETTINGS
@given(stem=st.one_of(st.sampled_from(["index.html", "logs", "Index.HTML", "LOGS",
                                       "index.html.tmp", "index", "log", "results", "a" * 100,
                                       "a" * 101, "_x", "x.", "x..y"]),
                      st.text(min_size=1, max_size=20)))
def test_any_study_name(tmp_path, stem):
    try:
        p = tmp_path / f"{stem}.yaml"
        p.write_text(dump(VALID))
    except (OSError, ValueError):
        return  # the file system refuses this name
    if p.parent != tmp_path:
        return  # a name with a path separator is not a file of this folder
    study = check(p)
    if stem.lower() in ("index.html", "logs"):
        assert study is None


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
