"""A family's parameters and derived estimands: domains, transforms, gradients.

:class:`Param` declares one parameter with its domain and the map to the real line that
numeric optimisation uses; :class:`Derived` a function of the parameters with its
gradient for the delta method. :mod:`.base` declares the family itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import special

Theta = Mapping[str, "np.ndarray | float"]


@dataclass(frozen=True)
class Param:
    """A parameter and its domain.

    ``low``/``high`` bound the domain; ``low_open``/``high_open`` say whether the bound
    itself is excluded. ``estimated=False`` marks a design constant (binomial
    ``trials``): it is part of the condition but no estimator targets it.
    ``typical`` is a range of ordinary values, used by property tests and docs.
    """

    name: str
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = True
    high_open: bool = True
    integer: bool = False
    estimated: bool = True
    typical: tuple[float, float] = (0.5, 2.0)
    doc: str = ""
    #: map to the real line for numeric optimisation: "auto" picks from the bounds
    #: (log for (low, inf), logit for (low, high), identity for the real line)
    transform: str = "auto"

    def kind(self) -> str:
        """The transform actually used: 'identity', 'log', 'neglog' or 'logit'."""
        if self.transform != "auto":
            return self.transform
        lo, hi = math.isfinite(self.low), math.isfinite(self.high)
        return {(False, False): "identity", (True, False): "log",
                (False, True): "neglog", (True, True): "logit"}[(lo, hi)]

    def to_unconstrained(self, v):
        """u = log(v - low), -log(high - v), logit((v - low)/(high - low)) or v."""
        v = np.asarray(v, dtype=float)
        k = self.kind()
        if k == "log":
            return np.log(v - self.low)
        if k == "neglog":
            return -np.log(self.high - v)
        if k == "logit":
            return special.logit((v - self.low) / (self.high - self.low))
        return v

    def from_unconstrained(self, u):
        """The inverse of :meth:`to_unconstrained`."""
        u = np.asarray(u, dtype=float)
        k = self.kind()
        if k == "log":
            return self.low + np.exp(u)
        if k == "neglog":
            return self.high - np.exp(-u)
        if k == "logit":
            return self.low + (self.high - self.low) * special.expit(u)
        return u

    def jacobian(self, u):
        """dv/du of :meth:`from_unconstrained` (for the chain rule and the delta method)."""
        u = np.asarray(u, dtype=float)
        k = self.kind()
        if k == "log":
            return np.exp(u)
        if k == "neglog":
            return np.exp(-u)
        if k == "logit":
            e = special.expit(u)
            return (self.high - self.low) * e * (1.0 - e)
        return np.ones_like(u)

    def curvature(self, u):
        """d^2v/du^2 of :meth:`from_unconstrained` (the chain rule's second term), from
        :meth:`jacobian`: exp(u) is its own derivative, exp(-u) its negative's, and the
        logistic's derivative e(1 - e) has derivative e(1 - e)(1 - 2e)."""
        d1 = self.jacobian(u)
        k = self.kind()
        if k == "log":
            return d1
        if k == "neglog":
            return -d1
        if k == "logit":
            return d1 * (1.0 - 2.0 * special.expit(np.asarray(u, dtype=float)))
        return np.zeros_like(d1)

    def describe(self) -> str:
        """The domain in interval notation, e.g. ``(0, inf)`` or ``integer >= 1``."""
        if self.integer:
            return f"an integer >= {int(self.low)}" if math.isfinite(self.low) else "an integer"
        lo = "(" if self.low_open else "["
        hi = ")" if self.high_open else "]"
        return f"a number in {lo}{_fmt(self.low)}, {_fmt(self.high)}{hi}"

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the domain."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if not math.isfinite(value):
            return False
        if self.integer and float(value) != int(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


def _fmt(v: float) -> str:
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:g}"


@dataclass(frozen=True)
class Derived:
    """A derived estimand g(theta), with its gradient for the delta method.

    ``grad`` returns an array of shape ``(..., k)``: the partial derivatives with
    respect to the family's estimated parameters, in their declared order.
    """

    name: str
    fn: Callable[[Theta], np.ndarray]
    grad: Callable[[Theta], np.ndarray]
    doc: str = ""


@dataclass(frozen=True)
class Space:
    """Where one observation of a family lives, whatever its parameters: the interval
    [low, high] and whether only integers occur. A family can be fitted to data only
    where the data's space lies inside its own (a Poisson cannot fit a normal's
    negative values, an exponential cannot fit the real line)."""

    low: float = -math.inf
    high: float = math.inf
    integer: bool = False

    def describe(self) -> str:
        if self.integer:
            if self.high == math.inf:
                return f"the integers from {_fmt(self.low)}"
            return f"the integers {_fmt(self.low)} to {_fmt(self.high)}"
        if self.low == -math.inf and self.high == math.inf:
            return "the real line"
        return f"the interval [{_fmt(self.low)}, {_fmt(self.high)}]"

    def within(self, other: Space) -> bool:
        """Every value of this space is a value of ``other``."""
        return (self.low >= other.low and self.high <= other.high
                and (self.integer or not other.integer))
