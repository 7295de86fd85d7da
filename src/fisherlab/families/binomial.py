"""Binomial(trials, p) with the number of trials fixed by the design."""

import numpy as np
from scipy import special, stats

from .base import Family, Param, Point, Space
from .bernoulli import pymc_successes, successes_loglik, wilson
from .registry import register


@register
class Binomial(Family):
    name = "binomial"
    space = Space(0.0, integer=True)
    doc = "successes in `trials` independent trials with probability p; trials is fixed"
    discrete = True
    params = (
        Param("p", 0.0, 1.0, low_open=False, high_open=False, typical=(0.1, 0.9),
              doc="success probability"),
        Param("trials", 1, low_open=False, integer=True, estimated=False, typical=(1, 20),
              doc="number of trials per observation (a design constant, not estimated)"),
    )
    mom_moments = 1
    exponential_family = True

    def sample(self, rng, theta, size):
        return rng.binomial(int(theta["trials"]), theta["p"], size=size).astype(float)

    def logpdf(self, x, theta):
        return stats.binom.logpmf(x, theta["trials"], theta["p"])

    def sufficient(self, x, theta_fixed):

        # the successes k in N = n·trials trials, N, the base measure sum log C(trials, x),
        # and the values off 0, 1, ..., trials
        m = int(theta_fixed["trials"])
        x = np.asarray(x, float)
        ok = (x >= 0) & (x <= m) & (x == np.floor(x))
        xs = np.where(ok, x, 0.0)
        log_choose = (special.gammaln(m + 1.0) - special.gammaln(xs + 1.0)
                      - special.gammaln(m - xs + 1.0)).sum(-1)
        return np.stack([x.sum(-1), np.full(x.shape[:-1], x.shape[-1] * m, float),
                         log_choose, np.sum(~ok, -1)], -1)

    def loglik_sufficient(self, t, theta):
        k, N, log_choose, bad = (t[..., j] for j in range(4))
        return np.where(bad > 0, -np.inf, log_choose + successes_loglik(k, N, theta["p"]))

    def pymc_likelihood(self, theta, x, theta_fixed):
        import pymc as pm  # imported here: PyMC costs seconds to import

        data = pm.Data("x", np.asarray(x, dtype="int64"))
        pm.Binomial("obs", n=int(theta_fixed["trials"]), p=theta["p"], observed=data)
        return data

    def pymc_sufficient_likelihood(self, theta, t, theta_fixed):
        return pymc_successes(theta["p"], t)  # k successes in N = n·trials trials

    def mle(self, x, theta_fixed, level):
        # d/dp [sum x log p + (n m - sum x) log(1-p)] = 0  =>  p = mean(x) / m
        return Point({"p": x.mean(axis=1) / theta_fixed["trials"]})

    def mom_from_moments(self, m, theta_fixed):
        return {"p": m[..., 0] / theta_fixed["trials"]}

    def mom_jacobian(self, m, theta_fixed):
        return {"p": np.full_like(m[..., :1], 1.0 / theta_fixed["trials"], dtype=float)}

    def score_interval(self, x, theta_fixed, level):
        # n observations of `trials` trials each: k = sum x successes in N = n trials
        return {"p": wilson(x.sum(axis=1), x.shape[1] * int(theta_fixed["trials"]), level)}

    def successes(self, x, theta_fixed):
        # k = sum x successes in N = n·trials trials
        return x.sum(axis=-1), x.shape[-1] * int(theta_fixed["trials"])

    def exact_support(self, theta, n):
        # k = sum x ~ Binomial(n·trials, p), k = 0..n·trials; its dataset fills the
        # observations in turn (trials each) until k is used up
        m = int(theta["trials"])
        k = np.arange(n * m + 1)
        x = np.clip(k[:, None] - m * np.arange(n)[None, :], 0, m).astype(float)
        return x, stats.binom.pmf(k, n * m, float(theta["p"]))

    def fisher_information(self, theta):
        p = np.asarray(theta["p"], dtype=float)
        with np.errstate(divide="ignore"):
            return (theta["trials"] / (p * (1.0 - p)))[..., None, None]
