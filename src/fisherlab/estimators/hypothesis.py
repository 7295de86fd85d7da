"""Test statistics of a null value psi0 of one parameter psi, signed so that large
values speak for psi > psi0, and the rejection rule of each side; one place per
statistic (the tests diagnostic and its exact sums both call these).

* **Wald**: z = (psi_hat - psi0) / se(psi_hat), from an estimator's fit.
* **Score** (Rao): the score U and the expected information I = n i(theta~) at the
  restricted MLE theta~ (psi0 with the nuisance parameters maximised, the profile of
  :func:`fisherlab.estimators.intervals.profile`, which the score and
  likelihood-ratio intervals also rest on); S = U' I^-1 U, signed by the psi
  component of the one-step I^-1 U. For a proportion that is (k - N p0) /
  sqrt(N p0 (1 - p0)), whose inversion is Wilson's interval.
* **Likelihood ratio**: 2 (l(theta_hat) - l_p(psi0)), signed by psi_hat - psi0 (the
  signed root, Wilks), with l_p the same profile log-likelihood.

Two-sided tests reject when |z| > z_(1 - alpha/2) (the same as S or the likelihood
ratio above chi2_1(1 - alpha)); ``less`` when z < -z_(1 - alpha); ``greater`` when
z > z_(1 - alpha).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..families.base import Family, Theta
from .intervals import Datasets, loglik_at, profile


def wald(estimate, se, null: float) -> np.ndarray:
    """(psi_hat - psi0) / se; NaN where the standard error is not positive and finite
    (a Wald test at p_hat = 0 has se 0: the statistic is ±inf, which rejects)."""
    estimate, se = np.asarray(estimate, float), np.asarray(se, float)
    with np.errstate(all="ignore"):
        z = (estimate - null) / se
        return np.where(se == 0, np.sign(estimate - null) * np.inf, z)


def _restricted(family: Family, x, theta_fixed: Theta, theta_hat: dict, name: str,
                null: float) -> tuple[np.ndarray, dict]:
    """l_p(psi0) and the full restricted theta~ (R,) per parameter."""
    R = np.asarray(x.x if isinstance(x, Datasets) else x).shape[0]
    rows = np.arange(R)
    lp, nuis = profile(family, x, theta_fixed, theta_hat, name, np.full(R, null), rows)
    return lp, {**theta_fixed, **nuis, name: np.full(R, null)}


def score(family: Family, x, theta_fixed: Theta, theta_hat: dict, name: str,
          null: float) -> np.ndarray:
    """The signed score statistic of ``name = null`` for every dataset of ``x`` (R, n)."""
    x = np.asarray(x)
    n = x.shape[1]
    _, th = _restricted(family, x, theta_fixed, theta_hat, name, null)
    names = [p.name for p in family.estimated()]
    j = names.index(name)
    with np.errstate(all="ignore"):
        u = np.asarray(family.score(x, th), float)  # (R, k)
        info = n * np.broadcast_to(family.fisher_information(th),
                                   (x.shape[0], len(names), len(names)))
        step = np.linalg.solve(info, u[..., None])[..., 0]  # I^-1 U
        stat = np.einsum("ri,ri->r", u, step)
        return np.sign(step[:, j]) * np.sqrt(np.maximum(stat, 0.0))


def lr(family: Family, x, theta_fixed: Theta, theta_hat: dict, name: str,
       null: float) -> np.ndarray:
    """The signed root of the likelihood-ratio statistic of ``name = null``; theta_hat
    the MLE (R,) of every estimated parameter."""
    data = Datasets(family, x, theta_fixed)
    R = data.shape[0]
    l_hat = loglik_at(family, data, theta_fixed, theta_hat, np.arange(R))
    lp, _ = _restricted(family, data, theta_fixed, theta_hat, name, null)
    with np.errstate(all="ignore"):
        d = np.maximum(2.0 * (l_hat - lp), 0.0)
        return np.sign(np.asarray(theta_hat[name], float) - null) * np.sqrt(d)


def statistic(test: str, family: Family, x, theta_fixed: Theta, theta_hat: dict,
              name: str, null: float) -> np.ndarray:
    """The score or likelihood-ratio statistic (``test``: 'score' or 'lr')."""
    fn = {"score": score, "lr": lr}[test]
    return fn(family, x, theta_fixed, theta_hat, name, null)


def critical(sides: str, level: float) -> float:
    """The standard normal critical value of a test of size ``level``."""
    return float(special.ndtri(1 - level / 2 if sides == "two" else 1 - level))


def rejects(z, sides: str, level: float) -> np.ndarray:
    """Whether each signed statistic rejects at ``level`` (NaN never rejects)."""
    z = np.asarray(z, float)
    c = critical(sides, level)
    with np.errstate(invalid="ignore"):
        if sides == "two":
            return np.abs(z) > c
        return z < -c if sides == "less" else z > c
