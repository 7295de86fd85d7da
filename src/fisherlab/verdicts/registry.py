"""The rules by question: :func:`rule` (a decorator) and what a verdict row holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

#: the columns of verdicts.csv after the condition columns
COLUMNS = ["question", "n", "estimator", "estimand", "detail", "verdict", "value", "mcse",
           "reference", "low", "high", "statistic", "pvalue", "threshold", "rule", "used",
           "left_out", "left_out_why", "note"]
#: the verdict of a question the data cannot decide
CANNOT_TELL = "cannot tell"

#: a rule: (the cells of its table, the study) -> one verdict row per thing it judged
Fn = Callable[[object, object], list[dict]]


@dataclass(frozen=True)
class Rule:
    """One question, the table it reads and the one function that answers it, everywhere
    it is asked."""

    question: str
    table: str
    fn: Fn
    doc: str
    #: run on an empty table too (the claims: a claim no cell matches is judged)
    empty: bool = False


#: question -> rule, in the order of their modules' names
RULES: dict[str, Rule] = {}


def rule(question: str, table: str, empty: bool = False) -> Callable[[Fn], Fn]:
    """Decorator: register ``fn(cells, study) -> rows`` as the rule of ``question``, read
    from the table ``table`` (``summary``, a diagnostic's, or ``claims``): ``cells`` is a
    :class:`~fisherlab.verdicts.rows.Cells` over its rows. A rule runs only where its
    table has rows, unless ``empty``."""

    def wrap(fn: Fn) -> Fn:
        if question in RULES and RULES[question].fn is not fn:
            raise ValueError(f"the question {question!r} has a rule already")
        RULES[question] = Rule(question, table, fn,
                               (fn.__doc__ or "").strip().split("\n")[0], empty)
        return fn

    return wrap


def empty(keys: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=[*keys, *COLUMNS])
