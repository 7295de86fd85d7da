"""Fuzz the numbers and the YAML tricks of otherwise valid study files: hostile values
in every numeric key, floats where integers belong, aliases and hostile snippets
anywhere. Every file gets the check of tests/fuzzing.py (a Study or a StudyError naming
the file, under 5 s, in bounded memory)."""

from __future__ import annotations

import copy
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .fuzzing import (
    EXAMPLES,
    SETTINGS,
    VALID,
    check,
    dump,
    report_the_numbers,  # noqa: F401 - the module's numbers, printed at its end
)

pytestmark = [pytest.mark.timeout(30 * max(1, EXAMPLES // 150)),
              pytest.mark.usefixtures("report_the_numbers")]


#: valid studies that between them hold every numeric key a study file has
NUMERIC_DOCS = [
    {**VALID, "estimators": [{"mle": {"tol": 1e-8, "maxiter": 100, "starts": 2}}, "unbiased"],
     "fit_timeout": 10.0, "max_failure_rate": 0.5},
    {"description": "bayes", "model": {"family": "bernoulli", "params": {"p": [0.2, 0.5]}},
     "sample_sizes": [5, 20], "replications": 200, "seed": 3,
     "estimators": ["mle", {"map": {"prior": {"p": {"dist": "Beta", "alpha": 2, "beta": 2}}}},
                    {"posterior": {"draws": 500, "tune": 500, "chains": 2, "max_rhat": 1.02,
                                   "min_ess": 100, "seed": 1}}]},
    {"description": "regression", "model": {
        "family": "linear_regression", "params": {"beta0": 1.0, "beta1": [0.5, 1.0],
                                                  "sigma": 1.0},
        "design": {"covariates": [{"name": "x", "distribution": "norm", "loc": 0.0,
                                   "scale": 1.0}]}},
     "sample_sizes": [20], "replications": 200, "seed": 4, "estimators": ["mle"]},
    {**VALID, "model": {"family": "normal", "params": {
        "mu": {"dist": "Normal", "mu": 0.0, "sigma": 1.0}, "sigma": 2.0}}},
    {**VALID, "model": {"family": "binomial", "params": {"p": 0.3, "trials": [5, 10]}},
     "estimators": ["mle"], "estimands": ["p"]},
]


def numeric_paths(node, path=()):
    """Paths to every number in a document."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from numeric_paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from numeric_paths(v, (*path, i))
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield path


def put(doc, path, value):
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value


HOSTILE_NUMBERS = st.one_of(
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -1e308, 10**400,
                     -(10**400), 2**64, 2**63 - 1, 1e-320, -0.0, 0.0, 10.0, 1e9, 1e10,
                     10**10, 10**8, 100_000_000, 1e15, 2.5, -1, 0, 1, 2]),
    st.floats(), st.integers(min_value=-(2**80), max_value=2**80))


@SETTINGS
@given(data=st.data(), which=st.integers(0, len(NUMERIC_DOCS) - 1))
def test_hostile_numbers_in_every_numeric_key(tmp_path, data, which):
    doc = copy.deepcopy(NUMERIC_DOCS[which])
    paths = list(numeric_paths(doc))
    chosen = data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=3, unique=True))
    values = [data.draw(HOSTILE_NUMBERS) for _ in chosen]
    for path, value in zip(chosen, values, strict=True):
        put(doc, path, value)
    p = tmp_path / "fuzz.yaml"
    p.write_text(dump(doc), encoding="utf-8")
    study = check(p)
    if any(isinstance(v, float) and v != v for v in values):  # NaN: never accepted
        assert study is None


@SETTINGS
@given(which=st.integers(0, len(NUMERIC_DOCS) - 1), data=st.data())
def test_floats_where_integers_belong(tmp_path, which, data):
    doc = copy.deepcopy(NUMERIC_DOCS[which])
    ints = [q for q in numeric_paths(doc) if isinstance(_get(doc, q), int)]
    path = data.draw(st.sampled_from(ints))
    put(doc, path, float(_get(doc, path)))
    p = tmp_path / "fuzz.yaml"
    p.write_text(dump(doc), encoding="utf-8")
    study = check(p)
    if path[0] in ("sample_sizes", "replications", "seed"):
        assert study is None  # refused, with a message saying to drop the ".0"


def _get(doc, path):
    for k in path:
        doc = doc[k]
    return doc


def laughs(levels: int, width: int, name: str) -> str:
    text = f"&{name}0 [1" + ", 1" * (width - 1) + "]"
    for i in range(1, levels):
        text = f"&{name}{i} [{text}" + f", *{name}{i - 1}" * (width - 1) + "]"
    return text


@SETTINGS
@given(which=st.integers(0, len(NUMERIC_DOCS) - 1), data=st.data(),
       levels=st.integers(1, 14), width=st.integers(1, 14),
       name=st.text(alphabet=string.ascii_letters, min_size=1, max_size=3))
def test_aliases_anywhere_are_refused_before_expansion(tmp_path, which, data, levels, width,
                                                       name):
    doc = copy.deepcopy(NUMERIC_DOCS[which])
    spots = [q for q in numeric_paths(doc)] + [("estimators",), ("sample_sizes",),
                                               ("estimands",), ("junk",)]
    path = data.draw(st.sampled_from(spots))
    put(doc, path, "BOMB_HERE")
    text = dump(doc).replace("BOMB_HERE", laughs(levels, width, name), 1)
    p = tmp_path / "fuzz.yaml"
    p.write_text(text, encoding="utf-8")
    assert check(p) is None


SNIPPETS = ["&a ", "*a", "<<: *a", "!!python/name:os.system", "!!binary", "? ", ": ", "- ",
            "{", "}", "[", "]", ",", "\t", "'", '"', "|", ">", "%YAML 1.1\n", "---\n",
            "...\n", ".nan", ".inf", "-.inf", "1e999", "0x7fffffffffffffff", "0o777", "~",
            "\ufeff", "\x00", "9" * 5000, "1.0e308", "10.0", "yes", "2001-12-14"]


@SETTINGS
@given(which=st.integers(0, len(NUMERIC_DOCS) - 1), data=st.data())
def test_valid_text_with_hostile_snippets(tmp_path, which, data):
    text = dump(NUMERIC_DOCS[which])
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + data.draw(st.sampled_from(SNIPPETS)) + text[at:]
    p = tmp_path / "fuzz.yaml"
    p.write_text(text, encoding="utf-8", errors="surrogatepass")
    check(p)
