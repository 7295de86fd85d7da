"""What one fit costs, from the measured table: the price of a family × estimator.

The cost table (:mod:`.cost_table`, written by ``benchmarks/bench_costs.py``) holds, per
family × estimator, the seconds per dataset ``a + b n`` of a chunk job (drawing,
fitting and building the rows of one dataset), the first-call set-up per job
(compiling models) and the bytes per observation a job holds. It was measured at each
family's default design and each estimator's default options; :func:`price` scales it
to a study's own: by the family's values per observation (:meth:`Family.columns
<fisherlab.families.base.Family.columns>`; a regression with more covariates) and by
the estimator's declared work (:meth:`Estimator.work
<fisherlab.estimators.base.Estimator.work>`; a posterior with more draws). A family is
looked up by its kind (:attr:`Family.kind <fisherlab.families.base.Family.kind>`):
every ``scipy.<name>`` family shares the ``scipy`` row, every ``python:`` model the
``python`` row. A pair never measured takes the largest figures measured for the
estimator: a safe guess, more jobs and never overlong ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..families import Family, get_family
from . import cost_table


@dataclass(frozen=True)
class Price:
    """One estimator's cost on one family, scaled to the study's design and options."""

    #: seconds per dataset: a + b n
    a: float
    b: float
    #: first-call set-up seconds per job (compiling)
    setup: float
    #: bytes per observation a chunk job holds
    bytes_per_obs: float
    #: posterior draws kept per replicate and estimand (0 for a point estimator)
    kept_draws: int
    #: whether the table measured this family × estimator
    measured: bool
    #: set-up seconds of each further sample size a job spans (a program per data shape)
    size_setup: float = 0.0

    def seconds(self, n: int) -> float:
        """Seconds per dataset of n observations."""
        return self.a + self.b * n


def table_key(family: Family) -> str:
    """The cost table's row name of a family: its name, or its kind (``scipy``,
    ``python``) for families not registered by name."""
    return family.name if family.kind == "registered" else family.kind


def figures(family: Family, estimator: str) -> tuple[tuple, bool]:
    """(a, b, setup, bytes_per_obs) of the table for a family × estimator name, and
    whether measured (else the largest of each figure measured for the estimator)."""
    return _row(cost_table.FITS, (table_key(family), estimator))


def _row(table: dict, key: tuple) -> tuple[tuple, bool]:
    """``table[key]`` (a tuple of figures) and True; for a family the table has not
    measured, the largest of each figure over the estimator's rows (all rows where it
    has none) and False."""
    if key in table:
        return table[key], True
    same = [v for (_, e), v in table.items() if e == key[1]] or list(table.values())
    return tuple(max(v[i] for v in same) for i in range(len(same[0]))), False


def width(family: Family) -> float:
    """Values per observation against the design the table was measured at."""
    default = get_family(family.name) if family.kind == "registered" else family
    return family.columns() / default.columns()


def row_name(family: Family, spec) -> str:
    """The table row of an estimator: ``mle[likelihood_ratio]`` for an ``mle`` whose
    intervals invert the likelihood ratio (a root search per dataset and parameter, far
    dearer than its fit) where the table has that row, else the estimator's name."""
    interval = spec.options.get("interval")
    if isinstance(interval, str) and interval != "wald":
        name = f"{spec.name}[{interval}]"
        if (table_key(family), name) in cost_table.FITS:
            return name
    return spec.name


def size_setup(family: Family, estimator: str) -> float:
    """The table's seconds for each further sample size of a job (``SIZE_SETUP``, 0 for
    a measured row without one), as :func:`figures` looks rows up."""
    rows = {k: (cost_table.SIZE_SETUP.get(k, 0.0),) for k in cost_table.FITS}
    return _row(rows, (table_key(family), estimator))[0][0]


def price(family: Family, spec) -> Price:
    """The price of one of a study's estimators (an ``EstimatorSpec``) on its family."""
    name = row_name(family, spec)
    (a, b, setup, per_obs), measured = figures(family, name)
    work = spec.estimator.work()
    w = width(family)
    return Price(a * w * work.time, b * w * work.time, setup, per_obs * w, work.kept_draws,
                 measured, size_setup(family, name))
