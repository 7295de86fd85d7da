"""Two-component Gaussian mixture: w N(mu1, sigma1²) + (1-w) N(mu2, sigma2²).

No closed-form MLE; the likelihood is multimodal and unbounded (a component collapsing
onto one observation, sigma -> 0). Fitted by EM (Dempster, Laird & Rubin 1977;
McLachlan & Peel 2000, sec. 2.8) from several deterministic starts (means at pairs of
sample quantiles), all replicates × starts at once; each replicate keeps its best
non-degenerate optimum. E-step: responsibilities g = w φ1 / (w φ1 + (1-w) φ2); M-step:
w = mean(g), mu1 = Σ g x / Σ g, sigma1² = Σ g (x - mu1)² / Σ g (and 1-g for component
2). Label switching is resolved by ordering the means: the study's truth must have
mu1 < mu2, and estimates are relabelled so that mu1_hat < mu2_hat. The standard errors
come from the numerical observed information (estimators/numeric.py).
"""

import numpy as np
from scipy import stats

from ..core import densities
from ..core.numerics import em_iterate
from .base import Family, Param, Point
from .registry import register

#: pairs of sample quantiles where the two means start
START_QUANTILES = [(0.25, 0.75), (0.1, 0.9), (0.4, 0.6), (0.05, 0.5), (0.5, 0.95),
                   (0.2, 0.55), (0.45, 0.8), (0.02, 0.98)]


