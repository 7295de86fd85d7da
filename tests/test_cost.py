"""The cost plan: counts by arithmetic, memory and time from the measured table."""

from __future__ import annotations

import dataclasses
import types
from pathlib import Path

import pytest

from fisherlab.core.errors import StudyError
from fisherlab.estimators import estimators_for
from fisherlab.families import family_names, get_family
from fisherlab.plan import chunking, cost, cost_table, prices
from fisherlab.spec.load import load_study

STUDY = """\
description: cost
model: {{family: normal, params: {{mu: [0.0, 1.0, 2.0], sigma: [1.0, 2.0]}}}}
sample_sizes: [5, 50, {n}]
replications: {reps}
seed: 1
estimators: [mle, unbiased]
estimands: [mu, sigma, sigma2]
"""


def study(write_study, n=500, reps=2500, **kw):
    return load_study(write_study(STUDY.format(n=n, reps=reps), **kw))


def test_counts_are_arithmetic(write_study):
    c = cost.study_cost(study(write_study), 1000)
    assert c.conditions == 6 * 3
    assert c.jobs == 6 * 3 * 3  # 2500 replications in chunks of 1000: 3 per cell
    assert c.datasets == 6 * 3 * 2500
    assert c.rows == 6 * 3 * 2500 * 2 * 3
    assert (c.job_n, c.job_reps) == (500, 1000)


def test_a_job_spanning_sample_sizes_pays_a_compile_for_each(write_study, monkeypatch):
    """The auto layout's job of a cheap condition spans its every n, and the MAP (JAX, a
    program per data shape) compiles again at each: the plan adds the table's
    SIZE_SETUP for each further n of each job, and nothing for a fixed chunk size (one
    n a job) or an estimator without a figure there."""
    from fisherlab.plan.chunking import count_jobs, further_sizes

    text = ("description: map\nmodel: {family: normal, params: {mu: [0.0, 1.0], "
            "sigma: 1.0}}\nsample_sizes: [10, 40, 160]\nreplications: 200\nseed: 1\n"
            "estimators: [mle, {map: {prior: {mu: {dist: Normal, mu: 0, sigma: 5}, "
            "sigma: {dist: HalfNormal, sigma: 5}}}}]\n")
    s = load_study(write_study(text, name="map3"))
    jobs, widest = count_jobs(s, "auto")
    assert widest == 3 and further_sizes(s, "auto") == jobs * 2 and further_sizes(s, 100) == 0
    per = cost_table.SIZE_SETUP[("normal", "map")]
    assert per > 0 and ("normal", "mle") not in cost_table.SIZE_SETUP
    with_it = cost.study_cost(s, "auto").cpu_seconds
    monkeypatch.setattr(cost_table, "SIZE_SETUP", {})
    assert with_it - cost.study_cost(s, "auto").cpu_seconds == pytest.approx(jobs * 2 * per)


def test_memory_from_the_measured_figures(write_study):
    s = study(write_study, n=20_000)
    c = cost.study_cost(s, 1000)
    per_obs = max(cost_table.FITS[("normal", e)][3] for e in ("mle", "unbiased"))
    # the base: a plain job's, or the preloaded server's it is forked from if larger
    base = max(cost_table.JOB_BASE_BYTES["numpy"], cost_table.SUMMARY["server"][1])
    assert chunking.job_base(s) == base
    expected = base + per_obs * 1000 * 20_000 + 300 * 1000 * 2 * 3
    assert c.job_bytes == pytest.approx(expected, rel=1e-9)
    # the summary steps stream a condition × n at a time: the rows of one of them count
    rows = c.rows // c.conditions
    extra = cost_table.SUMMARY["server"][1] - cost_table.JOB_BASE_BYTES["numpy"]
    assert c.summary_bytes == pytest.approx(max(
        b + r * rows + extra * (k in cost.FORKED) for k, (r, b, _, _)
        in cost_table.SUMMARY.items() if k not in cost.NOT_STEPS), rel=1e-9)
    # twice the sample size: twice the data part of the largest job
    c2 = cost.study_cost(study(write_study, n=40_000, name="s2"), 1000)
    assert c2.job_bytes - c.job_bytes == pytest.approx(per_obs * 1000 * 20_000, rel=1e-9)


