"""The likelihood explorer: the log-likelihood around the MLE."""

from __future__ import annotations

import numpy as np

from .. import explorer
from ..columns import n_col
from ..format import fmt
from ..html import Col, cite, esc
from ..html import table as html_table
from .section import Section

ORDER = 30
#: a curve point this far (log-likelihood units) above its value at the MLE is above it:
#: the profile's optimiser and the fit stop within 1e-9 of their optima on every regular
#: study's curves, so that no rounding counts
ABOVE = 1e-6


def _where(curves) -> str:
    return ", ".join(f"n = {int(n)} replicate {int(r)}" for n, r in
                     zip(curves["n"], curves["replicate"], strict=True))


def _marks(t):
    """Each curve's marks: its first row (the table repeats them on every row)."""
    return t.groupby(["parameter", "n", "replicate"], sort=False).head(1)


def _shape(t, marks, name: str, what: str, param) -> tuple[list[str], bool]:
    """What the curves of one parameter do at the MLE, read off their points and marks:
    they peak there, where the score is zero; or the MLE is an end of the parameter's
    range (p = 0 of a sample without successes), to which the curve rises instead of
    peaking, with an infinite observed information (the table's mark); or some point of
    the curve lies above the MLE's (the estimate is then not the likelihood's highest
    point). ``t`` and ``marks`` are the parameter's rows and curves' marks. Sentences,
    and whether some curve rises above."""
    edge = marks[(marks["mle"] <= param.low) | (marks["mle"] >= param.high)]
    tops = t.loc[t.groupby(["n", "replicate"], sort=False)["rel_loglik"].idxmax()]
    up = tops[tops["rel_loglik"] > ABOVE]
    curves = set(zip(marks["n"], marks["replicate"], strict=True))
    peaks = curves - set(zip(edge["n"], edge["replicate"], strict=True)) \
        - set(zip(up["n"], up["replicate"], strict=True))
    out = []
    if peaks:
        out.append(f"The {what} of {esc(name)} peaks at the MLE, where the score is zero"
                   + (f", on {len(peaks)} of {len(curves)} curves"
                      if len(peaks) < len(curves) else ""))
    if len(edge):
        ends = ", ".join(f"{cite('likelihood', e.name, 'mle', fmt(e.mle))} at n = {int(e.n)} "
                         f"replicate {int(e.replicate)}" for _, e in edge.iterrows())
        out.append(f"On {len(edge)} of {len(marks)} curves the MLE of {esc(name)} is an end "
                   f"of its range ({ends}), to which the {what} rises instead of peaking "
                   "(no point where the score is zero): its curvature there, the observed "
                   "information, is infinite, and the Wald interval has width zero")
    if len(up):
        top = up.loc[up["rel_loglik"].idxmax()]
        subject = "It" if out else f"The {what} of {esc(name)}"
        out.append(f"{subject} rises above its value at the MLE on "
                   f"{len(up)} of {len(tops)} curves ({_where(up)}; at most by "
                   f"{cite('likelihood', top.name, 'rel_loglik', fmt(top.rel_loglik))}, at "
                   f"{esc(name)} = {cite('likelihood', top.name, 'theta', fmt(top.theta))})")
    return out, bool(len(up))


#: said once after the curves' readings when some curve rises above its MLE
NOT_HIGHEST = (" Where a curve rises above the MLE, the estimate is a stationary point of "
               "the likelihood (its score is zero) but not its highest point: a likelihood "
               "with several maxima, or one that grows without bound (a mixture's "
               "component shrinking onto one observation), has higher points that the fit "
               "did not reach or excludes.")


def _curvature(marks) -> str:
    """The observed information at the MLE at the smallest and the largest n shown, of
    the first curve at each with a finite one."""
    finite = marks[np.isfinite(marks["mle_information"])].sort_values("n", kind="stable")
    if finite.empty:
        return ""
    lo = finite.iloc[0]
    hi = finite[finite["n"] == finite["n"].max()].iloc[0]
    text = (" Its curvature at the MLE, the observed information, is "
            f"{cite('likelihood', lo.name, 'mle_information', fmt(lo.mle_information))} "
            f"at n = {lo.n}")
    if hi.n == lo.n:
        return text + "."
    top = cite("likelihood", hi.name, "mle_information", fmt(hi.mle_information))
    text += f" and {top} at n = {hi.n}"
    return text + (": the curve narrows as n grows, and with it both intervals."
                   if hi.mle_information > lo.mle_information else
                   " (these sizes are too close for n to show: the curvature also depends "
                   "on the estimate itself).")


def reading(r) -> str:
    """The explorer's reading, from the table: what each parameter's curves do at the
    MLE, and the curvature there across n."""
    t = r.tables["likelihood"]
    if t.empty and r.study.fit_model is not None:
        return ("No likelihood explorer here: the analysis model is not the data model, "
                "so the data's true values are not parameters of the fitted likelihood.")
    if t.empty:
        return ("This family is not regular: its likelihood has no smooth peak to explore "
                "(the estimate sits on the edge of the data).")
    parts, rose = [], False
    marks = _marks(t)
    for name, g in t.groupby("parameter", sort=False):
        mine = marks[marks["parameter"] == name]
        what = "profile log-likelihood" if bool(g["profile"].iloc[0]) else "log-likelihood"
        shape, above = _shape(g, mine, name, what, r.study.family.param(name))
        rose |= above
        parts.append(". ".join(shape) + "." + _curvature(mine))
    return " ".join(parts) + (NOT_HIGHEST if rose else "") + (
        " The intervals are where the curve stays above the dashed cutoff (likelihood "
        "ratio) and the estimate ± z standard errors (Wald); they differ where the curve "
        "is not symmetric.")


def body(r) -> str:
    """The explorer, after its reading (a body comes first in a section)."""
    how = ("Choose n and a replicate; the slider moves the parameter along the highlighted "
           "curve and reads off ℓ(θ), the score (the slope of the red tangent) and the "
           "observed information (the curvature), each from the likelihood table. The "
           "curves are ℓ(θ) − ℓ(θ̂); with several parameters, the profile: the others set "
           "to their best values for each θ. Wald and likelihood-ratio (LR) intervals are "
           "drawn below the axis.")
    if r.tables["likelihood"].empty and r.study.fit_model is not None:
        return f"<p class='reading'>{reading(r)}</p>"  # no explorer to explain
    return (f"<p class='reading'>{reading(r)}</p><p class='how'>{how}</p>"
            + explorer.html(r))


def table(r) -> str:
    """One row per explorer curve: its marks (the first grid row of each curve)."""
    t = r.tables["likelihood"]
    if t.empty:
        return ""
    first = _marks(t)
    cols = [Col("parameter", lambda x: esc(x.parameter), "parameter", True), n_col(),
            Col("replicate", lambda x: str(x.replicate), "replicate"),
            Col("truth", lambda x: fmt(x.truth), "truth"),
            Col("MLE", lambda x: fmt(x.mle), "mle"),
            Col("observed information at the MLE", lambda x: fmt(x.mle_information),
                "mle_information"),
            Col("Wald low", lambda x: fmt(x.wald_low), "wald_low"),
            Col("Wald high", lambda x: fmt(x.wald_high), "wald_high"),
            Col("LR low", lambda x: fmt(x.lr_low), "lr_low"),
            Col("LR high", lambda x: fmt(x.lr_high), "lr_high"),
            Col("MAP", lambda x: fmt(x.map), "map")]
    return html_table(first, cols, "likelihood", group="parameter")


SECTION = Section("likelihood", "The likelihood", body=body, table=table,
            table_note="show the curves' marks")
