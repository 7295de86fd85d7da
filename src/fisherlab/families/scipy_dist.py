"""Any continuous ``scipy.stats`` distribution as a family: ``family: scipy.<name>``.

Its parameters are the distribution's shapes (with the domains scipy declares), then
``loc`` and ``scale``; ``model.design: {fixed: [loc]}`` holds listed parameters at
their true values (known, not estimated), e.g. a gamma or Weibull on (0, inf). It
samples with ``rvs`` and evaluates ``logpdf`` from scipy; everything else is the
generic path of estimators/numeric.py: MLE by the batched Newton on unconstrained
parameters (with :meth:`standard_logpdf` when only loc and scale are estimated), the
observed information from the numerical Hessian, or for the few distributions of
:data:`STANDARD_LOG_DERIVATIVES` (normal, Gumbel, logistic, Cauchy) both from the
closed-form derivatives of the standardised log-density; the score and the
expected information are the generic ones of families/fallbacks.py (the information by
numerical integration over scipy's support). The start sets
each shape to 1 (or the middle of its domain) and matches loc and scale to the
sample mean and variance (the method of moments for loc and scale at that shape), or
for a distribution without them (a Cauchy) to the median and the interquartile range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache

import numpy as np
from scipy import stats

from ..core import densities
from .base import Family, Param, Space


def _norm(z):
    return -0.5 * z * z - 0.5 * math.log(2.0 * math.pi), -z, np.full_like(z, -1.0)


def _gumbel_r(z):  # log f = -z - e^-z: one exponential for all three
    e = np.exp(-z)
    return -z - e, e - 1.0, -e


def _gumbel_l(z):  # log f = z - e^z
    e = np.exp(z)
    return z - e, 1.0 - e, -e


def _logistic(z):  # log f = -|z| - 2 log(1 + e^-|z|) (scipy's form); phi' = -tanh(z/2)
    a = np.exp(-np.abs(z))
    q = 1.0 + a
    return -np.abs(z) - 2.0 * np.log1p(a), np.copysign((1.0 - a) / q, -z), -2.0 * a / (q * q)


def _cauchy(z):  # log f = -log(pi) - log(1 + z^2)
    z2 = z * z
    q = 1.0 + z2
    return -math.log(math.pi) - np.log1p(z2), -2.0 * z / q, 2.0 * (z2 - 1.0) / (q * q)


#: the standardised log-density phi(z) of scipy distributions without shapes, with its
#: derivatives phi' and phi'' in closed form: the batched MLE's loc-scale path
#: (estimators/numeric.py) takes the score and the observed information of loc and
#: scale from them by the chain rule, one pass over the data (one exponential for a
#: Gumbel) per Newton step instead of three log-densities for central differences;
#: every other distribution keeps the differences
STANDARD_LOG_DERIVATIVES = {"norm": _norm, "gumbel_r": _gumbel_r, "gumbel_l": _gumbel_l,
                            "logistic": _logistic, "cauchy": _cauchy}


@cache
def scipy_family(dist_name: str) -> type[Family]:
    """The family class of ``scipy.stats.<dist_name>``; KeyError if there is none."""
    dist = getattr(stats, dist_name, None)
    if not isinstance(dist, stats.rv_continuous):
        raise KeyError(f"scipy.stats has no continuous distribution {dist_name!r}")
    shapes = []
    for info in dist._shape_info():  # noqa: SLF001 - scipy's declared shape domains
        lo, hi = (float(v) for v in info.domain)
        lo = 0.0 if 0 < lo < 1e-300 else lo  # scipy writes (0, inf) as (5e-324, inf)
        shapes.append(Param(info.name, lo, hi, low_open=not info.inclusive[0],
                            high_open=not info.inclusive[1], typical=_typical(lo, hi),
                            doc=f"shape {info.name} of scipy.stats.{dist_name}"))
    params = (*shapes, Param("loc", typical=(-1.0, 1.0), doc="location"),
              Param("scale", 0.0, typical=(0.5, 2.0), doc="scale"))
    return type(f"Scipy_{dist_name}", (ScipyFamily,), {
        "name": f"scipy.{dist_name}", "dist": dist, "params": params, "min_n": 2,
        # a free loc moves a bounded support anywhere: only a fixed one keeps its bounds
        "space": Space(),
        "doc": f"scipy.stats.{dist_name}: {', '.join(p.name for p in params)}",
        "__module__": __name__})


def _typical(lo: float, hi: float) -> tuple[float, float]:
    if math.isfinite(lo) and math.isfinite(hi):
        return (lo + 0.25 * (hi - lo), lo + 0.75 * (hi - lo))
    if math.isfinite(lo):
        return (lo + 0.5, lo + 3.0)
    return (-1.0, 1.0)


class ScipyFamily(Family):
    """Base of the ``scipy.<name>`` families (see :func:`scipy_family`)."""

    kind = "scipy"
    dist: stats.rv_continuous
    fixed: tuple[str, ...] = ()

    def configure(self, design: Mapping | None):
        design = dict(design or {})
        extra = sorted(set(design) - {"fixed"})
        if extra:
            raise ValueError(f"unknown design key {extra[0]!r} for {self.name}; allowed: fixed")
        fixed = design.get("fixed", [])
        names = [p.name for p in self.params]
        if not isinstance(fixed, list) or any(f not in names for f in fixed):
            raise ValueError(f"design.fixed must be a list of parameters of {self.name}: "
                             f"{', '.join(names)}")
        if len(fixed) >= len(names):
            raise ValueError("design.fixed must leave at least one parameter to estimate")
        params = tuple(Param(p.name, p.low, p.high, p.low_open, p.high_open, p.integer,
                             p.name not in fixed, p.typical, p.doc) for p in self.params)
        space = Space(float(self.dist.a), float(self.dist.b)) if "loc" in fixed else Space()
        cls = type(type(self).__name__, (type(self),), {"params": params,
                                                         "fixed": tuple(fixed),
                                                         "space": space})
        return cls()

    def _args(self, theta):
        shapes = [theta[p.name] for p in self.params if p.name not in ("loc", "scale")]
        return shapes, theta["loc"], theta["scale"]

    def sample(self, rng, theta, size):
        shapes, loc, scale = self._args(theta)
        return self.dist.rvs(*shapes, loc=loc, scale=scale, size=size, random_state=rng)

    def logpdf(self, x, theta):
        shapes, loc, scale = self._args(theta)
        return densities.logpdf(self.dist, x, *shapes, loc=loc, scale=scale)

    def standard_logpdf(self, theta_fixed):
        """The log-density of the standardised variable z = (x - loc)/scale at the shapes
        in ``theta_fixed`` (every shape must be there): log f(x) = phi(z) - log scale.
        On a support of the whole line, scipy's own ``_logpdf`` (what ``logpdf`` calls
        for every point of the support) without ``logpdf``'s per-call argument checks,
        a third of the cost on the batched MLE's stencils."""
        shapes = [float(theta_fixed[p.name]) for p in self.params
                  if p.name not in ("loc", "scale")]
        lo, hi = self.dist.support(*shapes)
        if np.isinf(lo) and np.isinf(hi) and self.dist._argcheck(*shapes):  # noqa: SLF001
            return lambda z: self.dist._logpdf(z, *shapes)  # noqa: SLF001
        return lambda z: densities.logpdf(self.dist, z, *shapes)

    def standard_log_derivatives(self, theta_fixed):
        """For a distribution of :data:`STANDARD_LOG_DERIVATIVES` (no shapes): the
        function ``z -> (phi, phi', phi'')`` of the standardised log-density and its
        first two derivatives in z, in one pass; else None."""
        return STANDARD_LOG_DERIVATIVES.get(self.dist.name)

    def support(self, theta):
        shapes, loc, scale = self._args(theta)
        return tuple(float(v) for v in self.dist.support(*shapes, loc=loc, scale=scale))

    def start(self, x, theta_fixed):
        R = x.shape[0]
        shapes = {}
        for p in self.params:
            if p.name in ("loc", "scale"):
                continue
            if p.name in theta_fixed:
                shapes[p.name] = float(theta_fixed[p.name])
            else:
                shapes[p.name] = 1.0 if p.contains(1.0) else float(np.mean(p.typical))
        m0, v0 = (float(v) for v in self.dist.stats(*shapes.values()))
        if np.isfinite(m0) and np.isfinite(v0) and v0 > 0:
            # centre and spread of the data against the standard distribution's
            centre, spread, c0, s0 = x.mean(axis=1), x.std(axis=1), m0, np.sqrt(v0)
        else:  # no mean or variance (a Cauchy): the median and the interquartile range
            q0 = self.dist.ppf([0.25, 0.5, 0.75], *shapes.values())
            q = np.quantile(x, [0.25, 0.5, 0.75], axis=1)
            centre, spread, c0, s0 = q[1], q[2] - q[0], q0[1], q0[2] - q0[0]
        if "loc" in theta_fixed:  # centre = loc + scale c0
            scale = (centre - theta_fixed["loc"]) / c0 if c0 > 0 else spread / s0
        else:
            scale = spread / s0
        scale = theta_fixed.get("scale", scale)
        loc = centre - scale * c0
        out = {**{k: np.full(R, v) for k, v in shapes.items()}, "loc": loc,
               "scale": np.broadcast_to(scale, (R,))}
        return {p.name: np.asarray(out[p.name], float) for p in self.estimated()}