def test_time_from_the_measured_figures(write_study):
    c = cost.study_cost(study(write_study, reps=1000), 1000)
    fits = sum(6 * 1000 * (a + b * n) for n in (5, 50, 500) for e in ("mle", "unbiased")
               for a, b, _, _ in [cost_table.FITS[("normal", e)]])
    setup = sum(cost_table.FITS[("normal", e)][2] for e in ("mle", "unbiased"))
    jobs = 18 * (cost_table.JOB_START_SECONDS + setup)
    # the diagnose step's fixed seconds are per cell, measured on SUMMARY_CELLS cells;
    # gather's per condition × n (a job each), measured on SUMMARY_UNITS of them
    cells, units = c.rows // 1000, 6 * 3
    scale = {"diagnose": cells / cost_table.SUMMARY_CELLS,
             "gather": units / cost_table.SUMMARY_UNITS}
    summary = sum(s * scale.get(k, 1) + r * c.rows
                  for k, (_, _, r, s) in cost_table.SUMMARY.items())
    assert c.cpu_seconds == pytest.approx(fits + jobs + summary, rel=1e-9)


def test_measures_are_priced_per_row_and_by_their_resampled_evaluations(write_study):
    plain = cost.study_cost(study(write_study, reps=2000), 1000)
    text = STUDY.format(n=500, reps=2000) + (
        "measures: [median_bias, winsorised_bias, {name: trimmed_bias, mcse: bootstrap}]\n")
    s = load_study(write_study(text, name="measured"))
    c = cost.study_cost(s, 1000)
    p, rows, cells = cost.MEASURE_PRICES, plain.rows, plain.rows // 2000
    work = {m.name: m.measure.work for m in s.measures}
    # a closed form: one pass; the jackknife: 1000 groups; the bootstrap: 1000 resamples
    expected = (cells * p["cell"] + rows * p["read_row"]
                + rows * work["median_bias"] * p["row"]
                + rows * work["winsorised_bias"] * (p["row"] + 1000 * p["resampled_row"])
                + rows * work["trimmed_bias"] * (p["row"] + 1000 * p["resampled_row"]))
    assert c.cpu_seconds - plain.cpu_seconds == pytest.approx(expected, rel=1e-9)


def test_paired_comparisons_are_priced_per_condition_and_n_and_per_row(write_study):
    plain = cost.study_cost(study(write_study, reps=2000), 1000)
    s = load_study(write_study(STUDY.format(n=500, reps=2000) + "compare: unbiased\n",
                               name="paired"))
    c = cost.study_cost(s, 1000)
    p = cost.PAIRED_PRICES
    assert c.cpu_seconds - plain.cpu_seconds == pytest.approx(
        6 * 3 * p["unit"] + plain.rows * p["row"], rel=1e-9)


def test_every_registered_family_and_estimator_has_a_measured_figure():
    missing = [(f, e) for f in family_names() for e in estimators_for(get_family(f))
               if (f, e) not in cost_table.FITS]
    assert not missing, f"run benchmarks/bench_costs.py: no figures for {missing}"
    for key in ("scipy", "python"):
        assert (key, "mle") in cost_table.FITS


def test_an_unmeasured_pair_gets_the_largest_figure_and_says_so():
    unmeasured = types.SimpleNamespace(name="no_such_family", kind="registered")
    figures, measured = prices.figures(unmeasured, "mle")
    assert not measured
    assert figures == tuple(max(v[i] for (_, e), v in cost_table.FITS.items() if e == "mle")
                            for i in range(4))
    assert prices.figures(get_family("scipy.weibull_min"), "mle") == (
        cost_table.FITS[("scipy", "mle")], True)


