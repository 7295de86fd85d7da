"""What regression families share: data with covariates, and the covariate design.

A regression dataset is a pair ``y (n,)`` and ``X (n, p)``; a batch of R datasets is
an ``(R, n)`` structured array (:func:`regression_data`) with fields ``y`` and ``X``
(the intercept column included), so the framework handles it like the ``(R, n)``
arrays of the other families.

The design comes from the study's ``model.design``::

    design:
      intercept: true                 # default true: beta0 is the intercept
      covariates:                     # one slope beta1, beta2, ... per covariate, in order
        - {name: income, distribution: norm, loc: 50, scale: 15}
        - {name: age}                 # default distribution: norm (standard normal)
    # or simply   design: {p: 2}      # p independent standard normal covariates

``distribution`` is any ``scipy.stats`` distribution name with its shape, ``loc`` and
``scale`` arguments; covariates are independent and redrawn for every dataset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .base import Family, Param


def regression_data(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """R datasets as one ``(R, n)`` structured array with fields ``y`` (a float) and
    ``X`` (a row of p covariates): indexing, copying, concatenating and comparing work
    as for the plain ``(R, n)`` arrays of the other families."""
    y = np.asarray(y, float)
    X = np.asarray(X, float)
    out = np.empty(y.shape, dtype=[("y", float), ("X", float, (X.shape[-1],))])
    out["y"], out["X"] = y, X
    return out


def parts(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(y (R, n), X (R, n, p))`` as contiguous float arrays."""
    return np.ascontiguousarray(data["y"]), np.ascontiguousarray(data["X"])


@dataclass(frozen=True)
class Covariate:
    name: str
    distribution: str
    args: tuple[tuple[str, float], ...]

    def frozen(self):
        return getattr(stats, self.distribution)(**dict(self.args))


def parse_design(design: Mapping | None) -> tuple[bool, tuple[Covariate, ...]]:
    """(intercept, covariates) from a study's ``model.design``; ValueError if invalid."""
    design = dict(design or {"p": 1})
    allowed = {"intercept", "covariates", "p"}
    extra = sorted(set(design) - allowed)
    if extra:
        raise ValueError(f"unknown design key {extra[0]!r}; allowed: {', '.join(sorted(allowed))}")
    intercept = design.get("intercept", True)
    if not isinstance(intercept, bool):
        raise ValueError("design.intercept must be true or false")
    if ("p" in design) == ("covariates" in design):
        raise ValueError("give exactly one of design.p (standard normal covariates) "
                         "or design.covariates (a list)")
    if "p" in design:
        p = design["p"]
        if isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= 50:
            raise ValueError("design.p must be an integer from 1 to 50")
        return intercept, tuple(Covariate(f"x{j + 1}", "norm", ()) for j in range(p))
    items = design["covariates"]
    if not isinstance(items, list) or not items:
        raise ValueError("design.covariates must be a non-empty list of mappings")
    out = []
    for j, c in enumerate(items):
        if not isinstance(c, Mapping):
            raise ValueError(f"design.covariates[{j}] must be a mapping "
                             "{name, distribution, loc, scale, ...}")
        c = dict(c)
        name = str(c.pop("name", f"x{j + 1}"))
        dist = c.pop("distribution", "norm")
        if not isinstance(dist, str) or not isinstance(getattr(stats, dist, None),
                                                       stats.rv_continuous | stats.rv_discrete):
            raise ValueError(f"design.covariates[{j}].distribution: {dist!r} is not a "
                             "scipy.stats distribution name (e.g. norm, uniform, gamma)")
        for k, v in c.items():
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise ValueError(f"design.covariates[{j}].{k} must be a number")
        cov = Covariate(name, dist, tuple(sorted((k, float(v)) for k, v in c.items())))
        try:
            frozen = cov.frozen()
            m, v = frozen.stats()
            if not (np.isfinite(m) and np.isfinite(v) and v > 0):
                raise ValueError("needs a finite mean and a positive finite variance")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"design.covariates[{j}]: {dist} with {dict(cov.args)}: "
                             f"{exc}") from None
        out.append(cov)
    return intercept, tuple(out)


class RegressionFamily(Family):
    """Base of regression families: coefficients beta0 (intercept), beta1, ... ."""

    intercept: bool = True
    covariates: tuple[Covariate, ...] = (Covariate("x1", "norm", ()),)
    design: dict | None = None

    @classmethod
    def coefficient_params(cls, intercept, covariates) -> tuple[Param, ...]:
        names = (["beta0"] if intercept else []) + [f"beta{j + 1}" for j in range(len(covariates))]
        docs = (["intercept"] if intercept else []) + [f"slope of {c.name}" for c in covariates]
        return tuple(Param(nm, typical=(-1.0, 1.0), doc=d) for nm, d in zip(names, docs,
                                                                               strict=True))

    def columns(self) -> int:
        """y, the intercept column and one per covariate."""
        return 1 + int(self.intercept) + len(self.covariates)

    @classmethod
    def coefficients(cls) -> list[str]:
        return [p.name for p in cls.params if p.name.startswith("beta")]

    def draw_X(self, rng, size) -> np.ndarray:
        R, n = size
        cols = [np.ones((R, n))] if self.intercept else []
        cols += [c.frozen().rvs(size=(R, n), random_state=rng) for c in self.covariates]
        return np.stack(cols, -1).astype(float)

    def eta(self, X, theta) -> np.ndarray:
        """Linear predictor X beta; theta values broadcast against X[..., j]."""
        return sum(np.asarray(theta[nm], float) * X[..., j]
                   for j, nm in enumerate(self.coefficients()))

    def beta(self, theta) -> np.ndarray:
        return np.stack(np.broadcast_arrays(*(np.asarray(theta[nm], float)
                                              for nm in self.coefficients())), -1)

    def second_moments(self) -> np.ndarray:
        """E[x x'] of one row of X (independent covariates): m m' + diag(v)."""
        mv = [(1.0, 0.0)] if self.intercept else []
        mv += [tuple(float(s) for s in c.frozen().stats()) for c in self.covariates]
        m = np.array([a for a, _ in mv])
        return np.outer(m, m) + np.diag([b for _, b in mv])

    @classmethod
    def specialise(cls, design, extra: tuple[Param, ...] = ()) -> type[RegressionFamily]:
        intercept, covs = parse_design(design)
        params = cls.coefficient_params(intercept, covs) + extra
        return type(cls.__name__, (cls,), {
            "params": params, "intercept": intercept, "covariates": covs,
            "design": dict(design), "min_n": len(params) + 1, "__module__": cls.__module__})
