"""A user's own data set, read for ``fisherlab fit``: one dataset as the family takes it.

The data come from a CSV or Parquet file, or as numbers on the command line. A family of
one value per observation reads one column (``column``, or the file's only column); a
regression family reads its response ``y`` and its covariates by name, and is configured
with those covariates (``model.design``), so its coefficients are ``beta0`` (the
intercept), ``beta1``, ... in the order given.

Every refusal is a :class:`~fisherlab.core.errors.DataError` naming the file, the column
and the row (data rows counted from 1 below the header, as a spreadsheet shows them): an
empty file, a value that is not a number or is missing, a count that is negative or not
an integer, a value outside a discrete family's support, a missing column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import DataError, StudyError
from ..families.base import Family
from ..families.registry import family_names, get_family
from ..families.regression import RegressionFamily, regression_data

#: what the data's source is called when the numbers are given on the command line
COMMAND_LINE = "command line"


@dataclass
class UserData:
    """One dataset ``x`` ``(1, n)`` (a structured array for a regression), the family
    configured for it, the design constants' values and where the data came from."""

    source: str
    family: Family
    x: np.ndarray
    theta_fixed: dict
    #: the columns read: ``{"value": name}``, or ``{"y": name, "X": [names]}``
    columns: dict = field(default_factory=dict)
    #: the covariates' means and standard deviations (a regression), for a study's design
    design: dict | None = None

    @property
    def n(self) -> int:
        return int(self.x.shape[1])


def _numbers(values: list[str]) -> pd.DataFrame | None:
    """The command line's numbers as a one-column table, or None when they are not all
    numbers (then the one item is a file name)."""
    try:
        return pd.DataFrame({"value": [float(v) for v in values]})
    except ValueError:
        return None


def read_table(items: list[str]) -> tuple[str, pd.DataFrame]:
    """(source, the table as text cells) from a file name or the command line's numbers."""
    if len(items) == 1 and Path(items[0]).is_file():
        path = Path(items[0])
        if path.suffix.lower() in (".parquet", ".pq"):
            try:
                t = pd.read_parquet(path)
            except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
                raise DataError(path, None, None, f"not a readable Parquet file ({exc})") from None
        else:
            try:
                t = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True,
                                skip_blank_lines=False)  # a blank row is a missing value
            except pd.errors.EmptyDataError:
                raise DataError(path, None, None, "the file is empty: expected a header line "
                                "naming the columns, then one row per observation") from None
            except (pd.errors.ParserError, UnicodeDecodeError) as exc:
                raise DataError(path, None, None, f"not a readable CSV file ({exc})") from None
            # blank lines at the end are an editor's, not missing values
            blank = (t == "").all(axis=1).to_numpy()
            last = len(t) - int(np.argmin(blank[::-1])) if not blank.all() else 0
            t = t.iloc[:last]
        if t.empty:
            raise DataError(path, None, None, "the file has no data rows (only "
                            + (f"a header: {', '.join(map(str, t.columns))})" if len(t.columns)
                               else "blank lines)"))
        return str(path), t
    t = _numbers(items)
    if t is None:
        bad = next(v for v in items if _numbers([v]) is None)
        what = (f"no file {bad!r}" if len(items) == 1 else
                f"{bad!r} is not a number (give a file, or numbers only)")
        raise DataError(COMMAND_LINE, None, None, what)
    return COMMAND_LINE, t


def numeric_column(source: str, t: pd.DataFrame, name: str, why: str = "") -> np.ndarray:
    """Column ``name`` as floats; a missing column, a missing value or text is refused."""
    if name not in t.columns:
        raise DataError(source, name, None, f"no such column{why}; the data have: "
                        + ", ".join(map(str, t.columns)))
    col = t[name]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        values = col.to_numpy(float)
        text = col.astype(str).to_numpy()
    else:
        text = col.astype(str).str.strip().to_numpy()
        values = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        cell = text[i]
        problem = ("is empty (a missing value): remove the row or fill it in"
                   if cell in ("", "nan", "None", "NaN") else
                   f"{cell!r} is not a finite number")
        raise DataError(source, name, i + 1, problem)
    return values


def check_counts(source: str, name: str, v: np.ndarray, family: Family) -> None:
    """A discrete family's values are counts: non-negative integers."""
    for test, problem in ((v < 0, "is negative"), (v != np.floor(v), "is not an integer")):
        bad = np.flatnonzero(test)
        if bad.size:
            raise DataError(source, name, int(bad[0]) + 1, f"{v[bad[0]]:g} {problem}: "
                            f"{family.name} observations are counts, non-negative integers")


