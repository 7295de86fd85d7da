"""LogNormal(mu, sigma): log X ~ Normal(mu, sigma); derived estimand the mean
exp(mu + sigma²/2).

The MLE is the normal MLE on log x: mu = mean(log x), sigma = sd(log x) with 1/n
(the Jacobian 1/x does not involve the parameters). Fisher information per
observation is the normal one, diag(1/σ², 2/σ²)."""

import numpy as np
from scipy import stats

from ..core import densities
from .base import Derived, Family, Param, Point, Space
from .registry import register


def _mean(t):
    return np.exp(np.asarray(t["mu"], float) + np.asarray(t["sigma"], float) ** 2 / 2)


@register
class LogNormal(Family):
    name = "lognormal"
    space = Space(0.0)
    doc = "positive data whose log is Normal(mu, sigma)"
    params = (
        Param("mu", typical=(-1.0, 2.0), doc="mean of log x"),
        Param("sigma", 0.0, typical=(0.2, 1.5), doc="sd of log x"),
    )
    derived = (
        # d/dmu e^{mu+s²/2} = mean, d/dsigma = sigma * mean
        Derived("mean", _mean, lambda t: np.stack(
            [_mean(t), np.asarray(t["sigma"], float) * _mean(t)], -1),
            doc="mean exp(mu + sigma^2/2)"),
    )
    min_n = 2
    exponential_family = True

    def sample(self, rng, theta, size):
        return rng.lognormal(theta["mu"], theta["sigma"], size=size)

    def logpdf(self, x, theta):
        return densities.logpdf(stats.lognorm, x, theta["sigma"], scale=np.exp(theta["mu"]))

    def mle(self, x, theta_fixed, level):
        lx = np.log(x)  # normal score equations on log x
        return Point({"mu": lx.mean(axis=1), "sigma": lx.std(axis=1, ddof=0)})

    def fisher_information(self, theta):
        sigma = np.asarray(theta["sigma"], dtype=float)
        info = np.zeros(sigma.shape + (2, 2))
        info[..., 0, 0] = 1.0 / sigma**2
        info[..., 1, 1] = 2.0 / sigma**2
        return info
