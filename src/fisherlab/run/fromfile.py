"""A file of estimates (CSV or Parquet) as a study's estimates dataset.

:func:`read_estimates` reads a file with one row per replicate × method × condition,
checks every column it was told about (a missing column, a non-number where a number
belongs, a truth that changes within a condition: each named with the file, the column,
the option and the row), and returns its rows in the layout of the estimates contract.
:func:`write_dataset` writes them as ``estimates/cond=<cond>/n<n>.parquet`` and
``stats/cond=<cond>/n<n>.parquet``, exactly as the ``gather`` stage does for simulated
rows, so every later stage reads them the same way. The file is read whole: it is a
data frame someone held in memory to write it.

Replicates are numbered within each condition × n × method × estimand in the order of
the file's rows (the seed blocks of a simulated study become blocks of 100 rows). A
missing estimate (an empty cell, NA) is a failed fit, as rsimsum drops it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import InputError
from ..core.files import write_parquet
from ..core.labels import number
from ..core.layout import ESTIMATES, STATS, StudyFiles
from ..families.base import z_quantile
from ..spec.external import Columns, external_study, factor_column
from ..spec.study import Study
from ..stats.cellstats import block_stats, merge_cells

#: the columns of the estimates contract, in order, after the condition columns
ROW_COLUMNS = ["n", "replicate", "estimator", "estimand", "true_value", "estimate", "se",
               "ci_low", "ci_high", "converged", "reason", "iterations"]
#: a file without a method column has one method of this name
ONE_METHOD = "reported"
#: a file without ``by`` factors has one condition of this id
ONE_CONDITION = "all"


def _parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def read_file(path: str | Path) -> pd.DataFrame:
    """The file as a data frame: Parquet by its suffix, else CSV."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    try:
        return pd.read_parquet(path) if _parquet(path) else pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - any reader's failure is the file's
        kind = "Parquet" if _parquet(path) else "CSV"
        raise InputError(path, f"cannot be read as {kind}: {exc}") from exc


def _where(path: Path, i: int) -> str:
    """Row i (0-based) as people count it: data row i + 1, and a CSV's line."""
    return f"row {i + 1}" + ("" if _parquet(path) else f" (line {i + 2})")


def _numeric(path: Path, df: pd.DataFrame, col: str, opt: str, missing_ok: bool) -> np.ndarray:
    raw = df[col]
    v = pd.to_numeric(raw, errors="coerce") if raw.dtype == object or \
        pd.api.types.is_string_dtype(raw) else raw
    if pd.api.types.is_bool_dtype(v) or not pd.api.types.is_numeric_dtype(v):
        raise InputError(path, f"column {col!r} ({opt}) is {raw.dtype}, not numbers")
    v = v.to_numpy(float)
    bad = np.isnan(v) & raw.notna().to_numpy() if missing_ok else np.isnan(v)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = "is empty" if pd.isna(raw.iloc[i]) else f"is {raw.iloc[i]!r}"
        raise InputError(path, f"column {col!r} ({opt}), {_where(path, i)}: {what}, not a "
                         "number" + ("" if missing_ok else " (every row needs one)"))
    return v