def test_the_limit_names_the_key_that_drives_it(write_study):
    with pytest.raises(StudyError) as info:
        cost.check_limits([cost.study_cost(study(write_study, n=1_000_000), 1000)])
    assert info.value.key == "sample_sizes" and "the largest job (n = 1,000,000" in str(info.value)
    # a smaller chunk size brings the same study under the limit
    cost.check_limits([cost.study_cost(study(write_study, n=1_000_000), 100)])


def test_the_plan_warns_when_this_machine_is_too_small(write_study, monkeypatch):
    c = cost.study_cost(study(write_study), 1000)
    monkeypatch.setattr(cost, "machine_memory", lambda: 10 * 2**30)
    assert "WARNING" not in cost.plan_text([c], 8)
    big = dataclasses.replace(c, job_bytes=2 * 2**30)
    text = cost.plan_text([big], 8)
    assert "WARNING: this machine has 10.0 GiB of memory; 8 job(s) at once" in text
    assert "WARNING" not in cost.plan_text([big], 4)


# --------------------------------------------------------------------------- plan against a run
# Three bundled studies, run in a process of their own, as a forked job runs (no pytest
# around it: its warning capture and the suite's state slowed the numeric studies by
# 10–20%): a closed form (with measures:), a numeric MLE and a Bayesian MAP (PyMC). The
# machine's speed and load change absolute times, so each study's measured CPU seconds
# are compared with its plan scaled by how fast this machine is now: one figure of the
# cost table (REFERENCE's seconds per dataset) measured again, in the same process.
import json  # noqa: E402 - this section's own
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ROOT / "studies"
#: bundled study -> replications of the copy run here (the plan prices the copy itself)
PLANNED = {"normal_bessel": 400, "gamma_shape": 200, "likelihood_explorer": 200}
#: the cost table's row timed again: (family, estimator, n)
REFERENCE = ("poisson", "mle", 1000)
#: measured / (planned × speed) within a factor of this
FACTOR = 1.5


def planned_copy(folder: Path, name: str) -> Path:
    """The bundled study ``name`` with PLANNED's replications, as ``folder/<name>.yaml``."""
    text = (STUDIES / f"{name}.yaml").read_text()
    path = folder / f"{name}.yaml"
    path.write_text(re.sub(r"(?m)^replications: .*$", f"replications: {PLANNED[name]}", text))
    return path


def measure(folder: str) -> None:
    """In a fresh process (``python -c``): REFERENCE's speed, then each PLANNED study's
    CPU seconds run into ``folder``/results; printed as one JSON line."""
    import importlib

    from fisherlab.cli.inprocess import PRELOAD
    from fisherlab.pipeline import stages

    # imported before timing, as in a forked job (the cost table's set-up leaves them out)
    for module in PRELOAD:
        importlib.import_module(module)
    folder = Path(folder)
    out = {"speed": reference_speed(folder)}
    for name in PLANNED:
        s = load_study(planned_copy(folder, name))
        t0 = time.process_time()
        stages.run(s, folder / "results", html_page=False, echo=lambda *_: None)
        out[name] = time.process_time() - t0
    print(json.dumps(out))


def reference_speed(folder: Path) -> float:
    """Seconds per dataset of REFERENCE measured now, as bench_costs measures it (the
    slope between chunks of R and 4R), over the table's figure: > 1 on a slower or
    busier machine than the table's."""
    from fisherlab.run.simulate import run_chunk
    from fisherlab.spec.study import Chunk, Condition

    fam, est, n = REFERENCE
    theta = get_family(fam).example_theta()
    path = folder / "reference.yaml"
    path.write_text(f"description: reference\nmodel: {{family: {fam}, params: {theta}}}\n"
                    f"sample_sizes: [{n}]\nreplications: 100\nseed: 1\n"
                    f"estimators: [{est}]\n")
    s = load_study(path)

    def cpu(R):
        t0 = time.process_time()
        run_chunk(s, Chunk(Condition(theta, n), 0, 0, R))
        return time.process_time() - t0

    cpu(100)  # warm-up
    per = min((cpu(1000) - cpu(250)) / 750 for _ in range(3))
    a, b = cost_table.FITS[(fam, est)][:2]
    return per / (a + b * n)


