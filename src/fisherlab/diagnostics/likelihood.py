"""The likelihood itself, for the report's explorer: the log-likelihood around the MLE.

For the first condition, a few sample sizes (smallest, middle, largest) and the first
:data:`REPLICATES` replicates whose MLE converged, this table holds the log-likelihood
of one parameter on a grid (:data:`GRID` points, shared by every curve of that
parameter so that the curvature can be compared across n), or its profile
``l_p(psi) = max_lambda l(psi, lambda)`` for a family with several parameters
(:func:`fisherlab.estimators.intervals.profile`). At each grid point:

* ``loglik`` and ``rel_loglik`` = l_p(psi) - l(theta_hat); the MLE is a point of every
  curve, where ``loglik`` is l(theta_hat) itself and ``rel_loglik`` exactly 0;
* ``score``: d l_p / d psi, which by the envelope theorem is the partial score
  d l / d psi at (psi, lambda_hat(psi)) (the family's score, analytic or numerical);
* ``information``: the observed information -d^2 l_p / d psi^2, the derivative of
  that score along the grid (``numpy.gradient``, second order): the curvature.

Each curve carries its marks: the truth, the MLE and the observed information there
(``mle_information`` = 1/se^2: the curvature at the peak), the MAP where the study has a
MAP estimator (its estimate for that replicate), the Wald interval (MLE -/+ z se, se
from the observed information) and the likelihood-ratio interval {psi: l_p(psi) >=
l(theta_hat) - chi2_1(level)/2}, whose bound ``cutoff`` is the line the explorer draws.
The explorer's script only looks up and interpolates these rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..estimators import maximum_likelihood_for
from ..estimators.intervals import loglik_at, lr_intervals, profile
from ..families.base import z_quantile
from ..spec.study import Condition
from ._data import condition_row, datasets, param_conditions
from .registry import ONCE, diagnostic

#: replicates per n, sample sizes shown, parameters shown, grid points per curve
REPLICATES = 2
SIZES = 3
PARAMS = 2
GRID = 161
#: with more than one nuisance parameter each grid point is an optimisation: fewer
GRID_MANY = 41
#: datasets fitted to find REPLICATES whose MLE converged
CANDIDATES = 10
#: the grid reaches this share of the widest likelihood-ratio interval past its ends
MARGIN = 0.6
#: but towards a finite end of the domain at most this share of the way from the curves'
#: nearest mark: at sigma = 0 the log-likelihood is -inf, and near it astronomically low
FLOOR = 0.5
#: an MLE nearer a grid point than this share of the grid's step replaces that point
SNAP = 0.01
COLUMNS = ["n", "replicate", "parameter", "profile", "point", "theta", "loglik",
           "rel_loglik", "score", "information", "truth", "mle", "mle_information",
           "wald_low", "wald_high", "lr_low", "lr_high", "cutoff", "level", "map"]


def shown_sizes(sizes) -> list[int]:
    """The smallest, the middle and the largest n (fewer when there are fewer)."""
    s = sorted(int(v) for v in sizes)
    return sorted({s[0], s[len(s) // 2], s[-1]})[:SIZES]


def shown_params(study) -> list[str]:
    """The estimated parameters the explorer shows: the study's estimands that are
    parameters (at most :data:`PARAMS`), else the first parameters."""
    names = [p.name for p in study.family.estimated()]
    chosen = [e for e in study.estimands if e in names]
    return (chosen or names)[:PARAMS]


def first_condition(study) -> Condition:
    """The condition the report's figures show: the first in sorted order."""
    conds = param_conditions(study)
    return min(conds, key=lambda c: tuple(str(v) if isinstance(v, str) else v
                                          for v in condition_row(c).values()))


@diagnostic("likelihood", by=ONCE,
            columns=("n", "replicate", "estimator", "estimand", "estimate", "converged"))
