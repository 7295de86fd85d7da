"""The study's own measures (``measures:``): measures.csv, each value with its MCSE and
how the MCSE was made. Shown, not judged: a measure is judged only by a claim that
names it (the claims section)."""

from __future__ import annotations

from ..columns import cond_cols, est_col, n_col, sort_rows
from ..format import fmt_pm
from ..html import Col, esc
from ..html import table as html_table
from .section import Section

ORDER = 25  # right after the performance summary: more measures of the same cells


def _rows(r):
    return r.tables.get("measures")


def table(r) -> str:
    t = _rows(r)
    t = sort_rows(t, r, "param", "measure", "n", "estimator")
    cols = cond_cols(r) + [
        Col("estimand", lambda x: esc(x.param), "param", True),
        Col("measure", lambda x: esc(x.label), "label", True),
        n_col(), est_col(r),
        Col("value (MCSE)", lambda x: fmt_pm(x.value, x.mcse), "value"),
        Col("MCSE by", lambda x: esc(x.mcse_method), "mcse_method", True),
        Col("replicates", lambda x: str(x.replicates), "replicates")]
    return html_table(t, cols, "measures", group="measure")


def how(r) -> str:
    names = ", ".join(f"<i>{esc(m.label)}</i>" for m in r.study.measures)
    return ("The measures the study file lists under <code>measures:</code> (" + names
            + "), on the replicates that gave an estimate. The number in brackets is the "
            "Monte Carlo SE, made as the next column says: <i>closed form</i> (the "
            "measure's formula), <i>jackknife</i> (leave one replicate out at a time) or "
            "<i>bootstrap</i> (resampling the replicates, seeded from the study's seed). "
            "These values are shown, not judged; a claim that names a measure judges it. "
            "Also in <code>measures.csv</code>.")


SECTION = Section("measures", "More measures", how=how, table=table, folded=False,
                  when=lambda r: _rows(r) is not None and len(_rows(r)) > 0)
