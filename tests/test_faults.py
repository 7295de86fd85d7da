"""Faults: a fit that raises, returns NaN/inf or runs too long is a recorded failure; a
study with too many failures stops and says why; a killed write leaves no half file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fisherlab.cli import app as cli
from fisherlab.core import files as io
from fisherlab.core.errors import FailureRateError
from fisherlab.diagnostics.failures import check_failure_rate
from fisherlab.estimators.base import FitTimeout, _time_limit, fit_timeout
from fisherlab.estimators.registry import _REGISTRY
from fisherlab.pipeline import stages
from fisherlab.run.simulate import draw, run_chunk
from fisherlab.spec.load import load_study

ROOT = Path(__file__).resolve().parents[1]

STUDY = """\
description: planted failures
model: {{family: normal, params: {{mu: 0.0, sigma: 1.0}}}}
sample_sizes: [10]
replications: {reps}
seed: 11
estimators: [mle, {{faulty: {options}}}]
estimands: [mu, sigma, sigma2]
{extra}
"""


@pytest.fixture
def faulty():
    """Register the test-only estimators for one test, and remove them afterwards so
    that registry-driven tests elsewhere never see them."""
    from tests import faulty_estimators as mod

    for cls in (mod.Faulty, mod.Broken):
        _REGISTRY[cls.name] = cls
    yield mod
    for cls in (mod.Faulty, mod.Broken):
        _REGISTRY.pop(cls.name, None)


def spec_of(tmp_path, options: str, reps: int = 200, extra: str = "") -> tuple:
    """The study and its one chunk."""
    p = tmp_path / "faults.yaml"
    p.write_text(STUDY.format(options=options, reps=reps, extra=extra))
    study = load_study(p)
    (chunk,) = study.chunks(reps)
    return study, chunk


def planted(spec: tuple, threshold: float = 0.0) -> np.ndarray:
    """Replicates whose first observation is below the threshold: those that fail."""
    return draw(*spec)[:, 0] < threshold


@pytest.mark.parametrize("mode, reason", [
    ("raise", "FloatingPointError: planted failure"),
    ("nan", "non-finite estimate: mu=nan"),
    ("inf", "non-finite estimate: sigma=inf"),
])
def test_a_failing_fit_is_recorded_and_the_job_goes_on(tmp_path, faulty, mode, reason):
    spec = spec_of(tmp_path, f"{{mode: {mode}}}")
    bad = planted(spec)
    assert 0 < bad.sum() < len(bad)  # the planted failures hit some replicates, not all
    df = run_chunk(*spec)
    f = df[df.estimator == "faulty"]
    for estimand, rows in f.groupby("estimand"):
        rows = rows.sort_values("replicate")
        np.testing.assert_array_equal(rows.converged.to_numpy(), ~bad)
        assert set(rows.reason[~rows.converged.to_numpy()]) == {reason}, estimand
        assert set(rows.reason[rows.converged.to_numpy()]) == {""}
    # the good fits of 'faulty' are the MLE (mean, SD with ddof=0): equal to 'mle'
    m = df[df.estimator == "mle"].sort_values(["estimand", "replicate"])
    g = f.sort_values(["estimand", "replicate"])
    ok = g.converged.to_numpy()
    np.testing.assert_allclose(g.estimate.to_numpy()[ok], m.estimate.to_numpy()[ok],
                               rtol=1e-12)
    # and the other estimator was not disturbed
    assert m.converged.all()


def test_a_raising_batch_fails_every_replicate_and_other_estimators_go_on(tmp_path, faulty):
    p = tmp_path / "b.yaml"
    p.write_text(STUDY.format(options="{}", reps=100, extra="").replace(
        "[mle, {faulty: {}}]", "[mle, broken]"))
    study = load_study(p)
    df = run_chunk(study, study.chunks(100)[0])
    b = df[df.estimator == "broken"]
    assert not b.converged.any()
    assert set(b.reason) == {"RuntimeError: this estimator is broken"}
    assert df[df.estimator == "mle"].converged.all()


def test_a_slow_fit_is_stopped_at_fit_timeout(tmp_path, faulty):
    # datasets whose first value is below -1.5 (~7%) sleep 5 s; the limit is 0.1 s
    spec = spec_of(tmp_path, "{mode: sleep, threshold: -1.5, sleep: 5}", reps=100,
                   extra="fit_timeout: 0.1")
    assert spec[0].fit_timeout == 0.1
    bad = planted(spec, -1.5)
    assert bad.sum() >= 2
    t0 = time.perf_counter()
    df = run_chunk(*spec)
    elapsed = time.perf_counter() - t0
    assert elapsed < 5  # interrupted: without the limit one sleeping fit alone takes 5 s
    f = df[(df.estimator == "faulty") & (df.estimand == "mu")].sort_values("replicate")
    np.testing.assert_array_equal(f.converged.to_numpy(), ~bad)
    assert set(f.reason[bad]) == {"FitTimeout: the fit took longer than fit_timeout = 0.1 s"}


def test_fit_timeout_off_the_main_thread_is_checked_afterwards(tmp_path, faulty):
    # no signal reaches a worker thread: the fit runs to its end, then counts as failed
    spec = spec_of(tmp_path, "{mode: sleep, threshold: -2.0, sleep: 0.3}", reps=100,
                   extra="fit_timeout: 0.05")
    bad = planted(spec, -2.0)
    out = {}
    th = threading.Thread(target=lambda: out.setdefault("df", run_chunk(*spec)))
    th.start()
    th.join(60)
    f = out["df"].query("estimator == 'faulty' and estimand == 'mu'").sort_values("replicate")
    np.testing.assert_array_equal(f.converged.to_numpy(), ~bad)
    assert f.reason[bad].str.startswith("FitTimeout").all()


def test_a_study_without_fit_timeout_keeps_its_chunk_specs(tmp_path, faulty):
    study, chunk = spec_of(tmp_path, "{mode: raise}")
    # specs (and so chunks) of older studies unchanged
    assert "fit_timeout" not in study.spec(chunk)


def test_time_limit_gives_an_outer_timer_back_its_remaining_time():
    """An outer 0.5 s timer around a 0.05 s fit limit gets back 0.5 s less the time
    spent, so it fires once, at its own deadline. The bounds come from times measured
    around each step, not from a fixed window: a loaded machine that stretches the
    steps stretches the bounds with them. TIGHT covers the timer's resolution; LOOSE
    also the moments _time_limit cannot see (between its clock read and its setitimer
    calls) if the process is descheduled there."""
    TIGHT, LOOSE = 0.005, 0.05
    fired = []
    old = signal.signal(signal.SIGALRM, lambda s, f: fired.append(time.monotonic()))
    before = time.monotonic()
    prev = signal.setitimer(signal.ITIMER_REAL, 0.5)  # pytest-timeout's, if running
    try:
        after = time.monotonic()  # the outer timer was set in [before, after]
        with pytest.raises(FitTimeout), _time_limit(0.05):
            time.sleep(1)
        t1 = time.monotonic()
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        t2 = time.monotonic()  # ... and read in [t1, t2]: 0.5 s less that, is left
        assert t1 - after >= 0.05 - TIGHT  # the fit ran its 0.05 s
        # not a fresh 0.5 s again; at least 1 ms when the fit overran the outer timer
        # (a SIGALRM taken by another thread of a stopped process lets sleep(1) finish)
        assert remaining <= max(0.5 - (t1 - after), 1e-3) + TIGHT
        assert remaining >= 0.5 - (t2 - before) - LOOSE  # not dropped, nor cut to 1 ms
        while not fired and time.monotonic() < after + 10:  # fires once, however late
            time.sleep(0.01)
        time.sleep(0.1)
        assert len(fired) == 1
        assert fired[0] >= before + 0.5 - LOOSE  # not before its own deadline
        assert fired[0] >= t1 + remaining - TIGHT  # when the timer read said
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if prev[0]:
            signal.setitimer(signal.ITIMER_REAL, max(prev[0] - (time.monotonic() - before),
                                                     1e-3))


def test_fit_timeout_context_is_scoped():
    from fisherlab.estimators.base import _FIT_TIMEOUT

    with fit_timeout(2):
        assert _FIT_TIMEOUT.get() == 2.0
        with fit_timeout(None):
            assert _FIT_TIMEOUT.get() is None
    assert _FIT_TIMEOUT.get() is None


# ----------------------------------------------------------------- max_failure_rate
def test_max_failure_rate_stops_and_names_the_condition(tmp_path, faulty):
    spec = spec_of(tmp_path, "{mode: raise}")
    df = run_chunk(*spec)
    rate = planted(spec).mean()  # about one half
    check_failure_rate(df, None)  # no limit: nothing to say
    check_failure_rate(df, rate)  # exactly at the limit is allowed
    with pytest.raises(FailureRateError) as err:
        check_failure_rate(df, 0.1, "faults")
    msg = str(err.value)
    assert "max_failure_rate = 0.1" in msg and "'faults'" in msg
    assert f"true_mu=0.0, true_sigma=1.0, n=10, faulty: {planted(spec).sum()}/200" in msg
    assert "commonest reason: FloatingPointError: planted failure" in msg
    assert "mle" not in msg.split("\n", 1)[1]  # the healthy estimator is not blamed


def test_summarise_cli_checks_the_study_limit(tmp_path, faulty, capsys):
    study = tmp_path / "faults.yaml"
    study.write_text(STUDY.format(options="{mode: nan}", reps=200,
                                  extra="max_failure_rate: 0.05"))
    s = load_study(study)
    job = s.jobs(200)[0]
    chunk = tmp_path / "chunks" / "c0.parquet"
    stages.chunk(s, job, chunk)
    folder = tmp_path / "faults"
    stages.gather(s, job.param_id, [chunk], folder)
    out = tmp_path / "summary.csv"
    assert cli.main(["summarise", "--dir", str(folder), "--out", str(out),
                     "--study", str(study)]) == 3
    assert not out.exists()
    assert "non-finite estimate: mu=nan" in capsys.readouterr().err
    # without the key it summarises, failures excluded by measures
    study.write_text(STUDY.format(options="{mode: nan}", reps=200, extra=""))
    assert cli.main(["summarise", "--dir", str(folder), "--out", str(out),
                     "--study", str(study)]) == 0
    assert len(pd.read_csv(out)) == 2 * 3


# ----------------------------------------------------------------- atomic writes
KILLED_WRITER = """\
import os, signal, sys
import pandas as pd
from fisherlab.core import files as io
target = sys.argv[1]
with io.atomic_path(target) as tmp:
    with open(tmp, "wb") as fh:
        fh.write(b"PAR1 half a file")
        fh.flush()
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("existing", [False, True])
def test_sigkill_during_a_write_leaves_no_half_written_file(tmp_path, existing):
    target = tmp_path / "out" / "c0.parquet"
    if existing:
        io.write_parquet(pd.DataFrame({"a": [1.0, 2.0]}), target)
        before = target.read_bytes()
    res = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(target)], timeout=60)
    assert res.returncode == -signal.SIGKILL
    if existing:
        assert target.read_bytes() == before  # the old file, whole
    else:
        assert not target.exists()
    # only a hidden temporary remains, which no rule reads
    leftovers = [p.name for p in target.parent.iterdir() if p != target]
    assert all(n.startswith(".c0.parquet.") and n.endswith(".tmp") for n in leftovers)


