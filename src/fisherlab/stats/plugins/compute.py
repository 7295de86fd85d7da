"""One measure of a study on one cell: its value, its MCSE and how the MCSE was made.

:class:`MeasureSpec` is an item of a study's ``measures:`` as the loader resolved it
(``study.measures``): the measure's ``name``, its ``label``, its ``args`` (defaults
filled in), the :class:`~.base.Measure` itself and the MCSE method, one of
:data:`METHODS`: its closed form where the measure declares one, else the jackknife
(the bootstrap for a measure that is not smooth); the bootstrap when the study asks
(``mcse: bootstrap``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .base import Cell, Measure
from .mcse import bootstrap, jackknife

CLOSED_FORM, JACKKNIFE, BOOTSTRAP = "closed form", "jackknife", "bootstrap"
METHODS = (CLOSED_FORM, JACKKNIFE, BOOTSTRAP)
#: the columns of measures.csv after the condition columns
COLUMNS = ["n", "estimator", "param", "measure", "label", "value", "mcse", "mcse_method",
           "replicates"]


@dataclass(frozen=True)
class MeasureSpec:
    """One item of a study's ``measures:``, resolved (see the module docstring)."""

    name: str
    label: str
    args: dict = field(default_factory=dict)
    measure: Measure | None = field(default=None, compare=False, repr=False)
    mcse: str = CLOSED_FORM

    def to_json(self) -> dict:
        return {"name": self.name, "args": self.args, "mcse": self.mcse}


def default_method(m: Measure) -> str:
    """Its closed form where it declares one, else the jackknife, else (a measure that
    is not smooth) the bootstrap."""
    if m.closed_form is not None:
        return CLOSED_FORM
    return JACKKNIFE if m.smooth else BOOTSTRAP


def method_problem(m: Measure, method: str) -> str | None:
    """Why ``method`` cannot give ``m``'s MCSE, or None."""
    if method == CLOSED_FORM and m.closed_form is None:
        return f"{m.name} declares no closed-form MCSE: use jackknife or bootstrap"
    if method == JACKKNIFE and not m.smooth:
        return (f"the jackknife is inconsistent for {m.name} (not a smooth function of "
                f"the replicates, as a median): use "
                f"{'closed form or ' if m.closed_form else ''}bootstrap")
    return None


def evaluate(spec: MeasureSpec, cell: Cell, rng: np.random.Generator | None = None
             ) -> tuple[float, float]:
    """(value, MCSE) of ``spec`` on ``cell``; the bootstrap draws from ``rng``."""
    m, args = spec.measure, spec.args
    value = float(m.value(cell, **args))
    if not np.isfinite(value) or cell.size < 2:
        return value, float("nan")
    if spec.mcse == CLOSED_FORM:
        return value, float(m.closed_form(cell, value, **args))
    if spec.mcse == JACKKNIFE:
        return value, jackknife(lambda keep: m.value(cell.take(keep), **args), cell.size)
    if rng is None:
        raise ValueError("the bootstrap needs a generator (seeded from the study's seed)")
    return value, bootstrap(lambda idx: m.value(cell.take(idx), **args), cell.size, rng)
