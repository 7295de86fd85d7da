"""Intervals for a proportion from k successes in N trials: the rest of Brown, Cai &
DasGupta's (2001) catalogue beside Wald, Wilson (score, :func:`.bernoulli.wilson`) and
the likelihood ratio.

* **Agresti–Coull** (1998): the Wald interval around p~ = (k + z²/2)/(N + z²) with
  N~ = N + z² trials, p~ ± z sqrt(p~ (1 − p~)/N~), clipped to [0, 1].
* **Jeffreys**: the equal-tailed interval of the Beta(k + 1/2, N − k + 1/2) posterior
  under Jeffreys' prior Beta(1/2, 1/2), with BCD's (2001, §4.1.2) ends: the lower end is
  0 at k = 0 and the upper end 1 at k = N.
* **Clopper–Pearson** (1934): the p whose one-sided binomial tests at (1 − level)/2 do
  not reject, whose ends are beta quantiles: lower Beta(α/2; k, N − k + 1) (0 at
  k = 0), upper Beta(1 − α/2; k + 1, N − k) (1 at k = N). Its coverage is at least the
  level at every p (it inverts two exact tests), so it is conservative.

Every quantile is ``scipy.stats.beta.ppf``. The families that declare ``successes``
(Bernoulli, binomial) offer these three as interval methods of the MLE.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .base import z_quantile


def agresti_coull(k, N, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Agresti–Coull's interval: Wald's around (k + z²/2)/(N + z²) with N + z² trials."""
    k = np.asarray(k, float)
    z2 = z_quantile(level) ** 2
    nt = N + z2
    pt = (k + z2 / 2) / nt
    half = np.sqrt(z2 * pt * (1 - pt) / nt)
    return np.clip(pt - half, 0.0, 1.0), np.clip(pt + half, 0.0, 1.0)


def jeffreys(k, N, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Jeffreys' interval: the Beta(k + 1/2, N − k + 1/2) quantiles at (1 ∓ level)/2,
    with lower end 0 at k = 0 and upper end 1 at k = N (BCD 2001)."""
    k = np.asarray(k, float)
    a = (1 - level) / 2
    lo = stats.beta.ppf(a, k + 0.5, N - k + 0.5)
    hi = stats.beta.ppf(1 - a, k + 0.5, N - k + 0.5)
    return np.where(k <= 0, 0.0, lo), np.where(k >= N, 1.0, hi)


def clopper_pearson(k, N, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Clopper–Pearson's exact interval: beta quantiles, 0 at k = 0 and 1 at k = N."""
    k = np.asarray(k, float)
    a = (1 - level) / 2
    with np.errstate(invalid="ignore"):  # a beta shape 0 at k = 0 or N: that end is fixed
        lo = stats.beta.ppf(a, np.maximum(k, 1e-300), N - k + 1)
        hi = stats.beta.ppf(1 - a, k + 1, np.maximum(N - k, 1e-300))
    return np.where(k <= 0, 0.0, lo), np.where(k >= N, 1.0, hi)


#: interval method -> its function of (k, N, level)
METHODS = {"agresti_coull": agresti_coull, "jeffreys": jeffreys,
           "clopper_pearson": clopper_pearson}
