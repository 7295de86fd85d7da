"""The real Snakemake workflow, end to end, on tiny studies (Snakemake's .test idea)."""

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from fisherlab.stats.measures import MEASURES

from .conftest import snakemake, workflow_copy

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.workflow

TINY = """\
description: tiny
model:
  family: exponential
  params: {rate: [1.0, 3.0]}
sample_sizes: [3, 8]
replications: 300
seed: 5
estimators: [mle, unbiased]
estimands: [rate, mean]
"""
OTHER = """\
description: other
model: {family: bernoulli, params: {p: 0.4}}
sample_sizes: [10]
replications: 100
seed: 6
estimators: [mle]
"""


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    where = workflow_copy(tmp_path_factory.mktemp("wf"), {"tiny": TINY, "other": OTHER})
    res = snakemake(where, "--cores", "2")  # chunk_size: auto, a job per condition
    assert res.returncode == 0, res.stderr[-3000:]
    return where


def test_outputs_follow_the_contract(ran):
    out = ran / "results" / "tiny"
    est = pd.read_parquet(out / "estimates.parquet")
    assert list(est.columns[:2]) == ["true_rate", "n"]
    for col in ["replicate", "estimator", "estimand", "true_value", "estimate", "se",
                "ci_low", "ci_high", "converged"]:
        assert col in est.columns
    # 2 conditions × 2 n × 300 replicates × 2 estimators × 2 estimands
    assert len(est) == 2 * 2 * 300 * 2 * 2
    per_cell = est.groupby(["true_rate", "n", "estimator", "estimand"]).replicate.nunique()
    assert per_cell.eq(300).all()
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 2 * 2 * 2 * 2
    for col in ["true_rate", "estimator", "estimand", "n", "true_value"] + MEASURES:
        assert col in summary.columns
    report = (out / "report.md").read_text()
    assert "# tiny" in report and "| n | estimator |" in report
    assert (ran / "results" / "other" / "summary.csv").exists()


def test_summary_is_recomputed_from_the_rows(ran):
    from fisherlab.stats.measures import summarise

    est = pd.read_parquet(ran / "results" / "tiny" / "estimates.parquet")
    pd.testing.assert_frame_equal(summarise(est), pd.read_csv(ran / "results/tiny/summary.csv"),
                                  check_dtype=False)


def test_same_bytes_whatever_cores_and_chunk_size(ran, tmp_path):
    where = workflow_copy(tmp_path, {"tiny": TINY})
    res = snakemake(where, "--cores", "1", "--config", "chunk_size=100", "studies=[tiny]")
    assert res.returncode == 0, res.stderr[-3000:]
    # the estimates dataset, its statistics, the export and the summary: the same bytes;
    # timings are in provenance.json only
    a, b = ran / "results/tiny", where / "results/tiny"
    # (Snakemake's .snakemake_timestamp in each output folder is its own, not data)
    files = sorted(str(p.relative_to(a)) for p in a.rglob("*")
                   if p.is_file() and p.parts[len(a.parts)] in ("estimates", "stats")
                   and not p.name.startswith("."))
    assert len(files) == 2 * 2 * 2
    for f in files + ["estimates.parquet", "summary.csv"]:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert "chunk" not in pd.read_parquet(where / "results/tiny/estimates.parquet").columns
    prov = json.loads((where / "results/tiny/provenance.json").read_text())
    # chunk_size 100: a job per cell and 100 replicates (auto, in `ran`: a job per
    # condition for every n, and the same bytes)
    assert len(prov["chunks"]) == 2 * 2 * 3 and prov["chunks"][0]["seconds"] > 0
    assert prov["created"]
    assert not (where / "results" / "other").exists()  # --config studies= selects


def test_the_index_lists_every_study_with_results_on_disk(tmp_path):
    """A run of one study rebuilds the index with every study finished before."""
    where = workflow_copy(tmp_path, {"tiny": TINY, "other": OTHER})
    for name in ("other", "tiny"):
        res = snakemake(where, "--cores", "2", "--config", "chunk_size=300",
                        f"studies=[{name}]")
        assert res.returncode == 0, res.stderr[-3000:]
        assert f"cost plan: {name}: " in res.stderr
    index = (where / "results" / "index.html").read_text()
    assert "<a href='other/report.html'>other</a>" in index
    assert "<a href='tiny/report.html'>tiny</a>" in index
    assert index.count(" UTC</td>") == 2  # when each was run


