"""Priors in study files: an allow-list of PyMC distributions, validated, never evaluated.

A prior is a mapping ``{dist: <Name>, <keyword>: <number>, ...}``, e.g.
``{dist: Beta, alpha: 2, beta: 2}``. Only the distributions of :data:`DISTS` are
accepted, with exactly their keywords (the PyMC parametrisation named below) and
numeric values in the keyword's own domain; the prior's support must lie inside the
parameter's domain (a Normal prior on a probability is refused). Every problem is a
:class:`PriorError` naming the key; :mod:`fisherlab.spec.study` turns it into a StudyError.

Each allowed distribution has two faces: the PyMC random variable used inside models
(:func:`pymc_rv`) and the equivalent ``scipy.stats`` distribution (:func:`scipy_dist`),
used to draw true values from the prior (simulation-based calibration) and for closed
forms in tests.

Default priors
--------------
When a study gives no prior for a parameter, :func:`default_prior` applies, by family
(:data:`FAMILY_DEFAULTS`) and otherwise by the parameter's domain (:data:`DOMAIN_DEFAULTS`):

* a probability in [0, 1]: ``Beta(2, 2)``; its MAP (k+1)/(n+2) is Laplace's rule of
  succession and stays inside (0, 1) when k = 0 or k = n;
* a positive parameter (rate, scale): ``Gamma(alpha=2, beta=0.1)``, mean 20, sd 14,
  mode 10: weak, and its mode is interior so MAP never sits on the boundary 0;
* a real parameter (location): ``Normal(mu=0, sigma=10)``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from .errors import PriorError

Spec = Mapping[str, object]

_REAL = "real"
_POS = "positive"


@dataclass(frozen=True)
class Dist:
    """One allowed distribution: keywords with their domains, optional defaults (PyMC's
    own), its support as a function of the keywords, and the scipy equivalent."""

    name: str
    kwargs: dict[str, str]
    support: Callable[[dict], tuple[float, float]]
    scipy: Callable[[dict], object]
    defaults: dict[str, float] = field(default_factory=dict)
    check: Callable[[dict], str] | None = None


_R = (-math.inf, math.inf)
_P = (0.0, math.inf)


def _ordered(a: str, b: str) -> Callable[[dict], str]:
    return lambda kw: "" if kw[a] < kw[b] else f"'{a}' must be below '{b}'"


DISTS: dict[str, Dist] = {d.name: d for d in [
    Dist("Normal", {"mu": _REAL, "sigma": _POS}, lambda kw: _R,
         lambda kw: stats.norm(kw["mu"], kw["sigma"]), {"mu": 0.0}),
    Dist("StudentT", {"nu": _POS, "mu": _REAL, "sigma": _POS}, lambda kw: _R,
         lambda kw: stats.t(kw["nu"], kw["mu"], kw["sigma"]), {"mu": 0.0, "sigma": 1.0}),
    Dist("Cauchy", {"alpha": _REAL, "beta": _POS}, lambda kw: _R,
         lambda kw: stats.cauchy(kw["alpha"], kw["beta"])),
    Dist("Laplace", {"mu": _REAL, "b": _POS}, lambda kw: _R,
         lambda kw: stats.laplace(kw["mu"], kw["b"])),
    Dist("HalfNormal", {"sigma": _POS}, lambda kw: _P,
         lambda kw: stats.halfnorm(scale=kw["sigma"])),
    Dist("HalfCauchy", {"beta": _POS}, lambda kw: _P,
         lambda kw: stats.halfcauchy(scale=kw["beta"])),
    Dist("LogNormal", {"mu": _REAL, "sigma": _POS}, lambda kw: _P,
         # log X ~ Normal(mu, sigma): scipy's lognorm(s=sigma, scale=exp(mu))
         lambda kw: stats.lognorm(kw["sigma"], scale=math.exp(kw["mu"])), {"mu": 0.0}),
    Dist("Gamma", {"alpha": _POS, "beta": _POS}, lambda kw: _P,
         # PyMC's beta is a rate: scipy scale = 1/beta
         lambda kw: stats.gamma(kw["alpha"], scale=1.0 / kw["beta"])),
    Dist("InverseGamma", {"alpha": _POS, "beta": _POS}, lambda kw: _P,
         lambda kw: stats.invgamma(kw["alpha"], scale=kw["beta"])),
    Dist("Exponential", {"lam": _POS}, lambda kw: _P,
         lambda kw: stats.expon(scale=1.0 / kw["lam"])),
    Dist("Weibull", {"alpha": _POS, "beta": _POS}, lambda kw: _P,
         lambda kw: stats.weibull_min(kw["alpha"], scale=kw["beta"])),
    Dist("Beta", {"alpha": _POS, "beta": _POS}, lambda kw: (0.0, 1.0),
         lambda kw: stats.beta(kw["alpha"], kw["beta"])),
    Dist("Uniform", {"lower": _REAL, "upper": _REAL}, lambda kw: (kw["lower"], kw["upper"]),
         lambda kw: stats.uniform(kw["lower"], kw["upper"] - kw["lower"]),
         check=_ordered("lower", "upper")),
    Dist("TruncatedNormal", {"mu": _REAL, "sigma": _POS, "lower": _REAL, "upper": _REAL},
         lambda kw: (kw["lower"], kw["upper"]),
         lambda kw: stats.truncnorm((kw["lower"] - kw["mu"]) / kw["sigma"],
                                    (kw["upper"] - kw["mu"]) / kw["sigma"],
                                    kw["mu"], kw["sigma"]),
         {"mu": 0.0, "lower": -math.inf, "upper": math.inf}, check=_ordered("lower", "upper")),
]}

#: default priors by the parameter's domain (see the module docstring)
DOMAIN_DEFAULTS: dict[str, dict] = {
    "unit": {"dist": "Beta", "alpha": 2.0, "beta": 2.0},
    "positive": {"dist": "Gamma", "alpha": 2.0, "beta": 0.1},
    "real": {"dist": "Normal", "mu": 0.0, "sigma": 10.0},
}

#: family-specific defaults, where the domain rule is not the right choice
FAMILY_DEFAULTS: dict[str, dict[str, dict]] = {}


def _domain_kind(param) -> str | None:
    lo, hi = param.low, param.high
    if lo >= 0 and hi <= 1:
        return "unit"
    if lo >= 0 and math.isinf(hi):
        return "positive"
    if math.isinf(lo) and math.isinf(hi):
        return "real"
    return None


def default_prior(family, param) -> dict:
    """The documented default prior of ``param`` in ``family`` (see the module docstring)."""
    own = FAMILY_DEFAULTS.get(family.name, {}).get(param.name)
    if own is not None:
        return dict(own)
    kind = _domain_kind(param)
    if kind is None:
        raise PriorError(param.name, f"there is no default prior for a parameter in "
                         f"{param.describe()}; give one explicitly")
    return dict(DOMAIN_DEFAULTS[kind])


def validate(spec: object, param=None) -> dict:
    """Check one prior mapping; return it normalised (floats, PyMC defaults filled in).

    With ``param`` (a :class:`fisherlab.families.Param`), the prior's support must lie
    inside the parameter's domain. Raises :class:`PriorError`.
    """
    if not isinstance(spec, Mapping):
        raise PriorError("", f"a prior must be a mapping such as {{dist: Beta, alpha: 2, "
                         f"beta: 2}}, got {spec!r}")
    if "dist" not in spec:
        raise PriorError("dist", f"is missing; allowed distributions: {', '.join(DISTS)}")
    name = spec["dist"]
    if name not in DISTS:
        near = difflib.get_close_matches(str(name), list(DISTS), n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        raise PriorError("dist", f"unknown distribution {name!r}; {hint}allowed: "
                         f"{', '.join(DISTS)}")
    d = DISTS[name]
    kw: dict[str, float] = {}
    for k, v in spec.items():
        if k == "dist":
            continue
        if k not in d.kwargs:
            raise PriorError(str(k), f"is not a keyword of {name}; allowed: "
                             f"{', '.join(d.kwargs)}")
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise PriorError(str(k), f"must be a finite number, got {v!r}")
        if d.kwargs[k] == _POS and not v > 0:
            raise PriorError(str(k), f"must be > 0 for {name}, got {v!r}")
        kw[k] = float(v)
    for k in d.kwargs:
        if k not in kw:
            if k not in d.defaults:
                raise PriorError(k, f"is missing; {name} needs {', '.join(d.kwargs)}")
            kw[k] = float(d.defaults[k])
    if d.check and (msg := d.check(kw)):
        raise PriorError("", f"{name}: {msg}")
    if param is not None:
        lo, hi = d.support(kw)
        # the support (as a closed interval) must sit inside the closure of the domain
        if lo < param.low or hi > param.high:
            raise PriorError("dist", f"{name} has support [{lo:g}, {hi:g}], outside the "
                             f"domain of {param.name}, which must be {param.describe()}")
    return {"dist": name, **kw}


def priors_for(family, given: Mapping | None) -> dict[str, dict]:
    """Validated priors for every estimated parameter: the given ones, defaults for the rest.

    Raises :class:`PriorError` with keys relative to ``prior`` (e.g. ``p.alpha``).
    """
    given = given or {}
    names = [p.name for p in family.estimated()]
    for k in given:
        if k not in names:
            raise PriorError(str(k), f"is not an estimated parameter of {family.name}; "
                             f"priors can be given for: {', '.join(names)}")
    out = {}
    for p in family.estimated():
        try:
            out[p.name] = validate(given[p.name], p) if p.name in given \
                else default_prior(family, p)
        except PriorError as exc:
            raise PriorError(f"{p.name}.{exc.key}" if exc.key else p.name, exc.problem) from None
    return out


def scipy_dist(spec: Spec):
    """The frozen ``scipy.stats`` distribution equal to a validated prior."""
    kw = {k: v for k, v in spec.items() if k != "dist"}
    return DISTS[spec["dist"]].scipy(kw)


def pymc_rv(name: str, spec: Spec, **extra):
    """Create the prior as a PyMC random variable in the current model context
    (``extra``: PyMC keywords such as ``shape``)."""
    import pymc as pm  # (start-up: imported when used)

    # an infinite bound (TruncatedNormal's default) is PyMC's None
    kw = {k: v for k, v in spec.items() if k != "dist" and math.isfinite(v)}
    return getattr(pm, spec["dist"])(name, **kw, **extra)


# --------------------------------------------------------------------------- drawn truths
class Prior(dict):
    """A validated prior used as a parameter's TRUE value in a study (``model.params``):
    each replicate draws its own truth from it (simulation-based calibration).

    A plain mapping (JSON-serialisable as such) that formats as its description, so
    ``f"{value:g}"`` in a report prints ``Beta(alpha=2, beta=2)`` instead of failing.
    """

    def __format__(self, format_spec: str) -> str:
        return describe(self)

    def __str__(self) -> str:
        return describe(self)


def describe(spec: Spec, short: bool = False) -> str:
    """``Beta(alpha=2, beta=2)``: a prior as one readable string; ``short`` gives the
    values alone in the distribution's declared order (PyMC's), ``Beta(2, 2)``."""
    if short:
        order = list(DISTS[spec["dist"]].kwargs) if spec["dist"] in DISTS else list(spec)
        vals = ", ".join(f"{spec[k]:g}" for k in order if k in spec)
        return f"{spec['dist']}({vals})"
    kw = ", ".join(f"{k}={v:g}" for k, v in spec.items() if k != "dist")
    return f"{spec['dist']}({kw})"


def draw(spec: Spec, rng, size: int):
    """``size`` independent draws from a prior, with scipy (:func:`scipy_dist`) and the
    given numpy Generator: the same generator state gives bit-identical values."""

    return np.asarray(scipy_dist(spec).rvs(size=size, random_state=rng), dtype=float)
