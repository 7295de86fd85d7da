"""The flags diagnostic: sampler warnings by kind, and the measures with and without
the flagged replicates; its page section. Hand-made estimates with known answers."""

import numpy as np
import pandas as pd
import pytest

from fisherlab.diagnostics import REGISTRY
from fisherlab.diagnostics.flags import COLUMNS, flags
from fisherlab.spec.load import load_study
from fisherlab.stats.measures import performance, summarise

STUDY = """description: t
model: {family: bernoulli, params: {p: 0.5}}
sample_sizes: [10]
replications: 100
seed: 1
estimators:
  - mle
  - posterior: {prior: {p: {dist: Beta, alpha: 2, beta: 2}}, max_rhat: 1.02, min_ess: 300}
"""

#: replicate -> (estimate, ci half-width, converged, flag_reason, divergences, rhat, ess)
ROWS = [
    (0.55, 0.2, True, "divergences", 3, 1.001, 900),
    (0.40, 0.2, True, "R-hat above max_rhat", 0, 1.05, 800),
    (0.70, 0.1, True, "divergences; R-hat above max_rhat", 7, 1.03, 700),
    (0.45, 0.2, True, "ESS below min_ess", 0, 1.004, 120),
    (0.52, 0.2, True, "", 0, 1.002, 950),
    (0.48, 0.2, True, "", 0, 1.001, 990),
    (np.nan, np.nan, False, "", 0, np.nan, np.nan),  # failed: in no measure, no count
]


def _estimates(study_rows=ROWS):
    rows = []
    for i, (est, half, conv, why, div, rhat, ess) in enumerate(study_rows):
        for name in ("mle", "posterior"):
            post = name == "posterior"
            rows.append({"true_p": 0.5, "n": 10, "replicate": i, "estimator": name,
                         "estimand": "p", "true_value": 0.5, "estimate": est, "se": 0.1,
                         "ci_low": est - half, "ci_high": est + half, "converged": conv,
                         "reason": "" if conv else "RuntimeError: x", "iterations": 1,
                         "chunk": 0, "pit": np.nan, "flagged": post and why != "",
                         "flag_reason": why if post else "",
                         "rhat": rhat if post else np.nan,
                         "ess_bulk": ess if post else np.nan,
                         "ess_tail": ess + 5 if post else np.nan,
                         "divergences": float(div) if post else np.nan})
    return pd.DataFrame(rows)


@pytest.fixture
def study(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(STUDY)
    return load_study(f)


def test_flags_by_kind_and_measures_side_by_side(study):
    df = _estimates()
    t = flags(df, study)
    assert list(t.columns) == ["true_p", "n", "estimator", "estimand"] + COLUMNS
    assert t["estimator"].tolist() == ["posterior"]  # only estimators that sample
    row = t.iloc[0]
    assert row["replicates"] == 6 and row["flagged"] == 4  # the failed one counts nowhere
    assert row["flagged_share"] == pytest.approx(4 / 6)
    # a replicate with two kinds counts under each
    assert (row["divergences_count"], row["divergences_worst"]) == (2, 7)
    assert (row["rhat_count"], row["rhat_worst"]) == (2, 1.05)
    assert (row["ess_count"], row["ess_worst"]) == (1, 120)  # min(bulk, tail)
    assert row["divergences_share"] == pytest.approx(2 / 6)
    assert (row["max_rhat"], row["min_ess"]) == (1.02, 300)  # the estimator's options
    est = np.array([r[0] for r in ROWS[:6]])
    half = np.array([r[1] for r in ROWS[:6]])
    everyone = performance(est, 0.5, None, est - half, est + half)
    clean = performance(est[4:], 0.5, None, est[4:] - half[4:], est[4:] + half[4:])
    assert row["S_all"] == 6 and row["S_unflagged"] == 2
    assert row["bias_all"] == pytest.approx(everyone["bias"])
    assert row["bias_mcse_all"] == pytest.approx(everyone["bias_mcse"])
    assert row["coverage_all"] == pytest.approx(5 / 6)  # 0.70 +- 0.1 misses 0.5
    assert row["bias_unflagged"] == pytest.approx(clean["bias"])
    assert row["coverage_unflagged"] == 1.0
    assert row["bias_shift_z"] == pytest.approx(
        (clean["bias"] - everyone["bias"]) / everyone["bias_mcse"])


def test_no_flags_without_a_sampler(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text(STUDY.split("  - posterior")[0])
    study = load_study(f)
    df = _estimates().query("estimator == 'mle'").drop(
        columns=["pit", "flagged", "flag_reason", "rhat", "ess_bulk", "ess_tail",
                 "divergences"])
    t = flags(df, study)
    assert t.empty and list(t.columns) == ["true_p", "n", "estimator", "estimand"] + COLUMNS
    assert "flags" in REGISTRY


def test_flags_section_reads_and_cites_the_table(study):
    from fisherlab.report.page import Results
    from fisherlab.report.sections import SECTIONS
    from fisherlab.report.sections.flags import reading
    from fisherlab.report.sections.flags import table as flags_table

    df = _estimates()

    class Source:  # the dataset's view the section uses: condition columns, conditions
        keys = ["true_p"]

        @staticmethod
        def conditions():
            return df[["true_p"]].drop_duplicates().assign(cond="p=0.5")

    r = Results(study, Source(), summarise(df), {"flags": flags(df, study)})
    text = reading(r)
    assert text.startswith("4 of 6 sampled replicates carry a sampler warning")
    assert 'data-t="flags" data-r="0" data-c="flagged_share"' in text
    html = flags_table(r)
    assert 'data-table="flags"' in html and "2 (33.3%), worst 7" in html
    sec = next(s for s in SECTIONS if s.id == "flags")
    assert sec.when(r)
    ids = [s.id for s in SECTIONS]
    assert ids.index("calibration") < ids.index("flags") < ids.index("failures")
    empty = Results(study, Source(), summarise(df), {"flags": flags(df.iloc[:0], study)})
    assert not sec.when(empty)