def in_process_plan(s, monkeypatch) -> float:
    """The plan's CPU seconds for a run as :func:`measure` times it, without a page: no
    job starts an interpreter (imports are done), no html step."""
    with monkeypatch.context() as m:
        m.setattr(cost_table, "JOB_START_SECONDS", 0.0)
        m.setattr(cost_table, "SUMMARY",
                  {k: v for k, v in cost_table.SUMMARY.items() if k != "html"})
        return cost.study_cost(s, "auto").cpu_seconds


def scaled_table(monkeypatch, factor: float) -> None:
    """Every time figure of the cost table times ``factor``, the reference row's aside."""
    fits = {k: (v if k == REFERENCE[:2] else (v[0] * factor, v[1] * factor, v[2] * factor,
                                               v[3]))
            for k, v in cost_table.FITS.items()}
    monkeypatch.setattr(cost_table, "FITS", fits)
    monkeypatch.setattr(cost_table, "SUMMARY", {k: (v[0], v[1], v[2] * factor, v[3] * factor)
                                                for k, v in cost_table.SUMMARY.items()})


def within(ratios) -> bool:
    return all(1 / FACTOR <= r <= FACTOR for r in ratios.values())


@pytest.mark.slow
def test_the_plan_predicts_cpu_time_within_a_factor_of_1_5(tmp_path, monkeypatch):
    res = subprocess.run([sys.executable, "-c", "import sys; from tests.test_cost import "
                          "measure; measure(sys.argv[1])", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    speed = got.pop("speed")
    measured = got
    studies = {name: load_study(tmp_path / f"{name}.yaml") for name in PLANNED}

    def ratios():
        return {k: measured[k] / (speed * in_process_plan(s, monkeypatch))
                for k, s in studies.items()}

    found = ratios()
    assert within(found), (f"measured / planned CPU seconds, at this machine's speed "
                           f"({speed:.2f} × the table's): {found}")
    # a table off by 2× either way fails (the prediction is arithmetic: no rerun)
    for factor in (2.0, 0.5):
        with monkeypatch.context() as m:
            scaled_table(m, factor)
            assert not within(ratios()), factor


def test_the_plan_predicts_gather_and_the_snakemake_process(write_study):
    """gather holds one estimator × estimand of a cell at a time (a row a replicate)
    up to its bound (GATHER_ROWS), whatever the study's size; the Snakemake
    process is its base and DAG plus one in-process step per thread, at most one per
    CPU."""
    per_row, base = cost_table.SUMMARY["gather"][:2]
    c1 = cost.study_cost(study(write_study), 1000, cores=1)
    assert c1.gather_bytes == pytest.approx(base + per_row * 2500, abs=1)
    huge = cost.study_cost(study(write_study, reps=10**8, name="huge"), 10**6, cores=1)
    assert huge.gather_bytes == pytest.approx(base + per_row * cost.GATHER_ROWS, abs=1)
    assert cost.GATHER_ROWS < 2 * 10**6  # bounded: a cell here has 10^8 rows
    # the base: imports and the DAG
    own = cost_table.SUMMARY["snakemake"][1] + cost.DAG_JOB_BYTES * c1.jobs
    assert c1.process_bytes > own >= cost_table.SUMMARY["snakemake"][1] > 0
    # two threads add twice what one does
    c2 = cost.study_cost(study(write_study, name="two"), 1000, cores=2)
    assert c2.process_bytes - own == pytest.approx(2 * (c1.process_bytes - own), abs=2)
    # the gather step adds to the process it runs in all it holds beyond a step
    # process's imports (its rows, and what it allocates whatever its rows)
    imports = cost_table.SUMMARY["imports"][1]
    assert base > imports > 0
    assert c1.process_bytes - own >= c1.gather_bytes - imports
    assert "gather" in c1.line() and "Snakemake process" in c1.line()
