"""What the sections' tables share: the condition, estimator, estimand and n columns,
and the order of rows. A table renderer lists ``Col(header, cell, source)`` so that each
cell is bound to the CSV column it shows (:func:`fisherlab.report.html.table`)."""

from __future__ import annotations

import pandas as pd

from ..core.labels import column_label, number
from .html import Col, esc


def cond_cols(r) -> list[Col]:
    """One column per condition parameter that varies (none for a one-condition study):
    the parameters every condition shares are in the study box, and a table is
    narrower without them."""
    keys = r.varying if r.conditions > 1 else []
    return [Col(column_label(k), (lambda row, k=k: esc(number(getattr(row, k)))), k, True)
            for k in keys]


def est_col(r) -> Col:
    return Col("estimator", lambda row: esc(r.label(row.estimator)), "estimator", True)


def estimand_col() -> Col:
    return Col("estimand", lambda row: esc(row.estimand), "estimand", True)


def n_col() -> Col:
    return Col("n", lambda row: str(row.n), "n")


def sort_rows(t: pd.DataFrame, r, *cols: str) -> pd.DataFrame:
    keys = [k for k in r.params if k in t.columns and r.conditions > 1]
    return t.sort_values(keys + list(cols), kind="stable")
