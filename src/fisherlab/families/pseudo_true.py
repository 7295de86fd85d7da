"""The pseudo-true value: what an analysis family's MLE converges to under another model.

When the family fitted (the *analysis* family, a study's ``fit_model``) is not the one
that drew the data, the MLE converges to the parameter closest to the data's distribution
in Kullback-Leibler divergence (White 1982, "Maximum likelihood estimation of misspecified
models", Econometrica 50: theorem 2.2):

    theta* = argmax_theta E_data[log f_analysis(X; theta)].

An analysis family that knows theta* in closed form from the data's moments declares
:meth:`~fisherlab.families.base.Family.pseudo_true` (Poisson: lam* = E[X]; exponential:
rate* = 1/E[X]; normal: mu* = E[X], sigma*^2 = Var X). Otherwise :func:`pseudo_true`
maximises the expected log-likelihood with ``scipy.optimize.minimize`` (BFGS, with its
gradient E[score]) on the unconstrained parameters. The expectations are sums over the
support for discrete data, cut where the mass left is below 1e-14, and adaptive
quadrature (``scipy.integrate.quad_vec``) for continuous data, over the data family's
``support(theta)`` where it declares one, else its :attr:`~.base.Family.space`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
from scipy import integrate, optimize

#: a discrete expectation stops where the probability left beyond is below this
TAIL_MASS = 1e-14
#: ... or after this many support points (a tail too heavy to sum)
MAX_POINTS = 10_000_000


def expectation(data, theta: Mapping) -> Callable:
    """``expect(g)``: E[g(X)] under the data family at ``theta`` (floats), for a g
    vectorised over x that returns a value, or an array ``(m,)``, per x."""
    space = data.space
    if data.discrete or (space is not None and space.integer):
        ks, w = _lattice(data, theta, 0.0 if space is None else space.low)

        def expect_sum(g):
            vals = np.asarray(g(ks), float)
            ww = w.reshape(w.shape + (1,) * (vals.ndim - 1))
            out = np.sum(np.where(ww > 0, ww * vals, 0.0), axis=0)
            return float(out) if out.ndim == 0 else out

        return expect_sum
    try:
        lo, hi = data.support(theta)
    except NotImplementedError:
        lo, hi = (-math.inf, math.inf) if space is None else (space.low, space.high)

    def density(x):
        return np.exp(data.logpdf(np.asarray(x, float), theta))

    def expect_quad(g):
        def f(x):
            w = density(x)
            v = np.asarray(g(np.asarray(x, float)), float)
            return np.where(w > 0, w * v, 0.0)

        out, err = integrate.quad_vec(f, lo, hi, epsabs=1e-13, epsrel=1e-12, limit=500)
        out = np.asarray(out, float)
        # a value within the quadrature's absolute error of 0 is 0 (a symmetric
        # distribution's mean), not rounding noise that a relative bias would divide by
        out = np.where(np.abs(out) <= max(float(err), 1e-13), 0.0, out)
        return float(out) if out.ndim == 0 else out

    return expect_quad


def _lattice(data, theta, low: float) -> tuple[np.ndarray, np.ndarray]:
    """The support points from ``low`` up and their probabilities, until the mass left
    is below :data:`TAIL_MASS`."""
    ks, ws, total, start, step = [], [], 0.0, low, 1024
    while start - low < MAX_POINTS:
        k = np.arange(start, start + step, dtype=float)
        w = np.exp(data.logpdf(k, theta))
        ks.append(k)
        ws.append(w)
        total += float(w.sum())
        if 1.0 - total < TAIL_MASS and w[-1] < TAIL_MASS:
            break
        start, step = start + step, step * 2
    return np.concatenate(ks), np.concatenate(ws)


def pseudo_true(analysis, data, theta_data: Mapping, theta_fixed: Mapping | None = None,
                *, numeric: bool = False) -> dict[str, float]:
    """theta*, the analysis family's estimated parameters closest in KL divergence to
    the data family at ``theta_data``; the closed form the analysis family declares,
    unless ``numeric`` (or it declares none)."""
    fixed = dict(theta_fixed or {})
    expect = expectation(data, theta_data)
    if analysis.has("pseudo_true") and not numeric:
        return {k: float(v) for k, v in analysis.pseudo_true(expect, fixed).items()}
    params = analysis.estimated()

    def theta_of(u):
        return {**fixed, **{p.name: np.asarray(p.from_unconstrained(u[j]), float).reshape(1)
                            for j, p in enumerate(params)}}

    def minus(u):
        th = theta_of(u)
        jac = np.array([float(p.jacobian(u[j])) for j, p in enumerate(params)])

        def g(x):  # log f and its score in theta, for each x as a dataset of one
            xs = np.asarray(x, float).reshape(-1, 1)
            thx = {k: np.broadcast_to(v, (xs.shape[0],)) for k, v in th.items()}
            ll = analysis.logpdf(xs, {k: v[:, None] for k, v in thx.items()})[:, 0]
            s = analysis.score(xs, thx)
            return np.concatenate([ll[:, None], s], axis=1).reshape(
                np.shape(x) + (1 + len(params),))

        e = expect(g)
        return -e[0], -e[1:] * jac  # d/du = d/dtheta * dtheta/du

    u0 = _start(analysis, expect, fixed)
    res = optimize.minimize(minus, u0, jac=True, method="BFGS",
                            options={"gtol": 1e-11, "maxiter": 500})
    th = theta_of(res.x)
    return {p.name: float(th[p.name][0]) for p in params}


def _start(analysis, expect, fixed) -> np.ndarray:
    """The analysis family's method of moments at the data's moments, else the middle
    of each typical range, on the unconstrained scale."""
    params = analysis.estimated()
    theta = {p.name: 0.5 * (p.typical[0] + p.typical[1]) for p in params}
    if analysis.mom_moments:
        m = np.array([expect(lambda x, j=j: x ** (j + 1)) for j in range(analysis.mom_moments)])
        try:
            est = analysis.mom_from_moments(m, fixed)
            theta.update({p.name: float(est[p.name]) for p in params
                          if np.isfinite(est[p.name]) and p.contains(float(est[p.name]))})
        except (NotImplementedError, ValueError):
            pass
    return np.array([float(p.to_unconstrained(theta[p.name])) for p in params])
