"""Uniform(lower, upper): the classic non-regular family ("German tank problem").

The MLE (min, max) converges at rate 1/n, not 1/sqrt(n), and is not asymptotically
normal; Fisher information does not exist, so there is no Cramér–Rao bound.
With the spacings of n uniforms ~ Dirichlet(1, n-1, 1) scaled by w = upper - lower:
* Var(max) = Var(min) = w^2 n / ((n+1)^2 (n+2)), E[max] = upper - w/(n+1);
* the UMVUE of upper is max + R/(n-1) (R = max - min), with variance
  w^2 n / ((n-1)(n+1)(n+2));
* (upper - max)/R ~ BetaPrime(1, n-1) is a pivot: it gives exact intervals
  (the pivot for lower is the mirror image).
"""

import numpy as np
from scipy import stats

from .base import Family, Param, Point
from .registry import register


@register
class Uniform(Family):
    name = "uniform"
    doc = "continuous uniform on [lower, upper]"
    params = (
        Param("lower", typical=(-5.0, 0.0), doc="lower endpoint"),
        Param("upper", typical=(1.0, 10.0), doc="upper endpoint (must exceed lower)"),
    )
    min_n = 2
    mom_moments = 2
    regular = False

    @classmethod
    def check_theta(cls, theta):
        if not theta["lower"] < theta["upper"]:
            raise ValueError(f"lower ({theta['lower']}) must be below upper ({theta['upper']})")

    def sample(self, rng, theta, size):
        return rng.uniform(theta["lower"], theta["upper"], size=size)

    def logpdf(self, x, theta):
        lo = np.asarray(theta["lower"], dtype=float)
        return stats.uniform.logpdf(x, lo, np.asarray(theta["upper"], dtype=float) - lo)

    # No PyMC form (so no map or posterior): the support depends on the parameters, and
    # independent per-parameter priors cannot say lower < upper; every fit started at
    # the priors' centres (lower = upper) was a failure, not an estimate.

    @staticmethod
    def _pivot_interval(x, level):
        n = x.shape[1]
        lo, hi = x.min(axis=1), x.max(axis=1)
        r = hi - lo
        # the pivot's density is decreasing, so the shortest exact interval is its lower
        # tail: upper in [max, max + R q_level] (the German-tank interval), likewise lower
        q = stats.betaprime.ppf(level, 1, n - 1)
        return lo, hi, r, {"upper": (hi, hi + r * q), "lower": (lo - r * q, lo)}

    def mle(self, x, theta_fixed, level):
        # the likelihood (upper - lower)^-n on lower <= min, max <= upper is largest at
        # the tightest endpoints: no score equation, the maximum is on the boundary
        n = x.shape[1]
        lo, hi, r, interval = self._pivot_interval(x, level)
        w_hat = r * (n + 1) / (n - 1)  # E[R] = w (n-1)/(n+1)
        se = w_hat * np.sqrt(n / ((n + 1) ** 2 * (n + 2)))
        return Point({"lower": lo, "upper": hi}, se={"lower": se, "upper": se},
                     interval=interval)

    def unbiased(self, x, theta_fixed, level):
        n = x.shape[1]
        lo, hi, r, interval = self._pivot_interval(x, level)
        w_hat = r * (n + 1) / (n - 1)  # E[R] = w (n-1)/(n+1)
        se = w_hat * np.sqrt(n / ((n - 1) * (n + 1) * (n + 2)))
        return Point({"lower": lo - r / (n - 1), "upper": hi + r / (n - 1)},
                     se={"lower": se, "upper": se}, interval=interval)

    unbiased_estimands = ("lower", "upper")
    # the pivotal (German-tank) interval of both the MLE and the UMVUE is exact
    exact_unbiased_intervals = exact_mle_intervals = ("lower", "upper")

    def mom_from_moments(self, m, theta_fixed):
        # mean = (a+b)/2, variance = (b-a)^2/12  =>  a, b = mean -/+ sqrt(3 variance)
        half = np.sqrt(3.0 * np.maximum(m[..., 1] - m[..., 0] ** 2, 0.0))
        return {"lower": m[..., 0] - half, "upper": m[..., 0] + half}

    def mom_jacobian(self, m, theta_fixed):
        # half = sqrt(3 (m2 - m1^2)): d half / d m1 = -3 m1 / half, d half / d m2 = 1.5 / half
        half = np.sqrt(3.0 * np.maximum(m[..., 1] - m[..., 0] ** 2, 0.0))
        d1, d2 = -3.0 * m[..., 0] / half, 1.5 / half
        return {"lower": np.stack([1.0 - d1, -d2], -1), "upper": np.stack([1.0 + d1, d2], -1)}

    def mle_bias(self, estimand, theta, n):
        """E[max] = upper - w/(n+1) and E[min] = lower + w/(n+1) (module docstring)."""
        w = float(theta["upper"]) - float(theta["lower"])
        return {"upper": -w / (n + 1), "lower": w / (n + 1)}.get(estimand)