@register
class GaussianMixture(Family):
    name = "gaussian_mixture"
    doc = "two-component normal mixture: weight w of component 1, means mu1 < mu2, sds"
    params = (
        Param("w", 0.0, 1.0, typical=(0.2, 0.8), doc="weight of component 1"),
        Param("mu1", typical=(-2.0, 0.0), doc="mean of component 1 (the smaller)"),
        Param("mu2", typical=(1.0, 4.0), doc="mean of component 2 (the larger)"),
        Param("sigma1", 0.0, typical=(0.5, 2.0), doc="sd of component 1"),
        Param("sigma2", 0.0, typical=(0.5, 2.0), doc="sd of component 2"),
    )
    min_n = 10

    @classmethod
    def check_theta(cls, theta):
        if not theta["mu1"] < theta["mu2"]:
            raise ValueError("mu1 must be smaller than mu2 (labels are identified by "
                             f"ordering the means), got mu1={theta['mu1']}, mu2={theta['mu2']}")

    def sample(self, rng, theta, size):
        first = rng.random(size) < theta["w"]
        a = rng.normal(theta["mu1"], theta["sigma1"], size=size)
        b = rng.normal(theta["mu2"], theta["sigma2"], size=size)
        return np.where(first, a, b)

    def logpdf(self, x, theta):
        w = np.asarray(theta["w"], float)
        l1 = densities.logpdf(stats.norm, x, loc=theta["mu1"], scale=theta["sigma1"])
        l2 = densities.logpdf(stats.norm, x, loc=theta["mu2"], scale=theta["sigma2"])
        return np.logaddexp(np.log(w) + l1, np.log1p(-w) + l2)

    def score(self, x, theta):
        return self._loglik_score(x, theta)[1]

    def loglik_score(self, x, theta):
        return self._loglik_score(x, theta)

    def _loglik_score(self, x, theta):
        # one pass over the component log-densities: the log-likelihood sums their
        # log-sum-exp (as logpdf does), and d log f / d theta = responsibility-weighted
        # component scores, with g = w φ1 / f the responsibility of component 1. The
        # profile likelihood's optimiser calls this tens of thousands of times on one
        # dataset, so each standardised value z = (x - mu)/sigma serves both the density
        # and the score (the same operations as the two apart)
        w, m1, m2, s1, s2 = (np.asarray(theta[k], float)[..., None] for k in
                             ("w", "mu1", "mu2", "sigma1", "sigma2"))
        x = np.asarray(x)
        z1, z2 = (x - m1) / s1, (x - m2) / s2
        q1, q2 = z1**2, z2**2
        l1 = np.log(w) + densities.logpdf(stats.norm, x, loc=m1, scale=s1, z=z1)
        l2 = np.log1p(-w) + densities.logpdf(stats.norm, x, loc=m2, scale=s2, z=z2)
        lse = np.logaddexp(l1, l2)
        g = np.exp(l1 - lse)
        h = 1 - g
        # the five score terms in the rows of one array, summed at once (each row's sum
        # is the one it has on its own: the same pairwise summation over the last axis)
        parts = np.empty(g.shape[:-1] + (5, g.shape[-1]))
        np.subtract(g / w, h / (1 - w), out=parts[..., 0, :])
        np.divide(g * z1, s1, out=parts[..., 1, :])
        np.divide(h * z2, s2, out=parts[..., 2, :])
        np.divide(g * (q1 - 1), s1, out=parts[..., 3, :])
        np.divide(h * (q2 - 1), s2, out=parts[..., 4, :])
        return lse.sum(-1), parts.sum(-1)

    def start(self, x, theta_fixed):
        """EM's first start: equal weights, means at the quartiles, half the SD each."""
        q = np.quantile(x, START_QUANTILES[0], axis=1)
        sd = 0.5 * x.std(axis=1)
        return {"w": np.full(len(x), 0.5), "mu1": q[0], "mu2": q[1], "sigma1": sd,
                "sigma2": sd.copy()}

    def em_step(self, x, theta, theta_fixed):
        w, m1, m2, s1, s2 = (np.asarray(theta[k], float)[:, None] for k in
                             ("w", "mu1", "mu2", "sigma1", "sigma2"))
        n = x.shape[1]
        l1 = np.log(w) + densities.logpdf(stats.norm, x, loc=m1, scale=s1)
        l2 = np.log1p(-w) + densities.logpdf(stats.norm, x, loc=m2, scale=s2)
        lse = np.logaddexp(l1, l2)
        g = np.exp(l1 - lse)  # E-step: responsibilities of component 1
        n1 = g.sum(-1)
        n2 = n - n1
        mu1 = (g * x).sum(-1) / n1
        mu2 = ((1 - g) * x).sum(-1) / n2
        v1 = (g * (x - mu1[:, None]) ** 2).sum(-1) / n1
        v2 = ((1 - g) * (x - mu2[:, None]) ** 2).sum(-1) / n2
        new = {"w": n1 / n, "mu1": mu1, "mu2": mu2, "sigma1": np.sqrt(v1),
               "sigma2": np.sqrt(v2)}
        return new, lse.sum(-1)

    def mle_batched(self, x, theta_fixed, *, tol, maxiter, starts):

        R, n = x.shape
        S = starts if starts > 1 else 4  # EM always uses several starts
        pairs = [START_QUANTILES[s % len(START_QUANTILES)] for s in range(S)]
        q = np.quantile(x, np.array(pairs).ravel(), axis=1).T.reshape(R, S, 2)
        sd = (x.std(axis=1)[:, None] * np.ones((1, S))).ravel()
        # flat (R*S,) state, one row per replicate × start
        start = {"w": np.full(R * S, 0.5), "mu1": q[..., 0].ravel(), "mu2": q[..., 1].ravel(),
                 "sigma1": 0.5 * sd, "sigma2": 0.5 * sd}
        xs = np.repeat(x, S, axis=0)
        floor = 1e-6 * np.repeat(x.std(axis=1), S)

        def degenerate(new, rows):  # a component collapsing onto points, or emptying
            w = new["w"]
            return ((np.minimum(new["sigma1"], new["sigma2"]) < floor[rows])
                    | (w * n < 1e-8) | ((1 - w) * n < 1e-8))

        def step(th, rows):  # while every row still moves, the data as they are: no copy
            return self.em_step(xs if rows.size == len(xs) else xs[rows], th, theta_fixed)

        st, conv, iters, bad, ll = em_iterate(step, start, tol=tol, maxiter=maxiter or 5000,
                                              degenerate=degenerate)
        names = ("w", "mu1", "mu2", "sigma1", "sigma2")
        state = np.stack([st[k] for k in names], -1)
        score = np.where(bad, -np.inf, ll).reshape(R, S)
        best = np.argmax(score, axis=1)
        pick = np.arange(R) * S + best
        est = state[pick]
        ok_any = np.isfinite(score[np.arange(R), best])
        # label switching: order the means
        swap = est[:, 1] > est[:, 2]
        est[swap] = est[swap][:, [0, 2, 1, 4, 3]] * [-1, 1, 1, 1, 1] + [1, 0, 0, 0, 0]
        converged = conv[pick] & ok_any
        reason = np.where(converged, "", np.where(
            ok_any, "EM did not converge within maxiter iterations",
            "every EM start degenerated (a component collapsed: sigma -> 0)")).astype(object)
        return Point(dict(zip(names, est.T, strict=True)), converged=converged, reason=reason,
                     iterations=iters.reshape(R, S).sum(axis=1))

