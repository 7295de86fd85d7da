"""fisherlab.open: a results folder as Python objects, whatever its size."""

from __future__ import annotations

import subprocess
import sys

import pytest

import fisherlab
from fisherlab.core import files
from fisherlab.pipeline.stages import run
from fisherlab.spec.load import load_study

STUDY = """\
description: "Normal mean: the MLE is unbiased"
model: {family: normal, params: {mu: [0, 2], sigma: [1]}}
sample_sizes: [5, 20]
replications: 200
seed: 7
estimators: [mle, mom]
estimands: [mu]
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A tiny study run with no single estimates file (as one above single_file_rows)."""
    where = tmp_path_factory.mktemp("api")
    path = where / "tiny.yaml"
    path.write_text(STUDY)
    folder = run(load_study(path), where / "results", chunk_size=100, html_page=False,
                 single_file=0, echo=lambda *_: None)
    return folder, path


def test_the_partitioned_estimates_read_through_pyarrow_and_duckdb(results):
    folder, _ = results
    assert not (folder / "estimates.parquet").exists()
    res = fisherlab.open(folder)
    rows = 2 * 2 * 2 * 200  # conditions × n × estimators × replicates, one estimand
    assert res.estimate_rows == rows
    assert res.estimates.count_rows() == rows
    assert res.sql("select count(*) from estimates").fetchall()[0][0] == rows
    assert res.relation.count("*").fetchall()[0][0] == rows
    # a query sees the rows: the mean estimate per cell is the summary's
    got = res.sql("select true_mu, n, estimator, avg(estimate) as m from estimates "
                  "where converged group by all order by all").df()
    want = res.summary.sort_values(["true_mu", "n", "estimator"])
    assert got["m"].to_numpy() == pytest.approx(want["mean"].to_numpy(), rel=1e-12)


def test_the_tables_are_the_files(results):
    folder, _ = results
    res = fisherlab.open(folder)
    assert res.summary.equals(files.read_table(folder / "summary.csv"))
    assert res.verdicts.equals(files.read_table(folder / "verdicts.csv"))
    assert set(res.diagnostics) == {p.stem for p in folder.glob("*.csv")} - {
        "summary", "verdicts", "claims"}
    assert res.diagnostics["coverage"].equals(files.read_table(folder / "coverage.csv"))
    with pytest.raises(KeyError, match="no table 'nope'"):
        res.diagnostics["nope"]
    text = repr(res)
    assert f"estimates      {2 * 2 * 2 * 200} rows in estimates/ (partitioned)" in text
    assert f"summary        {len(res.summary)} rows" in text
    assert "<table>" in res._repr_html_()


def test_the_study_comes_back_even_after_its_file_changed(results):
    folder, path = results
    res = fisherlab.open(folder)
    assert res.study.name == "tiny" and res.study.sample_sizes == [5, 20]
    original = path.read_text()
    try:
        path.write_text(original.replace("[5, 20]", "[5, 50]"))
        again = fisherlab.open(folder).study  # from the copy in provenance.json
        assert again.sample_sizes == [5, 20] and again.seed == 7
    finally:
        path.write_text(original)


def test_importing_fisherlab_imports_none_of_its_floors():
    code = ("import sys, fisherlab; print(sorted(m for m in sys.modules "
            "if m.startswith('fisherlab.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
