"""The real Snakemake workflow, end to end, on tiny studies (Snakemake's .test idea)."""

from pathlib import Path

import pandas as pd
import pytest

from fisherlab.measures import MEASURES

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
    res = snakemake(where, "--cores", "2", "--config", "chunk_size=200")
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
    from fisherlab.measures import summarise

    est = pd.read_parquet(ran / "results" / "tiny" / "estimates.parquet")
    pd.testing.assert_frame_equal(summarise(est), pd.read_csv(ran / "results/tiny/summary.csv"),
                                  check_dtype=False)


def test_same_numbers_whatever_cores_and_chunk_size(ran, tmp_path):
    where = workflow_copy(tmp_path, {"tiny": TINY})
    res = snakemake(where, "--cores", "1", "--config", "chunk_size=100", "studies=[tiny]")
    assert res.returncode == 0, res.stderr[-3000:]
    # the estimates dataset, its statistics, the export and the summary: the same bytes
    a, b = ran / "results/tiny", where / "results/tiny"
    files = sorted(str(p.relative_to(a)) for p in a.rglob("*")
                   if p.is_file() and p.parts[len(a.parts)] in ("estimates", "stats"))
    assert len(files) == 2 * 2 * 2
    for f in files + ["estimates.parquet", "summary.csv"]:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert not (where / "results" / "other").exists()  # --config studies= selects


def test_invalid_study_stops_before_any_job(tmp_path):
    where = workflow_copy(tmp_path, {"tiny": TINY, "broken": OTHER.replace("p: 0.4", "p: 1.4")})
    res = snakemake(where, "--cores", "2")
    assert res.returncode != 0
    text = res.stdout + res.stderr
    assert "studies/broken.yaml: key 'model.params.p': 1.4 is outside the domain" in text
    assert "must be a number in [0, 1]" in text
    assert not (where / "results").exists()


def test_unknown_study_name_is_named(tmp_path):
    where = workflow_copy(tmp_path, {"tiny": TINY})
    res = snakemake(where, "--cores", "1", "--config", "studies=[tinny]", "-n")
    assert res.returncode != 0
    assert "no study named 'tinny'" in res.stdout + res.stderr


def test_lint_is_clean():
    res = snakemake(ROOT, "--lint", "--config", "studies=[normal_bessel]")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Congratulations" in res.stdout + res.stderr or not res.stdout.strip()
