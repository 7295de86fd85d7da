"""The likelihood explorer: the log-likelihood around the MLE."""

from __future__ import annotations

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


def _peak(g, name: str, what: str) -> tuple[str, bool]:
    """Whether the curves of one parameter peak at the MLE, from their points: where some
    rise above it, how many, and the highest (the estimate is then not the likelihood's
    highest point); and whether some do."""
    tops = g.loc[g.groupby(["n", "replicate"], sort=False)["rel_loglik"].idxmax()]
    up = tops[tops["rel_loglik"] > ABOVE]
    if up.empty:
        return f"The {what} of {esc(name)} peaks at the MLE, where the score is zero", False
    top = up.loc[up["rel_loglik"].idxmax()]
    where = ", ".join(f"n = {int(n)} replicate {int(r)}" for n, r in
                      zip(up["n"], up["replicate"], strict=True))
    return (f"The {what} of {esc(name)} rises above its value at the MLE on {len(up)} of "
            f"{len(tops)} curves ({where}; at most by "
            f"{cite('likelihood', top.name, 'rel_loglik', fmt(top.rel_loglik))}, at "
            f"{esc(name)} = {cite('likelihood', top.name, 'theta', fmt(top.theta))})"), True


#: said once after the curves' readings when some curve rises above its MLE
NOT_HIGHEST = (" Where a curve rises above the MLE, the estimate is a stationary point of "
               "the likelihood (its score is zero) but not its highest point: a likelihood "
               "with several maxima, or one that grows without bound (a mixture's "
               "component shrinking onto one observation), has higher points that the fit "
               "did not reach or excludes.")


def reading(r) -> str:
    """The explorer's reading, from the table: whether each parameter's curves peak at
    the MLE, and the curvature there across n."""
    t = r.tables["likelihood"]
    if t.empty and r.study.fit_model is not None:
        return ("No likelihood explorer here: the analysis model is not the data model, "
                "so the data's true values are not parameters of the fitted likelihood.")
    if t.empty:
        return ("This family is not regular: its likelihood has no smooth peak to explore "
                "(the estimate sits on the edge of the data).")
    first = t.groupby(["parameter", "n", "replicate"], sort=False).head(1)
    parts, rose = [], False
    for name, g in first.groupby("parameter", sort=False):
        g = g[g["replicate"] == g["replicate"].iloc[0]].sort_values("n")
        lo, hi = g.iloc[0], g.iloc[-1]
        what = "profile log-likelihood" if bool(lo.profile) else "log-likelihood"
        peak, above = _peak(t[t["parameter"] == name], name, what)
        rose |= above
        text = (f"{peak}; its curvature at the MLE, the observed information, is "
                f"{cite('likelihood', lo.name, 'mle_information', fmt(lo.mle_information))} "
                f"at n = {lo.n}")
        if len(g) > 1:
            top = cite("likelihood", hi.name, "mle_information", fmt(hi.mle_information))
            text += f" and {top} at n = {hi.n}"
            text += (": the curve narrows as n grows, and with it both intervals"
                     if hi.mle_information > lo.mle_information else
                     " (these sizes are too close for n to show: the curvature also depends "
                     "on the estimate itself)")
        parts.append(text + ".")
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
    first = t.groupby(["parameter", "n", "replicate"], sort=False).head(1)
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
