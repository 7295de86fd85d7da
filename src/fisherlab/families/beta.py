"""Beta(alpha, beta) on (0, 1); no closed-form MLE.

Score per observation (Johnson, Kotz & Balakrishnan, ch. 25):
``ψ(a+b) - ψ(a) + mean(log x)`` and ``ψ(a+b) - ψ(b) + mean(log(1-x))``. The Beta is
a full-rank exponential family in (a, b), so the observed information equals n times
the expected one, ``[[ψ'(a) - ψ'(a+b), -ψ'(a+b)], [-ψ'(a+b), ψ'(b) - ψ'(a+b)]]``, and
the log-likelihood is strictly concave: Newton's method from the method of moments,
with step halving to stay inside the domain and to ascend, converges for every
replicate; it runs on all replicates at once. Method of moments:
c = m(1-m)/v - 1, a = m c, b = (1-m) c.
"""

import numpy as np
from scipy import special, stats

from .base import Family, Param, Point, Space
from .registry import register


@register
class Beta(Family):
    name = "beta"
    space = Space(0.0, 1.0)
    doc = "proportions in (0, 1) with shapes `alpha` and `beta`"
    params = (
        Param("alpha", 0.0, typical=(0.5, 5.0), doc="first shape a"),
        Param("beta", 0.0, typical=(0.5, 5.0), doc="second shape b"),
    )
    min_n = 2
    mom_moments = 2
    exponential_family = True

    def sample(self, rng, theta, size):
        return rng.beta(theta["alpha"], theta["beta"], size=size)

    def logpdf(self, x, theta):
        return stats.beta.logpdf(x, theta["alpha"], theta["beta"])

    def score(self, x, theta):
        a, b = (np.asarray(theta[p], float) for p in ("alpha", "beta"))
        n = x.shape[-1]
        dab = special.digamma(a + b)
        return np.stack([n * (dab - special.digamma(a)) + np.log(x).sum(-1),
                         n * (dab - special.digamma(b)) + np.log1p(-x).sum(-1)], -1)

    def mom_from_moments(self, m, theta_fixed):
        v = m[..., 1] - m[..., 0] ** 2
        c = m[..., 0] * (1.0 - m[..., 0]) / v - 1.0
        return {"alpha": m[..., 0] * c, "beta": (1.0 - m[..., 0]) * c}

    def mom_jacobian(self, m, theta_fixed):
        m1 = m[..., 0]
        v = m[..., 1] - m1 ** 2  # d v / d m1 = -2 m1, d v / d m2 = 1
        c = m1 * (1.0 - m1) / v - 1.0
        dc1 = (1.0 - 2 * m1) / v + 2 * m1 ** 2 * (1.0 - m1) / v ** 2
        dc2 = -m1 * (1.0 - m1) / v ** 2
        return {"alpha": np.stack([c + m1 * dc1, m1 * dc2], -1),
                "beta": np.stack([-c + (1.0 - m1) * dc1, (1.0 - m1) * dc2], -1)}

    def mle_batched(self, x, theta_fixed, *, tol, maxiter, starts):
        R = x.shape[0]
        la, lb = np.log(x).mean(axis=1), np.log1p(-x).mean(axis=1)
        st = self.start(x, theta_fixed)
        theta = np.stack([st["alpha"], st["beta"]], -1)
        bad = ~np.all(np.isfinite(theta) & (theta > 0), axis=-1)
        theta[bad] = 1.0

        def ll(t, la, lb):  # mean log-likelihood from the sufficient statistics
            a, b = t[..., 0], t[..., 1]
            return -special.betaln(a, b) + (a - 1) * la + (b - 1) * lb

        active = np.isfinite(la) & np.isfinite(lb)
        conv = np.zeros(R, bool)
        iters = np.zeros(R, np.int64)
        for _ in range(maxiter or 100):
            if not active.any():
                break
            t = theta[active]
            a, b = t[:, 0], t[:, 1]
            tab = special.polygamma(1, a + b)
            info = np.empty((len(t), 2, 2))
            info[:, 0, 0] = special.polygamma(1, a) - tab
            info[:, 1, 1] = special.polygamma(1, b) - tab
            info[:, 0, 1] = info[:, 1, 0] = -tab
            dab = special.digamma(a + b)
            g = np.stack([dab - special.digamma(a) + la[active],
                          dab - special.digamma(b) + lb[active]], -1)
            step = np.linalg.solve(info, g[..., None])[..., 0]  # Newton: I^-1 score
            base = ll(t, la[active], lb[active])
            scale = np.ones(len(t))
            for _ in range(60):  # halve until inside the domain and not descending
                new = t + scale[:, None] * step
                with np.errstate(invalid="ignore"):
                    okk = np.all(new > 0, axis=-1) & (
                        ll(np.where(new > 0, new, 1.0), la[active], lb[active])
                        >= base - 1e-12 * np.abs(base))
                if okk.all():
                    break
                scale = np.where(okk, scale, scale / 2)
            theta[active] = new
            idx = np.flatnonzero(active)
            iters[idx] += 1
            done = np.all(np.abs(scale[:, None] * step) <= tol * np.abs(new), axis=-1)
            conv[idx[done]] = True
            active[idx[done]] = False
        reason = np.where(conv, "", "Newton did not converge within maxiter").astype(object)
        reason[~(np.isfinite(la) & np.isfinite(lb))] = "observation at 0 or 1: no MLE"
        return Point({"alpha": theta[:, 0], "beta": theta[:, 1]}, converged=conv,
                     reason=reason, iterations=iters)

    def fisher_information(self, theta):
        a, b = np.broadcast_arrays(np.asarray(theta["alpha"], float),
                                   np.asarray(theta["beta"], float))
        tab = special.polygamma(1, a + b)
        info = np.empty(a.shape + (2, 2))
        info[..., 0, 0] = special.polygamma(1, a) - tab
        info[..., 1, 1] = special.polygamma(1, b) - tab
        info[..., 0, 1] = info[..., 1, 0] = -tab
        return info
