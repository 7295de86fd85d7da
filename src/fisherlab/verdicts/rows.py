"""What the rules share: a verdict row, the replicates behind it, the condition keys."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core.labels import condition_columns
from .registry import COLUMNS


def keys_of(table: pd.DataFrame) -> list[str]:
    """The condition columns of a table."""
    return condition_columns(table)


def verdict_row(question: str, src, keys: list[str], verdict: str, rule: str, *,
                n=None, estimator: str = "", estimand: str = "", detail: str = "",
                **values) -> dict:
    """One row of verdicts.csv: the question, the condition of ``src`` (a row of the table
    the rule read), the cell, the verdict, the rule as words, and the values it used
    (:data:`~fisherlab.verdicts.registry.COLUMNS`)."""
    row = {k: src[k] for k in keys}
    row.update(question=question, verdict=verdict, rule=rule, detail=detail,
               n=src["n"] if n is None and "n" in src else n,
               estimator=estimator or src.get("estimator", ""),
               estimand=estimand or src.get("estimand", ""))
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise KeyError(f"not a verdict column: {sorted(unknown)}")
    row.update(values)
    return row


def _key(values) -> tuple:
    return tuple(None if isinstance(v, float) and math.isnan(v) else v for v in values)


class Replicates:
    """Replicates run and failed per cell (condition × n × estimator × estimand), from
    summary.csv: what a verdict on fewer replicates than were run left out."""

    def __init__(self, summary: pd.DataFrame):
        self.keys = keys_of(summary)
        cols = [*self.keys, "n", "estimator", "estimand"]
        self._by = {_key(k): (int(r), int(f)) for k, r, f in zip(
            summary[cols].itertuples(index=False, name=None), summary["n_rep"],
            summary["n_failed"], strict=True)}

    def of(self, src) -> tuple[int, int]:
        """(replicates run, failed fits) of the cell of ``src``."""
        key = _key([src[k] for k in self.keys] + [src["n"], src["estimator"], src["estimand"]])
        return self._by.get(key, (0, 0))

    def left_out(self, src, used: int, what: str = "") -> dict:
        """``used``, ``left_out`` and ``left_out_why`` of a verdict on ``used`` of the cell's
        replicates: failed fits, and (``what``) the rest the rule could not use."""
        run, failed = self.of(src)
        out = max(run - used, 0)
        why = []
        if failed:
            why.append(f"{failed} failed fit{'s' * (failed != 1)}")
        if out > failed and what:
            why.append(f"{out - failed} {what}")
        return {"used": int(used), "left_out": int(out), "left_out_why": "; ".join(why)}


class Cells:
    """The table a rule reads, row by row, and how the rule writes its verdicts: the
    question, the table's condition columns, and the replicates run per cell (from
    summary.csv) for the verdicts that say what they left out."""

    def __init__(self, question: str, rows: pd.DataFrame, summary: pd.DataFrame):
        self.question, self.rows, self._summary = question, rows, summary
        self.keys = keys_of(rows)
        self._reps: Replicates | None = None

    def __iter__(self):
        return (row for _, row in self.rows.iterrows())

    def verdict(self, src, verdict: str, rule: str, **values) -> dict:
        """A row of verdicts.csv on this rule's question (:func:`verdict_row`)."""
        return verdict_row(self.question, src, self.keys, verdict, rule, **values)

    @property
    def _replicates(self) -> Replicates:
        if self._reps is None:
            self._reps = Replicates(self._summary)
        return self._reps

    def replicates(self, src) -> tuple[int, int]:
        """(replicates run, failed fits) of the cell of ``src``."""
        return self._replicates.of(src)

    def left_out(self, src, used: int, what: str = "") -> dict:
        """What a verdict on ``used`` of the cell's replicates left out
        (:meth:`Replicates.left_out`)."""
        return self._replicates.left_out(src, used, what)


def frame(rows: list[dict], keys: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[*keys, *COLUMNS])


def z_of(value, reference, mcse) -> float:
    """(value − reference) / mcse; NaN without a finite, positive MCSE."""
    return (float(value) - float(reference)) / mcse if finite(value, mcse) and mcse > 0 \
        else float("nan")


def finite(*values) -> bool:
    return all(v is not None and np.isfinite(float(v)) for v in values)
