"""The optimisers a study can compare: ``mle: {method: [newton, bfgs, ...]}``.

Each listed method becomes one estimator row (``mle[newton]``, labelled ``mle, method
newton``); every fit records its iterations and its evaluations of the log-likelihood,
the gradient and the Hessian (``fevals``, ``gevals``, ``hevals``). All work on the
unconstrained parameters u (log, logit, identity: :class:`~fisherlab.families.Param`)
from the family's start (the method of moments where declared).

From ``scipy.optimize.minimize``, one dataset at a time (:data:`SCIPY`): ``bfgs``,
``lbfgs`` (``L-BFGS-B``), quasi-Newton; ``nelder_mead``, no derivatives.

Written here, every replicate at once, with g_t the gradient of the mean
log-likelihood l(u)/n at u_t (the score, analytic or numerical, times d theta/d u):

* ``newton`` (:func:`newton`): Newton-Raphson, u_{t+1} = u_t - H_t^{-1} g_t with H_t
  the Hessian of l(u)/n (:func:`loglik_hessian_u`, every replicate at once), the step
  halved until l does not decrease (steepest ascent where H_t is not negative
  definite); it stops when every |g_t| <= ``tol`` or the Newton step is below 1e-10
  (:func:`fisherlab.core.numerics.damped_newton`, the batched MAP's Newton too). scipy
  has no exact Newton-Raphson minimiser (its Newton-CG truncates the inner solve);
* ``gradient_ascent`` (:func:`ascend`): u_{t+1} = u_t + eta g_t (eta = ``learning_rate``);
* ``adam`` (Kingma & Ba 2015, Algorithm 1, ascending): m_t = b1 m_{t-1} + (1 - b1) g_t,
  v_t = b2 v_{t-1} + (1 - b2) g_t^2, u_{t+1} = u_t + eta m_t/(1 - b1^t) /
  (sqrt(v_t/(1 - b2^t)) + eps), with b1 = 0.9, b2 = 0.999, eps = 1e-8; full batch
  (no minibatches: every step sees every observation, so the fit is deterministic);

both stop when every |g_t| <= ``tol`` and count one gradient evaluation per step.
``em`` iterates the family's ``em_step`` (E-step and M-step, every replicate at once;
:func:`fisherlab.core.numerics.em_iterate`) until the log-likelihood changes by less than
``tol`` relative.
"""

from __future__ import annotations

import numpy as np
from scipy import differentiate

from ..core.numerics import damped_newton, em_iterate
from ..families.base import Family, Point, Theta
from ..families.point import blank_reasons

#: the study's method names -> scipy.optimize.minimize's
SCIPY = {"bfgs": "BFGS", "lbfgs": "L-BFGS-B", "nelder_mead": "Nelder-Mead"}
#: the methods written here, every replicate at once
BATCHED = ("newton", "gradient_ascent", "adam", "em")
METHODS = ("newton", "bfgs", "lbfgs", "nelder_mead", "gradient_ascent", "adam", "em")
#: defaults of the batched methods
LEARNING_RATE = {"gradient_ascent": 0.1, "adam": 0.01}
ADAM = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
MAXITER = {"newton": 100, "gradient_ascent": 10_000, "adam": 10_000, "em": 5_000}
GRAD_TOL = 1e-6


def from_u(family: Family, u) -> dict[str, np.ndarray]:
    """The estimated parameters at unconstrained values ``u`` ``(..., k)``."""
    return {p.name: p.from_unconstrained(u[..., j]) for j, p in enumerate(family.estimated())}


def _derivatives(family: Family, u, method: str) -> np.ndarray:
    """d theta_j / d u_j (``method`` "jacobian") or its derivative ("curvature") of every
    estimated parameter, ``(R, k)``."""
    return np.stack([getattr(p, method)(u[:, j]) for j, p in enumerate(family.estimated())],
                    -1)


def mean_loglik_u(family: Family, x, theta_fixed: Theta, u) -> np.ndarray:
    """l(u)/n of each dataset (rows of ``x``) at ``u`` ``(R, k)``."""
    theta = {**theta_fixed, **from_u(family, u)}
    with np.errstate(all="ignore"):
        return family.loglik(x, theta) / x.shape[1]


