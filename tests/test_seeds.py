"""Reproducibility: the numbers depend on the seed and the condition, nothing else;
and the streams are the documented ones (pinned to values computed here, not by
fisherlab.core.seeds, so a change of the derivation fails)."""

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from fisherlab.core.seeds import block_rng, replicate_seeds
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


#: the batched numeric MLEs (own solvers and the generic loc-scale path): a replicate's
#: numbers must not depend on which others share its chunk (no reduction whose rounding
#: depends on a row's place, such as BLAS's gemv)
NUMERIC = {
    "gamma": "family: gamma\n  params: {shape: 2.0, rate: 1.5}",
    "beta": "family: beta\n  params: {alpha: 0.5, beta: 3.0}",
    "gumbel": "family: scipy.gumbel_r\n  params: {loc: 10.0, scale: 2.0}",
    "logistic": ("family: logistic_regression\n  params: {beta0: -4.0, beta1: 0.06}\n"
                 "  design:\n    covariates:\n"
                 "      - {name: income, distribution: norm, loc: 50, scale: 15}"),
}


@pytest.mark.parametrize("model", NUMERIC.values(), ids=NUMERIC.keys())
def test_numeric_mle_bit_identical_across_chunkings(write_study, model):
    study = (f"description: seeds\nmodel:\n  {model}\nsample_sizes: [7, 30]\n"
             "replications: 450\nseed: 11\nestimators: [mle]\n")
    path = write_study(study)

    def sorted_rows(chunk_size):
        df = run_study(path, chunk_size).drop(columns="chunk")
        return df.sort_values(["n", "estimand", "replicate"], ignore_index=True)

    a, b, c = sorted_rows(100), sorted_rows(200), sorted_rows(1000)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    pd.testing.assert_frame_equal(a, c, check_exact=True)
    assert a.converged.mean() > 0.8


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


# ------------------------------------------------------------- the documented streams
BETA = {"dist": "Beta", "alpha": 2, "beta": 2}
#: (seed, family, params, n, block): fixed truths, a truth drawn from a prior (hashed
#: by its description), a seed beyond 32 bits, a late block
CONDITIONS = [(7, "normal", {"sigma": 1.0, "mu": 0.0}, 4, 0),
              (7, "normal", {"sigma": 1.0, "mu": 0.0}, 4, 3),
              (7, "bernoulli", {"p": BETA}, 10, 0),
              (2**40 + 5, "gamma", {"shape": 0.5, "rate": 2.0}, 1000, 12)]


def words_of(family: str, params: dict, n: int) -> tuple[int, ...]:
    """The condition words as the docs define them: sha256 of the canonical JSON
    {"family", "n", "params"} (sorted keys), as 8 little-endian 32-bit words."""
    ident = json.dumps({"family": family, "n": n, "params": params}, sort_keys=True)
    digest = hashlib.sha256(ident.encode()).digest()
    return tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 32, 4))


def test_the_canonical_json_of_a_condition():
    # written out once, so that the words' definition itself is pinned
    text = '{"family": "normal", "n": 4, "params": {"mu": 0.0, "sigma": 1.0}}'
    assert json.dumps({"family": "normal", "n": 4, "params": {"sigma": 1.0, "mu": 0.0}},
                      sort_keys=True) == text
    assert words_of("normal", {"sigma": 1.0, "mu": 0.0}, 4) == tuple(
        int.from_bytes(hashlib.sha256(text.encode()).digest()[i:i + 4], "little")
        for i in range(0, 32, 4))


@pytest.mark.parametrize(("seed", "family", "params", "n", "block"), CONDITIONS)
def test_block_rng_is_the_documented_seed_sequence(seed, family, params, n, block):
    words = words_of(family, params, n)
    ref = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(*words, block)))
    got = block_rng(seed, family, params, n, block)
    np.testing.assert_array_equal(got.random(5), ref.random(5))
    np.testing.assert_array_equal(got.integers(0, 2**63, 5), ref.integers(0, 2**63, 5))


def test_block_rng_first_draws_are_pinned():
    """Printed once from the code when this test was written: a change of the stream
    (the order of the spawn key's words, the hash, the generator) changes every study's
    numbers."""
    got = block_rng(7, "normal", {"sigma": 1.0, "mu": 0.0}, 4, 3).random(3)
    np.testing.assert_array_equal(got, [0.8776120068433878, 0.8833813265646819,
                                        0.8558585964311012])
    got = block_rng(7, "bernoulli", {"p": BETA}, 10, 0).random(3)
    np.testing.assert_array_equal(got, [0.8435368640518273, 0.10335026631813471,
                                        0.4855483853665714])


@pytest.mark.parametrize(("seed", "family", "params", "n", "block"), CONDITIONS)
def test_replicate_seeds_are_the_documented_seed_sequences(seed, family, params, n, block):
    words = words_of(family, params, n)
    start = 100 * block
    stop = start + 203  # into the block after next: i runs 0..99 in each block
    ref = [np.random.SeedSequence(seed, spawn_key=(*words, r // 100, r % 100))
           .generate_state(1, dtype=np.uint64)[0] for r in range(start, stop)]
    got = replicate_seeds(seed, family, params, n, start, stop)
    assert got.dtype == np.uint64
    np.testing.assert_array_equal(got, np.array(ref, dtype=np.uint64))
    # a range that starts inside a block gives the same seeds for the same replicates
    np.testing.assert_array_equal(replicate_seeds(seed, family, params, n, start + 98, stop),
                                  got[98:])


def test_replicate_seeds_are_pinned():
    """Printed once from the code: replicates 298..301 straddle blocks 2 and 3."""
    got = replicate_seeds(7, "normal", {"sigma": 1.0, "mu": 0.0}, 4, 298, 302)
    np.testing.assert_array_equal(got, np.array([11333815811936636226, 707916789000407251,
                                                 3618081346082736761, 2397069954735554234],
                                                dtype=np.uint64))
