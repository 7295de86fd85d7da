"""How a page shows a verdict: looked up in verdicts.csv, never made here.

Every verdict word a page prints is a :func:`word` span bound to its row of the
verdicts table (``data-t="verdicts"``, the row, the column ``verdict``), so that a test
can check each one against the table. A verdict made on fewer replicates than were run
says so right after the word (``on 195 of 200``), and its row's ``left_out_why`` is the
span's title. Counting verdicts (how many cells are nominal) is fine here; judging is
not: the rules are :mod:`fisherlab.verdicts`.
"""

from __future__ import annotations

import math

import pandas as pd

from ..core.labels import condition_columns
from .html import esc

#: verdicts a page marks as good (green); any other is marked bad (red), 'cannot tell' grey
GOOD = frozenset({"nominal", "calibrated", "normal", "as theory", "at the bound", "zero",
                  "n·I(θ)", "agrees", "unchanged", "unbiased", "holds",
                  "within stringent", "within liberal"})
UNDECIDED = "cannot tell"
#: verdicts that answer a comparison (which of two estimators is more precise): neither
#: good nor bad, marked grey
NEUTRAL = frozenset({"more precise", "less precise", "lower MSE", "higher MSE"})


def _norm(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


class Verdicts:
    """The verdicts table of one study, indexed for look-ups by the tables that show
    them: (question, condition, n, estimator, estimand, detail) -> row number."""

    def __init__(self, table: pd.DataFrame):
        self.table = table if len(table) else pd.DataFrame(
            columns=["question", "n", "estimator", "estimand", "detail", "verdict"])
        self.keys = condition_columns(self.table)
        self._index: dict[tuple, int] = {}
        self._rows: dict[int, pd.Series] = {}
        for i, row in self.table.iterrows():
            self._index[self._key(row["question"], row, row.get("detail"))] = i

    def _key(self, question: str, row, detail=None) -> tuple:
        get = row.get if hasattr(row, "get") else (lambda k, d=None: getattr(row, k, d))
        return (question, *(_norm(get(k)) for k in self.keys), _norm(get("n")),
                _norm(get("estimator")) or None, _norm(get("estimand")) or None,
                _norm(detail) or None)

    def find(self, question: str, row, detail: str = "", **override) -> int | None:
        """The row number of the verdict on ``question`` about the cell of ``row`` (a row
        of the table that shows it); ``override`` replaces some of its keys (n=NaN for a
        verdict over every n, estimand=... for a parameter)."""
        if override:
            data = row.to_dict() if hasattr(row, "to_dict") else row._asdict()
            row = {**data, **override}
        return self._index.get(self._key(question, row, detail))

    def of(self, question: str) -> pd.DataFrame:
        """The verdicts on ``question``, keeping their row numbers."""
        return self.table[self.table["question"] == question]

    def row(self, i: int) -> pd.Series:
        """Row ``i`` of the table (made once: a page looks most rows up several times;
        read it, do not change it)."""
        if i not in self._rows:
            self._rows[i] = self.table.loc[i]
        return self._rows[i]


def word(v: Verdicts, i: int | None) -> str:
    """A verdict as the page prints it: the word bound to its row, coloured, and the
    replicates it rests on when it left some out."""
    if i is None:
        return ""
    row = v.row(i)
    verdict = row["verdict"]
    cls = "ok" if verdict in GOOD else "na" if verdict == UNDECIDED or verdict in NEUTRAL \
        else "bad"
    title = [str(x) for x in (row.get("note"), row.get("left_out_why"))
             if isinstance(x, str) and x]
    out = (f'<span class="v {cls}" data-t="verdicts" data-r="{int(i)}" data-c="verdict"'
           + (f' title="{esc("; ".join(title))}"' if title else "") + f">{esc(verdict)}</span>")
    left = pd.to_numeric(row.get("left_out"), errors="coerce")
    if pd.notna(left) and left > 0:
        used = int(row["used"])
        out += f'<span class="subset"> on {used:,} of {used + int(left):,}</span>'
    return out


def value(v: Verdicts, i: int | None, column: str, text: str) -> str:
    """A value of a verdict's row (its band, its p-value) as the page prints it, bound to
    that row of verdicts.csv."""
    if i is None:
        return ""
    return (f'<span data-t="verdicts" data-r="{int(i)}" data-c="{esc(column)}">'
            f"{esc(text)}</span>")


def tally(v: Verdicts, rows, good: str, unit: str,
          form: str = "{good} in {k} of {m} {unit}") -> str:
    """A count of verdicts in prose, ``'<good> in k of m <unit>'`` (or ``form``), bound to
    the rows of verdicts.csv it counts (``data-rows``) and the verdict it counts
    (``data-good``), so that a test can count them again; with how many of them rest on
    fewer replicates than were run, where any do."""
    rows = [int(i) for i in rows if i is not None]
    k = int((v.table.loc[rows, "verdict"] == good).sum()) if rows else 0
    text = form.format(good=good, k=f"{k:,}", m=f"{len(rows):,}", unit=unit)
    # a count of verdicts says how many of them rest on a subset, as each word does
    subset = _on_subset(v, rows)
    if subset:
        text += f", {subset:,} of them on fewer replicates than were run"
    return (f'<span class="tally" data-t="verdicts" data-rows="{",".join(map(str, rows))}"'
            f' data-good="{esc(good)}">{esc(text)}</span>')


def _on_subset(v: Verdicts, rows: list[int]) -> int:
    """How many of the verdicts ``rows`` left replicates out."""
    if not rows or "left_out" not in v.table:
        return 0
    left = pd.to_numeric(v.table.loc[rows, "left_out"], errors="coerce")
    return int((left > 0).sum())


def count(v: Verdicts, question: str, good: str | tuple[str, ...], subset=None) -> tuple[int, int]:
    """(verdicts on ``question`` that say ``good``, verdicts on it) among ``subset`` (a
    part of :meth:`Verdicts.of`, default all)."""
    t = v.of(question) if subset is None else subset
    good = (good,) if isinstance(good, str) else good
    return int(t["verdict"].isin(good).sum()), len(t)


def at_largest_n(t: pd.DataFrame) -> pd.DataFrame:
    """The verdicts at the largest n of the table (per-n verdicts)."""
    return t[t["n"] == t["n"].max()] if len(t) else t


def headline(table: pd.DataFrame, fits: int, failed: int) -> str:
    """The study's one-line verdict (the page's top line and the index's): its claims,
    rates, normality and coverage at the largest n, and failed fits, each counted from
    the verdicts table."""
    v = Verdicts(table)
    parts = []
    claims = v.of("claim")
    if len(claims):
        k, m = count(v, "claim", "holds")
        parts.append(f"claims hold {k}/{m}")
    rates = v.of("rate")
    if len(rates):
        undecided = int((rates["verdict"] == UNDECIDED).sum())
        k, m = count(v, "rate", "as theory")
        parts.append(f"rate as theory {k}/{m}" + (f" ({undecided} cannot tell)" if undecided
                                                  else ""))
    norm = v.of("normality")
    if len(norm):
        kind = "se" if (norm["detail"] == "se").any() else "information"
        last = at_largest_n(norm[norm["detail"] == kind])
        parts.append("normal at largest n {}/{}".format(*count(v, "normality", "normal", last)))
    cov = v.of("coverage")
    if len(cov):
        last = at_largest_n(cov)
        parts.append("coverage nominal at largest n {}/{}".format(
            *count(v, "coverage", "nominal", last)))
    parts.append(f"{failed} failed fits of {fits}" if failed else "no failed fits")
    return " · ".join(parts)
