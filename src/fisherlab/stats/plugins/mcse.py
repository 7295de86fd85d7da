"""Monte Carlo SEs of a measure without a formula: the jackknife and the bootstrap;
and the asymptotic SE of a sample median, which the jackknife gets wrong.

* Jackknife (Efron & Tibshirani 1993, ch. 11): with m_(i) the measure without
  replicate i and m_(.) their mean, MCSE^2 = (S - 1)/S sum (m_(i) - m_(.))^2. For the
  mean of x it is s / sqrt(S) exactly (m_(i) - m_(.) = (x_bar - x_i)/(S - 1)), so for a
  share p, sqrt(p (1 - p) / (S - 1)). Past :data:`JACKKNIFE_GROUPS` replicates, the
  replicates are split into that many consecutive groups and a group is left out at a
  time (the delete-d jackknife, ibid. 11.7): the same estimate for a smooth measure at
  a cost that does not grow as S^2.
* Bootstrap: the standard deviation of the measure over :data:`RESAMPLES` resamples of
  the replicates with replacement, drawn from a generator the caller derives from the
  study seed (reproducible).
* Sample median: asymptotically normal with SE 1 / (2 f(m) sqrt(S)), f the density at
  the median m (Serfling 1980, 2.3.3); for a normal sample sqrt(pi/2) sigma / sqrt(S).
  f(m) is a Gaussian kernel density estimate at m with Silverman's robust bandwidth
  0.9 min(sd, IQR/1.349) S^(-1/5) (Silverman 1986, 3.31). The delete-one jackknife is
  inconsistent for a median (its variance estimate converges to a random multiple of
  the truth, Efron & Tibshirani 11.6), and the bootstrap's relative error shrinks only
  as S^(-1/4) (Hall & Martin 1988), so a median's measure declares this closed form.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

#: delete-one jackknife up to this many replicates; beyond, this many groups
JACKKNIFE_GROUPS = 1000
#: bootstrap resamples
RESAMPLES = 1000


def jackknife(stat: Callable[[np.ndarray], float], size: int,
              groups: int = JACKKNIFE_GROUPS) -> float:
    """The jackknife SE of ``stat(keep)`` (``keep``: a boolean mask of the replicates
    kept) over ``size`` replicates (see the module docstring)."""
    if size < 2:
        return float("nan")
    g = min(size, groups)
    bounds = np.linspace(0, size, g + 1).astype(int)
    keep = np.ones(size, bool)
    vals = np.empty(g)
    for k in range(g):
        lo, hi = bounds[k], bounds[k + 1]
        keep[lo:hi] = False
        vals[k] = stat(keep)
        keep[lo:hi] = True
    if not np.all(np.isfinite(vals)):
        return float("nan")
    return float(np.sqrt((g - 1) / g * np.sum((vals - vals.mean()) ** 2)))


def bootstrap(stat: Callable[[np.ndarray], float], size: int,
              rng: np.random.Generator, resamples: int = RESAMPLES) -> float:
    """The bootstrap SE of ``stat(idx)`` (``idx``: indices of the replicates drawn with
    replacement) over ``size`` replicates: scipy's bootstrap resamples the indices."""
    if size < 2:
        return float("nan")
    res = stats.bootstrap((np.arange(size),), lambda idx: stat(idx.astype(int)),
                          n_resamples=resamples, vectorized=False, method="percentile",
                          rng=rng)
    se = float(res.standard_error)
    return se if np.isfinite(se) else float("nan")


def density_at(x: np.ndarray, at: float) -> float:
    """A Gaussian kernel density estimate of ``x`` at ``at`` (scipy's), with Silverman's
    robust bandwidth (module docstring), given to scipy as a factor of the SD."""
    x = np.asarray(x, float)
    S = x.size
    if S < 2:
        return float("nan")
    sd = x.std(ddof=1)
    q75, q25 = np.percentile(x, [75, 25])
    spread = min(sd, (q75 - q25) / 1.349)
    if not spread > 0:
        spread = sd
    if not spread > 0:
        return float("nan")
    kde = stats.gaussian_kde(x, bw_method=0.9 * spread / sd * S ** (-0.2))
    return float(kde(at)[0])


def median_se(x: np.ndarray) -> float:
    """The asymptotic SE of the median of ``x``: 1 / (2 f(m) sqrt(S))."""
    x = np.asarray(x, float)
    if x.size < 2:
        return float("nan")
    f = density_at(x, float(np.median(x)))
    return float(1 / (2 * f * np.sqrt(x.size))) if f > 0 else float("nan")