def likelihood(df: pd.DataFrame, study) -> pd.DataFrame:
    """One row per curve × grid point (curve: n × replicate × parameter of the first
    condition): ``theta, loglik, rel_loglik, score, information`` and the curve's marks
    ``truth, mle, map, wald_low, wald_high, lr_low, lr_high, cutoff``."""
    fam = study.family
    if not fam.regular or study.fit_model is not None:  # curves of the data's model only
        return pd.DataFrame(columns=COLUMNS)
    names = shown_params(study)
    base = first_condition(study)
    fixed = fam.fixed_values(base.params)
    # the study's own MLE (its options: method, tolerances), so the curves' marks are the
    # estimates of its tables; a default one for a study that has none (e.g. only map)
    mle = next((e.estimator for e in study.estimators if e.estimator.maximum_likelihood),
               None) or maximum_likelihood_for(fam)
    curves = []
    for n in shown_sizes(study.sample_sizes):
        cond = Condition(base.params, n)
        _, theta, x = next(datasets(study, cond, stop=CANDIDATES))
        est = [p.name for p in fam.estimated()]
        fits = mle.fit(fam, x, fixed, tuple(est), study.level)
        ok = np.all([fits[e].converged for e in est], axis=0)
        rows = np.flatnonzero(ok)[:REPLICATES]
        if rows.size == 0:
            continue
        truth = {nm: np.broadcast_to(theta[nm], (len(x),))[rows] for nm in names}
        curves += specs(fam, fixed, study.level, x[rows], {e: fits[e].estimate[rows] for e in est},
                        {e: fits[e].se[rows] for e in est}, names, rows, truth)
    out = curves_table(fam, fixed, study.level, curves)
    mapped = _map_estimates(df, study, base)
    if out.empty:
        return pd.DataFrame(columns=COLUMNS)
    keys = zip(out["n"], out["replicate"], out["parameter"], strict=True)
    out["map"] = [mapped.get((int(n), int(r), p), np.nan) for n, r, p in keys]
    return out.assign(**condition_row(base))[list(condition_row(base)) + list(out.columns)]


def specs(fam, fixed, level: float, xs, hat: dict, se: dict, names, replicates,
          truth: dict | None = None) -> list[dict]:
    """The curves of the datasets ``xs`` ``(R, n)`` with their MLE ``hat`` and its
    standard errors ``se`` (``(R,)`` per estimated parameter), one per dataset ×
    parameter of ``names``: its marks (the truth where known, else NaN; the Wald and
    likelihood-ratio intervals; the observed information at the MLE)."""
    z = z_quantile(level)
    with np.errstate(divide="ignore"):  # se = 0 at a boundary (p_hat = 0): infinite
        info = {e: 1.0 / np.asarray(v, float) ** 2 for e, v in se.items()}
    lr = lr_intervals(fam, xs, fixed, hat, level, se, names)
    out = []
    for i, r in enumerate(replicates):
        for nm in names:
            out.append(dict(n=xs.shape[1], replicate=int(r), parameter=nm, x=xs[i:i + 1],
                            hat={e: v[i:i + 1] for e, v in hat.items()},
                            truth=float(truth[nm][i]) if truth else np.nan,
                            mle=float(hat[nm][i]), wald_low=hat[nm][i] - z * se[nm][i],
                            wald_high=hat[nm][i] + z * se[nm][i],
                            mle_information=info[nm][i],
                            lr_low=float(lr[nm][0][i]), lr_high=float(lr[nm][1][i])))
    return out


def curves_table(fam, fixed, level: float, curves: list[dict]) -> pd.DataFrame:
    """The likelihood table of the curves of :func:`specs` (every column but ``map``
    and the condition's), on one grid per parameter."""
    out = [_curve(fam, fixed, c, _grid(fam, c["parameter"], curves), level) for c in curves]
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=COLUMNS[:-1])


def data_table(fam, fixed, x, hat: dict, se: dict, level: float,
               map_estimate: dict | None = None) -> pd.DataFrame:
    """The likelihood table of one observed dataset ``x`` ``(1, n)`` (``fisherlab fit``):
    the same curves and marks as a study's, every estimated parameter (at most
    :data:`PARAMS`), no truth, the MAP where given (parameter -> estimate)."""
    names = [p.name for p in fam.estimated()][:PARAMS]
    hat = {k: np.atleast_1d(np.asarray(v, float)) for k, v in hat.items()}
    se = {k: np.atleast_1d(np.asarray(v, float)) for k, v in se.items()}
    t = curves_table(fam, fixed, level, specs(fam, fixed, level, x, hat, se, names, [0]))
    return t.assign(map=[(map_estimate or {}).get(p, np.nan) for p in t["parameter"]])


