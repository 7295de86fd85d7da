"""Failed fits, by kind of reason."""

from __future__ import annotations

import pandas as pd

from ..columns import cond_cols, est_col, n_col
from ..html import Col, esc, text
from ..html import table as html_table
from .section import Section

ORDER = 150



def reading(r) -> str:
    t = r.tables["failures"]
    total = r.fits
    if t.empty:
        return f"No fit failed ({total} fits)."
    per = t.groupby(["kind"])["failed"].sum().sort_values(ascending=False)
    n = r.failed_fits
    return (f"{n} of {total} fits failed; the commonest kind of reason: "
            f"“{esc(per.index[0])}” ({int(per.iloc[0])}).")


def table(r) -> str:
    def value_range(x):
        if pd.isna(x.low):
            return ""
        return f"{x.low:.4g}" if x.low == x.high else f"{x.low:.4g} to {x.high:.4g}"

    cols = cond_cols(r) + [
        n_col(), est_col(r), Col("kind of reason", lambda x: text(x.kind), "kind", True),
        Col("failed", lambda x: f"{x.failed}/{x.of}", "failed"),
        Col("rate", lambda x: f"{x.rate:.1%}", "rate"),
        Col("values", value_range),
        Col("e.g.", lambda x: text(x.example), "example", True),
        Col("estimands", lambda x: text(x.estimands), "estimands", True)]
    return html_table(r.tables["failures"], cols, "failures")


SECTION = Section("failures", "Failures", reading, table=table,
            table_note="show the failures by kind of reason")
