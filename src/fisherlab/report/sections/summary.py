"""The performance summary: Morris et al. (2019) measures with MCSEs."""

from __future__ import annotations

import pandas as pd

from ..columns import cond_cols, est_col, estimand_col, n_col, sort_rows
from ..format import fmt, fmt_pm
from ..html import Col
from ..html import table as html_table
from .section import Section

ORDER = 20



def table(r) -> str:
    s = sort_rows(r.summary, r, "estimand", "n", "estimator")
    cols = cond_cols(r) + [
        estimand_col(), n_col(), est_col(r),
        Col("truth", lambda x: "drawn" if pd.isna(x.true_value) else f"{x.true_value:g}"),
        Col("mean", lambda x: fmt(x.mean, x.bias_mcse), "mean"),
        Col("bias (MCSE)", lambda x: fmt_pm(x.bias, x.bias_mcse), "bias"),
        Col("emp. SE", lambda x: fmt(x.empse, x.empse_mcse), "empse"),
        Col("RMSE", lambda x: fmt(x.rmse, x.rmse_mcse), "rmse"),
        Col("model SE (MCSE)", lambda x: fmt_pm(x.modelse, x.modelse_mcse), "modelse"),
        Col("rel. err. model SE %", lambda x: fmt_pm(x.relerr_modelse, x.relerr_modelse_mcse),
            "relerr_modelse"),
        Col("coverage (MCSE)", lambda x: fmt_pm(x.coverage, x.coverage_mcse), "coverage"),
        Col("failed", lambda x: f"{x.n_failed}/{x.n_rep}")]
    return html_table(s, cols, "summary", group="estimand")


SECTION = Section("summary", "Performance summary", how=(
        "Measures of Morris, White &amp; Crowther (2019); the number in brackets is the "
        "Monte Carlo standard error (MCSE), and every value is rounded to what its MCSE "
        "supports. Also in <code>summary.csv</code>."),
        table=table, folded=False)
