"""Far-out estimates: how many lie beyond Tukey's fences, and how far (the tails table)."""

from __future__ import annotations

import numpy as np

from ...diagnostics.tails import K
from ..columns import cond_cols, est_col, estimand_col, n_col, sort_rows
from ..format import fmt
from ..html import Col, cite, text
from ..html import table as html_table
from ..prose import pair
from .section import Section

ORDER = 95

#: at most this many cells named in the reading (the table has them all)
NAMED = 6


def _value(i, row, col: str) -> str:
    return cite("tails", i, col, fmt(float(getattr(row, col))))


def _cell(r, i, row) -> str:
    what = "estimates" if row.scale == "estimate" else "errors (estimate − truth)"
    sides = [f"{cite('tails', i, col, str(int(getattr(row, col))))} {side} the {which} "
             f"fence {_value(i, row, fence)}"
             for col, side, which, fence in (("far_below", "below", "lower", "fence_low"),
                                             ("far_above", "above", "upper", "fence_high"))
             if getattr(row, col) > 0]
    of = cite("tails", i, "replicates", str(row.replicates))
    se = ("" if not np.isfinite(row.extreme_se)
          else f" (se {_value(i, row, 'extreme_se')})")
    return (f"{pair(r, row)} at n = {row.n}: {' and '.join(sides)}, of {of} {what}; the "
            f"farthest {_value(i, row, 'extreme')}{se}")


def reading(r) -> str:
    t = r.tables["tails"]
    far = t[(t["far_below"] + t["far_above"]) > 0]
    blind = int(t["fence_low"].isna().sum())
    note = (f" In {blind} of {len(t)} cells half the estimates or more share one value "
            "(IQR 0), and the fences say nothing." if blind else "")
    if far.empty:
        return (f"No estimate lies beyond Tukey's far-out fences in the {len(t) - blind} "
                f"cells that have them.{note}")
    far = far.assign(_k=far["far_below"] + far["far_above"]).sort_values(
        "_k", ascending=False, kind="stable")
    more = len(far) - NAMED
    return (f"Far out, beyond Tukey's fences, in {len(far)} of {len(t)} cells: "
            + "; ".join(_cell(r, i, row) for i, row in far.head(NAMED).iterrows())
            + (f"; and {more} more cells (the table)" if more > 0 else "") + ". "
            "These are finite fits, not failures: they count in every measure above "
            "(bias, RMSE, coverage), and the zip plot and the forest plot keep their scale "
            f"on the rest and mark them at the edge.{note}")


def table(r) -> str:
    t = sort_rows(r.tables["tails"], r, "estimand", "estimator", "n")

    def num(col):
        return lambda x: fmt(float(getattr(x, col)))

    cols = cond_cols(r) + [
        estimand_col(), est_col(r), n_col(),
        Col("replicates", lambda x: str(x.replicates), "replicates"),
        Col("of", lambda x: text(x.scale), "scale", True),
        Col("Q1", num("q1"), "q1"), Col("Q3", num("q3"), "q3"),
        Col("lower fence", num("fence_low"), "fence_low"),
        Col("upper fence", num("fence_high"), "fence_high"),
        Col("far below", lambda x: str(x.far_below), "far_below"),
        Col("far above", lambda x: str(x.far_above), "far_above"),
        Col("farthest from the median", num("extreme"), "extreme"),
        Col("its se", num("extreme_se"), "extreme_se")]
    return html_table(t, cols, "tails", group="estimand")


HOW = ("Tukey's far-out fences are Q1 − 3·IQR and Q3 + 3·IQR of a cell's estimates (of "
       "the errors estimate − truth where the truth is drawn per replicate). A normal "
       "sampling distribution puts them 4.7 standard deviations out, where 2 in a "
       "million values fall; far-out estimates mean skew, a heavy tail, or estimates in "
       "separate clusters (a posterior mean at n = 1 takes two values). The zip plot "
       "(Coverage) keeps its scale on the intervals of the estimates inside the fences, "
       "the forest plot's scale stops at them, and both mark the far-out estimates at the "
       "axis' edge (◀ below, ▶ above). "
       f"The multiplier is {K:g}; where IQR = 0 there are no fences.")

SECTION = Section("tails", "Far-out estimates", reading, how=HOW, table=table,
                  table_note="show the quartiles and fences of every cell",
                  when=lambda r: _any_far(r.tables["tails"]))


def _any_far(t) -> bool:
    """A section only where some cell has far-out estimates: elsewhere it says nothing."""
    return len(t) > 0 and bool(((t["far_below"] + t["far_above"]) > 0).any())
