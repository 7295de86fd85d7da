"""Adding a diagnostic with its page section is two new modules (and their test): the
diagnostic in ``diagnostics/``, its section in ``report/sections/``. No shared file lists
them: the registries find them, the diagnose stage writes the table, the page shows the
section in its place, and the workflow declares the table as an output."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "fisherlab"

DIAGNOSTIC = '''
"""The share of estimates above the truth: a toy diagnostic."""
import pandas as pd

from ._common import condition_keys, good, groups
from .registry import CELL, diagnostic


@diagnostic("above", by=CELL, columns=("n", "estimator", "estimand", "estimate",
                                         "true_value", "converged"))
def above(df, study):
    """One row per cell: the share of estimates above the truth."""
    head = condition_keys(df) + ["n", "estimator", "estimand"]
    rows = [dict(zip(head, key, strict=True),
                 share=float((g["estimate"] > g["true_value"]).mean()))
            for key, g in groups(good(df), head)]
    return pd.DataFrame(rows, columns=head + ["share"])
'''

SECTION = '''
"""The page's section of the toy diagnostic."""
from ..columns import estimand_col, est_col, n_col
from ..html import Col, cite, esc
from ..html import table as html_table
from .section import Section

ORDER = 95  # after normality, before coverage


def reading(r):
    t = r.tables["above"]
    i = t["share"].idxmax()
    return ("The largest share above the truth is "
            + cite("above", i, "share", f"{t.loc[i, 'share']:.3f}") + ".")


def table(r):
    cols = [estimand_col(), n_col(), est_col(r),
            Col("share above", lambda x: f"{x.share:.3f}", "share")]
    return html_table(r.tables["above"], cols, "above")


SECTION = Section("above", "Above the truth", reading, how="A toy section.", table=table)
'''

STUDY = """\
description: a tiny normal study
model: {family: normal, params: {mu: 0.0, sigma: 1.0}}
sample_sizes: [10, 20]
replications: 100
seed: 1
estimators: [mle]
estimands: [mu]
"""


@pytest.mark.slow
def test_a_new_diagnostic_and_its_section_are_two_modules(tmp_path):
    pkg = tmp_path / "src" / "fisherlab"
    shutil.copytree(SRC, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "diagnostics" / "above.py").write_text(textwrap.dedent(DIAGNOSTIC))
    (pkg / "report" / "sections" / "above.py").write_text(textwrap.dedent(SECTION))
    (tmp_path / "tiny.yaml").write_text(STUDY)
    env = {"PYTHONPATH": str(tmp_path / "src"), "PATH": str(Path(sys.executable).parent)}
    code = ("import sys; from fisherlab.cli import main; from fisherlab.diagnostics import "
            "TABLES; assert 'above' in TABLES; sys.exit(main(sys.argv[1:]))")
    res = subprocess.run([sys.executable, "-c", code, "run", str(tmp_path / "tiny.yaml"),
                          "--results", str(tmp_path / "results")], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    folder = tmp_path / "results" / "tiny"
    table = pd.read_csv(folder / "above.csv")
    assert len(table) == 2 and table["share"].between(0, 1).all()
    page = (folder / "report.html").read_text()
    order = [page.index(f'<section id="{s}">') for s in ("normality", "above", "coverage")]
    assert order == sorted(order)
    assert "The largest share above the truth is" in page