def _grid(fam, name: str, curves: list[dict]) -> np.ndarray:
    """The shared grid of one parameter: every curve's intervals and truth, widened by
    :data:`MARGIN`, and towards a finite end of the domain no further than :data:`FLOOR`
    of the way there (each curve adds its own MLE, :func:`with_point`)."""
    mine = [c for c in curves if c["parameter"] == name]
    # an infinite likelihood-ratio end (a profile that never drops far enough, as for a
    # mixture's mean) leaves the Wald ends to set the range
    ends = np.array([[c[k] for k in ("lr_low", "lr_high", "wald_low", "wald_high", "truth",
                                     "mle")] for c in mine], float)
    ends = ends[np.isfinite(ends)]
    lo, hi = ends.min(), ends.max()
    pad = MARGIN * (hi - lo)
    p = fam.param(name)
    marks = np.clip(ends, p.low, p.high)  # an interval's end may lie outside the domain
    a, b = lo - pad, hi + pad
    if np.isfinite(p.low):
        a = max(a, p.low + FLOOR * (marks.min() - p.low))
    if np.isfinite(p.high):
        b = min(b, p.high - FLOOR * (p.high - marks.max()))
    # a mark on the domain's end (an MLE of 0): the grid starts just inside an open end
    eps = 1e-9 * (b - a)
    a, b = (a + eps if a <= p.low else a), (b - eps if b >= p.high else b)
    k = len(fam.estimated())
    return np.linspace(a, b, GRID if k <= 2 else GRID_MANY)


def with_point(grid: np.ndarray, value: float) -> tuple[np.ndarray, int]:
    """The grid with ``value`` as one of its points (inserted, or replacing a point
    nearer than :data:`SNAP` of a step), and its index."""
    step = (grid[-1] - grid[0]) / max(grid.size - 1, 1)
    near = int(np.argmin(np.abs(grid - value)))
    if abs(grid[near] - value) <= SNAP * step:
        out = grid.copy()
        out[near] = value
        return out, near
    i = int(np.searchsorted(grid, value))
    return np.insert(grid, i, value), i


def _curve(fam, fixed, c: dict, grid: np.ndarray, level: float) -> pd.DataFrame:
    name = c["parameter"]
    grid, peak = with_point(grid, c["mle"])
    rows = np.zeros(grid.size, np.intp)
    lp, nuis = profile(fam, c["x"], fixed, c["hat"], name, grid, rows)
    l_hat = float(loglik_at(fam, c["x"], fixed, c["hat"], np.zeros(1))[0])
    # at the MLE the profile is l(theta_hat) by definition, and its nuisance values are
    # the fit's: no second optimisation's rounding (ℓ - ℓ(MLE) there is exactly 0)
    lp[peak] = l_hat
    for k in nuis:
        nuis[k][peak] = c["hat"][k][0]
    at = {**{e: np.full(grid.size, v[0]) for e, v in c["hat"].items()}, **nuis, name: grid}
    j = [p.name for p in fam.estimated()].index(name)
    with np.errstate(all="ignore"):
        score = fam.score(c["x"][rows], {**fixed, **at})[:, j]
        info = -np.gradient(score, grid, edge_order=2)
    # at the MLE the profile's curvature is 1/se^2 of the fit (its observed information),
    # which the page prints beside the curve: not the grid's finite difference
    if np.isfinite(c["mle_information"]):
        info[peak] = c["mle_information"]
    marks = {k: c[k] for k in ("truth", "mle", "mle_information", "wald_low", "wald_high",
                               "lr_low", "lr_high")}
    return pd.DataFrame(dict(
        n=c["n"], replicate=c["replicate"], parameter=name,
        profile=len(fam.estimated()) > 1, point=np.arange(grid.size), theta=grid,
        loglik=lp, rel_loglik=lp - l_hat, score=score, information=info, **marks,
        cutoff=-0.5 * float(stats.chi2.ppf(level, 1)), level=level))


def _map_estimates(df: pd.DataFrame, study, base: Condition) -> dict:
    """(n, replicate, parameter) -> the MAP estimate, from the estimates table, where the
    study has a MAP estimator (bayesian, not a sampler)."""
    ids = [e.id for e in study.estimators if e.estimator.bayesian
           and not e.estimator.samples]
    if not ids or df.empty:
        return {}
    sel = df[(df["estimator"] == ids[0]) & df["converged"].to_numpy(bool)]
    for k, v in condition_row(base).items():
        if k in sel.columns:
            sel = sel[sel[k] == v]
    return {(int(r.n), int(r.replicate), r.estimand): float(r.estimate)
            for r in sel.itertuples()}
