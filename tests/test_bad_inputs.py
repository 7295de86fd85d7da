"""Hostile and careless study files, one table: each stops before any job (loading, then
the cost plan's limits, as the workflow and `fisherlab run` do) with one message naming
the file and the key, within a few seconds and a few hundred MB."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from fisherlab.core.errors import StudyError
from fisherlab.plan.cost import check_limits, study_cost
from fisherlab.spec.load import load_study
from fisherlab.spec.study import Study

#: a hostile file that is not refused (an alias bomb expanded, say) hangs rather than
#: fails: pytest-timeout stops it long before the suite's default limit (each case takes
#: well under a second)
pytestmark = pytest.mark.timeout(30)

BASE = """\
description: a valid study
model:
  family: normal
  params: {mu: [0.0, 1.0], sigma: 2.0}
sample_sizes: [5, 10]
replications: 200
seed: 1
estimators: [mle, unbiased]
estimands: [mu, sigma2]
interval: {level: 0.9}
"""
BAYES = """\
description: a valid Bayesian study
model: {family: bernoulli, params: {p: 0.3}}
sample_sizes: [5, 10]
replications: 200
seed: 1
estimators:
  - mle
  - posterior: {draws: 500, tune: 500, chains: 2, max_rhat: 1.02}
"""
REGRESSION = """\
description: a regression
model:
  family: linear_regression
  params: {beta0: 1.0, beta1: 0.5, sigma: 1.0}
  design: {covariates: [{name: x, distribution: norm, loc: 0.0, scale: 1.0}]}
