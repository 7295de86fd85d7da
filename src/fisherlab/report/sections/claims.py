"""The study's claims: what its file says it shows, each judged after the run."""

from __future__ import annotations

from ..columns import cond_cols, n_col
from ..format import fmt, fmt_pm
from ..html import Col, cite, esc
from ..html import table as html_table
from ..verdicts import tally, word
from .section import Section

ORDER = 15


def _find(v, estimator, estimand, text) -> int | None:
    """A claim's verdict: over every condition and n (their keys empty)."""
    keys = {k: float("nan") for k in v.keys}
    return v.find("claim", {**keys, "estimator": estimator, "estimand": estimand,
                            "n": float("nan")}, text)


def reading(r) -> str:
    v = r.verdicts
    claims = v.of("claim")
    parts = [tally(v, claims.index, "holds", "claims", "{k} of {m} {unit} of the study file "
                   "hold") + "."]
    for _, row in v.of("claim").iterrows():
        if row["verdict"] != "holds":
            parts.append(f"“{esc(row['detail'])}”: " + word(v, _find(
                v, row["estimator"], row["estimand"], row["detail"])) + ".")
    return " ".join(parts)


def table(r) -> str:
    t = r.tables["claims"]
    if t.empty:
        return ""
    v = r.verdicts
    first = ~t["claim"].duplicated()
    # a claim's words and verdict on its first row only: the rule below separates claims
    shown = t.assign(verdict_html=[
        word(v, _find(v, row["estimator"], row["estimand"], row["text"])) if f else ""
        for (_, row), f in zip(t.iterrows(), first, strict=True)], claim_html=[
        cite("claims", i, "text", row["text"]) if f else ""
        for (i, row), f in zip(t.iterrows(), first, strict=True)])
    cols = [Col("claim", lambda x: x.claim_html, left=True)] + cond_cols(r) + [
        n_col(),
        Col("value (MCSE)", lambda x: fmt_pm(x.value, x.mcse), "value"),
        Col("target", lambda x: fmt(x.target, x.target_mcse if x.target_mcse > 0 else None),
            "target"),
        Col("z", lambda x: fmt(x.z, 0.01), "z"),
        Col("verdict", lambda x: x.verdict_html, left=True)]
    return html_table(shown, cols, "claims", group="claim")


HOW = ("Each claim of the study file (<code>expect:</code>) names a measure of an estimator, "
       "at some or every n, and what it should be: a number, a formula in the study's "
       "parameters and n, or the same measure of another estimator. Each cell's z is "
       "(value − target) / MCSE. An equality <b>holds</b> when every cell's |z| is within "
       "the limit; an inequality holds when every cell is on the claimed side by more than "
       "the limit, <b>fails</b> when one is on the other side by more, and otherwise "
       "<b>cannot tell</b>. The limit is 3 MCSEs for one cell, and for several cells the "
       "one that keeps the chance of a true claim failing at that of one cell (the rule is "
       "in the verdicts table). A share (failure rate, converged share) compared with a "
       "number has the binomial MCSE at that number.")

SECTION = Section("claims", "Claims", reading, how=HOW, table=table, folded=False,
                  when=lambda r: len(r.verdicts.of("claim")) > 0)
