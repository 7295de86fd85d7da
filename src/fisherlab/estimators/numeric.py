"""Numeric maximum likelihood: the generic path for families without a closed form.

The :class:`~fisherlab.estimators.closed_form.MLE` estimator comes here when the family
declares no closed-form ``mle`` (or when a study asks for a named optimiser). Three
routes:

* **batched**: the family's own ``mle_batched`` hook fits every replicate of the chunk
  at once (a vectorised root of the profile score for gamma/Weibull/negative binomial,
  Newton for beta, IRLS for logistic regression, EM for mixtures);
* **generic batched** (:func:`batched_mle`, ``method: auto`` without a hook: every
  ``scipy.<name>`` and ``python:`` family): a damped Newton on every replicate at once
  (:func:`~fisherlab.core.numerics.damped_newton`) with central differences of the
  vectorised log-density (closed-form derivatives of the standard log-density for the
  loc-scale families of ``families.scipy_dist.STANDARD_LOG_DERIVATIVES``); the
  replicates it cannot fit go the per-dataset way, their reason saying so;
* **per dataset** (a named scipy method, and the refits): ``scipy.optimize.minimize``
  of the negative log-likelihood on unconstrained parameters (log/logit transforms
  declared by each :class:`~fisherlab.families.base.Param`), started from the
  family's ``start`` (the method of moments where declared), with the analytic
  gradient when the family declares ``score``; several starts keep the best optimum.
  A raising fit is recorded as a failure by :func:`~fisherlab.estimators.base.fit_each`.

Every way :func:`finish` checks the result instead of assuming it: an optimiser that
reports failure, an estimate on the boundary of the parameter space, or an observed
information that is not positive definite (the stationary point is not a maximum)
gives ``converged=False`` with the reason. The covariance is the inverse observed
information at the optimum, from the family's analytic ``observed_information`` when
declared, else the numerical Hessian of the log-likelihood in the unconstrained
parameters (the generic batched solver's own differences, else ``scipy.differentiate``),
mapped back by the delta method.
"""

from __future__ import annotations

import numpy as np
from scipy import differentiate, optimize

from ..core.numerics import damped_newton, positive_definite_sym, safe_inv
from ..families.base import Family, Point, Theta
from . import optimisers
from .base import OneFit, blank_reasons, fit_each
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
    elif method == "auto":
        pt = batched_mle(family, x, theta_fixed, tol=tol or 1e-10, maxiter=maxiter,
                         starts=starts or 1)
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

    # the objective and gradient are called ~100 times a fit: what does not change (the
    # parameters, the fixed values) is looked up once, and floating-point errors are
    # ignored once around all the fits (:func:`optimisers.from_u`'s values, the same)
    def theta_of(u):
        u = np.asarray(u, float)
        theta = dict(theta_fixed)
        for j, p in enumerate(est):
            theta[p.name] = np.atleast_1d(p.from_unconstrained(u[..., j]))
        return theta

    def fit_one(i: int) -> OneFit:
        xi = x[i:i + 1]

        def fun(u):
            ll = float(family.loglik(xi, theta_of(u))[0])
            return -ll / n if np.isfinite(ll) else np.inf

        def jac(u):
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

    with np.errstate(all="ignore"):
        return fit_each(fit_one, list(range(x.shape[0])), names)


# --------------------------------------------------------------------------- batched
#: the batched solver's finite-difference step, relative to max(1, |u|) (or |z|): near
#: eps^(1/4), where the second difference's truncation (h^2) and rounding (eps/h^2)
#: errors balance; the central first difference is then exact to ~1e-9 relative
FD_STEP = 1e-4
#: log-density evaluations per vectorised call of the solver's stencils (memory bound)
FD_BLOCK = 1_000_000
#: observations per block of the loc-scale path (its temporaries stay in the CPU cache)
LOCSCALE_BLOCK = 16384
#: the batched solver stops a replicate when its Newton step is below this in every
#: unconstrained coordinate (quadratic convergence: the next step would be ~1e-18), or
#: its gradient of l/n is below NEWTON_GTOL; not by the gradient alone, since a flat
#: likelihood (a t's large df) has small gradients far from its optimum
NEWTON_STEP = 1e-9
#: the step of the stencil path's final Hessian (standard errors), extrapolated
HESS_STEP = 1e-3
NEWTON_GTOL = 1e-14


