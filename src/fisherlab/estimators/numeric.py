"""Numeric maximum likelihood: the generic path for families without a closed form.

The :class:`~fisherlab.estimators.closed_form.MLE` estimator comes here when the family
declares no closed-form ``mle`` (or when a study asks for a named optimiser). Two routes:

* **batched**: the family's own ``mle_batched`` hook fits every replicate of the chunk
  at once (a vectorised root of the profile score for gamma/Weibull/negative binomial,
  Newton for beta, IRLS for logistic regression, EM for mixtures);
* **per dataset** (the general fallback): ``scipy.optimize.minimize`` of the negative
  log-likelihood on unconstrained parameters (log/logit transforms declared by each
  :class:`~fisherlab.families.base.Param`), started from the family's ``start`` (the
  method of moments where declared), with the analytic gradient when the family
  declares ``score``; several starts keep the best optimum. A raising fit is recorded
  as a failure by :func:`~fisherlab.estimators.base.fit_each`.

Either way :func:`finish` checks the result instead of assuming it: an optimiser that
reports failure, an estimate on the boundary of the parameter space, or an observed
information that is not positive definite (the stationary point is not a maximum)
gives ``converged=False`` with the reason. The covariance is the inverse observed
information at the optimum, from the family's analytic ``observed_information`` when
declared, else the numerical Hessian of the log-likelihood (``scipy.differentiate``)
in the unconstrained parameters, mapped back by the delta method.
"""

from __future__ import annotations

import numpy as np
from scipy import differentiate, optimize

from ..core.numerics import positive_definite, safe_inv
from ..families.base import Family, Point, Theta
from . import optimisers
from .base import OneFit, fit_each
from .intervals import METHODS

#: scipy.optimize.minimize methods a study may name (all unconstrained-capable)
SCIPY_METHODS = ["BFGS", "L-BFGS-B", "Nelder-Mead", "Powell", "CG", "TNC", "SLSQP"]

#: JSON-Schema properties of the options of ``mle`` (see README, "Estimators"); a study
#: may give ``method`` a list (``MLE.expand_options``): each value is checked alone
OPTIONS_SCHEMA = {
    "method": {"enum": ["auto", *optimisers.METHODS, *SCIPY_METHODS],
               "description": "auto: closed form, else the family's batched solver, "
                              "else BFGS per dataset; newton, gradient_ascent, adam, em "
                              "(every replicate at once), bfgs, lbfgs, nelder_mead "
                              "(scipy.optimize per dataset), or a scipy method name; a "
                              "list gives one estimator per method (an optimiser "
                              "comparison)"},
    "starts": {"type": "integer", "minimum": 1, "maximum": 100,
               "description": "starting points per dataset (the best optimum is kept)"},
    "tol": {"type": "number", "exclusiveMinimum": 0, "maximum": 0.1,
            "description": "convergence tolerance (gradient_ascent, adam: of the gradient "
                           "of the mean log-likelihood)"},
    "maxiter": {"type": "integer", "minimum": 1, "maximum": 1000000,
                "description": "iteration limit per fit"},
    "learning_rate": {"type": "number", "exclusiveMinimum": 0, "maximum": 100,
                      "description": "step size of gradient_ascent and adam"},
    "interval": {"enum": list(METHODS),
                 "description": "wald (default), likelihood_ratio (profile likelihood), "
                                "score (closed forms: Wilson, Poisson), or for a "
                                "proportion agresti_coull, jeffreys or clopper_pearson; "
                                "usually set "
                                "for every estimator by the study's interval.method"},
}

#: an unconstrained coordinate beyond this is a parameter on its boundary
#: (a scale below e^-30, a probability within 1e-13 of 0 or 1)
BOUNDARY_U = 30.0


def numeric_mle(family: Family, x, theta_fixed: Theta, options: dict) -> Point:
    """Numeric MLE of every dataset (row) of ``x``, checked by :func:`finish`."""
    method = options.get("method", "auto")
    tol = options.get("tol")
    maxiter = options.get("maxiter")
    starts = options.get("starts")
    if method == "auto" and family.has("mle_batched"):
        kw = {"tol": tol or 1e-10, "maxiter": maxiter, "starts": starts or 1}
        pt = family.mle_batched(x, theta_fixed, **kw)
    elif method == "em":
        pt = optimisers.em(family, x, theta_fixed, _safe_starts(family, x, theta_fixed),
                           tol=tol, maxiter=maxiter)
    elif method == "newton":
        pt = optimisers.newton(family, x, theta_fixed, _safe_starts(family, x, theta_fixed),
                               tol=tol, maxiter=maxiter)
    elif method in optimisers.BATCHED:
        pt = optimisers.ascend(family, x, theta_fixed, _safe_starts(family, x, theta_fixed),
                               method=method, learning_rate=options.get("learning_rate"),
                               tol=tol, maxiter=maxiter)
    else:
        pt = scipy_mle(family, x, theta_fixed,
                       method=optimisers.SCIPY.get(method, "BFGS" if method == "auto"
                                                   else method),
                       tol=tol or 1e-9, maxiter=maxiter, starts=starts or 1)
    return finish(family, x, theta_fixed, pt)


