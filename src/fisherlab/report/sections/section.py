"""What a section of the study page is, and what sections share (figure helpers)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..format import fmt_p
from ..html import cite, esc

#: (name, matplotlib Figure or None, caption HTML)
FigureOut = tuple[str, object, str]
#: what the standardised estimates need
Z_COLUMNS = ("n", "estimator", "estimand", "estimate", "true_value", "se", "converged")


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    reading: Callable | None = None
    #: how to read the section: text, or a function of the results
    how: str | Callable = ""
    figures: tuple[Callable[[object], Iterable[FigureOut]], ...] = ()
    table: Callable | None = None
    table_note: str = "show the table"
    #: the table behind a "show the table" switch (else shown as it is)
    folded: bool = True
    when: Callable[[object], bool] = field(default=lambda r: True)
    body: Callable | None = None


# --------------------------------------------------------------------------- figures
def _one(name, make, caption):
    return lambda r: [(name, make(r), caption(r) if callable(caption) else caption)]


def one(name, make, caption):
    """A section's single figure: ``make(r)`` and its caption (text, or a function of r)."""
    return lambda r: [(name, make(r), caption(r) if callable(caption) else caption)]


def pit_grid(r, rows, values: dict, estimand: str, sizes, question: str,
             detail: str = "") -> tuple[list, int]:
    """The PIT panels of one estimand: a row per n, a column per estimator; a cell the
    table did not test (too few values) is an empty place. ``rows``: the table's rows of
    the first condition; ``values``: (estimator, estimand, n) -> PIT values. Each panel's
    row carries its verdict's band (``crit``, the rule's critical value) and level
    (``alpha``), from the verdict on ``question``."""
    ests = [e.id for e in r.study.estimators if e.id in set(rows["estimator"])]
    cells = []
    for n in sizes:
        for est in ests:
            sel = rows[(rows["estimator"] == est) & (rows["estimand"] == estimand)
                       & (rows["n"] == n)]
            v = values.get((est, estimand, int(n)))
            ok = len(sel) and v is not None and len(v) and sel["test"].iloc[0] != ""
            lab = f"{r.label(est)}\nn = {n}"
            if not ok:
                cells.append((lab, None, None))
                continue
            row = sel.iloc[0].copy()
            i = r.verdicts.find(question, row, detail)
            verdict = r.verdicts.row(i) if i is not None else {}
            row["crit"] = verdict.get("high", float("nan"))
            row["alpha"] = verdict.get("threshold", float("nan"))
            cells.append((lab, v, row))
    # a row per n and a column per estimator; one estimator: the sizes side by side
    return cells, len(ests) if len(ests) > 1 else len(sizes)


def cite_panels(table: str, cells) -> str:
    return "; ".join(f"{esc(lab.replace(chr(10), ', '))}: {esc(row['test'])} p = "
                     + cite(table, row.name, "pvalue", fmt_p(row["pvalue"], row["alpha"]))
                     for lab, v, row in cells if row is not None) + "."
