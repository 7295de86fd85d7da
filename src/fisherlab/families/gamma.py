"""Gamma(shape, rate): positive continuous data; no closed-form MLE of the shape.

With rate = shape / x̄ profiled out, the score equation for the shape k is
``log k - ψ(k) = log x̄ - mean(log x) =: s`` (s >= 0 by Jensen, 0 only when all x are
equal). Its left side decreases from inf to 0 and obeys 1/(2k) < log k - ψ(k) < 1/k,
so the root lies in [1/(2s), 1/s]: solved for every replicate at once (the same
equation ``scipy.stats.gamma.fit`` solves with ``floc=0``) by safeguarded Halley steps
from Minka's closed-form approximation, two for almost every replicate
(:func:`~fisherlab.core.numerics.halley_bracketed`; the derivatives from central
differences of the digamma). Fisher information per
observation in (shape, rate): [[ψ'(k), -1/β], [-1/β, k/β²]]. The method of moments
is k = x̄²/v, β = x̄/v.
"""

import numpy as np
from scipy import special, stats

from ..core import densities
from ..core.numerics import halley_bracketed, trigamma
from .base import Family, Param, Point, Space
from .point import blank_reasons
from .registry import register


@register
class Gamma(Family):
    name = "gamma"
    space = Space(0.0)
    doc = "positive data with shape `shape` and rate `rate` (mean shape/rate)"
    params = (
        Param("shape", 0.0, typical=(0.5, 5.0), doc="shape k"),
        Param("rate", 0.0, typical=(0.5, 3.0), doc="rate β (1/scale)"),
    )
    min_n = 2
    mom_moments = 2
    exponential_family = True

    def sample(self, rng, theta, size):
        return rng.gamma(theta["shape"], 1.0 / np.asarray(theta["rate"], float), size=size)

    def logpdf(self, x, theta):
        # scipy's numbers without its per-call bookkeeping (the profile likelihood
        # evaluates thousands of small arrays)
        return densities.logpdf(stats.gamma, x, theta["shape"],
                                scale=1.0 / np.asarray(theta["rate"]))

    def score(self, x, theta):
        k, b = (np.asarray(theta[p], float)[..., None] for p in ("shape", "rate"))
        n = x.shape[-1]
        # d/dk: n log β - n ψ(k) + Σ log x ;  d/dβ: n k/β - Σ x
        dk = n * np.log(b[..., 0]) - n * special.digamma(k[..., 0]) + np.log(x).sum(-1)
        db = n * k[..., 0] / b[..., 0] - x.sum(-1)
        return np.stack([dk, db], -1)

    def mom_from_moments(self, m, theta_fixed):
        v = m[..., 1] - m[..., 0] ** 2
        return {"shape": m[..., 0] ** 2 / v, "rate": m[..., 0] / v}

    def mom_jacobian(self, m, theta_fixed):
        m1 = m[..., 0]
        v = m[..., 1] - m1 ** 2  # d v / d m1 = -2 m1, d v / d m2 = 1
        return {"shape": np.stack([2 * m1 / v + 2 * m1 ** 3 / v ** 2, -m1 ** 2 / v ** 2], -1),
                "rate": np.stack([1 / v + 2 * m1 ** 2 / v ** 2, -m1 / v ** 2], -1)}

    def mle_batched(self, x, theta_fixed, *, tol, maxiter, starts):

        mean = x.mean(axis=1)
        s = np.log(mean) - np.log(x).mean(axis=1)
        ok = np.isfinite(s) & (s > 0)
        s_ok = np.where(ok, s, 1.0)

        def f(k, rows):  # the profile score equation, decreasing in k, and 2 derivatives
            # log k - psi(k) at k and k +- d, in one digamma call: its central
            # differences give f' to ~1e-10 and f'' to ~1e-5, which Halley's steps need,
            # for a fraction of one trigamma (scipy's zeta(2, k), 20 digammas' cost)
            r = len(k)
            p = np.empty((3, r))  # k, k + d, k - d, written in place
            p[0] = k
            d = np.subtract(np.add(k, DIFF_STEP * k, out=p[1]), k)  # a step sums represent
            np.subtract(k, d, out=p[2])
            g = np.log(p)
            g -= special.digamma(p)
            g0, gp, gm = g
            return g0 - s_ok[rows], (gp - gm) / (d + d), ((gp - g0) + (gm - g0)) / (d * d)

        # Minka (2002) start, within 1.5% of the root: (3 - s + sqrt((s-3)² + 24 s))/(12 s);
        # from there one Halley step (cubic convergence) comes within ~1e-6 and a second
        # one to the rounding of the score
        k0 = (3.0 - s_ok + np.sqrt((s_ok - 3.0) ** 2 + 24.0 * s_ok)) / (12.0 * s_ok)
        k, conv, nit = halley_bracketed(f, 0.5 / s_ok, 1.0 / s_ok, x0=k0, tol=tol,
                                        maxiter=maxiter or 100)
        reason = blank_reasons(len(k))  # written only where some replicate failed
        if not conv.all():
            reason[~conv] = "root of the shape score not found"
        if not ok.all():
            k = np.where(ok, k, np.nan)
            reason[~ok] = "all observations equal (or non-positive): no finite MLE"
        return Point({"shape": k, "rate": k / mean}, converged=ok & conv,
                     reason=reason, iterations=nit)

    def fisher_information(self, theta):
        return _information(theta, lambda k: special.zeta(2.0, k))  # ψ'(k), exactly

    def information_at_mle(self, theta):
        # the standard errors' ψ' from digamma differences (2.5e-10 relative), a
        # sixth of the exact one's cost: as much as reading the data, otherwise
        return _information(theta, trigamma)


def _information(theta, psi1):
    """Fisher information per observation in (shape, rate), ψ' computed by ``psi1``."""
    k, b = np.asarray(theta["shape"], float), np.asarray(theta["rate"], float)
    if k.shape != b.shape:
        k, b = np.broadcast_arrays(k, b)
    info = np.empty(k.shape + (2, 2))
    info[..., 0, 0] = psi1(k)
    info[..., 0, 1] = info[..., 1, 0] = -1.0 / b
    info[..., 1, 1] = k / b**2
    return info


#: the relative step of the central differences of log k - psi(k) that give the
#: derivatives of the profile score: truncation (~h^2) and rounding (~eps/h) errors of
#: f' near 1e-10 relative for shapes from 0.05 to a few hundred
DIFF_STEP = 1e-5
