"""Bernoulli(p): coin flips. The MLE p̂ = k/n is also the method-of-moments estimator
and is unbiased, with variance p(1-p)/n equal to the Cramér–Rao bound.

The score test of p = p0 rejects when (k - N p0)^2 / (N p0 (1 - p0)) > z^2; the p0 it
keeps form Wilson's (1927) interval (:func:`wilson`), which keeps close to nominal
coverage where the Wald interval collapses (Brown, Cai & DasGupta 2001)."""

import numpy as np
from scipy import stats
from scipy.special import xlog1py, xlogy

from .base import Family, Param, Point, Space, z_quantile
from .registry import register


def wilson(k, N, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's score interval for k successes in N trials: the roots in p of
    (k - N p)^2 = z^2 N p (1 - p), i.e. (k + z^2/2)/(N + z^2) -/+
    z/(N + z^2) sqrt(k (N - k)/N + z^2/4)."""
    k = np.asarray(k, float)
    z2 = z_quantile(level) ** 2
    centre = (k + z2 / 2) / (N + z2)
    half = np.sqrt(z2) / (N + z2) * np.sqrt(k * (N - k) / N + z2 / 4)
    return np.maximum(centre - half, 0.0), np.minimum(centre + half, 1.0)


def successes_loglik(k, N, p) -> np.ndarray:
    """k log p + (N - k) log(1 - p): k successes in N trials, without the binomial
    coefficient (0 log 0 = 0 at p = 0 or 1)."""

    p = np.asarray(p, float)
    return xlogy(k, p) + xlog1py(N - k, -p)


def pymc_successes(p, t):
    """The PyMC likelihood of R datasets from statistics whose columns 0 and 1 are the
    successes k and the trials N of each: ``Binomial(N, p)`` observing k, whose binomial
    coefficient is free of p (the Bernoulli's and the binomial's
    ``pymc_sufficient_likelihood``). Returns the ``pm.Data`` of the statistics."""
    import pymc as pm  # (start-up: imported when used)
    import pytensor.tensor as pt  # (start-up: imported when used)

    data = pm.Data("t", np.asarray(t, float))
    pm.Binomial("obs", n=pt.cast(data[:, 1], "int64"), p=p,
                observed=pt.cast(data[:, 0], "int64"))
    return data


@register
class Bernoulli(Family):
    name = "bernoulli"
    space = Space(0.0, 1.0, integer=True)
    doc = "one trial with success probability p; x in {0, 1}"
    discrete = True
    params = (Param("p", 0.0, 1.0, low_open=False, high_open=False, typical=(0.1, 0.9),
                    doc="success probability"),)
    mom_moments = 1
    exponential_family = True

    def sample(self, rng, theta, size):
        return rng.binomial(1, theta["p"], size=size).astype(float)

    def logpdf(self, x, theta):
        # x log p + (1-x) log(1-p), as stats.bernoulli.logpmf (up to rounding) but ten
        # times faster: a likelihood-ratio interval evaluates it many times per replicate
        p = np.asarray(theta["p"], float)
        with np.errstate(divide="ignore"):
            return np.where(x == 1, np.log(p), np.where(x == 0, np.log1p(-p), -np.inf))

    def sufficient(self, x, theta_fixed):
        # successes k, n, and values other than 0 and 1 (likelihood 0)
        x = np.asarray(x, float)
        return np.stack([x.sum(-1), np.full(x.shape[:-1], x.shape[-1], float),
                         np.sum((x != 0) & (x != 1), -1)], -1)

    def loglik_sufficient(self, t, theta):
        k, n, bad = t[..., 0], t[..., 1], t[..., 2]
        return np.where(bad > 0, -np.inf, successes_loglik(k, n, theta["p"]))

    def pymc_likelihood(self, theta, x, theta_fixed):
        import pymc as pm  # imported here: PyMC costs seconds to import

        data = pm.Data("x", np.asarray(x, dtype="int64"))
        pm.Bernoulli("obs", p=theta["p"], observed=data)
        return data

    def pymc_sufficient_likelihood(self, theta, t, theta_fixed):
        return pymc_successes(theta["p"], t)  # k successes in n trials

    def mle(self, x, theta_fixed, level):
        # d/dp [k log p + (n-k) log(1-p)] = 0  =>  p = k/n
        return Point({"p": x.mean(axis=1)})

    def mom_from_moments(self, m, theta_fixed):
        return {"p": m[..., 0]}

    def mom_jacobian(self, m, theta_fixed):
        return {"p": np.ones_like(m[..., :1])}

    def score(self, x, theta):
        # d/dp [k log p + (n - k) log(1 - p)] = k/p - (n - k)/(1 - p)
        p = np.asarray(theta["p"], float)
        k, n = x.sum(axis=-1), x.shape[-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            return (k / p - (n - k) / (1.0 - p))[..., None]

    def score_interval(self, x, theta_fixed, level):
        return {"p": wilson(x.sum(axis=1), x.shape[1], level)}

    def successes(self, x, theta_fixed):
        # (k, N): what every interval for a proportion is a function of
        return x.sum(axis=-1), x.shape[-1]

    def exact_support(self, theta, n):
        # k = 0..n successes, k ~ Binomial(n, p): the dataset of k ones then n - k zeros
        k = np.arange(n + 1)
        return ((np.arange(n)[None, :] < k[:, None]).astype(float),
                stats.binom.pmf(k, n, float(theta["p"])))

    def fisher_information(self, theta):
        p = np.asarray(theta["p"], dtype=float)
        with np.errstate(divide="ignore"):
            return (1.0 / (p * (1.0 - p)))[..., None, None]
