"""Simulation-based calibration: PIT uniformity."""

from __future__ import annotations

from collections.abc import Iterable

from ...diagnostics import calibration as diag
from ...verdicts.calibration import ALPHA
from .. import azplots
from ..columns import cond_cols, est_col, estimand_col, n_col, sort_rows
from ..figures import first_condition
from ..format import fmt_p
from ..html import Col, cite, esc, text
from ..html import table as html_table
from ..prose import names, pair
from .section import Z_COLUMNS, FigureOut, Section, cite_panels, pit_grid

ORDER = 120



def reading(r) -> str:
    t = r.tables["calibration"]
    parts = []
    words = r.words("calibration", t)
    bad = [(i, row) for i, row in t.iterrows() if words.get(i) != "calibrated"]
    parts.append(f"PIT uniformity: {r.tally('calibration', t, 'calibrated', 'cells')} "
                 f"({names(dict.fromkeys(pair(r, row) for _, row in t.iterrows()))}).")
    if bad:
        parts.append("PIT values that fail the uniformity test: " + "; ".join(
            f"{pair(r, row)} at n = {row.n}: {r.verdict('calibration', row)}"
            for _, row in bad) + ".")
    limits = t[t["limits"] > 0]
    if len(limits):
        parts.append("A fit with standard error 0 (an estimate on the edge, such as "
                     "p̂ = 0) counts as a point mass, PIT 0 or 1: " + names(
                         f"{cite('calibration', i, 'limits', str(row.limits))} of "
                         f"{pair(r, row)} at n = {row.n}" for i, row in limits.iterrows()) + ".")
    return " ".join(parts)


def table(r) -> str:
    t = sort_rows(r.tables["calibration"], r, "estimand", "estimator", "n")
    cols = cond_cols(r) + [
        estimand_col(), est_col(r), n_col(),
        Col("replicates", lambda x: str(x.replicates), "replicates"),
        Col("of them se = 0", lambda x: str(x.limits), "limits"),
        Col("PIT from", lambda x: text(x.pit_from), "pit_from", True),
        Col("KS", lambda x: f"{x.ks:.3f}", "ks"),
        Col("p-value", lambda x: fmt_p(x.pvalue, ALPHA), "pvalue"),
        Col("verdict", lambda x: r.verdict("calibration", x), left=True)]
    return html_table(t, cols, "calibration", group="estimand")


def calibration_figures(r) -> Iterable[FigureOut]:
    t = r.tables["calibration"].assign(test="KS")
    first, _ = first_condition(t)
    sizes = azplots.pick_sizes(first["n"].unique(), 3)
    values = {}
    for size in sizes:
        d = diag.pit_values(r.rows([size], (*Z_COLUMNS, "pit"), capped=False))
        values.update({(e, m, int(n)): g["pit"].to_numpy(float)
                       for (e, m, n), g in d.groupby(["estimator", "estimand", "n"])})
    for estimand in dict.fromkeys(first["estimand"]):
        cells, ncol = pit_grid(r, first, values, estimand, sizes, "calibration")
        cap = (f"SBC for {esc(estimand)}: ECDF of the PIT minus the uniform CDF; an ECDF "
               "leaving the grey band is rejected by the KS test. Panel p-values, from the "
               "calibration table: " + cite_panels("calibration", cells))
        title = f"SBC, {estimand}: ECDF of PIT − uniform; grey: the KS band"
        yield f"sbc_{estimand}", azplots.pit_plot(cells, title, ncol), cap


SECTION = Section("calibration", "Calibration (SBC)", reading, how=(
        "Each replicate drew its own truth θᵢ from the prior before its data. PIT = the "
        "estimator's posterior CDF at θᵢ (share of posterior draws below θᵢ, or "
        "Φ((θᵢ − θ̂)/se) for point estimators, 0 or 1 where se = 0); a calibrated "
        "posterior gives uniform PIT values. <b>Calibrated</b> means the "
        f"Kolmogorov–Smirnov test of uniformity does not reject at {ALPHA:g}: the ECDF stays "
        "inside the grey band. Every fit that succeeded counts; coverage of the drawn "
        "truths is in the Coverage section."),
        figures=(calibration_figures,), table=table,
        when=lambda r: len(r.tables["calibration"]) > 0)
