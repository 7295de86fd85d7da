"""Every condition at once: the nested-loop plot of a grid that varies two or more
parameters (with n as one more factor). Where one parameter varies, the figures against
n already show every condition."""

from __future__ import annotations

from ..nested import nested_factors, nested_loop_figure, nested_table
from ..prose import names
from .section import Section

ORDER = 25


def figure(r):
    ests = [e.id for e in r.study.estimators if e.id in set(r.summary["estimator"])]
    # a study may select its measures (``measures:``); items may be names or objects
    chosen = {getattr(m, "name", m) for m in getattr(r.study, "measures", None) or ()}
    table = nested_table(r.summary, ests, chosen)
    fig = nested_loop_figure(table, nested_factors(r.summary), ests, r.labels, r.study.level)
    fig.fisherlab_data = table  # the page writes it beside the PNG: nested_loop.csv
    return [("nested_loop", fig, caption(r))]


def caption(r) -> str:
    factors = [f.removeprefix("true_") for f in nested_factors(r.summary)]
    return (f"Each condition in nested order ({names(factors)}, the first changing "
            "slowest); a step line per estimator, and below, each factor's level. "
            "Dotted: zero bias and the nominal coverage. The values are summary.csv's, "
            "also in <code>figures/nested_loop.csv</code>.")


HOW = ("A nested-loop plot (Rücker &amp; Schwarzer 2014) puts every condition of the grid "
       "on one axis. Read a jump in a measure against the factor steps below it: the "
       "factor that changes there is the one the measure responds to.")

SECTION = Section("nested_loop", "Every condition", how=HOW, figures=(figure,),
                  when=lambda r: len([f for f in nested_factors(r.summary) if f != "n"]) >= 2)
