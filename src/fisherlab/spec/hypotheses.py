"""A study's hypothesis tests (``tests:``): each item a null value of one estimand and
the tests of it, checked when the file is read so that a test that cannot be run stops
the run before any job::

    tests:
      - {estimand: p, null_value: 0.5, test: [wald, score, lr], sides: two, level: 0.05}

``test`` defaults to wald, ``sides`` to two (``less``: reject for small estimates,
``greater``: for large ones) and ``level`` to 0.05. Score and likelihood-ratio tests
need a regular family whose estimated parameter the estimand is, and a
maximum-likelihood estimator among the study's (their rows are its rows); the score
test also needs the family's Fisher information in closed form.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the tests, and their names on the page
TESTS = {"wald": "Wald", "score": "score", "lr": "likelihood ratio"}
SIDES = ("two", "less", "greater")
#: the level a test item gets when it names none
LEVEL = 0.05


@dataclass(frozen=True)
class Hypothesis:
    """One test of ``estimand = null`` (see the module docstring)."""

    estimand: str
    null: float
    test: str
    sides: str = "two"
    level: float = LEVEL

    @property
    def text(self) -> str:
        op = {"two": "≠", "less": "<", "greater": ">"}[self.sides]
        return (f"{TESTS[self.test]} test of {self.estimand} = {self.null:g} against "
                f"{self.estimand} {op} {self.null:g} at level {self.level:g}")


def check_tests(items: list, fam, estimands: list, estimators: list,
                problems) -> tuple[Hypothesis, ...] | None:
    """The study's tests (the schema accepted their shape), every problem to
    ``problems`` under its key (``tests[i].estimand``, ...); None when there was one.
    ``estimators``: the study's estimator objects."""
    before = len(problems.items)
    out, seen = [], set()
    estimated = [p.name for p in fam.estimated()]
    has_mle = any(getattr(e, "maximum_likelihood", False) for e in estimators)
    for i, item in enumerate(items):
        key = f"tests[{i}]"
        estimand = item["estimand"]
        if estimand not in estimands:
            problems.add(f"{key}.estimand", f"the study does not estimate {estimand!r}; a "
                         f"test must be of one of its estimands: {', '.join(estimands)}")
            continue
        tests = item.get("test", "wald")
        tests = [tests] if isinstance(tests, str) else list(tests)
        null = float(item["null_value"])
        if estimand in estimated:
            p = fam.param(estimand)
            inside = (p.low < null if p.low_open else p.low <= null) and \
                     (null < p.high if p.high_open else null <= p.high)
            if not inside:
                problems.add(f"{key}.null", f"{null:g} is outside the domain of {estimand}")
                continue
        for t in tests:
            if t == "wald":
                continue
            why = None
            if not fam.regular:
                why = f"{fam.name} is not a regular family"
            elif estimand not in estimated:
                why = f"{estimand} is not an estimated parameter of {fam.name}"
            elif not has_mle:
                why = "it needs a maximum-likelihood estimator (mle) in the study"
            elif t == "score" and not fam.has_information():
                why = f"{fam.name} declares no Fisher information in closed form"
            if why:
                problems.add(f"{key}.test", f"no {TESTS[t]} test here: {why}; wald is "
                             "available")
        for t in tests:
            h = Hypothesis(estimand, null, t, item.get("sides", "two"),
                           float(item.get("level", LEVEL)))
            if h in seen:
                problems.add(key, f"{h.text} is listed twice")
            seen.add(h)
            out.append(h)
    return None if len(problems.items) > before else tuple(out)
