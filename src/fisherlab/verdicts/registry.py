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

Fn = Callable[[dict, object], list[dict]]


@dataclass(frozen=True)
class Rule:
    """One question and the one function that answers it, everywhere it is asked."""

    question: str
    fn: Fn
    doc: str


#: question -> rule, in the order of their modules' names
RULES: dict[str, Rule] = {}


def rule(question: str) -> Callable[[Fn], Fn]:
    """Decorator: register ``fn(tables, study) -> rows`` as the rule of ``question``;
    ``tables`` maps each table's name (``summary`` and every diagnostic) to its rows."""

    def wrap(fn: Fn) -> Fn:
        if question in RULES and RULES[question].fn is not fn:
            raise ValueError(f"the question {question!r} has a rule already")
        RULES[question] = Rule(question, fn, (fn.__doc__ or "").strip().split("\n")[0])
        return fn

    return wrap


def empty(keys: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=[*keys, *COLUMNS])