def test_every_cli_output_is_written_atomically(tmp_path, monkeypatch):
    """Each sub-command writes through io.atomic_path: a failure mid-write (here an
    exception at the rename) leaves the target absent."""
    calls = []
    real = os.replace

    def refuse(src, dst):
        calls.append(Path(dst).name)
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(io.os, "replace", refuse)
    study = tmp_path / "atomic.yaml"
    study.write_text(textwrap.dedent("""\
        description: atomic
        model: {family: bernoulli, params: {p: 0.3}}
        sample_sizes: [5]
        replications: 100
        seed: 1
        estimators: [mle]
        """))
    s = load_study(study)
    chunk = s.jobs(100)[0]
    chunk_args = ["chunk", "--study", str(study), "--chunk", chunk.id, "--chunk-size", "100",
                  "--out", str(tmp_path / "c.parquet")]

    for argv, name in [
        (chunk_args, "c.parquet"),
    ]:
        with pytest.raises(OSError, match="simulated crash"):
            cli.main(argv)
        assert not (tmp_path / name).exists()
    monkeypatch.setattr(io.os, "replace", real)
    cli.main(chunk_args)
    folder = tmp_path / "atomic"
    gather_args = ["gather", "--study", str(study), "--cond", chunk.param_id,
                   "--dir", str(folder), str(tmp_path / "c.parquet")]
    part = f"cond={chunk.param_id}/n5.parquet"
    monkeypatch.setattr(io.os, "replace", refuse)
    with pytest.raises(OSError, match="simulated crash"):
        cli.main(gather_args)
    assert not (folder / "estimates" / part).exists()
    monkeypatch.setattr(io.os, "replace", real)
    cli.main(gather_args)
    monkeypatch.setattr(io.os, "replace", refuse)
    for argv, name in [
        (["combine", "--study", str(study), "--provenance", str(tmp_path / "p.json"),
          str(tmp_path / "c.parquet")], "p.json"),
        (["export", "--study", str(study), "--dir", str(folder), "--out",
          str(tmp_path / "e.parquet")], "e.parquet"),
        (["summarise", "--dir", str(folder), "--study", str(study), "--out",
          str(tmp_path / "s.csv")], "s.csv"),
    ]:
        with pytest.raises(OSError, match="simulated crash"):
            cli.main(argv)
        assert not (tmp_path / name).exists()
    assert calls == ["c.stats.parquet", "n5.parquet", "p.json", "e.parquet", "s.csv"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("mu, estimators", [
    ("0.0", "[mle, mom, {faulty: {mode: nan}}]"),  # failed fits: n_failed, rep_failed
    ("{dist: Normal, mu: 0, sigma: 1}", "[mle, unbiased]"),  # truths drawn per replicate
])
def test_a_chunk_job_writes_its_rows_and_their_block_statistics(tmp_path, faulty, mu,
                                                                 estimators):
    # write_chunk builds its Arrow rows and block statistics from the fits' arrays, not
    # from a DataFrame: they must be what run_chunk's rows and block_stats of them give
    import pyarrow as pa
    import pyarrow.parquet as pq

    from fisherlab.core.layout import stats_path
    from fisherlab.run.chunks import write_chunk
    from fisherlab.spec.study import Job
    from fisherlab.stats.cellstats import block_stats

    p = tmp_path / "s.yaml"
    p.write_text(f"description: chunk\nmodel: {{family: normal, params: {{mu: {mu}, "
                 f"sigma: 1.0}}}}\nsample_sizes: [5, 20]\nreplications: 300\nseed: 3\n"
                 f"estimators: {estimators}\n")
    study = load_study(p)
    cells = [c for c in study.chunks(300) if c.condition.n in (5, 20)]
    # a job of two cells, replicates 100..249 (several blocks, the last one partial)
    cells = [type(c)(c.condition, c.index, 100, 250) for c in cells]
    rows, _ = write_chunk(study, Job(tuple(cells)), tmp_path / "c.parquet")
    frames = [run_chunk(study, c) for c in cells]
    for df in frames:
        df.attrs = {}
    want = pd.concat(frames, ignore_index=True)
    got = pq.read_table(tmp_path / "c.parquet")
    assert rows == len(want) == 2 * 150 * len(study.estimators) * len(study.estimands)
    assert got.schema.remove_metadata() == pa.Schema.from_pandas(
        want, preserve_index=False).remove_metadata()
    assert got.schema.metadata[b"pandas"] == pa.Schema.from_pandas(
        want, preserve_index=False).metadata[b"pandas"]
    pd.testing.assert_frame_equal(got.to_pandas(), want, check_exact=True)
    drawn = mu.startswith("{")
    stats = []
    for c, df in zip(cells, frames, strict=True):
        st = block_stats(df, drawn)
        st.insert(0, "n", c.condition.n)
        stats.append(st)
    stats = pd.concat(stats, ignore_index=True)
    assert (stats["n_failed"] > 0).any() != drawn  # the planted failures are counted
    # the same file as the statistics frame written by pandas (values, types, metadata)
    io.write_parquet(stats, tmp_path / "want.parquet", meta=io.read_meta(
        stats_path(tmp_path / "c.parquet")))
    assert (stats_path(tmp_path / "c.parquet").read_bytes()
            == (tmp_path / "want.parquet").read_bytes())
