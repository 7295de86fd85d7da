"""Exponential(rate): waiting times.

The MLE of the rate, 1/x̄ = n/Σx, is biased: Σx ~ Gamma(n, rate) gives
E[n/Σx] = n rate/(n-1), a bias of rate/(n-1). (n-1)/Σx is unbiased, with variance
rate^2/(n-2); rate·Σx ~ Gamma(n, 1) gives exact intervals for rate and mean."""

import numpy as np
from scipy import stats

from ..core import densities
from .base import Derived, Family, Param, Point, Space
from .registry import register


@register
class Exponential(Family):
    name = "exponential"
    space = Space(0.0)
    doc = "waiting times with rate `rate` (mean 1/rate)"
    params = (Param("rate", 0.0, typical=(0.2, 5.0), doc="events per unit time"),)
    derived = (
        Derived("mean", lambda t: 1.0 / np.asarray(t["rate"], dtype=float),
                lambda t: (-1.0 / np.asarray(t["rate"], dtype=float) ** 2)[..., None],
                doc="mean waiting time 1/rate"),
    )
    mom_moments = 1
    exponential_family = True
    unbiased_estimands = ("rate", "mean")
    #: (n-1)/Σx needs n >= 2, and its variance rate^2/(n-2) needs n >= 3
    unbiased_min_n = 3
    exact_unbiased_intervals = ("rate", "mean")  # gamma pivots

    def sample(self, rng, theta, size):
        return rng.exponential(1.0 / np.asarray(theta["rate"], dtype=float), size=size)

    def logpdf(self, x, theta):
        return densities.logpdf(stats.expon, x, scale=1.0 / np.asarray(theta["rate"], dtype=float))

    def sufficient(self, x, theta_fixed):
        # n, the total, and the values outside [0, inf)
        x = np.asarray(x, float)
        return np.stack([np.full(x.shape[:-1], x.shape[-1], float), x.sum(-1),
                         np.sum(~((x >= 0) & np.isfinite(x)), -1)], -1)

    def loglik_sufficient(self, t, theta):
        n, total, bad = t[..., 0], t[..., 1], t[..., 2]
        rate = np.asarray(theta["rate"], float)
        return np.where(bad > 0, -np.inf, n * np.log(rate) - rate * total)

    def score(self, x, theta):
        # d/drate [n log rate - rate sum x] = n/rate - sum x
        rate = np.asarray(theta["rate"], float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (x.shape[-1] / rate - x.sum(axis=-1))[..., None]

    def pymc_likelihood(self, theta, x, theta_fixed):
        import pymc as pm  # imported here: PyMC costs seconds to import

        data = pm.Data("x", np.asarray(x, dtype="float64"))
        pm.Exponential("obs", lam=theta["rate"], observed=data)
        return data

    def pymc_sufficient_likelihood(self, theta, t, theta_fixed):
        import pymc as pm  # (start-up: imported when used)

        data = pm.Data("t", np.asarray(t, float))
        # the total of n values is Gamma(n, rate): n log rate - rate total + a constant
        pm.Gamma("obs", alpha=data[:, 0], beta=theta["rate"], observed=data[:, 1])
        return data

    def mle(self, x, theta_fixed, level):
        # d/drate [n log rate - rate Σx] = 0  =>  rate = n/Σx
        return Point({"rate": 1.0 / x.mean(axis=1)})

    def pseudo_true(self, expect, theta_fixed):
        # d/drate E[log rate - rate X] = 1/rate - E[X] = 0  =>  rate* = 1/E[X]
        return {"rate": 1.0 / expect(lambda x: x)}

    def mom_from_moments(self, m, theta_fixed):
        return {"rate": 1.0 / m[..., 0]}

    def mom_jacobian(self, m, theta_fixed):
        return {"rate": -1.0 / m[..., :1] ** 2}

    def unbiased(self, x, theta_fixed, level):
        n = x.shape[1]
        total = x.sum(axis=1)
        rate = (n - 1) / total
        alpha = 1.0 - level
        g_lo, g_hi = stats.gamma.ppf([alpha / 2, 1 - alpha / 2], n)
        return Point(
            {"rate": rate, "mean": total / n},
            se={"rate": rate / np.sqrt(n - 2), "mean": (total / n) / np.sqrt(n)},
            interval={"rate": (g_lo / total, g_hi / total),
                      "mean": (total / g_hi, total / g_lo)},
        )

    def fisher_information(self, theta):
        rate = np.asarray(theta["rate"], dtype=float)
        return (1.0 / rate**2)[..., None, None]

    def mle_bias(self, estimand, theta, n):
        """mle = 1/x̄: E[n/Σx] = n rate/(n-1) (module docstring), a bias of rate/(n-1);
        the plug-in mean x̄ is unbiased."""
        if estimand == "rate":
            return float(theta["rate"]) / (n - 1)
        return 0.0 if estimand == "mean" else None

    mom_bias = mle_bias  # the method of moments is the same 1/x̄
