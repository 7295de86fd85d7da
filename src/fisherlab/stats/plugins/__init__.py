"""Measures as plug-ins: a measure of one cell's replicate rows, registered by name
(:mod:`.base`), the built-in ones (:mod:`.builtin`), their MCSEs without a formula
(:mod:`.mcse`) and one measure on one cell (:mod:`.compute`). The Morris et al.
measures of summary.csv stay in :mod:`fisherlab.stats.measures`, the one place of each
of their formulas, which the plug-ins call where they share one."""

from . import builtin  # noqa: F401 - registers the built-in measures
from .base import MEASURES, Cell, Measure, measure, resolve
from .compute import BOOTSTRAP, CLOSED_FORM, COLUMNS, JACKKNIFE, METHODS, MeasureSpec, evaluate

__all__ = ["BOOTSTRAP", "CLOSED_FORM", "COLUMNS", "JACKKNIFE", "MEASURES", "METHODS", "Cell",
           "Measure", "MeasureSpec", "evaluate", "measure", "resolve"]