def check_support(source: str, name: str, x: np.ndarray, y: np.ndarray, family: Family,
                  theta_fixed: dict) -> None:
    """Each value of a discrete family (or a regression's response) has positive mass at
    the family's ordinary parameter values: else it lies outside the support."""
    theta = {**family.example_theta(), **theta_fixed}
    with np.errstate(all="ignore"):
        lp = family.logpdf(x[0], theta)
    bad = np.flatnonzero(~np.isfinite(lp))
    if bad.size:
        i = int(bad[0])
        fixed = ", ".join(f"{k} = {v:g}" for k, v in theta_fixed.items())
        raise DataError(source, name, i + 1, f"{y[i]:g} is outside the support of "
                        f"{family.name}" + (f" with {fixed}" if fixed else ""))


def parse_fixed(family: Family, given: dict[str, float]) -> dict:
    """The design constants (binomial trials): every one given, each in its domain."""
    need = [p for p in family.params if not p.estimated]
    extra = sorted(set(given) - {p.name for p in need})
    if extra:
        raise StudyError(COMMAND_LINE, "--fixed", f"{extra[0]!r} is not a fixed parameter of "
                         f"{family.name}" + (f"; it has: {', '.join(p.name for p in need)}"
                                             if need else "; it has none"))
    out = {}
    for p in need:
        if p.name not in given:
            raise StudyError(COMMAND_LINE, "--fixed", f"{family.name} needs {p.name} "
                             f"({p.doc}), e.g. --fixed {p.name}={p.typical[1]:g}")
        v = given[p.name]
        if p.integer and v != int(v) or not p.low <= v <= p.high:
            raise StudyError(COMMAND_LINE, "--fixed", f"{p.name} = {v:g} is outside its "
                             f"domain ({p.doc})")
        out[p.name] = int(v) if p.integer else float(v)
    return out


def make_family(name: str, design: dict | None = None) -> Family:
    try:
        return get_family(name, design)
    except KeyError:
        raise StudyError(COMMAND_LINE, "--family", f"no family {name!r}; the families: "
                         + ", ".join(family_names())) from None
    except ValueError as exc:
        raise StudyError(COMMAND_LINE, "--x", str(exc)) from None


def read_data(items: list[str], family: str, *, column: str | None = None,
              y: str | None = None, covariates: tuple[str, ...] = (),
              fixed: dict[str, float] | None = None) -> UserData:
    """The data of ``items`` (a file, or numbers) for ``family``, checked."""
    source, t = read_table(items)
    fam = make_family(family)
    if isinstance(fam, RegressionFamily):
        return _regression(source, t, fam, y, covariates, fixed or {})
    if covariates or y:
        raise StudyError(COMMAND_LINE, "--y/--x", f"{fam.name} is not a regression family; "
                         "choose its column with --column")
    if column is None:
        if len(t.columns) != 1:
            raise DataError(source, None, None, f"the data have {len(t.columns)} columns ("
                            + ", ".join(map(str, t.columns)) + "): choose one with --column")
        column = str(t.columns[0])
    theta_fixed = parse_fixed(fam, fixed or {})
    v = numeric_column(source, t, column)
    x = v[None, :]
    if fam.discrete:
        check_counts(source, column, v, fam)
        check_support(source, column, x, v, fam, theta_fixed)
    return UserData(source, fam, x, theta_fixed, {"value": column})


def _regression(source, t, fam, y, covariates, fixed) -> UserData:
    if not covariates:
        raise StudyError(COMMAND_LINE, "--x", f"{fam.name} needs its covariates' columns, "
                         "e.g. --x income (one slope each, in that order)")
    y = y or "y"
    resp = numeric_column(source, t, y, " (the response, chosen with --y)")
    X = [numeric_column(source, t, c, " (a covariate given with --x)") for c in covariates]
    # the study at the fit redraws covariates like these: normal, the data's mean and sd
    design = {"covariates": [{"name": c, "distribution": "norm", "loc": float(np.mean(v)),
                              "scale": float(np.std(v, ddof=1)) if len(v) > 1 else 1.0}
                             for c, v in zip(covariates, X, strict=True)]}
    fam = make_family(fam.name, {"covariates": [{"name": c} for c in covariates]})
    theta_fixed = parse_fixed(fam, fixed)
    cols = ([np.ones_like(resp)] if fam.intercept else []) + X
    x = regression_data(resp[None, :], np.stack(cols, -1)[None])
    check_support(source, y, x, resp, fam, theta_fixed)
    return UserData(source, fam, x, theta_fixed, {"y": y, "X": list(covariates)}, design)