def hessian_u(family: Family, x, theta_fixed: Theta, u) -> np.ndarray:
    """The Hessian ``(R, k, k)`` of each dataset's log-likelihood in the unconstrained
    parameters at ``u`` ``(R, k)``, every replicate at once (``scipy.differentiate``;
    order 4 and 3 refinements: ~1e-8 relative, 5x faster than the defaults)."""
    est = family.estimated()
    xr = np.asarray(x)
    R, n = xr.shape

    def f(U):
        # scipy.differentiate.hessian evaluates U of shape (k, k, k, R, *stencil): the
        # replicate axis follows the (k, k) output axes; x broadcasts as (R, 1.., n)
        assert U.shape[3] == R
        xb = xr.reshape((R,) + (1,) * (U.ndim - 4) + (n,))
        th = {**theta_fixed,
              **{p.name: p.from_unconstrained(U[j])[..., None] for j, p in enumerate(est)}}
        with np.errstate(all="ignore"):
            return family.logpdf(xb, th).sum(axis=-1)

    res = differentiate.hessian(f, np.asarray(u, float).T, initial_step=0.1, order=4,
                                maxiter=3)
    return np.moveaxis(np.asarray(res.ddf), -1, 0)


def loglik_hessian_u(family: Family, x, theta_fixed: Theta, u) -> np.ndarray:
    """The Hessian ``(R, k, k)`` of each dataset's log-likelihood in u at ``u``: from the
    family's declared ``observed_information`` (exact at any theta) by the chain rule,
    d2l/du_i du_j = -J_ij g'_i g'_j + [i = j] g''_i s_i (g = from_unconstrained, s the
    score), else numerically (:func:`hessian_u`)."""
    if not family.has("observed_information"):
        return hessian_u(family, x, theta_fixed, u)
    u = np.asarray(u, float)
    theta = {**theta_fixed, **from_u(family, u)}
    d1, d2 = _derivatives(family, u, "jacobian"), _derivatives(family, u, "curvature")
    with np.errstate(all="ignore"):
        H = -family.observed_information(x, theta) * d1[:, :, None] * d1[:, None, :]
        if np.any(d2 != 0):
            idx = np.arange(u.shape[-1])
            H[:, idx, idx] += d2 * family.score(x, theta)
    return H


#: observations (replicates × n) per :func:`hessian_u` call: its stencils hold ~100
#: copies of the data and a log-density's temporaries several times that, so a chunk's
#: data at once is GBs of short-lived arrays; 200,000 took a forked gumbel_maxima job
#: (n = 1000) to 1.16 GB, 50,000 keeps a call near 200 MB at the same speed
HESSIAN_BLOCK = 50_000


