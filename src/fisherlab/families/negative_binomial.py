"""NegativeBinomial(r, p): counts of failures before the r-th success, P(k) =
Γ(k+r)/(Γ(r) k!) p^r (1-p)^k, mean r(1-p)/p; overdispersed counts.

Profiling p = r/(r + x̄) out of the score leaves (Anscombe 1950)
``Σ ψ(x_i + r) - n ψ(r) + n log(r/(r + x̄)) = 0``. A finite root exists if and only
if the sample is overdispersed, (1/n) Σ (x - x̄)² > x̄ (Aragón, Eberly & Eberly 1992);
otherwise the likelihood increases towards r = inf (the Poisson boundary) and the fit
is recorded as failed with that reason. Solved for all replicates at once in log r.
Observed information: -d2l/dr2 = n ψ'(r) - Σ ψ'(x+r), -d2l/dr dp = -n/p,
-d2l/dp2 = n r/p² + Σ x/(1-p)². Expected information per observation: the same with
Σ ψ'(x+r) replaced by n E[ψ'(X+r)], summed over the pmf.
"""

import numpy as np
from scipy import special, stats

from ..core.numerics import monotone_root
from .base import Family, Param, Point, Space
from .registry import register


@register
class NegativeBinomial(Family):
    name = "negative_binomial"
    space = Space(0.0, integer=True)
    doc = "overdispersed counts: failures before the r-th success with success prob p"
    discrete = True
    params = (
        Param("r", 0.0, typical=(1.0, 10.0), doc="number of successes (real > 0)"),
        Param("p", 0.0, 1.0, typical=(0.2, 0.8), doc="success probability"),
    )
    min_n = 2
    mom_moments = 2

    def sample(self, rng, theta, size):
        return rng.negative_binomial(theta["r"], theta["p"], size=size).astype(float)

    def logpdf(self, x, theta):
        return stats.nbinom.logpmf(x, theta["r"], theta["p"])

    def mom_from_moments(self, m, theta_fixed):
        # mean = r(1-p)/p, var = mean/p  =>  p = mean/var, r = mean²/(var - mean)
        v = m[..., 1] - m[..., 0] ** 2
        return {"r": m[..., 0] ** 2 / (v - m[..., 0]), "p": m[..., 0] / v}

    def mom_jacobian(self, m, theta_fixed):
        m1 = m[..., 0]
        v = m[..., 1] - m1 ** 2  # d v / d m1 = -2 m1, d v / d m2 = 1
        w = v - m1
        return {"r": np.stack([2 * m1 / w + m1 ** 2 * (2 * m1 + 1) / w ** 2, -m1 ** 2 / w ** 2],
                              -1),
                "p": np.stack([1 / v + 2 * m1 ** 2 / v ** 2, -m1 / v ** 2], -1)}

    def mle_batched(self, x, theta_fixed, *, tol, maxiter, starts):

        mean = x.mean(axis=1)
        over = x.var(axis=1) > mean  # existence of a finite MLE (1/n variance)
        r0 = np.where(over, mean**2 / np.maximum(x.var(axis=1) - mean, 1e-12), 1.0)

        def f(t, i):  # profile score in t = log r (positive below the root)
            r = np.exp(t)
            return (special.digamma(x[i] + r[:, None]).sum(-1) - x.shape[1] * (
                special.digamma(r) - np.log(r / (r + mean[i]))))

        t, conv, nit = monotone_root(f, np.log(r0) - 0.5, np.log(r0) + 0.5,
                                     args=(np.arange(x.shape[0]),), tol=tol,
                                     maxiter=maxiter or 100)
        r = np.where(over, np.exp(t), np.inf)
        reason = np.where(over, np.where(conv, "", "root of the r score not found"),
                          "sample not overdispersed: the MLE of r is at the boundary r = inf")
        return Point({"r": r, "p": r / (r + mean)}, converged=over & conv,
                     reason=reason.astype(object), iterations=nit)

    def observed_information(self, x, theta):
        r = np.asarray(theta["r"], float)
        p = np.asarray(theta["p"], float)
        n = x.shape[-1]
        info = np.empty(r.shape + (2, 2))
        info[..., 0, 0] = n * special.polygamma(1, r) - special.polygamma(
            1, x + r[..., None]).sum(-1)
        info[..., 0, 1] = info[..., 1, 0] = -n / p
        info[..., 1, 1] = n * r / p**2 + x.sum(-1) / (1 - p) ** 2
        return info

    def fisher_information(self, theta):
        r, p = np.broadcast_arrays(np.asarray(theta["r"], float), np.asarray(theta["p"], float))
        out = np.empty(r.shape + (2, 2))
        for idx in np.ndindex(r.shape):
            ri, pi = float(r[idx]), float(p[idx])
            top = int(stats.nbinom.ppf(1 - 1e-14, ri, pi)) + 1
            k = np.arange(top + 1)
            e_trigamma = np.sum(stats.nbinom.pmf(k, ri, pi) * special.polygamma(1, k + ri))
            # E[X]/(1-p)^2 = r/(p(1-p))
            out[idx] = [[special.polygamma(1, ri) - e_trigamma, -1.0 / pi],
                        [-1.0 / pi, ri / pi**2 + ri / (pi * (1 - pi))]]
        return out
