"""A user's measure with a bug, for the test that the measures stage names it."""

from fisherlab.stats.plugins import Cell


def broken(cell: Cell) -> float:
    raise ZeroDivisionError("a bug in the user's measure")


not_a_measure = 3
