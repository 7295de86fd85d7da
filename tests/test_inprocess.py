"""Light workflow steps inside the Snakemake process (fisherlab.inprocess): each job's
output in its own log even when jobs run at once, failures raised with their log, and
which chunk jobs are cheap enough to stay in the process."""

import threading

import pytest

from fisherlab import chunking
from fisherlab.inprocess import cli, process
from fisherlab.study import load_study


def test_concurrent_commands_write_their_own_logs(tmp_path, capsys):
    logs = [tmp_path / f"logs/{i}.log" for i in range(6)]
    errors = []

    def job(log):
        try:
            cli(log, "families")
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(log,)) for log in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    texts = [log.read_text() for log in logs]
    assert all(t == texts[0] for t in texts) and "bernoulli" in texts[0]
    out = capsys.readouterr()
    assert "bernoulli" not in out.out + out.err  # nothing leaked to the real streams


def test_a_failing_command_raises_with_its_log(tmp_path):
    log = tmp_path / "check.log"
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {family: nosuchfamily}\n")
    with pytest.raises(RuntimeError, match="validate exited with status 1") as err:
        cli(log, "validate", bad)
    assert "nosuchfamily" in str(err.value) and "nosuchfamily" in log.read_text()


def test_forked_jobs_write_their_logs_and_raise_on_failure(tmp_path, capsys):
    """Jobs forked from the preloaded server, several at once from threads: each
    command's output in its own log, nothing on the real streams, a refused input
    raises with its status and the end of its log."""
    logs = [tmp_path / f"logs/{i}.log" for i in range(4)]
    errors = []

    def job(log):
        try:
            process(log, "families")
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(log,)) for log in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    texts = [log.read_text() for log in logs]
    assert all(t == texts[0] for t in texts) and "| `bernoulli`" in texts[0]
    out = capsys.readouterr()
    assert "bernoulli" not in out.out + out.err
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {family: nosuchfamily}\n")
    with pytest.raises(RuntimeError, match="validate exited with status 1") as err:
        process(tmp_path / "bad.log", "validate", bad)
    assert "nosuchfamily" in str(err.value)


def test_only_cheap_jobs_that_compile_nothing_stay_in_process():
    cheap = load_study("studies/coin_flips.yaml")
    assert all(chunking.in_process(cheap, j) for j in chunking.jobs_for(cheap, "auto"))
    bayes = load_study("studies/normal_mean_prior.yaml")  # PyMC: a process of its own
    assert not any(chunking.in_process(bayes, j) for j in chunking.jobs_for(bayes, "auto"))
    slow = load_study("studies/gumbel_maxima.yaml")  # numeric fits: a minute of work
    assert not any(chunking.in_process(slow, j) for j in chunking.jobs_for(slow, "auto"))


def test_costly_jobs_start_first():
    """Plan.priority: a Bayesian study's job (PyMC compiles) outranks a cheap
    closed-form one, and report pages (priority 0)."""
    from types import SimpleNamespace

    from fisherlab.workflow import Plan

    plan = Plan.from_config({"studies": ["coin_flips", "normal_mean_prior"]}, ".")

    def wildcards(study):
        job = plan.chunks(study)[0]
        return SimpleNamespace(study=study, cond=job.param_id, chunk=job.name)

    cheap, bayes = wildcards("coin_flips"), wildcards("normal_mean_prior")
    assert plan.priority(bayes) == 1 and plan.priority(cheap) == 0
