"""Poisson(lam): counts, e.g. calls per minute at a call centre.

The MLE x̄ is unbiased with variance lam/n (the Cramér–Rao bound). The plug-in MLE of
P(X = 0) = exp(-lam) is biased; its classical unbiased estimator is ((n-1)/n)^Σx
(the UMVUE, by Rao–Blackwell on the indicator of x_1 = 0). The score test of lam =
lam0 rejects when n (x̄ - lam0)^2 / lam0 > z^2; the lam0 it keeps are the score interval
x̄ + z^2/(2n) -/+ z sqrt(x̄/n + z^2/(4n^2))."""

import numpy as np
from scipy import special, stats

from .base import TAIL_MASS, Derived, Family, Param, Point, Space, z_quantile
from .registry import register


@register
class Poisson(Family):
    name = "poisson"
    space = Space(0.0, integer=True)
    doc = "counts with rate lam"
    discrete = True
    params = (Param("lam", 0.0, typical=(0.5, 20.0), doc="mean count (rate)"),)
    derived = (
        Derived("prob_zero", lambda t: np.exp(-np.asarray(t["lam"], dtype=float)),
                lambda t: -np.exp(-np.asarray(t["lam"], dtype=float))[..., None],
                doc="P(X = 0) = exp(-lam)"),
    )
    mom_moments = 1
    exponential_family = True
    unbiased_estimands = ("lam", "prob_zero")

    def sample(self, rng, theta, size):
        return rng.poisson(theta["lam"], size=size).astype(float)

    def logpdf(self, x, theta):
        return stats.poisson.logpmf(x, theta["lam"])

    def sufficient(self, x, theta_fixed):

        # n, the total, sum log x! (the base measure), values off the non-negative integers
        x = np.asarray(x, float)
        ok = (x >= 0) & (x == np.floor(x))
        return np.stack([np.full(x.shape[:-1], x.shape[-1], float), x.sum(-1),
                         special.gammaln(np.where(ok, x, 0.0) + 1).sum(-1),
                         np.sum(~ok, -1)], -1)

    def loglik_sufficient(self, t, theta):

        n, total, logfact, bad = (t[..., j] for j in range(4))
        lam = np.asarray(theta["lam"], float)
        return np.where(bad > 0, -np.inf, special.xlogy(total, lam) - n * lam - logfact)

    def pymc_likelihood(self, theta, x, theta_fixed):
        import pymc as pm  # imported here: PyMC costs seconds to import

        data = pm.Data("x", np.asarray(x, dtype="int64"))
        pm.Poisson("obs", mu=theta["lam"], observed=data)
        return data

    def pymc_sufficient_likelihood(self, theta, t, theta_fixed):
        import pymc as pm  # (start-up: imported when used)
        import pytensor.tensor as pt  # (start-up: imported when used)

        data = pm.Data("t", np.asarray(t, float))
        # the total of n counts is Poisson(n lam): sum x log lam - n lam + a constant
        pm.Poisson("obs", mu=data[:, 0] * theta["lam"], observed=pt.cast(data[:, 1], "int64"))
        return data

    def mle(self, x, theta_fixed, level):
        # d/dlam [sum x log lam - n lam] = 0  =>  lam = mean(x)
        return Point({"lam": x.mean(axis=1)})

    def mom_from_moments(self, m, theta_fixed):
        return {"lam": m[..., 0]}

    def mle_bias(self, estimand, theta, n):
        """mle = x̄, unbiased for lam; prob_zero by plug-in, exp(−x̄): with T = n x̄ ~
        Poisson(n lam), E[exp(−T/n)] = exp(n lam (exp(−1/n) − 1)) (the Poisson's
        probability generating function at exp(−1/n)), a bias of that less exp(−lam)."""
        lam = float(theta["lam"])
        if estimand == "lam":
            return 0.0
        if estimand == "prob_zero":
            return float(np.exp(n * lam * np.expm1(-1.0 / n)) - np.exp(-lam))
        return None

    mom_bias = mle_bias  # the method of moments is the same x̄

    def mom_jacobian(self, m, theta_fixed):
        return {"lam": np.ones_like(m[..., :1])}

    def pseudo_true(self, expect, theta_fixed):
        # d/dlam E[X log lam - lam] = E[X]/lam - 1 = 0  =>  lam* = E[X]
        return {"lam": expect(lambda x: x)}

    def score(self, x, theta):
        # d/dlam [sum x log lam - n lam] = sum x / lam - n
        lam = np.asarray(theta["lam"], float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (x.sum(axis=-1) / lam - x.shape[-1])[..., None]

    def score_interval(self, x, theta_fixed, level):
        n = x.shape[1]
        mean = x.mean(axis=1)
        z = z_quantile(level)
        centre = mean + z**2 / (2 * n)
        half = z * np.sqrt(mean / n + z**2 / (4 * n**2))
        return {"lam": (centre - half, centre + half)}

    def exact_support(self, theta, n):
        # sum x ~ Poisson(n lam), truncated where each tail's mass is below TAIL_MASS;
        # its dataset puts the whole sum on the first observation
        mu = n * float(theta["lam"])
        lo, hi = (int(v) for v in stats.poisson.ppf([TAIL_MASS, 1 - TAIL_MASS], mu))
        lo = max(lo - 1, 0)
        hi = int(max(hi, stats.poisson.isf(TAIL_MASS, mu))) + 1
        s = np.arange(lo, hi + 1)
        x = np.zeros((s.size, n))
        x[:, 0] = s
        return x, stats.poisson.pmf(s, mu)

    def unbiased(self, x, theta_fixed, level):
        n = x.shape[1]
        total = x.sum(axis=1)
        lam = total / n
        # E[((n-1)/n)^T] with T ~ Poisson(n lam) is exp(n lam ((n-1)/n - 1)) = exp(-lam)
        p0 = ((n - 1) / n) ** total
        # Var of the UMVUE: exp(-2 lam) (exp(lam/n) - 1), estimated by plug-in
        se_p0 = np.sqrt(np.exp(-2 * lam) * np.expm1(lam / n))
        return Point({"lam": lam, "prob_zero": p0},
                     se={"lam": np.sqrt(lam / n), "prob_zero": se_p0})

    def fisher_information(self, theta):
        lam = np.asarray(theta["lam"], dtype=float)
        with np.errstate(divide="ignore"):
            return (1.0 / lam)[..., None, None]
