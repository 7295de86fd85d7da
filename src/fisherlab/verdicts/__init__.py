"""Verdicts: every judgement the report makes, each by one rule, with what it used.

A rule (one module per question, :func:`~.registry.rule`) reads one of the tables the
stages wrote (``summary``, a diagnostic's, the claims') and returns one row per thing
it judged:
the question, the condition, n, estimator and estimand, the verdict, the rule in words
and its threshold, the values it used, and the replicates it used and left out, and why
(:data:`~.registry.COLUMNS`). :func:`judge` writes them all as verdicts.csv; the pages,
report.md and the index read that table and judge nothing again. A question the data
cannot decide gets the verdict 'cannot tell', and ``note`` says why.

The study's claims (``expect:``) are one more question: :func:`claims.values` computes
each claim's cells (claims.csv), and its rule judges each claim.
"""

from __future__ import annotations

import pandas as pd

from ..core.registry import import_submodules
from . import claims as claims_mod
from .registry import CANNOT_TELL, COLUMNS, RULES, Rule, rule
from .rows import Cells, frame, keys_of

#: the verdicts table's name (verdicts.csv); the claims' values are claims.csv
TABLE = "verdicts"
CLAIMS = "claims"


def judge(study, tables: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(verdicts, claims): every rule on ``tables`` (name -> table: the summary and every
    diagnostic's), after the claims' values, which the claim rule reads."""
    tables = {**tables, CLAIMS: claims_mod.values(study, tables)}
    rows = []
    for r in RULES.values():
        t = tables.get(r.table, pd.DataFrame())
        if len(t) or r.empty:
            rows += r.fn(Cells(r.question, t, tables["summary"]), study)
    return frame(rows, keys_of(tables["summary"])), tables[CLAIMS]


import_submodules(__name__, __path__)

__all__ = ["CANNOT_TELL", "CLAIMS", "COLUMNS", "RULES", "TABLE", "Rule", "judge", "rule"]
