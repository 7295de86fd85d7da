"""The Fisher information of one observation, checked."""

from __future__ import annotations

from ...verdicts import information as rule
from ..columns import cond_cols
from ..format import fmt
from ..html import Col, cite, esc, text
from ..html import table as html_table
from ..verdicts import tally, word
from .section import Section

ORDER = 50



def reading(r) -> str:
    t = r.tables["information"]
    have = t[t["information"].notna()] if "information" in t else t.iloc[0:0]
    if have.empty:
        why = t["source"].dropna().iloc[0] if len(t) and "source" in t else "none"
        return f"No Fisher information here ({esc(why.removeprefix('none: '))})."
    src = have["source"].iloc[0]
    checked = tally(r.verdicts, [_find(r, row) for _, row in have.iterrows()], "agrees",
                    "entries")
    row = have.iloc[0]
    what = ("the family's closed form" if src == "closed form" else f"computed by {src}")
    return (f"The Fisher information of one observation is {esc(what)}; e.g. "
            f"I({esc(row.parameter)}, {esc(row.parameter2)}) = "
            f"{cite('information', row.name, 'information', fmt(row.information))}. "
            f"Against an independent Monte Carlo check: {checked}.")


def _find(r, row):
    return r.verdicts.find("information", row, f"with {row.parameter2}",
                           estimand=row.parameter, n=float("nan"))


def _word(r, row) -> str:
    i = _find(r, row)
    return r.verdicts.row(i)["verdict"] if i is not None else ""


def table(r) -> str:
    t = r.tables["information"]
    if "information" not in t or t["information"].isna().all():
        return ""
    t = t[t["information"].notna()]
    cols = cond_cols(r) + [
        Col("parameter", lambda x: esc(x.parameter), "parameter", True),
        Col("with", lambda x: esc(x.parameter2), "parameter2", True),
        Col("I (one observation)", lambda x: fmt(x.information), "information"),
        Col("source", lambda x: text(x.source), "source", True),
        Col("Monte Carlo check", lambda x: fmt(x.check, x.check_se), "check"),
        Col("(I − check)/SE", lambda x: fmt(x.check_z, 0.1), "check_z"),
        Col("verdict", lambda x: word(r.verdicts, _find(r, x)), left=True)]
    return html_table(t, cols, "information")


SECTION = Section("information", "Fisher information", reading, how=(
        "I(θ) of one observation: the family's closed form where it has one, else "
        "numerical integration of the squared score against the density, or Monte Carlo "
        "with its precision; each value checked against an independent Monte Carlo "
        f"estimate: it <b>agrees</b> within {rule.Z} standard errors. The Cramér–Rao bound "
        "below inverts it."),
        table=table)
