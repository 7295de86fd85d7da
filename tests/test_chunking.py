"""``chunk_size: auto``: sizes from the measured cost table, bounded jobs and memory."""

from __future__ import annotations

import math
import textwrap

import pytest

from fisherlab.estimators import estimator_names, make_estimator
from fisherlab.families import family_names, get_family
from fisherlab.plan import chunking
from fisherlab.spec.load import load_study

STUDY = """\
description: chunking
model:
  family: {family}
  params: {params}
sample_sizes: {sizes}
replications: {reps}
seed: 1
estimators: {estimators}
"""


def study(tmp_path, family="normal", params="{mu: [0.0, 1.0], sigma: 1.0}", sizes="[10, 1000]",
          reps=20_000, estimators="[mle, unbiased]"):
    p = tmp_path / "s.yaml"
    p.write_text(textwrap.dedent(STUDY.format(family=family, params=params, sizes=sizes,
                                              reps=reps, estimators=estimators)))
    return load_study(p)


def test_every_applicable_pair_has_a_measured_cost():
    from fisherlab.plan.prices import figures

    for f in family_names():
        fam = get_family(f)
        for e in estimator_names():
            if make_estimator(e).applies_to(fam):
                (a, b, _, _), measured = figures(fam, e)
                assert measured, f"{f}/{e}"
                assert a >= 0 and b >= 0


def test_auto_sizes_are_blocks_that_split_conditions_evenly(tmp_path):
    s = study(tmp_path)
    sizes = chunking.auto_sizes(s)
    assert set(sizes) == {c.id for c in s.conditions()}
    for c in s.conditions():
        size = sizes[c.id]
        assert size % 100 == 0 and 100 <= size <= 20_000
        assert size * c.n <= chunking.MAX_VALUES + 100 * c.n
        k = math.ceil(s.replications / size)
        assert s.replications - (k - 1) * size > 0  # no empty chunk
    assert chunking.auto_sizes(s) == sizes  # no clock: the same plan every time


def test_expensive_fits_get_small_chunks_and_cheap_ones_big(tmp_path):
    cheap = chunking.auto_sizes(study(tmp_path, sizes="[10]", reps=1_000_000))
    costly = chunking.auto_sizes(study(tmp_path, family="gaussian_mixture",
                                       params="{w: 0.3, mu1: 0.0, mu2: 3.0, sigma1: 1.0, "
                                       "sigma2: 1.0}", sizes="[1000]", reps=10_000,
                                       estimators="[mle]"))
    assert min(cheap.values()) >= 100 * max(costly.values()) / 10
    # a costly job is still about TARGET_SECONDS of fitting, not hours
    s = study(tmp_path, family="gaussian_mixture", params="{w: 0.3, mu1: 0.0, mu2: 3.0, "
              "sigma1: 1.0, sigma2: 1.0}", sizes="[1000]", reps=10_000, estimators="[mle]")
    size = next(iter(costly.values()))
    assert size * chunking.replicate_seconds(s, 1000) < 4 * chunking.TARGET_SECONDS


def test_a_hundred_million_rows_plan_thousands_of_jobs_not_hundreds_of_thousands(tmp_path):
    mus = ", ".join(str(i / 10) for i in range(100))
    s = study(tmp_path, params=f"{{mu: [{mus}], sigma: 1.0}}", sizes="[20]",
              reps=1_000_000, estimators="[mle]")
    jobs = len(s.jobs(chunking.sizes_for(s, "auto")))
    assert 100 <= jobs <= chunking.MAX_JOBS
    assert chunking.study_rows(s) == 100 * 1_000_000 * 2


def test_cheap_conditions_are_one_job_for_every_n_costly_ones_a_job_per_cell(tmp_path):
    cheap = study(tmp_path, reps=1000)
    jobs = chunking.jobs_for(cheap, "auto")
    assert all(j.spans for j in jobs) and {j.name for j in jobs} == {"c0"}
    assert len(jobs) == len({c.param_id for c in cheap.conditions()})
    assert chunking.count_jobs(cheap, "auto") == (len(jobs), len(cheap.sample_sizes))
    costly = study(tmp_path, family="gaussian_mixture", params="{w: 0.3, mu1: 0.0, "
                   "mu2: 3.0, sigma1: 1.0, sigma2: 1.0}", sizes="[100, 1000]", reps=10_000,
                   estimators="[mle]")
    jobs = chunking.jobs_for(costly, "auto")
    assert not any(j.spans for j in jobs) and len({j.name for j in jobs}) == len(jobs)
    assert chunking.count_jobs(costly, "auto") == (len(jobs), 1)
    for s, js in ((cheap, chunking.jobs_for(cheap, "auto")), (costly, jobs)):
        # every replicate of every cell in exactly one job, and a job's name finds it again
        got = sorted((ch.condition.id, r) for j in js for ch in j.chunks
                     for r in range(ch.start, ch.stop))
        assert got == sorted((c.id, r) for c in s.conditions() for r in range(s.replications))
        sizes = chunking.auto_sizes(s)
        for j in js:
            assert s.job(j.param_id, j.name, sizes[j.chunks[0].condition.id]) == j


def test_an_explicit_chunk_size_still_works(tmp_path):
    s = study(tmp_path, reps=1000)
    assert {ch.stop - ch.start for ch in s.chunks(chunking.sizes_for(s, 300))} == {300, 100}
    with pytest.raises(ValueError, match="multiple of 100"):
        s.chunks(250)


def test_a_job_s_planned_memory_stays_under_its_bound(tmp_path):
    """A job holds one cell at a time: its planned peak (its base and its largest cell)
    stays under JOB_MEMORY whatever its number of cells; with large n the memory bound,
    not the time, sets the replicates (here 30 s of fits would be ~15,000 of them)."""
    s = study(tmp_path, sizes="[10, 100000]", reps=20_000, estimators="[mle]")
    sizes, _ = chunking.auto_layout(s)
    for c in s.conditions():
        peak = chunking.job_base(s) + sizes[c.id] * chunking.cell_bytes(s, c.n)
        assert peak <= chunking.JOB_MEMORY
        # and one seed block more would pass it (the bound is what limits)
        if c.n == 100_000:
            more = peak + 100 * chunking.cell_bytes(s, c.n)
            assert more > chunking.JOB_MEMORY and sizes[c.id] < 20_000
    # a cheap condition spanning every n: its largest cell counts, not all its cells
    cheap = study(tmp_path, sizes="[5, 10, 20, 50, 100, 200, 300, 500, 1000]",
                  reps=20_000, estimators="[mle, unbiased]")
    sizes, grouped = chunking.auto_layout(cheap)
    assert grouped
    for c in cheap.conditions():
        assert chunking.job_base(cheap) + sizes[c.id] * chunking.cell_bytes(cheap, 1000) \
            <= chunking.JOB_MEMORY
