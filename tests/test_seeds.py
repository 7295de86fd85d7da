"""Reproducibility: the numbers depend on the seed and the condition, nothing else."""

import pandas as pd
import pytest

from fisherlab.spec.load import load_study

from .conftest import run_study

STUDY = """\
description: seeds
model:
  family: normal
  params: {mu: 0.0, sigma: [1.0, 3.0]}
sample_sizes: [4, 9]
replications: 450
seed: 7
estimators: [mle, unbiased]
"""
KEY = ["true_mu", "true_sigma", "n", "estimator", "estimand", "replicate"]


def rows(path, chunk_size):
    df = run_study(path, chunk_size).drop(columns="chunk")
    return df.sort_values(KEY, ignore_index=True)


def test_bit_identical_across_chunkings(write_study):
    path = write_study(STUDY)
    a, b, c = rows(path, 100), rows(path, 200), rows(path, 1000)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    pd.testing.assert_frame_equal(a, c, check_exact=True)
    assert len(a) == 2 * 2 * 2 * 2 * 450


def test_bit_identical_when_run_again(write_study):
    path = write_study(STUDY)
    pd.testing.assert_frame_equal(rows(path, 100), rows(path, 100), check_exact=True)


def test_extending_the_study_keeps_existing_numbers(write_study):
    base = rows(write_study(STUDY, "a"), 100)
    more = STUDY.replace("[1.0, 3.0]", "[3.0, 0.5, 1.0]").replace("[4, 9]", "[20, 9, 4]")
    more = more.replace("replications: 450", "replications: 600")
    ext = rows(write_study(more, "b"), 200)
    ext = ext[ext.true_sigma.isin([1.0, 3.0]) & ext.n.isin([4, 9]) & (ext.replicate < 400)]
    base = base[base.replicate < 400]  # block 4 holds 50 replicates in one, 100 in the other
    pd.testing.assert_frame_equal(base.reset_index(drop=True), ext.reset_index(drop=True),
                                  check_exact=True)


def test_seed_changes_the_numbers(write_study):
    a = rows(write_study(STUDY, "a"), 100)
    b = rows(write_study(STUDY.replace("seed: 7", "seed: 8"), "b"), 100)
    assert not (a.estimate.to_numpy() == b.estimate.to_numpy()).any()


def test_conditions_draw_independent_streams(write_study):
    study = load_study(write_study(STUDY))
    from fisherlab.run.simulate import draw

    first = [draw(study, ch)[0, 0] for ch in study.chunks(1000)]
    assert len(set(first)) == len(first)


def test_chunks_must_align_with_seed_blocks(write_study):
    with pytest.raises(ValueError, match="multiple of 100"):
        load_study(write_study(STUDY)).chunks(150)