def hessian_u_blocks(family: Family, x, theta_fixed: Theta, u) -> np.ndarray:
    """:func:`hessian_u` over blocks of replicates: the same numbers (each replicate's
    steps and refinements are its own), a bounded memory."""
    xr, u = np.asarray(x), np.asarray(u, float)
    step = max(1, HESSIAN_BLOCK // max(xr.shape[1], 1))
    return np.concatenate([hessian_u(family, xr[i:i + step], theta_fixed, u[i:i + step])
                           for i in range(0, len(xr), step)]) if len(xr) else \
        np.zeros((0, u.shape[-1], u.shape[-1]))


def gradient_u(family: Family, x, theta_fixed: Theta, u) -> np.ndarray:
    """The gradient ``(R, k)`` of each dataset's mean log-likelihood l(u)/n in u: the
    family's score (analytic, or its numerical fallback) times d theta / d u."""
    theta = {**theta_fixed, **from_u(family, u)}
    with np.errstate(all="ignore"):
        return family.score(x, theta) * _derivatives(family, u, "jacobian") / x.shape[1]


def scorer(family: Family, x):
    """The family's score of the datasets ``x[rows]`` as a function ``(theta, rows)``
    (``rows`` None: every dataset) for a fit that asks for it at every step: the
    family's own ``scorer`` where declared (its data laid out once), else ``score`` on
    the rows, the rows of a subset copied once while it stays the same."""
    if family.has("scorer"):
        return family.scorer(x)
    subset: dict = {"rows": None}

    def score(theta, rows=None):
        if rows is None:
            return family.score(x, theta)
        if subset["rows"] is None or not np.array_equal(subset["rows"], rows):
            subset.update(rows=np.array(rows), x=x[rows])
        return family.score(subset["x"], theta)

    return score


def ascend(family: Family, x, theta_fixed: Theta, u0: np.ndarray, *, method: str,
           learning_rate: float | None = None, tol: float | None = None,
           maxiter: int | None = None) -> Point:
    """Gradient ascent or Adam (module docstring) from ``u0`` ``(R, k)``, every replicate
    at once; a replicate stops when its gradient is within ``tol``."""
    eta = learning_rate or LEARNING_RATE[method]
    tol = tol or GRAD_TOL
    maxiter = maxiter or MAXITER[method]
    b1, b2, eps = ADAM["beta1"], ADAM["beta2"], ADAM["eps"]
    u = np.array(u0, float)
    R, n = len(u), x.shape[1]
    m, v = np.zeros_like(u), np.zeros_like(u)
    grads = np.zeros(R, np.int64)
    conv = np.zeros(R, bool)
    broken = np.zeros(R, bool)
    active = np.arange(R)
    # thousands of steps on the same data: the family's score with its data laid out
    # once (:func:`scorer`); the gradient is :func:`gradient_u`'s, the same numbers
    score = scorer(family, x)
    for t in range(1, maxiter + 2):
        if active.size == 0:
            break
        ua = u if active.size == R else u[active]
        theta = {**theta_fixed, **from_u(family, ua)}
        with np.errstate(all="ignore"):
            g = (score(theta, None if active.size == R else active)
                 * _derivatives(family, ua, "jacobian") / n)
        grads[active] += 1
        finite = np.all(np.isfinite(g), axis=-1)
        small = finite & (np.max(np.abs(g), axis=-1) <= tol)
        conv[active[small]] = True
        broken[active[~finite]] = True
        move = finite & ~small
        if t > maxiter:  # the last gradient only checks convergence
            break
        a, g = active[move], g[move]
        if method == "adam":
            m[a] = b1 * m[a] + (1 - b1) * g
            v[a] = b2 * v[a] + (1 - b2) * g**2
            step = eta * (m[a] / (1 - b1**t)) / (np.sqrt(v[a] / (1 - b2**t)) + eps)
        else:
            step = eta * g
        u[a] += step
        active = a
    reason = blank_reasons(R)
    reason[~conv] = f"{method} did not converge within {maxiter} iterations"
    reason[broken] = f"{method}: the gradient became non-finite (a learning rate too large?)"
    zeros = np.zeros(R, np.int64)
    return Point(from_u(family, u), converged=conv, reason=reason, iterations=grads - 1,
                 evaluations={"fevals": zeros, "gevals": grads, "hevals": zeros.copy()})


def newton(family: Family, x, theta_fixed: Theta, u0: np.ndarray, *,
           tol: float | None = None, maxiter: int | None = None) -> Point:
    """Newton-Raphson (module docstring) from ``u0`` ``(R, k)``, every replicate at once:
    :func:`fisherlab.core.numerics.damped_newton` on -l(u)/n, counting each replicate's
    evaluations of the log-likelihood, its gradient and its Hessian."""
    R = len(u0)
    counts = {k: np.zeros(R, np.int64) for k in ("fevals", "gevals", "hevals")}
    n = x.shape[1]

    def value(u, rows):
        counts["fevals"][rows] += 1
        return -mean_loglik_u(family, x[rows], theta_fixed, u[rows])

    def derivatives(u, rows):
        for c in counts.values():
            c[rows] += 1
        xr, ur = x[rows], u[rows]
        return (-mean_loglik_u(family, xr, theta_fixed, ur),
                -gradient_u(family, xr, theta_fixed, ur),
                -loglik_hessian_u(family, xr, theta_fixed, ur) / n)

    maxiter = maxiter or MAXITER["newton"]
    with np.errstate(all="ignore"):
        u, done, iters, stalled = damped_newton(value, derivatives, u0, gtol=tol or 1e-10,
                                                maxiter=maxiter)
    reason = blank_reasons(R)
    reason[~done] = f"newton did not converge within {maxiter} iterations"
    reason[stalled] = "newton: no step increases the log-likelihood"
    return Point(from_u(family, u), converged=done, reason=reason, iterations=iters,
                 evaluations=counts)


def em(family: Family, x, theta_fixed: Theta, u0: np.ndarray, *, tol: float | None = None,
       maxiter: int | None = None) -> Point:
    """EM from ``u0`` with the family's ``em_step``, every replicate at once."""
    theta0 = from_u(family, u0)

    def step(theta, rows):  # while every row still moves, the data as they are: no copy
        return family.em_step(x if rows.size == len(x) else x[rows], theta, theta_fixed)

    theta, conv, iters, bad, _ = em_iterate(step, theta0, tol=tol or 1e-10,
                                            maxiter=maxiter or MAXITER["em"])
    R = x.shape[0]
    reason = blank_reasons(R)
    reason[~conv] = "EM did not converge within maxiter iterations"
    reason[bad] = "EM reached a degenerate or non-finite point"
    zeros = np.zeros(R, np.int64)
    return Point(theta, converged=conv & ~bad, reason=reason, iterations=iters,
                 evaluations={"fevals": iters, "gevals": zeros, "hevals": zeros.copy()})