# --------------------------------------------------------------------------- per dataset
def _to_u(family: Family, theta: dict[str, np.ndarray]) -> np.ndarray:
    return np.stack([p.to_unconstrained(theta[p.name]) for p in family.estimated()], -1)


def _safe_starts(family: Family, x, theta_fixed: Theta) -> np.ndarray:
    """Unconstrained starting values ``(R, k)``; a start outside the domain (a method of
    moments that failed for this dataset) falls back to the typical midpoint."""
    R = x.shape[0]
    try:
        with np.errstate(all="ignore"):
            st = family.start(x, theta_fixed)
    except (NotImplementedError, ValueError, FloatingPointError):
        st = {}
    cols = []
    for p in family.estimated():
        mid = 0.5 * (p.typical[0] + p.typical[1])
        v = np.broadcast_to(np.asarray(st.get(p.name, mid), float), (R,)).copy()
        with np.errstate(all="ignore"):
            u = p.to_unconstrained(v)
        bad = ~np.isfinite(u) | (np.abs(u) > BOUNDARY_U)
        u[bad] = p.to_unconstrained(mid)
        cols.append(u)
    return np.stack(cols, -1)


def scipy_mle(family: Family, x, theta_fixed: Theta, *, method: str, tol: float,
              maxiter: int | None, starts: int) -> Point:
    """``scipy.optimize.minimize`` per dataset on the unconstrained parameters."""
    est = family.estimated()
    names = [p.name for p in est]
    u0 = _safe_starts(family, x, theta_fixed)
    use_score = family.has("score")
    n = x.shape[1]
    # extra starts: deterministic perturbations of the first (same data => same fit)
    jitter = np.random.default_rng(20240917).normal(0.0, 1.0, size=(max(starts - 1, 0), len(est)))

    def fit_one(i: int) -> OneFit:
        xi = x[i:i + 1]

        def theta_of(u):
            return {**theta_fixed, **{nm: np.atleast_1d(v) for nm, v in
                                      optimisers.from_u(family, np.asarray(u, float)).items()}}

        def fun(u):
            with np.errstate(all="ignore"):
                ll = float(family.loglik(xi, theta_of(u))[0])
            return -ll / n if np.isfinite(ll) else np.inf

        def jac(u):
            with np.errstate(all="ignore"):
                g = family.score(xi, theta_of(u))[0]
                dv = np.array([p.jacobian(u[j]) for j, p in enumerate(est)])
            return -g * dv / n  # chain rule: d l/d u = d l/d theta * d theta/d u

        opts = {"maxiter": maxiter} if maxiter else {}
        best, total = None, 0
        counts = dict.fromkeys(("fevals", "gevals", "hevals"), 0)
        for s in range(starts):
            start = u0[i] if s == 0 else u0[i] + jitter[s - 1]
            gradient_free = method in ("Nelder-Mead", "Powell")
            res = optimize.minimize(fun, start, method=method, tol=tol, options=opts,
                                    jac=None if gradient_free else
                                    jac if use_score else "3-point")
            total += int(getattr(res, "nit", 0) or 0)
            for key, attr in (("fevals", "nfev"), ("gevals", "njev"), ("hevals", "nhev")):
                counts[key] += int(getattr(res, attr, 0) or 0)
            # BFGS may stop on "precision loss" at the optimum itself: accepted only when
            # the gradient there is ~0 (finish() then checks it is a maximum)
            if (not res.success and getattr(res, "status", None) == 2
                    and np.max(np.abs(getattr(res, "jac", np.inf))) < 1e-6):
                res.success = True
            if np.isfinite(res.fun) and (best is None or res.fun < best.fun
                                         or (res.success and not best.success)
                                         and res.fun <= best.fun + 1e-12):
                best = res
        if best is None:
            return OneFit({nm: np.nan for nm in names}, converged=False,
                          reason="optimiser found no finite log-likelihood", iterations=total,
                          evaluations=counts)
        theta = optimisers.from_u(family, best.x)
        reason = "" if best.success else f"optimiser did not converge: {best.message}"
        return OneFit({nm: float(theta[nm]) for nm in names}, converged=bool(best.success),
                      reason=reason, iterations=total, evaluations=counts)

    return fit_each(fit_one, list(range(x.shape[0])), names)


