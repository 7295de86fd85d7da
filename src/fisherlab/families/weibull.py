"""Weibull(shape, scale): lifetimes; no closed-form MLE of the shape.

With l = n log k - n k log λ + (k-1) Σ log x - Σ (x/λ)^k, the scale is profiled out
by λ^k = mean(x^k), and the shape solves the profile score (Cohen 1965)
``1/k + mean(log x) - Σ x^k log x / Σ x^k = 0``, decreasing in k: a vectorised
bracketing root (``scipy.optimize.elementwise``) for all replicates at once, the
equation ``scipy.stats.weibull_min.fit(x, floc=0)`` solves. Observed information from
the second derivatives (z = x/λ, L = log z):
-d2l/dk2 = n/k² + Σ z^k L², -d2l/dk dλ = n/λ - Σ z^k/λ - k Σ z^k L/λ,
-d2l/dλ2 = -n k/λ² + k(k+1) Σ z^k/λ². Expected information per observation
[[(π²/6 + (1-γ)²)/k², -(1-γ)/λ], [-(1-γ)/λ, k²/λ²]].
"""

import numpy as np
from scipy import stats

from ..core.numerics import monotone_root
from .base import Family, Param, Point, Space
from .registry import register

EULER = np.euler_gamma


@register
class Weibull(Family):
    name = "weibull"
    space = Space(0.0)
    doc = "lifetimes with shape `shape` and scale `scale`"
    params = (
        Param("shape", 0.0, typical=(0.5, 5.0), doc="shape k"),
        Param("scale", 0.0, typical=(0.5, 3.0), doc="scale λ"),
    )
    min_n = 2

    def sample(self, rng, theta, size):
        return np.asarray(theta["scale"], float) * rng.weibull(theta["shape"], size=size)

    def logpdf(self, x, theta):
        return stats.weibull_min.logpdf(x, theta["shape"], scale=theta["scale"])

    def start(self, x, theta_fixed):
        # sd(log X) = π / (k √6) for a Weibull; the scale from λ^k = mean(x^k)
        k = np.pi / (np.sqrt(6.0) * np.log(x).std(axis=1))
        return {"shape": k, "scale": np.mean(x ** k[:, None], axis=1) ** (1.0 / k)}

    def mle_batched(self, x, theta_fixed, *, tol, maxiter, starts):

        logx = np.log(x)
        top = logx.max(axis=1, keepdims=True)
        lc = logx - top  # x^k = e^{k top} e^{k lc}: the common factor cancels below
        mlog = logx.mean(axis=1)
        ok = np.all(np.isfinite(logx), axis=1) & (logx.std(axis=1) > 0)

        def f(t, i):  # profile score in t = log k, decreasing
            k = np.exp(t)[:, None]
            w = np.exp(k * lc[i])
            return 1.0 / k[:, 0] + mlog[i] - (w * logx[i]).sum(-1) / w.sum(-1)

        sd = np.where(ok, logx.std(axis=1), 1.0)
        t0 = np.log(np.pi / (np.sqrt(6.0) * sd))  # the start's shape, see start()
        lc = np.where(ok[:, None], lc, 0.0)
        logx = np.where(ok[:, None], logx, 0.0)
        mlog = np.where(ok, mlog, 0.0)
        t, conv, nit = monotone_root(f, t0 - 0.5, t0 + 0.5, args=(np.arange(x.shape[0]),),
                                     tol=tol, maxiter=maxiter or 100)
        k = np.where(ok, np.exp(t), np.nan)
        scale = np.exp(top[:, 0]) * np.mean(np.exp(k[:, None] * lc), axis=1) ** (1.0 / k)
        reason = np.where(ok, np.where(conv, "", "root of the shape score not found"),
                          "all observations equal (or non-positive): no finite MLE")
        return Point({"shape": k, "scale": scale}, converged=ok & conv,
                     reason=reason.astype(object), iterations=nit)

    def observed_information(self, x, theta):
        k = np.asarray(theta["shape"], float)[..., None]
        lam = np.asarray(theta["scale"], float)[..., None]
        n = x.shape[-1]
        L = np.log(x / lam)
        zk = np.exp(k * L)
        k, lam = k[..., 0], lam[..., 0]
        info = np.empty(k.shape + (2, 2))
        info[..., 0, 0] = n / k**2 + (zk * L**2).sum(-1)
        info[..., 0, 1] = info[..., 1, 0] = (n - zk.sum(-1) - k * (zk * L).sum(-1)) / lam
        info[..., 1, 1] = (-n * k + k * (k + 1) * zk.sum(-1)) / lam**2
        return info

    def fisher_information(self, theta):
        k, lam = np.broadcast_arrays(np.asarray(theta["shape"], float),
                                     np.asarray(theta["scale"], float))
        info = np.empty(k.shape + (2, 2))
        info[..., 0, 0] = (np.pi**2 / 6 + (1 - EULER) ** 2) / k**2
        info[..., 0, 1] = info[..., 1, 0] = -(1 - EULER) / lam
        info[..., 1, 1] = k**2 / lam**2
        return info