class _Stencil:
    """-l(u)/n and its gradient and Hessian in u by central differences of the family's
    vectorised log-density: every replicate's whole stencil (the centre, u ± h e_j and
    u ± h e_i ± h e_j) in one call, the data broadcast as ``(rows, 1, n)``."""

    def __init__(self, family: Family, x, theta_fixed: Theta):
        self.family, self.x, self.fixed = family, np.asarray(x), theta_fixed
        self.est = family.estimated()
        k = len(self.est)
        eye = np.eye(k)
        offs = [np.zeros(k)]
        for j in range(k):
            offs += [eye[j], -eye[j]]
        self.pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
        for i, j in self.pairs:
            offs += [eye[i] + eye[j], -eye[i] - eye[j], eye[i] - eye[j], eye[j] - eye[i]]
        self.offs = np.array(offs)

    def _loglik(self, U, rows):  # U (r, S, k) -> the log-likelihood sums (r, S)
        n = self.x.shape[1]
        step = max(1, FD_BLOCK // max(U.shape[1] * n, 1))
        out = np.empty(U.shape[:2])
        for a in range(0, len(rows), step):
            b = slice(a, a + step)
            th = {**self.fixed, **{p.name: p.from_unconstrained(U[b, :, j])[..., None]
                                   for j, p in enumerate(self.est)}}
            out[b] = self.family.logpdf(self.x[rows[b]][:, None, :], th).sum(axis=-1)
        return out

    def value(self, u, rows):
        return -self._loglik(u[:, None, :], rows)[:, 0] / self.x.shape[1]

    def derivatives(self, u, rows, step: float = FD_STEP):
        n, k = self.x.shape[1], u.shape[1]
        h = step * np.maximum(1.0, np.abs(u))
        h = (u + h) - u  # a step the sum u + h represents exactly
        ll = self._loglik(u[:, None, :] + self.offs[None] * h[:, None, :], rows)
        f0 = ll[:, 0]
        g = np.empty((len(rows), k))
        H = np.empty((len(rows), k, k))
        for j in range(k):
            up, dn = ll[:, 1 + 2 * j], ll[:, 2 + 2 * j]
            g[:, j] = (up - dn) / (2 * h[:, j])
            H[:, j, j] = (up - 2 * f0 + dn) / h[:, j] ** 2
        for m, (i, j) in enumerate(self.pairs):
            pp, mm, pm, mp = (ll[:, 1 + 2 * k + 4 * m + q] for q in range(4))
            H[:, i, j] = H[:, j, i] = (pp + mm - pm - mp) / (4 * h[:, i] * h[:, j])
        return -f0 / n, -g / n, -H / n

    def final_hessian(self, u, rows):
        """The Hessian for the standard errors, more accurate than the iterations need:
        second differences at steps h and 2h (HESS_STEP) combined by Richardson's
        extrapolation, (4 H(h) - H(2h)) / 3, which cancels their h^2 error; the larger
        step keeps rounding (eps |l| / h^2) near 1e-9 relative."""
        h1 = self.derivatives(u, rows, HESS_STEP)[2]
        h2 = self.derivatives(u, rows, 2 * HESS_STEP)[2]
        return (4 * h1 - h2) / 3


class _LocScale:
    """The same for a ``scipy.<name>`` family with no free shape, estimating loc and/or
    scale (u = loc, log scale): with z = (x - loc)/scale, l = sum phi(z) - n log scale
    for the standard log-density phi, so phi' and phi'' at each observation give every
    derivative by the chain rule: in closed form where the family declares them
    (``standard_log_derivatives``: normal, Gumbel, logistic, Cauchy), else from phi at
    z and z ± h (z is standardised: the step h = FD_STEP max(1, |z|) suits every
    observation). The line search's evaluation computes them all and keeps them: an
    accepted step (the usual case) costs no more."""

    def __init__(self, family, x, theta_fixed: Theta):
        self.x = np.asarray(x)
        self.phi = family.standard_logpdf(theta_fixed)
        self.derivs = (family.standard_log_derivatives(theta_fixed)
                       if family.has("standard_log_derivatives") else None)
        names = [p.name for p in family.estimated()]
        self.j_loc = names.index("loc") if "loc" in names else None
        self.j_scale = names.index("scale") if "scale" in names else None
        self.loc = theta_fixed.get("loc")
        self.scale = theta_fixed.get("scale")
        R, k = len(self.x), len(names)
        self.cache_u = np.full((R, k), np.nan)
        self.cache = (np.empty(R), np.empty((R, k)), np.empty((R, k, k)))

    def _all(self, u, rows):
        r, k = u.shape
        n = self.x.shape[1]
        loc = u[:, self.j_loc] if self.j_loc is not None else np.full(r, self.loc)
        v = (u[:, self.j_scale] if self.j_scale is not None
             else np.full(r, np.log(self.scale)))
        s = np.exp(v)  # Param scale (low 0) is log-transformed: scale = e^u
        m = np.empty((r, 6))
        # blocks of rows small enough for the CPU cache: the passes below are then
        # cheaper than the memory traffic of whole (R, n) temporaries
        step = max(1, LOCSCALE_BLOCK // max(n, 1))
        for a in range(0, r, step):
            b = slice(a, a + step)
            m[b] = self._sums(self.x[rows[b]], loc[b], s[b])
        a1, b1, c, d, e = m[:, 0], m[:, 1], m[:, 3], m[:, 4], m[:, 5]  # phi', phi''
        f = m[:, 2] / n - v
        g = np.empty((r, k))
        H = np.empty((r, k, k))
        jl, js = self.j_loc, self.j_scale
        if jl is not None:
            g[:, jl] = -a1 / s
            H[:, jl, jl] = c / s**2
        if js is not None:
            g[:, js] = -b1 - n
            H[:, js, js] = e + b1
        if jl is not None and js is not None:
            H[:, jl, js] = H[:, js, jl] = (d + a1) / s
        return -f, -g / n, -H / n

    def _sums(self, x, loc, s):
        """(r, 6): the sums over observations of phi'(z) times 1 and z, of phi(z), and of
        phi''(z) times 1, z and z^2: phi' and phi'' in closed form where the family
        declares them (``standard_log_derivatives``), else by central differences at
        z +- h."""
        if self.derivs is not None:
            z = x - loc[:, None]
            z /= s[:, None]
            ph0, d1, d2 = self.derivs(z)
            # row sums by einsum, faster than sum(axis=1) on short rows; not by BLAS's
            # gemv (d1 @ ones), whose rounding depends on a row's place in the block,
            # hence on the chunk layout
            m = np.empty((x.shape[0], 6))
            m[:, 0] = np.einsum("ij->i", d1)
            m[:, 1] = np.einsum("ij,ij->i", d1, z)
            m[:, 2] = np.einsum("ij->i", ph0)
            m[:, 3] = np.einsum("ij->i", d2)
            d2 = d2 * z
            m[:, 4] = d2.sum(1)
            m[:, 5] = np.einsum("ij,ij->i", d2, z)
            return m
        r, n = x.shape
        zs = np.empty((3, r, n))
        z = zs[1]
        np.subtract(x, loc[:, None], out=z)
        z /= s[:, None]
        # a step relative to |z| beyond 1: the scale's second derivative weighs phi'' by
        # z^2, which would multiply the rounding of a fixed step's second difference
        # (eps |phi| / h^2) in a heavy tail (a Cauchy's z of 10^3: SEs 2e-4 off)
        h = np.abs(z)
        np.maximum(h, 1.0, out=h)
        h *= FD_STEP
        np.subtract(z, h, out=zs[0])
        np.add(z, h, out=zs[2])
        h = zs[2] - zs[0]  # the steps as represented: 2h
        dn, ph0, up = self.phi(zs)
        # per observation first the differences (exact to the rounding of phi), then
        # their sums, in place and without temporaries (einsum): the passes over the
        # block cost more than phi itself otherwise
        np.subtract(up, dn, out=dn)  # dn <- up - dn
        up -= ph0
        up *= 2.0
        up -= dn  # up <- 2 (up - phi) - (up - dn) = up - 2 phi + dn
        dn /= h  # phi'
        h *= h
        up *= 4.0
        up /= h  # phi'' = (up - 2 phi + dn) / h^2, with (2h)^2 / 4 = h^2
        m = np.empty((r, 6))
        m[:, 0] = dn.sum(1)
        m[:, 1] = np.einsum("ij,ij->i", dn, z)
        m[:, 2] = ph0.sum(1)
        m[:, 3] = up.sum(1)
        up *= z
        m[:, 4] = up.sum(1)
        m[:, 5] = np.einsum("ij,ij->i", up, z)
        return m

    def value(self, u, rows):
        f, g, H = self._all(u, rows)
        self.cache_u[rows] = u
        for c, val in zip(self.cache, (f, g, H), strict=True):
            c[rows] = val
        return f

    def derivatives(self, u, rows):
        miss = ~np.all(self.cache_u[rows] == u, axis=1)
        if miss.any():
            self.value(u[miss], rows[miss])
        return tuple(c[rows] for c in self.cache)


class _Analytic:
    """The same from the family's own ``score`` (times d theta/d u) and, where declared,
    ``observed_information`` (by the chain rule, :func:`optimisers.loglik_hessian_u`);
    with a score alone, the Hessian is the central difference of the analytic
    gradient in each coordinate."""

    def __init__(self, family: Family, x, theta_fixed: Theta):
        self.family, self.x, self.fixed = family, x, theta_fixed

    def value(self, u, rows):
        return -optimisers.mean_loglik_u(self.family, self.x[rows], self.fixed, u)

    def _grad(self, x, u):
        return optimisers.gradient_u(self.family, x, self.fixed, u)

    def derivatives(self, u, rows):
        x = self.x[rows]
        n = x.shape[1]
        f = optimisers.mean_loglik_u(self.family, x, self.fixed, u)
        g = self._grad(x, u)
        if self.family.has("observed_information"):
            with np.errstate(all="ignore"):
                H = optimisers.loglik_hessian_u(self.family, x, self.fixed, u) / n
        else:
            H = np.empty(u.shape + (u.shape[1],))
            h = FD_STEP * np.maximum(1.0, np.abs(u))
            h = (u + h) - u
            for j in range(u.shape[1]):
                e = np.zeros_like(u)
                e[:, j] = h[:, j]
                H[:, :, j] = (self._grad(x, u + e) - self._grad(x, u - e)) / (2 * h[:, j, None])
            H = 0.5 * (H + np.swapaxes(H, 1, 2))
        return -f, -g, -H


def _solver_model(family: Family, x, theta_fixed: Theta):
    if family.has("score"):
        return _Analytic(family, x, theta_fixed)
    names = {p.name for p in family.estimated()}
    if (family.has("standard_logpdf") and names <= {"loc", "scale"}
            and all(p.name in names or p.name in theta_fixed for p in family.params)):
        return _LocScale(family, x, theta_fixed)
    return _Stencil(family, x, theta_fixed)


def _analytic_information(family: Family) -> bool:
    return family.has("observed_information") or family.exponential_family


def batched_mle(family: Family, x, theta_fixed: Theta, *, tol: float,
                maxiter: int | None, starts: int) -> Point:
    """Every replicate at once: :func:`~fisherlab.core.numerics.damped_newton` on
    -l(u)/n from the family's start, with central-difference derivatives of the
    vectorised log-density (:class:`_Stencil`, :class:`_LocScale`), or the family's
    analytic ones where it declares ``score`` (:class:`_Analytic`). A replicate the
    Newton leaves unconverged (iteration limit, a line search that found no ascent, a
    non-finite log-likelihood) is refitted by :func:`scipy_mle` (BFGS), its reason
    saying so. The covariance is the inverse of the observed information from the same
    differences at the optimum (unless the family declares an analytic one)."""
    est = family.estimated()
    names = [p.name for p in est]
    R, n = x.shape
    k = len(est)
    maxiter_newton = maxiter or optimisers.MAXITER["newton"]
    try:
        model = _solver_model(family, x, theta_fixed)
        u0 = _safe_starts(family, x, theta_fixed)
        hess = np.full((R, k, k), np.nan)

        def derivatives(u, rows):
            f, g, h = model.derivatives(u[rows], rows)
            hess[rows] = h
            return f, g, h

        with np.errstate(all="ignore"):
            u, done, iters, stalled = damped_newton(
                lambda u, rows: model.value(u[rows], rows), derivatives, u0,
                gtol=NEWTON_GTOL, maxiter=maxiter_newton, tiny=NEWTON_STEP,
                closed_form_2x2=True, modified=True)
    except Exception:  # noqa: BLE001 - e.g. a log-density that does not broadcast:
        # the per-dataset path records each dataset's own failure
        return scipy_mle(family, x, theta_fixed, method="BFGS", tol=1e-9,
                         maxiter=maxiter, starts=starts)
    theta = {nm: v.copy() for nm, v in optimisers.from_u(family, u).items()}
    conv = done.copy()
    reason = blank_reasons(R)
    bad = np.flatnonzero(~done)
    if bad.size:
        why = np.where(stalled[bad], "found no step that increases the log-likelihood",
                       np.where(iters[bad] >= maxiter_newton,
                                f"did not converge within {maxiter_newton} iterations",
                                "met a non-finite log-likelihood or gradient"))
        refit = scipy_mle(family, x[bad], theta_fixed, method="BFGS", tol=1e-9,
                          maxiter=maxiter, starts=starts)
        for nm in names:
            theta[nm][bad] = refit.estimate[nm]
        conv[bad] = refit.converged
        iters[bad] += refit.iterations
        for i, r, w in zip(bad, refit.reason, why, strict=True):
            reason[i] = (f"batched Newton {w}: refitted by scipy BFGS"
                         + (f"; {r}" if r else ""))
        u_bad = _to_u(family, {nm: theta[nm][bad] for nm in names})
        ok = np.all(np.isfinite(u_bad), axis=1)
        if ok.any():
            with np.errstate(all="ignore"):
                hess[bad[ok]] = model.derivatives(u_bad[ok], bad[ok])[2]
    cov = None
    if not _analytic_information(family):
        if hasattr(model, "final_hessian"):
            u_hat = _to_u(family, theta)
            fin = np.flatnonzero(np.all(np.isfinite(u_hat), axis=1))
            with np.errstate(all="ignore"):
                for a in range(0, fin.size, 10_000):
                    rows = fin[a:a + 10_000]
                    hess[rows] = model.final_hessian(u_hat[rows], rows)
        # d2l/du2 = J' (d2l/dtheta2) J at a stationary point, J = diag(dtheta/du)
        jac = np.stack([p.jacobian(u_j) for p, u_j in
                        zip(est, _to_u(family, theta).T, strict=True)], -1)
        with np.errstate(all="ignore"):
            info = n * hess / (jac[:, :, None] * jac[:, None, :])
            info = 0.5 * (info + np.swapaxes(info, -1, -2))
        cov = safe_inv(info)
    return Point(theta, cov=cov, converged=conv, reason=reason, iterations=iters)


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


#: an unconstrained coordinate log(w) is inside (-BOUNDARY_U, BOUNDARY_U) for every w
#: in [e^-(BOUNDARY_U - 1), e^(BOUNDARY_U - 1)], with a margin far beyond log's rounding
_SAFE_W = (float(np.exp(-(BOUNDARY_U - 1.0))), float(np.exp(BOUNDARY_U - 1.0)))


def _surely_inside(p, v: np.ndarray) -> bool:
    """Whether every value of a log- or neglog-transformed parameter is certainly off
    its boundary (``|u| <= BOUNDARY_U``), from its extremes alone: cheaper than the
    transform of every value when nothing is near the edge (the usual case); False
    (then the exact check runs) when unsure, also for a NaN."""
    k = p.kind()
    if k not in ("log", "neglog") or v.size == 0:
        return False
    w = v - p.low if k == "log" else p.high - v
    return bool(w.min() >= _SAFE_W[0]) and bool(w.max() <= _SAFE_W[1])


def _all_finite(values: list[np.ndarray]) -> np.ndarray:
    """np.all([np.isfinite(v) for v in values], axis=0), without stacking the values
    when they have one shape."""
    if len(values) < 2 or any(v.shape != values[0].shape for v in values):
        return np.all([np.isfinite(v) for v in values], axis=0)
    out = np.isfinite(values[0])
    for v in values[1:]:
        out &= np.isfinite(v)
    return out


def finish(family: Family, x, theta_fixed: Theta, pt: Point) -> Point:
    """Check every replicate's optimum and attach the inverse observed information."""
    est = family.estimated()
    R = x.shape[0]
    conv = np.ones(R, bool) if pt.converged is None else np.array(pt.converged, bool)
    # the reasons are copied (to write into) only when a check fails: every fit pays
    # for the copy of an object array otherwise
    reason = blank_reasons(R) if pt.reason is None else np.asarray(pt.reason, dtype=object)
    own = pt.reason is None

    def fail(rows, why):
        nonlocal reason, own
        if not own:
            reason, own = reason.copy(), True
        reason[rows] = why

    theta_hat = {p.name: np.asarray(pt.estimate[p.name], float) for p in est}
    finite = _all_finite(list(theta_hat.values()))

    # on the boundary: outside the open domain, or numerically at its edge
    for p in est:
        if p.kind() == "identity":  # the real line has no boundary to hit
            continue
        v = theta_hat[p.name]
        if _surely_inside(p, v):
            continue
        with np.errstate(all="ignore"):
            u = p.to_unconstrained(v)
        edge = finite & conv & ((np.abs(u) > BOUNDARY_U) | ~np.isfinite(u))
        if edge.any():
            fail(edge, f"estimate on the boundary of the parameter space ({p.name})")
            conv &= ~edge

    if pt.cov is None:
        ok = finite & conv
        k = len(est)
        info = None
        if ok.all():  # no copy of the data (as costly as the fit of a closed form)
            full = observed_information(family, x, theta_fixed, theta_hat)
            if (isinstance(full, np.ndarray) and full.dtype == np.float64
                    and full.shape == (R, k, k)):
                info = full  # read only below: no copy of it either
            else:
                info = np.full((R, k, k), np.nan)
                info[...] = full
        else:
            info = np.full((R, k, k), np.nan)
            if ok.any():
                sub = {nm: v[ok] for nm, v in theta_hat.items()}
                info[ok] = observed_information(family, x[ok], theta_fixed, sub)
        pt.cov = safe_inv(info)
    else:
        with np.errstate(all="ignore"):
            info = safe_inv(np.asarray(pt.cov, float))

    # a maximum has a positive definite observed information
    pd = positive_definite_sym(info)
    if not pd.all():
        not_max = finite & conv & ~pd
        if not_max.any():
            fail(not_max, "observed information not positive definite: not a maximum")
            conv &= ~not_max
    pt.converged, pt.reason = conv, reason
    if pt.iterations is None:
        pt.iterations = np.zeros(R, np.int64)
    return pt