# --------------------------------------------------------------------------- checks
def numeric_information(family: Family, x, theta_fixed: Theta,
                        theta_hat: dict[str, np.ndarray]) -> np.ndarray:
    """Observed information ``(R, k, k)`` at ``theta_hat`` from the numerical Hessian of
    each dataset's log-likelihood in the unconstrained parameters u, mapped back:
    at a stationary point d2l/du2 = J' (d2l/dtheta2) J with J = diag(dtheta/du)."""
    est = family.estimated()
    u_hat = _to_u(family, theta_hat)  # (R, k)
    xr = np.asarray(x)

    R, n = xr.shape
    jac = np.stack([p.jacobian(u_hat[:, j]) for j, p in enumerate(est)], -1)  # (R, k)
    if family.has("score"):
        def g(u):  # u: (k, k, R, *stencil) -> the analytic score (k, k, R, *stencil)
            assert u.shape[2] == R
            xb = xr.reshape((R,) + (1,) * (u.ndim - 3) + (n,))
            th = {**theta_fixed, **{p.name: p.from_unconstrained(u[j])
                                    for j, p in enumerate(est)}}
            with np.errstate(all="ignore"):
                return np.moveaxis(family.score(xb, th), -1, 0)

        # d score / d u = (d2l / dtheta2) J: divide the columns by J
        res = differentiate.jacobian(g, u_hat.T, initial_step=0.1, order=4, maxiter=3)
        h = np.moveaxis(np.asarray(res.df), -1, 0) / jac[:, None, :]
        h = 0.5 * (h + np.swapaxes(h, -1, -2))
        return -h
    h = optimisers.hessian_u_blocks(family, xr, theta_fixed, u_hat)  # (R, k, k)
    return -h / (jac[:, :, None] * jac[:, None, :])


def observed_information(family: Family, x, theta_fixed: Theta,
                         theta_hat: dict[str, np.ndarray]) -> np.ndarray:
    """Observed information ``(R, k, k)`` at the MLE ``theta_hat``: the family's analytic
    one where declared (an exponential family's n I(theta_hat), valid at the MLE only),
    else :func:`numeric_information`."""
    with np.errstate(all="ignore"):
        if family.has("observed_information") or family.exponential_family:
            return family.observed_information(x, {**theta_fixed, **theta_hat})
        return numeric_information(family, x, theta_fixed, theta_hat)


def finish(family: Family, x, theta_fixed: Theta, pt: Point) -> Point:
    """Check every replicate's optimum and attach the inverse observed information."""
    est = family.estimated()
    R = x.shape[0]
    conv = np.ones(R, bool) if pt.converged is None else np.asarray(pt.converged, bool).copy()
    reason = (np.full(R, "", dtype=object) if pt.reason is None
              else np.asarray(pt.reason, dtype=object).copy())
    theta_hat = {p.name: np.asarray(pt.estimate[p.name], float) for p in est}
    finite = np.all([np.isfinite(v) for v in theta_hat.values()], axis=0)

    # on the boundary: outside the open domain, or numerically at its edge
    for p in est:
        if p.kind() == "identity":  # the real line has no boundary to hit
            continue
        v = theta_hat[p.name]
        with np.errstate(all="ignore"):
            u = p.to_unconstrained(v)
        edge = finite & conv & ((np.abs(u) > BOUNDARY_U) | ~np.isfinite(u))
        reason[edge] = f"estimate on the boundary of the parameter space ({p.name})"
        conv &= ~edge

    if pt.cov is None:
        info = np.full((R, len(est), len(est)), np.nan)
        ok = finite & conv
        if ok.any():
            sub = {k: v[ok] for k, v in theta_hat.items()}
            xs = x[ok]
            info[ok] = observed_information(family, xs, theta_fixed, sub)
        pt.cov = safe_inv(info)
    else:
        with np.errstate(all="ignore"):
            info = safe_inv(np.asarray(pt.cov, float))

    # a maximum has a positive definite observed information
    not_max = finite & conv & ~positive_definite(0.5 * (info + np.swapaxes(info, -1, -2)))
    reason[not_max] = "observed information not positive definite: not a maximum"
    conv &= ~not_max
    pt.converged, pt.reason = conv, reason
    if pt.iterations is None:
        pt.iterations = np.zeros(R, np.int64)
    return pt