sample_sizes: [20]
replications: 200
seed: 1
estimators: [mle]
"""


def sub(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


def laughs(levels: int = 9, width: int = 9, name: str = "a") -> str:
    """A billion-laughs list written inline: level i is ``&a<i> [<level i-1>, *a<i-1>,
    ...]`` (``width`` copies of level i - 1): under 600 bytes for 9 × 9, 9^9 = 387
    million leaves once expanded."""
    text = f"&{name}0 [1" + ", 1" * (width - 1) + "]"
    for i in range(1, levels):
        text = f"&{name}{i} [{text}" + f", *{name}{i - 1}" * (width - 1) + "]"
    return text


BOMB = laughs()
BIG = 10**400

# (id, file stem, text, key (one of the message's keys), fragment of that problem)
CASES = [
    # aliases: refused while composing, before any value is built
    ("bomb-param", "s", sub(BASE, "mu: [0.0, 1.0]", f"mu: {BOMB}"), "model.params.mu",
     "anchor (&a8) is not allowed"),
    ("bomb-estimands", "s", sub(BASE, "estimands: [mu, sigma2]", f"estimands: {BOMB}"),
     "estimands", "anchor"),
    ("bomb-sizes", "s", sub(BASE, "sample_sizes: [5, 10]", f"sample_sizes: {BOMB}"),
     "sample_sizes", "anchor"),
    ("bomb-elsewhere", "s", BASE + f"junk: {BOMB}\n", "junk", "anchor"),
    ("alias-of-key", "s", sub(BASE, "seed: 1", "seed: &s 1\nreplications2: *s"), "seed",
     "anchor (&s)"),
    ("merge-key", "s", BASE + "x: &base {a: 1}\ny:\n  <<: *base\n", "x", "anchor (&base)"),
    ("anchor-deep", "s", sub(BAYES, "  - mle\n", "  - mle\n  - map: {prior: {p: &p {dist: "
                             "Beta, alpha: 2, beta: 2}}}\n"), "estimators[1].map.prior.p",
     "anchor (&p)"),
    ("alias-in-list", "s", sub(BASE, "sigma: 2.0", "sigma: [1.0, *x]"),
     "model.params.sigma[1]", "alias (*x)"),
    # NaN and infinity: every JSON Schema bound is false for NaN
    ("nan-level", "s", sub(BASE, "level: 0.9", "level: .nan"), "interval.level", "finite"),
    ("nan-timeout", "s", BASE + "fit_timeout: .nan\n", "fit_timeout", "finite"),
    ("inf-timeout", "s", BASE + "fit_timeout: .inf\n", "fit_timeout", "<= 604800"),
    ("nan-failure-rate", "s", BASE + "max_failure_rate: .nan\n", "max_failure_rate", "finite"),
    ("nan-tol", "s", sub(BASE, "[mle, unbiased]", "[{mle: {tol: .nan}}, unbiased]"),
     "estimators[0].mle.tol", "finite"),
    ("inf-param", "s", sub(BASE, "mu: [0.0, 1.0]", "mu: .inf"), "model.params.mu", "finite"),
    ("nan-param-item", "s", sub(BASE, "sigma: 2.0", "sigma: [1.0, .nan]"),
     "model.params.sigma[1]", "finite"),
    ("nan-prior", "s", sub(BASE, "mu: [0.0, 1.0]", "mu: {dist: Normal, mu: .nan, sigma: 1}"),
     "model.params.mu.mu", "finite"),
    ("inf-max-rhat", "s", sub(BAYES, "max_rhat: 1.02", "max_rhat: .inf"),
     "estimators[1].posterior.max_rhat", "finite"),
    ("nan-min-ess", "s", sub(BAYES, "max_rhat: 1.02", "min_ess: .nan"),
     "estimators[1].posterior.min_ess", "finite"),
    ("nan-seed", "s", sub(BASE, "seed: 1", "seed: .nan"), "seed", "must be an integer"),
    ("inf-replications", "s", sub(BASE, "replications: 200", "replications: .inf"),
     "replications", "must be an integer"),
    ("inf-size", "s", sub(BASE, "[5, 10]", "[5, .inf]"), "sample_sizes[1]", "integer"),
    ("nan-covariate", "s", sub(REGRESSION, "loc: 0.0", "loc: .nan"),
     "model.design.covariates[0].loc", "finite"),
    ("huge-int-param", "s", sub(BASE, "mu: [0.0, 1.0]", f"mu: {BIG}"), "model.params.mu",
     "beyond any float"),
    # floats where integers belong
    ("float-size", "s", sub(BASE, "[5, 10]", "[5, 10.0]"), "sample_sizes[1]", "write 10"),
    ("float-replications", "s", sub(BASE, "replications: 200", "replications: 200.0"),
     "replications", "write 200"),
    ("exp-replications", "s", sub(BASE, "replications: 200", "replications: 1e5"),
     "replications", "write 100000"),
    ("float-seed", "s", sub(BASE, "seed: 1", "seed: 1.0"), "seed", "must be an integer"),
    ("float-draws", "s", sub(BAYES, "draws: 500", "draws: 500.0"),
     "estimators[1].posterior.draws", "write 500"),
    ("float-design-p", "s", sub(REGRESSION, "design: {covariates: [{name: x, distribution: "
                                "norm, loc: 0.0, scale: 1.0}]}", "design: {p: 2.0}"),
     "model.design", "integer"),
    # giant values: refused by a bound or by the cost plan, before any job
    ("size-1e10", "s", sub(BASE, "[5, 10]", "[5, 10000000000]"), "sample_sizes[1]",
     "<= 1000000000"),
    ("size-1e8", "s", sub(BASE, "[5, 10]", "[5, 100000000]"), "sample_sizes",
     "the largest job"),
    ("replications-1e8", "s", sub(BASE, "replications: 200", "replications: 100000000"),
     "replications", "chunk jobs"),
    ("replications-huge-rows", "s", sub(BASE, "replications: 200", "replications: 9000000"),
     "replications", "summary steps"),
    ("grid", "s", sub(BASE, "mu: [0.0, 1.0], sigma: 2.0",
                      "mu: [" + ", ".join(f"{i}.5" for i in range(400)) + "], sigma: ["
                      + ", ".join(f"{i + 1}.5" for i in range(400)) + "]"),
     "model.params", "combinations"),
    ("draws-1e7", "s", sub(BAYES, "draws: 500", "draws: 10000000"),
     "estimators[1].posterior.draws", "the largest job"),
    # 10^11 tuning draws: ~20,000 h of CPU at the measured posterior cost (4 ms per
    # replicate for 2 x 2000 draws), far past the 1000 h limit even for a much faster
    # sampler (10^9 passed it once the joint sampler made the posterior 17x cheaper)
    ("tune-1e11", "s", sub(BAYES, "tune: 500", "tune: 100000000000"),
     "estimators[1].posterior", "of CPU"),
    ("many-sizes", "s", sub(BASE, "[5, 10]", str(list(range(5, 2000)))), "sample_sizes",
     "at most 1000"),
    # long lists and large mappings: refused before the schema (quadratic uniqueItems)
    ("many-estimators", "s", sub(BASE, "[mle, unbiased]", "[" + ", ".join(["mle"] * 5000)
                                 + "]"), "estimators", "at most 100 item(s), got 5000"),
    ("many-unique-dicts", "s", sub(BASE, "[mu, sigma2]", "[" + ", ".join(["{}"] * 20000)
                                   + "]"), "estimands", "at most 100 item(s), got 20000"),
    ("many-keys", "s", BASE + "".join(f"k{i}: 1\n" for i in range(2000)), "",
     "keys; at most 1000"),
    ("long-param-list", "s", sub(BASE, "sigma: 2.0", "sigma: [" + ", ".join(
        f"{i + 1}.5" for i in range(10001)) + "]"), "model.params.sigma", "at most 10000"),
    # names the workflow uses itself
    ("name-index", "index.html", BASE, "", "reserved"),
    ("name-logs", "logs", BASE, "", "reserved"),
    ("name-dot", ".hidden", BASE, "", "file name"),
    # malformed files
    ("unhashable-key", "s", BASE + "? [1, 2]\n: x\n", "", "a key that is a list"),
    ("long-int", "s", sub(BASE, "seed: 1", "seed: " + "9" * 5000), "", "too many digits"),
    ("duplicate-key", "s", BASE + "seed: 2\n", "", "duplicate key 'seed'"),
    ("big-file", "s", BASE + "# " + "x" * (1 << 21) + "\n", "", "larger than"),
    ("bad-utf8", "s", BASE.encode() + b"\xff\xfe\n", "", "cannot read"),
    ("python-tag", "s", sub(BASE, "seed: 1", "seed: !!python/object/apply:os.getpid []"),
     "", "not valid YAML"),
]


def write(tmp_path: Path, stem: str, text: str | bytes) -> Path:
    p = tmp_path / f"{stem}.yaml"
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def stop_before_any_job(path: Path) -> Study:
    """What the workflow does before its first job, for one file."""
    study = load_study(path)
    check_limits([study_cost(study, 1000)])
    return study


@pytest.mark.parametrize("stem, text, key, fragment",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_file_stops_before_any_job_with_one_clear_message(tmp_path, stem, text, key,
                                                                 fragment):
    path = write(tmp_path, stem, text)
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(StudyError) as info:
            stop_before_any_job(path)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = info.value
    msg = str(err)
    assert msg.startswith(str(path)), msg  # names the file
    matching = [p for k, p in err.errors if k == key]
    assert matching, f"no problem at key {key!r}: {msg}"
    assert any(fragment in p for p in matching), msg
    if key:
        assert f"key '{key}'" in msg
    assert seconds < 5, seconds
    assert peak < 300 * 2**20, peak


def test_the_bases_are_valid(tmp_path):
    for i, text in enumerate([BASE, BAYES, REGRESSION]):
        assert isinstance(stop_before_any_job(write(tmp_path, f"b{i}", text)), Study)


def test_the_bomb_is_the_issue_s_size():
    assert len(BOMB) < 600 and BOMB.count("*") == 8 * 8


def test_yaml_1_2_numbers(tmp_path):
    """1.0e308 and 1e5 are numbers (YAML 1.1 reads them as strings)."""
    s = load_study(write(tmp_path, "s", sub(BASE, "mu: [0.0, 1.0]", "mu: [1.0e308, -1e5]")))
    assert s.params["mu"] == [1e308, -1e5]


def test_every_problem_of_a_file_in_one_message(tmp_path):
    text = (sub(sub(sub(BASE, "sigma: 2.0", "sigma: -2.0"), "[mle, unbiased]",
                    "[mle, unbiassed]"), "level: 0.9", "level: .nan")
            + "fit_timeout: .nan\ncolour: blue\n")
    with pytest.raises(StudyError) as info:
        load_study(write(tmp_path, "s", text))
    keys = [k for k, _ in info.value.errors]
    assert set(keys) == {"colour", "interval.level", "fit_timeout", "model.params.sigma",
                         "estimators[1]"}, keys
    msg = str(info.value)
    assert msg.startswith(f"{tmp_path / 's.yaml'}: 5 problems:")
    assert "did you mean 'unbiased'" in msg


def test_the_out_of_domain_message_names_the_allowed_forms(tmp_path):
    with pytest.raises(StudyError) as info:
        load_study(write(tmp_path, "s", sub(BASE, "sigma: 2.0", "sigma: yes")))
    assert info.value.key == "model.params.sigma"
    assert info.value.problem == ("true is not allowed here; expected a number or a list of "
                                  "numbers or a prior mapping {dist: Beta, alpha: 2, beta: 2}")


def test_opting_in_lifts_the_limits(tmp_path):
    study = load_study(write(tmp_path, "s", sub(BASE, "replications: 200",
                                                "replications: 100000000")))
    cost = study_cost(study, 1000)
    assert cost.jobs == 4 * 100_000
    with pytest.raises(StudyError):
        check_limits([cost])
    check_limits([cost], allow_large=True)
