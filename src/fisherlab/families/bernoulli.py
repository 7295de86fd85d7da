"""Bernoulli(p): coin flips. The MLE p̂ = k/n is also the method-of-moments estimator
and is unbiased, with variance p(1-p)/n equal to the Cramér–Rao bound."""

import numpy as np
from scipy import stats

from . import register
from .base import Family, Param, Point


@register
class Bernoulli(Family):
    name = "bernoulli"
    doc = "one trial with success probability p; x in {0, 1}"
    discrete = True
    params = (Param("p", 0.0, 1.0, low_open=False, high_open=False, typical=(0.1, 0.9),
                    doc="success probability"),)
    mom_moments = 1
    exponential_family = True

    def sample(self, rng, theta, size):
        return rng.binomial(1, theta["p"], size=size).astype(float)

    def logpdf(self, x, theta):
        return stats.bernoulli.logpmf(x, theta["p"])

    def pymc_likelihood(self, theta, x, theta_fixed):
        import pymc as pm  # imported here: PyMC costs seconds to import

        data = pm.Data("x", np.asarray(x, dtype="int64"))
        pm.Bernoulli("obs", p=theta["p"], observed=data)
        return data

    def mle(self, x, theta_fixed, level):
        # d/dp [k log p + (n-k) log(1-p)] = 0  =>  p = k/n
        return Point({"p": x.mean(axis=1)})

    def mom_from_moments(self, m, theta_fixed):
        return {"p": m[..., 0]}

    def fisher_information(self, theta):
        p = np.asarray(theta["p"], dtype=float)
        with np.errstate(divide="ignore"):
            return (1.0 / (p * (1.0 - p)))[..., None, None]
