"""A user's own measures for fisherlab (docs/DEVELOPING.md, "Adding a measure").

A study lists them under ``measures:`` as ``python:<module>:<object>`` (the module path
is relative to the project root, where fisherlab runs)::

    measures:
      - "python:studies.models.my_measures:trimmed_mse"
      - {name: "python:studies.models.my_measures:hodges_lehmann_bias", mcse: bootstrap}

A measure receives one cell's replicates that gave an estimate (a
``fisherlab.stats.plugins.Cell``: arrays ``estimate``, ``truth``, ``se``, ``ci_low``,
``ci_high``, and ``error`` = estimate - truth) and returns a number. A plain function
gets the jackknife as its MCSE; ``@measure`` declares a label, arguments, whether it is
smooth (a median is not: no jackknife) and, with ``.with_closed_form``, a formula.
"""

import numpy as np

from fisherlab.stats.plugins import Cell, measure


def trimmed_mse(cell: Cell) -> float:
    """The mean squared error without the largest 10% of squared errors: the MSE of
    the typical replicates, not of a few wild ones."""
    sq = np.sort(cell.error**2)
    return float(sq[: sq.size - int(0.1 * sq.size)].mean())


@measure("hodges_lehmann_bias", label="Hodges–Lehmann bias", smooth=False, work=20)
def hodges_lehmann_bias(cell: Cell) -> float:
    """The median of the Walsh averages (e_i + e_j) / 2, i <= j, of the errors: a
    location of the errors between the mean and the median (Hodges & Lehmann 1963).
    O(S^2) pairs: meant for a few thousand replicates a cell."""
    e = cell.error
    i, j = np.triu_indices(e.size)
    return float(np.median((e[i] + e[j]) / 2)) if e.size else float("nan")
