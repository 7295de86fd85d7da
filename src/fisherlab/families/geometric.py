"""Geometric(p): number of trials up to and including the first success (x >= 1).

The MLE 1/x̄ is biased upwards; (n-1)/(Σx-1) is the classical unbiased estimator
(UMVUE, n >= 2), since Σx is negative binomial."""

import numpy as np
from scipy import stats
from scipy.special import xlog1py

from .base import TAIL_MASS, Derived, Family, Param, Point, Space
from .registry import register


@register
class Geometric(Family):
    name = "geometric"
    space = Space(1.0, integer=True)
    doc = "trials up to and including the first success, x = 1, 2, ..."
    discrete = True
    params = (Param("p", 0.0, 1.0, low_open=True, high_open=False, typical=(0.05, 0.9),
                    doc="success probability"),)
    derived = (
        Derived("mean", lambda t: 1.0 / np.asarray(t["p"], dtype=float),
                lambda t: (-1.0 / np.asarray(t["p"], dtype=float) ** 2)[..., None],
                doc="mean number of trials 1/p"),
    )
    mom_moments = 1
    exponential_family = True
    unbiased_estimands = ("p", "mean")
    unbiased_min_n = 2

    def sample(self, rng, theta, size):
        return rng.geometric(theta["p"], size=size).astype(float)

    def logpdf(self, x, theta):
        return stats.geom.logpmf(x, theta["p"])

    def sufficient(self, x, theta_fixed):
        # n, the total, and values off the integers 1, 2, ...
        x = np.asarray(x, float)
        ok = (x >= 1) & (x == np.floor(x))
        return np.stack([np.full(x.shape[:-1], x.shape[-1], float), x.sum(-1),
                         np.sum(~ok, -1)], -1)

    def loglik_sufficient(self, t, theta):

        n, total, bad = t[..., 0], t[..., 1], t[..., 2]
        p = np.asarray(theta["p"], float)
        with np.errstate(divide="ignore"):
            return np.where(bad > 0, -np.inf, n * np.log(p) + xlog1py(total - n, -p))

    def pymc_likelihood(self, theta, x, theta_fixed):
        import pymc as pm  # imported here: PyMC costs seconds to import

        data = pm.Data("x", np.asarray(x, dtype="int64"))
        pm.Geometric("obs", p=theta["p"], observed=data)
        return data

    def pymc_sufficient_likelihood(self, theta, t, theta_fixed):
        import pymc as pm  # (start-up: imported when used)
        import pytensor.tensor as pt  # (start-up: imported when used)

        data = pm.Data("t", np.asarray(t, float))
        # the failures before the n-th success, total - n, are NegativeBinomial(n, p):
        # n log p + (total - n) log(1 - p) + a constant
        pm.NegativeBinomial("obs", n=data[:, 0], p=theta["p"],
                            observed=pt.cast(data[:, 1] - data[:, 0], "int64"))
        return data

    def mle(self, x, theta_fixed, level):
        # d/dp [n log p + (Σx - n) log(1-p)] = 0  =>  p = n/Σx
        return Point({"p": 1.0 / x.mean(axis=1)})

    def mom_from_moments(self, m, theta_fixed):
        return {"p": 1.0 / m[..., 0]}

    def mle_bias(self, estimand, theta, n):
        """mle = n/Σx with Σx = n + F, F ~ NegBin(n, p) failures: E[n/(n + F)] summed
        over F's pmf (to a tail of TAIL_MASS) less p; the plug-in mean x̄ is unbiased.
        No closed form (a hypergeometric series); the sum is exact to rounding."""
        pr = float(theta["p"])
        if estimand == "mean":
            return 0.0
        if estimand != "p":
            return None
        if pr == 1.0:
            return 0.0
        f = np.arange(int(stats.nbinom.isf(TAIL_MASS, n, pr)) + 2)
        return float(np.sum(stats.nbinom.pmf(f, n, pr) * n / (n + f)) - pr)

    mom_bias = mle_bias  # the method of moments is the same 1/x̄

    def mom_jacobian(self, m, theta_fixed):
        return {"p": -1.0 / m[..., :1] ** 2}

    def unbiased(self, x, theta_fixed, level):
        n = x.shape[1]
        total = x.sum(axis=1)
        # se (Wald, from the information at the estimate) is completed by the estimator
        return Point({"p": (n - 1) / (total - 1), "mean": total / n},
                     se={"mean": x.std(axis=1, ddof=1) / np.sqrt(n)})

    def fisher_information(self, theta):
        p = np.asarray(theta["p"], dtype=float)
        with np.errstate(divide="ignore"):
            return (1.0 / (p**2 * (1.0 - p)))[..., None, None]
