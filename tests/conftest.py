"""Shared test helpers: writing study files, running chunks in-process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from fisherlab.run.simulate import run_chunk
from fisherlab.spec.load import load_study
from fisherlab.stats.measures import summarise

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def write_study(tmp_path):
    """Write YAML text to tmp_path/<name>.yaml and return its path."""

    def _write(text: str, name: str = "study") -> Path:
        p = tmp_path / f"{name}.yaml"
        p.write_text(textwrap.dedent(text), encoding="utf-8")
        return p

    return _write


def run_study(path, chunk_size: int = 1000) -> pd.DataFrame:
    """All replicate rows of a study, computed in this process."""
    study = load_study(path)
    return pd.concat([run_chunk(study, ch) for ch in study.chunks(chunk_size)],
                     ignore_index=True)


def summary_of(path, chunk_size: int = 1000) -> pd.DataFrame:
    return summarise(run_study(path, chunk_size))


def study_for(family: str = "normal", estimators=("mle",), level: float = 0.95,
              design: dict | None = None):
    """A Study object around a family and estimators, for diagnostics on constructed
    replicate rows (the rows' parameters need not match ``params``)."""
    from fisherlab.estimators import make_estimator
    from fisherlab.families import get_family
    from fisherlab.spec.study import EstimatorSpec, Study

    fam = get_family(family, design)
    specs = [EstimatorSpec(e, {}, make_estimator(e), e) for e in estimators]
    return Study(name="constructed", path=Path("constructed.yaml"), description="",
                 family=fam, params={p.name: [1.0] for p in fam.params}, sample_sizes=[10],
                 replications=100, seed=0, estimators=specs,
                 estimands=list(fam.default_estimands()), level=level, design=design)


# ------------------------------------------------------------ the real workflow, in a copy
def workflow_copy(dest: Path, studies: dict[str, str], extra: tuple[str, ...] = ()) -> Path:
    """A scratch copy of the workflow (Snakefile, workflow/, config/, profiles/ and
    ``extra``) with the given studies (name -> YAML text) in its studies/."""
    dest.mkdir(parents=True, exist_ok=True)
    for item in dict.fromkeys(("Snakefile", "workflow", "config", "profiles", *extra)):
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, dest / item)  # follows the schema symlinks
        else:
            shutil.copy(src, dest / item)
    (dest / "studies").mkdir()
    for name, text in studies.items():
        (dest / "studies" / f"{name}.yaml").write_text(text)
    return dest


def snakemake_env() -> dict:
    """This environment, with the interpreter's bin/ (the `fisherlab` command) on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def snakemake_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", *args]


def snakemake(where: Path, *args: str, timeout: int = 900,
              env: dict | None = None) -> subprocess.CompletedProcess:
    """Run Snakemake in ``where`` and return the finished process (output captured);
    ``env`` adds to the environment."""
    return subprocess.run(snakemake_cmd(*args), cwd=where, env={**snakemake_env(), **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


#: each measure's natural scale: a difference is judged relative to the larger of its
#: own size and this column's (a bias of 1e-4 next to a mean of 5 carries the mean's
#: rounding, in the one-pass computation as much as in the merged one)
SCALE = {"mean": "mean", "bias": "mean", "rel_bias": "mean", "bias_mcse": "empse",
         "empse_mcse": "empse", "mse": "mse", "mse_mcse": "mse", "rmse_mcse": "rmse",
         "modelse_mcse": "modelse", "relerr_modelse_mcse": "relerr_modelse_mcse",
         "width_mcse": "width",
         "coverage_mcse": "coverage", "becoverage_mcse": "becoverage"}


def assert_summaries_close(got: pd.DataFrame, ref: pd.DataFrame, rtol: float = 1e-12):
    """Every column equal: text exactly, numbers to ``rtol`` relative to the larger of
    the value and its scale (:data:`SCALE`; rel_bias's scale is mean / true_value, and
    relerr_modelse = 100 (ratio - 1) is scaled by 100 ratio), NaN where the reference is
    NaN. Returns the largest relative difference seen."""
    import numpy as np

    assert list(got.columns) == list(ref.columns)
    assert len(got) == len(ref)
    worst = 0.0
    for c in ref.columns:
        a, b = ref[c].to_numpy(), got[c].to_numpy()
        if ref[c].dtype.kind not in "fiu":
            assert (ref[c].astype(str).to_numpy() == got[c].astype(str).to_numpy()).all(), c
            continue
        a, b = a.astype(float), b.astype(float)
        assert (np.isnan(a) == np.isnan(b)).all(), c
        scale = np.abs(a)
        if c == "relerr_modelse":
            scale = np.fmax(scale, np.abs(100 + a))
        if c in SCALE:
            s = np.abs(ref[SCALE[c]].to_numpy(float))
            if c == "rel_bias" and "true_value" in ref:
                with np.errstate(divide="ignore"):
                    s = s / np.abs(ref["true_value"].to_numpy(float))
            scale = np.fmax(scale, s)
        ok = ~np.isnan(a)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(a[ok] == b[ok], 0.0, np.abs(a[ok] - b[ok]) / scale[ok])
        if rel.size:
            worst = max(worst, float(np.max(rel)))
            assert np.max(rel) <= rtol, (c, float(np.max(rel)))
    return worst


def judged(question: str, table: pd.DataFrame, study=None) -> pd.DataFrame:
    """The verdicts of the one rule of ``question`` on ``table``, a row per row it judged
    (no summary: the rule counts nothing as left out)."""
    from fisherlab.verdicts import RULES
    from fisherlab.verdicts.rows import Cells, keys_of

    table = table.reset_index(drop=True)
    summary = pd.DataFrame(columns=[*keys_of(table), "n", "estimator", "estimand", "n_rep",
                                    "n_failed"])
    return pd.DataFrame(RULES[question].fn(Cells(question, table, summary), study))