def read_estimates(path: str | Path, columns: Columns) -> pd.DataFrame:
    """The file's rows as estimate rows: the condition columns (``true_<factor>``), then
    :data:`ROW_COLUMNS`, and ``cond``, the condition's id."""
    path = Path(path)
    df = read_file(path)
    for col, opt in columns.used().items():
        if col not in df.columns:
            raise InputError(path, f"no column {col!r} ({opt}); its columns are: "
                             f"{', '.join(map(str, df.columns))}")
    if not len(df):
        raise InputError(path, "has no rows")
    out = pd.DataFrame(index=df.index)
    for b in columns.by:
        if df[b].isna().any():
            i = int(np.flatnonzero(df[b].isna().to_numpy())[0])
            raise InputError(path, f"column {b!r} (--by), {_where(path, i)}: is empty")
        out[factor_column(b)] = df[b].to_numpy()
    if isinstance(columns.n, str):
        n = _numeric(path, df, columns.n, "--n", False)
        bad = (n != np.round(n)) | (n < 1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(path, f"column {columns.n!r} (--n), {_where(path, i)}: "
                             f"{number(n[i])} is not a sample size (a whole number >= 1)")
        out["n"] = n.astype(np.int64)
    else:
        out["n"] = np.int64(columns.n or 0)
    out["estimator"] = (df[columns.methodvar].astype(str).to_numpy() if columns.methodvar
                        else ONE_METHOD)
    out["estimand"] = (df[columns.param].astype(str).to_numpy() if columns.param
                       else columns.estvarname)
    out["true_value"] = (_numeric(path, df, columns.true, "--true", False)
                         if isinstance(columns.true, str) else float(columns.true))
    out["estimate"] = _numeric(path, df, columns.estvarname, "--estvarname", True)
    out["se"] = _numeric(path, df, columns.se, "--se", True) if columns.se else np.nan
    lo, hi = columns.ci_limits or (None, None)
    out["ci_low"] = _numeric(path, df, lo, "--ci-limits", True) if lo else np.nan
    out["ci_high"] = _numeric(path, df, hi, "--ci-limits", True) if hi else np.nan
    if columns.wald():  # rsimsum's simsum() without ci.limits: estimate ± z·se
        z = z_quantile(columns.level)
        out["ci_low"] = out["estimate"] - z * out["se"]
        out["ci_high"] = out["estimate"] + z * out["se"]
    out["converged"] = np.isfinite(out["estimate"].to_numpy())
    out["reason"] = np.where(out["converged"], "", "no estimate in the file")
    out["iterations"] = np.int64(0)
    keys = [factor_column(b) for b in columns.by]
    out["cond"] = _cond_ids(out, keys)
    cell = ["cond", "n", "estimator", "estimand"]
    out["replicate"] = out.groupby(cell, sort=False).cumcount().astype(np.int64)
    truths = out.groupby(cell, sort=False)["true_value"]
    varies = (out["true_value"] != truths.transform("first")).to_numpy()
    if varies.any():
        i = int(np.flatnonzero(varies)[0])
        raise InputError(path, f"column {columns.true!r} (--true), {_where(path, i)}: the "
                         "truth changes within a condition × method; give the factors that "
                         "set it with --by")
    return out[keys + ROW_COLUMNS + ["cond"]]


def _cond_ids(rows: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Each row's condition id, ``dgm=1_sigma=0.5`` as a study's (a hash when long)."""
    if not keys:
        return np.full(len(rows), ONE_CONDITION, dtype=object)
    levels = rows[keys].drop_duplicates()
    ids = {}
    for t in levels.itertuples(index=False):
        slug = "_".join(f"{k.removeprefix('true_')}={number(v)}"
                        for k, v in zip(keys, t, strict=True))
        slug = re.sub(r"[^A-Za-z0-9=._-]", "", slug)
        if len(slug) > 80 or not slug:
            slug = "h" + hashlib.sha256(repr(tuple(t)).encode()).hexdigest()[:16]
        ids[tuple(t)] = slug
    if len(set(ids.values())) < len(ids):  # two levels that read alike once cleaned
        ids = {t: "h" + hashlib.sha256(repr(t).encode()).hexdigest()[:16] for t in ids}
    return np.array([ids[tuple(t)] for t in rows[keys].itertuples(index=False)], dtype=object)


def write_dataset(rows: pd.DataFrame, folder: str | Path) -> int:
    """The rows as the estimates and statistics datasets of a results folder, a file
    per condition × n, cells in (estimator, estimand) order and replicates in order."""
    sf = StudyFiles(folder)
    keys = [c for c in rows.columns if c.startswith("true_") and c != "true_value"]
    total = 0
    for (cond, n), g in rows.groupby(["cond", "n"], sort=False):
        g = g.sort_values(["estimator", "estimand", "replicate"], kind="stable",
                          ignore_index=True)
        write_parquet(g.drop(columns="cond"), sf.part(ESTIMATES, cond, n))
        cells = merge_cells(block_stats(g, drawn=False))
        head = pd.DataFrame([g.loc[0, keys].to_dict()] * len(cells))
        head["n"] = np.int64(n)
        write_parquet(pd.concat([head, cells], axis=1), sf.part(STATS, cond, n))
        total += len(g)
    return total


def study_of_rows(name: str, source: str | Path, columns: Columns, rows: pd.DataFrame) -> Study:
    """The study the rows describe (:func:`fisherlab.spec.external.external_study`)."""
    keys = [factor_column(b) for b in columns.by]
    grid = {k: list(pd.unique(rows[k])) for k in keys}
    reps = int(rows.groupby(["cond", "n", "estimator", "estimand"]).size().max())
    return external_study(name, source, columns, grid, list(pd.unique(rows["estimator"])),
                          list(pd.unique(rows["estimand"])),
                          sorted(int(v) for v in pd.unique(rows["n"])), reps)
