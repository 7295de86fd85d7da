"""What the CLI's ``diagnose``, ``html`` and ``index`` sub-commands do, importable."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import io
from ..diagnostics import run_all
from ..families import get_family
from ..study import Study


def diagnose(study: Study, estimates: str | Path, outdir: str | Path) -> dict:
    """Every diagnostic table of a study, written as ``<outdir>/<name>.csv``."""
    df = pd.read_parquet(estimates)
    tables = run_all(df, get_family(study.family), study.level)
    for name, t in tables.items():
        io.write_csv(t, Path(outdir) / f"{name}.csv")
    return tables
