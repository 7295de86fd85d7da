"""The `fisherlab` command as a new user meets it: guessable, and every exit code means
one thing (0 done, 1 validate found a problem, 2 invalid study or past a limit,
3 stopped by max_failure_rate, 4 corrupt or stale chunks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fisherlab.cli import app as cli
from fisherlab.core import files as io
from fisherlab.core.layout import chunk_file
from fisherlab.estimators.registry import _REGISTRY
from fisherlab.pipeline import stages
from fisherlab.spec.load import load_study

TINY = """\
description: tiny
model: {family: bernoulli, params: {p: 0.3}}
sample_sizes: [5, 10]
replications: 200
seed: 1
estimators: [mle, mom]
"""
STOPPED = """\
description: planted failures
model: {family: normal, params: {mu: 0.0, sigma: 1.0}}
sample_sizes: [10]
replications: 200
seed: 11
estimators: [mle, {faulty: {mode: raise}}]
max_failure_rate: 0.1
"""


def fisherlab(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fisherlab", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "tiny.yaml").write_text(TINY)
    return tmp_path


def test_version():
    from importlib import metadata

    res = fisherlab("--version")
    assert res.returncode == 0
    assert res.stdout.strip() == f"fisherlab {metadata.version('fisherlab')}"


@pytest.mark.parametrize("args", [(), ("--help",), ("-h",)])
def test_bare_fisherlab_and_help_list_the_user_commands_first(args):
    res = fisherlab(*args)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert out.startswith("usage: fisherlab")
    user = [out.index(f"\n  {c}") for c in ("run STUDY", "summarise --from FILE",
                                               "validate", "families", "protocol STUDY",
                                               "table STUDY")]
    internal = out.index("internal commands")
    assert user == sorted(user) and max(user) < internal
    assert "summarise" in out[internal:]  # without --from, the workflow's stage
    for stage in ("chunk", "combine", "check", "measures", "paired", "report",
                  "diagnose", "html", "index"):
        assert stage in out[internal:]
        assert f"\n  {stage} " not in out[:internal]  # not listed among the user commands


def test_every_option_of_the_user_commands_has_help():
    sub = next(a for a in cli.parser()._actions if hasattr(a, "choices") and a.choices)
    for name in ("run", "validate", "plan", "claims", "protocol", "table"):
        for action in sub.choices[name]._actions:
            assert action.help and action.help.strip(), (name, action.dest)


def test_validate_outside_a_project_says_so_and_fails(tmp_path):
    res = fisherlab("validate", cwd=tmp_path)
    assert res.returncode == 1
    assert "no study files in studies/" in res.stderr


def test_validate_prints_the_cost_plan(project):
    res = fisherlab("validate", cwd=project)
    assert res.returncode == 0, res.stderr
    assert "ok   studies/tiny.yaml" in res.stdout
    assert "cost: 1 job, 400 datasets, 800 estimate rows; largest job" in res.stdout
    assert "limits: 10,000 jobs per run" in res.stdout


def test_validate_lists_every_problem_of_every_file(project):
    (project / "studies" / "bad.yaml").write_text(
        TINY.replace("p: 0.3", "p: 1.3").replace("seed: 1", "seed: 1.0"))
    (project / "studies" / "huge.yaml").write_text(
        TINY.replace("replications: 200", "replications: 100000000"))
    res = fisherlab("validate", cwd=project)
    assert res.returncode == 1
    err = res.stderr
    assert "FAIL studies/bad.yaml: 2 problems:" in err
    assert "key 'seed': must be an integer, got 1.0 (write 1" in err
    assert "key 'model.params.p': 1.3 is outside the domain" in err
    assert "FAIL studies/huge.yaml: " in err and "summary steps" in err  # (auto chunks)
    assert "ok   studies/tiny.yaml" in res.stdout
    assert fisherlab("validate", "--allow-large", "huge", cwd=project).returncode == 0


def test_run_takes_a_name_or_a_path(project):
    res = fisherlab("run", "tiny", "--no-html", cwd=project)
    assert res.returncode == 0, res.stderr
    assert (project / "results" / "tiny" / "summary.csv").exists()
    assert "cost plan: tiny:" in res.stderr
    res = fisherlab("run", "studies/tiny.yaml", "--no-html", "--results", "r2", cwd=project)
    assert res.returncode == 0, res.stderr
    assert (project / "r2" / "tiny" / "estimates.parquet").read_bytes() == \
        (project / "results" / "tiny" / "estimates.parquet").read_bytes()
    res = fisherlab("run", "tinny", cwd=project)
    assert res.returncode == 2 and "no study file 'tinny' and no studies/tinny.yaml" in res.stderr


def test_run_stops_past_a_limit_before_any_job(project):
    (project / "studies" / "huge.yaml").write_text(
        TINY.replace("sample_sizes: [5, 10]", "sample_sizes: [5, 100000000]"))
    res = fisherlab("run", "huge", cwd=project)
    assert res.returncode == 2
    assert "huge.yaml: key 'sample_sizes': the largest job (n = 100,000,000" in res.stderr
    assert "--allow-large" in res.stderr
    assert not (project / "results").exists()


@pytest.fixture
def faulty():
    from tests import faulty_estimators as mod

    for cls in (mod.Faulty, mod.Broken):
        _REGISTRY[cls.name] = cls
    yield
    for cls in (mod.Faulty, mod.Broken):
        _REGISTRY.pop(cls.name, None)


def test_a_stopped_study_exits_3_with_its_status_and_the_index(project, faulty, capsys):
    (project / "studies" / "bad.yaml").write_text(STOPPED)
    results = project / "results"
    assert cli.main(["run", str(project / "studies" / "tiny.yaml"), "--results",
                     str(results)]) == 0
    code = cli.main(["run", str(project / "studies" / "bad.yaml"), "--results", str(results)])
    assert code == 3
    assert "faulty: " in capsys.readouterr().err
    status = json.loads((results / "bad" / "status.json").read_text())
    assert status["stopped"] and "max_failure_rate = 0.1" in status["message"]
    assert not (results / "bad" / "summary.csv").exists()
    index = (results / "index.html").read_text()
    assert "tiny</a>" in index and "bad <b>(stopped)</b>" in index
    assert "stopped by max_failure_rate = 0.1; worst: true_mu=0.0, true_sigma=1.0, n=10" in index


def test_a_corrupt_chunk_is_named_removed_and_exits_4(project, capsys):
    study = load_study(project / "studies" / "tiny.yaml")
    results = project / "results"
    stages.run(study, results, 100, html_page=False, echo=lambda *a: None)
    folder = results / "tiny"
    cond = study.jobs(100)[0].param_id  # gather verifies one condition's chunks
    jobs = [j for j in study.jobs(100) if j.param_id == cond]
    chunks = [chunk_file(results, study.name, j) for j in jobs]
    bad = chunks[1]
    bad.write_bytes(bad.read_bytes()[:-100])  # truncated

    def gather(size, paths):
        return cli.main(["gather", "--study", str(study.path), "--cond", cond,
                         "--dir", str(folder), "--chunk-size", size,
                         *map(str, paths)])

    assert gather("100", chunks) == 4
    err = capsys.readouterr().err
    assert f"{bad}: cannot be read" in err and "1 chunk file(s) removed" in err
    assert not bad.exists() and all(c.exists() for c in chunks if c != bad)
    # nothing computed from the old estimates is left looking current
    assert not (folder / "summary.csv").exists() and not (folder / "report.md").exists()
    # a chunk of another chunk size is stale
    stages.chunk(study, jobs[1], bad)
    assert gather("200", chunks[:2]) == 4
    assert "is stale" in capsys.readouterr().err


def test_a_chunk_s_checksum_catches_a_changed_value(tmp_path):
    df = pd.DataFrame({"estimate": [1.0, 2.0, 3.0], "reason": ["", "x", ""]})
    path = tmp_path / "c.parquet"
    io.write_parquet(df, path, meta={"spec_sha256": "s"}, checksum=True)
    got, meta, problem = io.read_checked(path)
    assert problem == "" and meta["spec_sha256"] == "s"
    pd.testing.assert_frame_equal(got, df)
    # the same metadata over other rows: the digest no longer matches
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    other = pa.Table.from_pandas(df.assign(estimate=[1.0, 2.0, 3.5]), preserve_index=False)
    pq.write_table(other.replace_schema_metadata(table.schema.metadata), path)
    assert io.read_checked(path)[2] == "its rows do not match its checksum (the file is corrupt)"


def test_a_command_s_help_is_its_own():
    res = fisherlab("run", "--help")
    assert res.returncode == 0
    assert res.stdout.startswith("usage: fisherlab run") and "--allow-large" in res.stdout
    res = fisherlab("run", "x", "--chunk-size", "150")
    assert res.returncode == 2 and "must be a multiple of 100" in res.stderr
