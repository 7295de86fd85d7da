"""What a measure is: a function of one cell's replicate rows that returns a number,
declared once and registered by name, with an MCSE in closed form where one is known.

A cell is one condition × n × estimator × estimand; :class:`Cell` holds its replicates
that gave an estimate (failed fits removed). A measure is a :class:`Measure`: its
``name`` (what a study file's ``measures:`` lists), a ``label`` people read (a format
string of its arguments: ``"trimmed bias ({trim:.0%} each side)"``), the arguments it
takes with their defaults and allowed ranges, its ``value(cell, **args)`` and, where a
formula exists, ``closed_form(cell, value, **args)``, its Monte Carlo SE. A measure
that is not a smooth function of the rows (a median, a quantile) says ``smooth =
False``: the delete-one jackknife does not estimate its variance consistently (Efron &
Tibshirani 1993, 11.6), so it refuses ``mcse: jackknife``.

The built-in measures are in :mod:`.builtin`; a user's own is
``python:<module>:<object>``: a :class:`Measure` (most easily made by :func:`measure`),
or any function of a :class:`Cell` returning a number (then its MCSE is the jackknife).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np

from ...core.registry import Registry, python_object


@dataclass(frozen=True)
class Cell:
    """The replicates of one cell that gave an estimate: arrays of equal length S.

    ``truth`` is each replicate's true value (one value repeated for a fixed truth);
    ``se``, ``ci_low`` and ``ci_high`` are NaN where the estimator gives none; ``level``
    is the study's interval level."""

    estimate: np.ndarray
    truth: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    level: float = 0.95

    @classmethod
    def of(cls, estimate, truth, se=None, ci_low=None, ci_high=None,
           level: float = 0.95) -> Cell:
        est = np.asarray(estimate, float)
        nan = np.full(est.shape, np.nan)
        return cls(est, np.broadcast_to(np.asarray(truth, float), est.shape).copy(),
                   nan if se is None else np.asarray(se, float),
                   nan if ci_low is None else np.asarray(ci_low, float),
                   nan if ci_high is None else np.asarray(ci_high, float), float(level))

    @property
    def size(self) -> int:
        return int(self.estimate.size)

    @property
    def error(self) -> np.ndarray:
        """theta_hat_i - theta_i."""
        return self.estimate - self.truth

    @property
    def fixed_truth(self) -> bool:
        """Every replicate has the same true value (no truth drawn per replicate)."""
        return bool(self.size == 0 or np.all(self.truth == self.truth[0]))

    def take(self, idx) -> Cell:
        """The replicates ``idx`` (a mask or indices, repeats allowed): what the jackknife
        and the bootstrap evaluate a measure on."""
        return Cell(self.estimate[idx], self.truth[idx], self.se[idx], self.ci_low[idx],
                    self.ci_high[idx], self.level)


@dataclass(frozen=True)
class Measure:
    """A measure (see the module docstring)."""

    name: str
    value: Callable[..., float]
    label: str = ""
    doc: str = ""
    #: argument -> default; ``bounds`` argument -> (low, high), both exclusive
    args: dict = field(default_factory=dict)
    bounds: dict = field(default_factory=dict)
    closed_form: Callable[..., float] | None = None
    smooth: bool = True
    #: the columns of the rows it reads besides the estimate and the truth
    columns: tuple[str, ...] = ()
    #: its cost per replicate against a mean's (a sort: a few), for the cost plan
    work: float = 1.0

    def with_closed_form(self, fn: Callable[..., float]) -> Measure:
        """This measure with ``fn(cell, value, **args)`` as its MCSE's closed form."""
        return replace(self, closed_form=fn)

    def text(self, args: dict) -> str:
        """The label with the arguments filled in."""
        return (self.label or self.name).format(**{**self.args, **args})

    def check(self, args: dict) -> str | None:
        """Why ``args`` cannot be this measure's arguments, or None."""
        for k, v in args.items():
            if k not in self.args:
                allowed = ", ".join(self.args) or "none"
                return f"{self.name} takes no argument {k!r} (its arguments: {allowed})"
            if isinstance(v, bool) or not isinstance(v, int | float):
                return f"{k} must be a number, not {v!r}"
            lo, hi = self.bounds.get(k, (-np.inf, np.inf))
            if not lo < v < hi:
                return f"{k} = {v!r} must lie strictly between {lo:g} and {hi:g}"
        return None


def measure(name: str, label: str = "", smooth: bool = True, args: dict | None = None,
            bounds: dict | None = None, columns: tuple[str, ...] = (),
            work: float = 1.0) -> Callable[[Callable], Measure]:
    """Decorator: ``fn(cell, **args) -> float`` as a :class:`Measure` (its docstring the
    measure's doc). Not registered: :func:`register` does that for the built-in ones; a
    user's own is named in the study file as ``python:<module>:<object>``."""

    def wrap(fn: Callable) -> Measure:
        return Measure(name, fn, label or name.replace("_", " "), (fn.__doc__ or "").strip(),
                       dict(args or {}), dict(bounds or {}), None, smooth, tuple(columns),
                       work)

    return wrap


#: the built-in measures by name (:mod:`.builtin`)
MEASURES = Registry("measure")


def register(m: Measure) -> Measure:
    return MEASURES.register(m)


@cache
def python_measure(spec: str) -> Measure:
    """The measure named by ``python:<module>:<object>``; KeyError if unusable. As a
    ``python:`` family, the module is imported with the working directory (the
    project root) on the path."""
    module, obj, found = python_object(spec)
    if isinstance(found, Measure):
        return replace(found, name=spec, label=found.label or obj)
    if callable(found):  # a bare function: its MCSE is the jackknife
        return Measure(spec, found, obj.replace("_", " "), (found.__doc__ or "").strip())
    raise KeyError(f"{module}.{obj} must be a fisherlab Measure or a function of a Cell")


def resolve(name: str) -> Measure:
    """A measure by its registered name or ``python:<module>:<object>``; KeyError with
    the known names otherwise."""
    if name.startswith("python:"):
        return python_measure(name)
    if name not in MEASURES:
        raise KeyError(f"unknown measure {name!r}; known: {', '.join(sorted(MEASURES))}, "
                       "or python:<module>:<object>")
    return MEASURES[name]
