"""Fuzz what runs before any job: whatever the file holds, loading it and checking its
cost plan (as the workflow does) gives a Study or a StudyError naming the file, never
another exception, never a hang (each file under 5 s), in bounded memory, and never
evaluates anything.

Examples per test: ``FISHERLAB_FUZZ_EXAMPLES`` (default 150). The 10^4-file run:

    FISHERLAB_FUZZ_EXAMPLES=1000 pytest tests/test_fuzz.py -s -p no:randomly

prints the number of files checked, the slowest file's time and the peak RSS.
"""

from __future__ import annotations

import contextlib
import copy
import os
import resource
import signal
import string
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fisherlab.core.errors import StudyError
from fisherlab.plan.cost import check_limits, study_cost
from fisherlab.spec.load import load_study
from fisherlab.spec.study import Study

EXAMPLES = int(os.environ.get("FISHERLAB_FUZZ_EXAMPLES", "150"))
#: most seconds one file may take; most the process's resident memory may grow while
#: this module checks files (over what earlier tests of the same process left: PyMC,
#: JAX and compiled models are 1-3 GB, which says nothing about the loader; the alias
#: bomb of the issue took 2-3 GB more)
MAX_SECONDS, MAX_GROWTH = 5.0, 1.0 * 2**30
#: a hostile file that is not refused (an alias bomb expanded, deep nesting scanned)
#: hangs rather than fails: pytest-timeout stops each test long before the suite's
#: default (the slowest takes ~3 s at 150 examples; the limit grows with the examples)
pytestmark = pytest.mark.timeout(30 * max(1, EXAMPLES // 150))
STATS = {"files": 0, "studies": 0, "errors": 0, "max_seconds": 0.0, "slowest": "",
         "base_rss": 0, "max_growth": 0}

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

SETTINGS = settings(max_examples=EXAMPLES, deadline=int(MAX_SECONDS * 1000), derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])

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


def rss() -> int:
    """Resident memory of this process now (bytes)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class TookTooLong(BaseException):
    """A file still being checked after MAX_SECONDS. A BaseException, so that Hypothesis
    does not catch it as an example's failure: it ends the test at once."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str):
    """Stop the block after ``seconds`` (SIGALRM) with :class:`TookTooLong` naming
    ``what``, and give an outer timer (pytest-timeout's) back what is left of it.

    pytest-timeout alone cannot stop a hanging file inside a Hypothesis test: its one
    alarm fails the example, Hypothesis catches that like any failure and goes on
    shrinking and replaying, with no alarm left (an unrefused alias bomb hung the alias
    test for minutes after its 30 s). A limit per file that Hypothesis lets through
    fails the test within ``seconds`` of the first file that hangs."""

    def alarm(signum, frame):
        raise TookTooLong(f"still checking a file after {seconds:g} s: {what}")

    old = signal.signal(signal.SIGALRM, alarm)
    t0 = time.monotonic()
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - t0), 1e-3))


def check(path: Path) -> Study | None:
    """Load and plan the cost, as before any job; only a StudyError naming the file."""
    t0 = time.perf_counter()
    try:
        with time_limit(MAX_SECONDS, repr(path.read_bytes()[:200])):
            study = load_study(path)
            check_limits([study_cost(study, 1000)])
        STATS["studies"] += 1
    except StudyError as exc:  # the only error allowed, naming the file
        assert str(path) in str(exc)
        STATS["errors"] += 1
        study = None
    finally:
        seconds = time.perf_counter() - t0
        STATS["files"] += 1
        if seconds > STATS["max_seconds"]:
            STATS["max_seconds"], STATS["slowest"] = seconds, path.read_bytes()[:200]
        growth = rss() - STATS["base_rss"]
        STATS["max_growth"] = max(STATS["max_growth"], growth)
    # not in `finally`: an AssertionError there would replace TookTooLong, which
    # Hypothesis would then catch
    assert seconds < MAX_SECONDS, seconds
    assert growth < MAX_GROWTH, growth
    return study


@pytest.fixture(scope="module", autouse=True)
def report_the_numbers():
    STATS["base_rss"] = rss()
    yield
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"\nfuzz: {STATS['files']} files checked ({STATS['studies']} valid studies, "
          f"{STATS['errors']} StudyErrors, 0 other exceptions); slowest file "
          f"{STATS['max_seconds']:.3f} s ({STATS['slowest'][:60]!r}); resident memory grew "
          f"at most {STATS['max_growth'] / 2**20:.0f} MiB over the "
          f"{STATS['base_rss'] / 2**20:.0f} MiB it started with (peak RSS of the test "
          f"process {peak / 2**20:.0f} MiB)")


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


# ------------------------------------------------------------ hostile files, by design
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
