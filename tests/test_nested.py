"""The nested-loop plot: every condition in nested order, its data summary.csv's."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from fisherlab.pipeline.stages import run
from fisherlab.report.nested import MEASURES, column, nested_factors, nested_table
from fisherlab.report.sections.nested_loop import SECTION
from fisherlab.spec.load import load_study

GRID = """\
description: "A normal grid"
model: {{family: normal, params: {{mu: [0, 1], sigma: {sigma}}}}}
sample_sizes: {sizes}
replications: 100
seed: 3
estimators: [mle, unbiased]
estimands: [mu, sigma2]
"""


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    where = tmp_path_factory.mktemp("nested")
    path = where / "grid.yaml"
    path.write_text(GRID.format(sigma="[1, 2, 3]", sizes="[5, 10]"))
    return run(load_study(path), where / "results", chunk_size=100, echo=lambda *_: None)


def test_the_factors_go_from_fewest_levels_outside_to_most_inside():
    s = pd.DataFrame({"true_a": [1, 1, 2, 2] * 3, "true_b": [5] * 12,
                      "n": [10, 20, 10, 20, 10, 20, 10, 20, 10, 20, 10, 20],
                      "true_c": np.repeat([1, 2, 3], 4)})
    s = s.assign(estimator="e", estimand="x")
    # a: 2 levels, c: 3, n: 2, b does not vary; ties keep the order, n last
    assert nested_factors(s) == ["true_a", "n", "true_c"]


def test_every_point_of_the_exported_table_is_summary_csvs(grid):
    summary = pd.read_csv(grid / "summary.csv")
    table = pd.read_csv(grid / "figures" / "nested_loop.csv")
    factors = ["true_mu", "n", "true_sigma"]  # 2, 2 and 3 levels
    assert nested_factors(summary) == factors
    assert len(table) == len(summary) // 2  # a row per estimand × condition
    for _, t in table.groupby("estimand", sort=False):
        assert t["position"].tolist() == list(range(len(t)))
        # nested order: sorted by the factors, the outer one changing slowest
        assert t[factors].equals(t.sort_values(factors)[factors])
        assert len(t.drop_duplicates(factors)) == 2 * 2 * 3
    checked = 0
    for _, row in summary.iterrows():
        at = table[(table["estimand"] == row["estimand"]) & (table["n"] == row["n"])
                   & (table["true_mu"] == row["true_mu"])
                   & (table["true_sigma"] == row["true_sigma"])]
        assert len(at) == 1
        for m in MEASURES:
            assert at[column(m, row["estimator"])].iloc[0] == pytest.approx(
                row[m], rel=1e-15, abs=0, nan_ok=True)
            checked += 1
    assert checked == len(summary) * len(MEASURES)


def test_the_page_has_the_plot_only_for_two_varying_factors(grid):
    assert "id=\"nested_loop\"" in (grid / "report.html").read_text()
    assert (grid / "figures" / "nested_loop.png").exists()
    summary = pd.read_csv(grid / "summary.csv")
    one_n = summary[summary["n"] == 5]  # mu × sigma: still two factors
    assert SECTION.when(SimpleNamespace(summary=one_n))
    one = one_n[one_n["true_mu"] == 0]  # sigma alone
    assert nested_factors(one) == ["true_sigma"]
    assert not SECTION.when(SimpleNamespace(summary=one))
    # sigma and n vary: one parameter, whose conditions the figures against n show
    sigma_n = summary[summary["true_mu"] == 0]
    assert sorted(nested_factors(sigma_n)) == ["n", "true_sigma"]
    assert not SECTION.when(SimpleNamespace(summary=sigma_n))


def test_a_study_that_selects_measures_gets_those_panels(grid):
    summary = pd.read_csv(grid / "summary.csv")
    t = nested_table(summary, ["mle", "unbiased"], {"bias", "coverage", "not_drawn"})
    assert [c for c in t.columns if "[" in c] == [
        column(m, e) for m in ("bias", "coverage") for e in ("mle", "unbiased")]
    # none of those it draws: every measure, as without a selection
    assert len(nested_table(summary, ["mle"], {"not_drawn"}).columns) == 5 + 4
