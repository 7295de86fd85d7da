"""`fisherlab fit --study`: a study whose truth is the MLE of the data, which validates,
runs through every stage, and says on its page that its truth is the fit."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fisherlab.cli import app as cli
from fisherlab.spec.load import load_study

from .conftest import snakemake, workflow_copy

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CALLS = str(EXAMPLES / "calls.csv")


@pytest.fixture(scope="module")
def calls_study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fitstudy")
    # a coarse target keeps the run small: max = 0.25 / 0.02^2, in seed blocks
    assert cli.main(["fit", CALLS, "--family", "poisson", "--study", "calls_fit",
                     "--studies-dir", str(root / "studies"), "--mcse", "0.02"]) == 0
    return root / "studies" / "calls_fit.yaml"


def test_the_study_at_the_fit(calls_study, capsys):
    doc = yaml.safe_load(calls_study.read_text())
    assert doc["model"] == {"family": "poisson", "params": {"lam": 4.5}}
    assert doc["fitted_to"] == {"data": CALLS, "columns": ["calls"], "n": 8,
                                "estimator": "mle", "estimates": {"lam": 4.5}}
    assert doc["sample_sizes"] == [4, 8, 16, 32]
    assert doc["replications"] == {"mcse": {"coverage": 0.02}, "max": 700, "min": 200}
    assert doc["estimators"] == ["mle", "mom", "unbiased"]
    assert doc["interval"] == {"level": 0.95, "method": ["wald", "likelihood_ratio", "score"]}
    assert "expect" not in doc and "no claims" in doc["description"]
    assert cli.main(["validate", str(calls_study)]) == 0
    study = load_study(calls_study)
    assert study.fitted_to["estimates"] == {"lam": 4.5}
    assert [e.id for e in study.estimators] == [
        "mle[wald]", "mle[likelihood_ratio]", "mle[score]", "mom", "unbiased"]


def test_the_study_runs_and_its_page_says_the_truth_is_the_fit(calls_study, tmp_path, capsys):
    assert cli.main(["run", str(calls_study), "--results", str(tmp_path)]) == 0
    folder = tmp_path / "calls_fit"
    page = (folder / "report.html").read_text()
    said = "The truth of this study is not the world&#x27;s: it is the MLE fitted to"
    assert said in page and "lam = 4.5" in page
    assert "The truth of this study is not the world's" in (folder / "report.md").read_text()


def test_the_workflow_runs_the_study(calls_study, tmp_path):
    where = workflow_copy(tmp_path / "wf", {"calls_fit": calls_study.read_text()})
    res = snakemake(where, "--cores", "2", "--config", "studies=[calls_fit]")
    assert res.returncode == 0, res.stderr[-3000:]
    assert (where / "results" / "calls_fit" / "report.html").exists()


def test_no_study_where_the_mle_does_not_exist(tmp_path, capsys):
    code = cli.main(["fit", str(EXAMPLES / "credit.csv"), "--family", "logistic_regression",
                     "--y", "default", "--x", "income", "--study", str(tmp_path / "c.yaml")])
    assert code == 2
    err = capsys.readouterr().err
    assert "no study at the fit" in err and "complete separation" in err
    assert not (tmp_path / "c.yaml").exists()


def test_a_study_file_is_never_overwritten(calls_study, capsys):
    before = calls_study.read_text()
    assert cli.main(["fit", CALLS, "--family", "poisson", "--study", str(calls_study)]) == 2
    assert "the file exists" in capsys.readouterr().err
    assert calls_study.read_text() == before


def test_a_regression_s_study_redraws_covariates_like_the_data_s(tmp_path, capsys):
    data = tmp_path / "credit.csv"
    data.write_text("income,default\n50,1\n80,0\n40,1\n60,0\n70,1\n45,0\n")
    out = tmp_path / "credit_fit.yaml"
    assert cli.main(["fit", str(data), "--family", "logistic_regression", "--y", "default",
                     "--x", "income", "--study", str(out)]) == 0
    doc = yaml.safe_load(out.read_text())
    income = [50, 80, 40, 60, 70, 45]
    mean = sum(income) / 6
    sd = (sum((v - mean) ** 2 for v in income) / 5) ** 0.5
    assert doc["model"]["design"] == {"covariates": [
        {"name": "income", "distribution": "norm", "loc": mean, "scale": pytest.approx(sd)}]}
    assert doc["model"]["params"] == doc["fitted_to"]["estimates"]
    assert doc["sample_sizes"] == [3, 6, 12, 24]
    assert cli.main(["validate", str(out)]) == 0


def test_no_explorer_where_the_mle_does_not_exist(tmp_path, capsys):
    code = cli.main(["fit", str(EXAMPLES / "credit.csv"), "--family", "logistic_regression",
                     "--y", "default", "--x", "income", "--html", str(tmp_path / "c.html")])
    assert code == 2
    assert "no explorer: the MLE does not exist: complete separation" in capsys.readouterr().err
    assert not (tmp_path / "c.html").exists()
