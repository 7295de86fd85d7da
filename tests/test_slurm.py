"""Scale-out for real: a small study through ``snakemake --executor slurm`` on a
single-node SLURM on this machine equals the local run, number for number.

SLURM comes from Debian's slurm-wlm and munge packages, configured and started by
``scripts/ci-slurm.sh`` (idempotent; ~1 s when installed and running). The test runs that
script itself when it is root and the packages are installed; otherwise it is skipped
with the reason. Run it alone with ``pytest -m slurm``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from .conftest import snakemake as run_snakemake
from .conftest import workflow_copy as copy_of_workflow

ROOT = Path(__file__).resolve().parents[1]
# starting SLURM may take up to 600 s and each Snakemake run up to 1200 s (their own
# limits below): past the suite's default 900 s
pytestmark = [pytest.mark.slurm, pytest.mark.workflow, pytest.mark.slow,
              pytest.mark.timeout(3600)]

STUDY = """\
description: the SLURM test
model:
  family: normal
  params: {mu: [0.0, 1.0], sigma: 2.0}
sample_sizes: [5, 20]
replications: 200
seed: 31337
estimators: [mle, unbiased]
estimands: [mu, sigma, sigma2]
"""


def _node_state() -> str:
    try:
        return subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True,
                              timeout=20).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


@pytest.fixture(scope="module")
def slurm():
    """A running single-node SLURM, or a skip that says why not."""
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.skip("snakemake-executor-plugin-slurm is not installed (pip install "
                    "'fisherlab[slurm]')")
    if shutil.which("sbatch") is None or shutil.which("slurmctld") is None:
        pytest.skip("SLURM is not installed: run `sudo scripts/ci-slurm.sh` (apt-get "
                    "install slurm-wlm munge, configure one node, start the daemons)")
    if os.geteuid() == 0:  # start (or confirm) the daemons; idempotent
        res = subprocess.run(["bash", str(ROOT / "scripts" / "ci-slurm.sh")],
                             capture_output=True, text=True, timeout=600)
        if res.returncode:
            pytest.skip(f"scripts/ci-slurm.sh could not start SLURM: {res.stderr[-500:]}")
    state = _node_state()
    if not state.startswith(("idle", "mixed", "allocated")):
        pytest.skip(f"SLURM is not running (sinfo node state {state!r}); start it with "
                    "`sudo scripts/ci-slurm.sh`")
    return state


def workflow_copy(dest: Path) -> Path:
    return copy_of_workflow(dest, {"slurmtest": STUDY}, extra=("profiles",))


def snakemake(where: Path, *args: str) -> subprocess.CompletedProcess:
    return run_snakemake(where, "--config", "chunk_size=100", *args, timeout=1200)


def test_a_study_through_the_slurm_executor_equals_the_local_run(slurm, tmp_path):
    cluster = workflow_copy(tmp_path / "cluster")
    local = workflow_copy(tmp_path / "local")
    t0 = time.perf_counter()
    res = snakemake(
        cluster, "--profile", "profiles/slurm",
        # no account on the test cluster; poll the scheduler every few seconds
        "--slurm-no-account", "--slurm-init-seconds-before-status-checks", "2",
        # five submissions (the profile's groups): the chunks as one group job, the
        # gather jobs as another, the study's export -> check (a checkpoint), then
        # summarise -> report (added to the DAG after the checkpoint), then the index
        )
    seconds = time.perf_counter() - t0
    log = res.stdout + res.stderr
    assert res.returncode == 0, log[-4000:]
    # it really went through sbatch: SLURM knows the jobs, and they completed
    ids = re.findall(r"submitted with SLURM jobid (\d+)", log)
    assert len(ids) == 6, f"{len(ids)} submissions\n" + log[-4000:]
    states = subprocess.run(["squeue", "-h", "-t", "all", "-j", ",".join(ids), "-o", "%T"],
                            capture_output=True, text=True, timeout=20).stdout.split()
    assert states == ["COMPLETED"] * 6, states

    res = snakemake(local, "--cores", "2")
    assert res.returncode == 0, res.stderr[-3000:]
    for name in ("estimates.parquet",):
        pd.testing.assert_frame_equal(pd.read_parquet(cluster / "results/slurmtest" / name),
                                      pd.read_parquet(local / "results/slurmtest" / name),
                                      check_exact=True)
    pd.testing.assert_frame_equal(pd.read_csv(cluster / "results/slurmtest/summary.csv"),
                                  pd.read_csv(local / "results/slurmtest/summary.csv"),
                                  check_exact=True)
    print(f"\nSLURM run: {seconds:.1f} s, SLURM jobs {ids}; equal to the local run")
