"""What the fuzz tests share: the check every file gets (a Study or a StudyError naming
the file, under 5 s, in bounded memory), the numbers they report, and their strategies.

Examples per test: ``FISHERLAB_FUZZ_EXAMPLES`` (default 150); see tests/test_fuzz.py.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from fisherlab.core import alarm
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

    with alarm.time_limit(seconds, lambda: TookTooLong(
            f"still checking a file after {seconds:g} s: {what}")):
        yield


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


@pytest.fixture(scope="module")
def report_the_numbers():
    """Print, after a module's tests, how many files it checked and what they cost."""
    STATS.update(files=0, studies=0, errors=0, max_seconds=0.0, slowest="", max_growth=0,
                 base_rss=rss())
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
