"""A user's own family for fisherlab: the zero-inflated Poisson.

Used by studies/custom_model.yaml as
``family: python:studies.models.zero_inflated_poisson:ZeroInflatedPoisson``
(the module path is relative to the project root, where fisherlab runs). The protocol
is documented in docs/families.md: subclass ``Family``, declare ``params``, ``sample``
and ``logpdf``; everything else is optional. Here the method of moments is declared
too, so the numeric MLE starts from it and a ``mom`` estimator is available.

P(X = 0) = pi + (1 - pi) e^{-lam};  P(X = k) = (1 - pi) Poisson(k; lam) for k >= 1.
No closed-form MLE (Lambert 1992): fisherlab's numeric path fits it.
"""

import numpy as np
from scipy import stats

from fisherlab.families import Family, Param


class ZeroInflatedPoisson(Family):
    name = "zero_inflated_poisson"  # replaced by the python:... name when loaded
    doc = "counts with extra zeros: a zero with probability pi, else Poisson(lam)"
    params = (
        Param("pi", 0.0, 1.0, typical=(0.1, 0.5), doc="probability of a structural zero"),
        Param("lam", 0.0, typical=(1.0, 5.0), doc="Poisson mean"),
    )
    min_n = 10
    mom_moments = 2

    def sample(self, rng, theta, size):
        zero = rng.random(size) < theta["pi"]
        return np.where(zero, 0.0, rng.poisson(theta["lam"], size=size).astype(float))

    def logpdf(self, x, theta):
        pi = np.asarray(theta["pi"], float)
        pois = stats.poisson.logpmf(x, theta["lam"])
        # a zero is structural or a Poisson zero; other counts are Poisson only
        zero = np.logaddexp(np.log(pi), np.log1p(-pi) + pois)
        return np.where(x == 0, zero, np.log1p(-pi) + pois)

    def mom_from_moments(self, m, theta_fixed):
        # E[X] = (1-pi) lam, E[X^2] = (1-pi)(lam + lam^2)  =>  lam = E[X^2]/E[X] - 1
        lam = m[..., 1] / m[..., 0] - 1.0
        return {"pi": 1.0 - m[..., 0] / lam, "lam": lam}