def test_the_index_lists_a_study_without_a_single_estimates_file(tmp_path):
    """The index reads each study's verdict, not estimates.parquet: a study above
    single_file_rows (here every study) is listed, with its claims counted."""
    claims = "expect:\n  - {measure: bias, estimator: mle, estimand: mean, equals: 0}\n"
    where = workflow_copy(tmp_path, {"tiny": TINY + claims, "other": OTHER})
    res = snakemake(where, "--cores", "2", "--config", "chunk_size=300", "single_file_rows=0")
    assert res.returncode == 0, res.stderr[-3000:]
    assert not list((where / "results").glob("*/estimates.parquet"))
    index = (where / "results" / "index.html").read_text()
    assert "<a href='other/report.html'>other</a>" in index
    assert "<a href='tiny/report.html'>tiny</a>" in index
    assert "1 of 1" in index  # tiny's one claim, judged and counted


def test_invalid_study_stops_before_any_job(tmp_path):
    where = workflow_copy(tmp_path, {"tiny": TINY, "broken": OTHER.replace("p: 0.4", "p: 1.4")})
    res = snakemake(where, "--cores", "2")
    assert res.returncode != 0
    text = res.stdout + res.stderr
    assert "studies/broken.yaml: key 'model.params.p': 1.4 is outside the domain" in text
    assert "must be a number in [0, 1]" in text
    assert not (where / "results").exists()


def test_every_problem_of_every_file_in_one_message(tmp_path):
    bomb = "&a [&b [1, 1, 1], *b, *b]"
    where = workflow_copy(tmp_path, {
        "tiny": TINY,
        "broken": OTHER.replace("p: 0.4", "p: 1.4").replace("seed: 6", "seed: 6.0")
        + "interval: {level: .nan}\n",
        "bomb": OTHER.replace("sample_sizes: [10]", f"sample_sizes: {bomb}"),
        "huge": OTHER.replace("sample_sizes: [10]", "sample_sizes: [100000000]"),
        "index.html": OTHER})
    res = snakemake(where, "--cores", "2", "-n")
    assert res.returncode != 0
    text = res.stdout + res.stderr
    for line in ["studies/broken.yaml: 3 problems:",
                 "key 'model.params.p': 1.4 is outside the domain",
                 "key 'seed': must be an integer, got 6.0 (write 6, without a decimal point)",
                 "key 'interval.level': must be a finite number, got NaN",
                 "studies/bomb.yaml: key 'sample_sizes': not valid YAML at line 3",
                 "an anchor (&a) is not allowed",
                 "studies/index.html.yaml: the study name 'index.html' is reserved",
                 "studies/huge.yaml: key 'sample_sizes': the largest job (n = 100,000,000"]:
        assert line in text, line
    assert "ChildIOException" not in text and "Traceback" not in text
    assert not (where / "results").exists()


def test_past_a_limit_only_an_opt_in_reaches_a_job(tmp_path):
    where = workflow_copy(tmp_path, {"huge": OTHER.replace("sample_sizes: [10]",
                                                           "sample_sizes: [100000000]")})
    res = snakemake(where, "--cores", "1", "-n")
    assert res.returncode != 0 and "allow_large=true" in res.stdout + res.stderr
    res = snakemake(where, "--cores", "1", "-n", "--config", "allow_large=true")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "cost plan: huge: 1 job," in res.stderr


def test_a_stopped_study_stops_alone(tmp_path):
    """max_failure_rate stops its study; the other study, and the index that marks the
    stopped one, are still built; the run ends with an error naming it."""
    bad = TINY_FAULTY
    where = workflow_copy(tmp_path, {"bad": bad, "other": OTHER})
    env = {"FISHERLAB_PLUGINS": "tests.faulty_estimators",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    res = snakemake(where, "--cores", "2", env=env)
    text = res.stdout + res.stderr
    assert res.returncode != 0
    assert "1 study(ies) stopped by max_failure_rate" in text and "bad: see results/bad/" in text
    assert (where / "results/other/report.html").exists()
    assert not (where / "results/bad/summary.csv").exists()
    status = json.loads((where / "results/bad/status.json").read_text())
    assert status["stopped"] and "faulty" in status["message"]
    index = (where / "results/index.html").read_text()
    assert "other</a>" in index and "bad <b>(stopped)</b>" in index


TINY_FAULTY = """\
description: planted failures
model: {family: normal, params: {mu: 0.0, sigma: 1.0}}
sample_sizes: [10]
replications: 100
seed: 11
estimators: [mle, {faulty: {mode: raise}}]
max_failure_rate: 0.1
"""


def test_unknown_study_name_is_named(tmp_path):
    where = workflow_copy(tmp_path, {"tiny": TINY})
    res = snakemake(where, "--cores", "1", "--config", "studies=[tinny]", "-n")
    assert res.returncode != 0
    assert "no study named 'tinny'" in res.stdout + res.stderr


def test_lint_is_clean():
    res = snakemake(ROOT, "--lint", "--config", "studies=[normal_bessel]")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Congratulations" in res.stdout + res.stderr or not res.stdout.strip()
