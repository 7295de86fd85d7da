"""Robust (Huber-White sandwich) covariance of the MLE, for every replicate at once.

Under a misspecified model the MLE still converges to the pseudo-true value theta*, but
its variance is no longer the inverse Fisher information: it is A^-1 B A^-1 / n with
A = -E[d^2 log f(X; theta*)] and B = E[s(X; theta*) s(X; theta*)'] (Huber 1967; White
1982, theorem 3.2). Their plug-in estimates are the observed information per observation
A_hat = -(1/n) sum_i d^2 l_i(theta_hat) and the outer product of the per-observation
scores B_hat = (1/n) sum_i s_i s_i', so

    Cov_hat(theta_hat) = A_hat^-1 B_hat A_hat^-1 / n = J^-1 (sum_i s_i s_i') J^-1,

J the observed information of the dataset. When the model is right, A = B and the
sandwich reduces to the model-based J^-1.
"""

from __future__ import annotations

import numpy as np

from ..core.numerics import safe_inv
from ..families.base import Family, Theta
from .numeric import numeric_information


def observation_scores(family: Family, x: np.ndarray, theta: Theta) -> np.ndarray:
    """Per-observation scores ``(R, n, k)`` at ``theta`` (``(R,)`` arrays): the family's
    :meth:`~fisherlab.families.base.Family.score` of each observation as a dataset of
    one (its declared closed form, else the numerical fallback)."""
    R, n = x.shape[:2]
    flat = np.asarray(x).reshape(R * n, 1)
    th = {k: np.repeat(np.broadcast_to(np.asarray(v, float), (R,)), n)
          for k, v in theta.items()}
    s = np.asarray(family.score(flat, th), float)
    return s.reshape(R, n, -1)


def sandwich_cov(family: Family, x: np.ndarray, theta_fixed: Theta,
                 theta_hat: Theta) -> np.ndarray:
    """J^-1 (sum_i s_i s_i') J^-1, ``(R, k, k)``, at the MLE ``theta_hat``."""
    names = [p.name for p in family.estimated()]
    est = {k: np.asarray(theta_hat[k], float) for k in names}
    theta = {**theta_fixed, **est}
    if family.has("observed_information") or family.exponential_family:
        info = family.observed_information(x, theta)
    else:
        info = numeric_information(family, x, theta_fixed, est)
    s = observation_scores(family, x, theta)
    meat = np.einsum("rni,rnj->rij", s, s)
    bread = safe_inv(np.broadcast_to(info, meat.shape))
    return bread @ meat @ bread
