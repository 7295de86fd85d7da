"""A study's ``fit_model:``: the family the estimators fit, apart from the one that draws.

Checked here before any job: the family and its design (as ``model`` is), its design
constants (``params``), that it can fit the data's support at all (its
:attr:`~fisherlab.families.base.Family.space` holds the data's: a Poisson cannot fit
values below 0, an exponential cannot fit the real line), and ``target``: per estimand
``pseudo_true`` (the default, :mod:`fisherlab.families.pseudo_true`) or ``data`` (the data
model's own value of an estimand both families have).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from ..families import Family
from ..families.params import Space
from .checks import check_family
from .schema import Problems


@dataclass(frozen=True)
class FitModel:
    """The analysis family of a study, with its design constants and targets."""

    family: Family
    #: the analysis family's design constants (``fit_model.params``)
    params: dict = field(default_factory=dict)
    #: estimand -> "pseudo_true" | "data"; an estimand not listed is pseudo_true
    target: dict = field(default_factory=dict)
    #: the study file's ``fit_model`` as written (part of every chunk's spec)
    raw: dict = field(default_factory=dict)

    def target_of(self, estimand: str) -> str:
        return self.target.get(estimand, "pseudo_true")


def check_fit_model(path, data: Family, params: dict, doc: dict,
                    problems: Problems) -> FitModel | None:
    """The study's :class:`FitModel`, or None with every problem added (keys under
    ``fit_model``)."""
    sub = Problems(path)
    fam = check_family(path, doc["family"], doc.get("design"), sub)
    for k, problem in sub.items:  # check_family names the model's keys
        problems.add("fit_model." + k.removeprefix("model."), problem)
    if fam is None:
        return None
    before = len(problems.items)
    if fam.columns() != 1 or data.columns() != 1:
        problems.add("fit_model.family", "fit_model needs one value per observation in both "
                     f"models; {data.name if data.columns() != 1 else fam.name} is a "
                     "regression family")
        return None
    drawn = [k for k, v in params.items() if any(not isinstance(x, int | float) for x in v)]
    if drawn:
        problems.add("model.params." + drawn[0], "a truth drawn from a prior cannot go with "
                     "fit_model (the pseudo-true value is computed per condition)")
    data_space = _data_space(data, params)
    if data_space is not None and fam.space is not None and not data_space.within(fam.space):
        problems.add("fit_model.family", f"{fam.name} cannot fit data drawn from {data.name}: "
                     f"its observations lie in {fam.space.describe()}, the data's in "
                     f"{data_space.describe()}; choose a family whose support holds the "
                     "data's")
    consts = [p for p in fam.params if not p.estimated]
    given = dict(doc.get("params") or {})
    for k in given:
        if k not in [p.name for p in consts]:
            problems.add(f"fit_model.params.{k}", f"is not a design constant of {fam.name}; "
                         f"its constants: {', '.join(p.name for p in consts) or 'none'}")
    for p in consts:
        if p.name not in given:
            problems.add(f"fit_model.params.{p.name}", f"is missing: {fam.name} needs its "
                         "value (it is not estimated)")
        elif not p.contains(given[p.name]):
            problems.add(f"fit_model.params.{p.name}", f"must be {p.describe()}")
    target = dict(doc.get("target") or {})
    for e, kind in target.items():
        if e not in fam.estimands():
            problems.add(f"fit_model.target.{e}", f"is not an estimand of {fam.name}; "
                         f"allowed: {', '.join(fam.estimands())}")
        elif kind == "data" and e not in data.estimands():
            problems.add(f"fit_model.target.{e}", f"data needs an estimand the data model "
                         f"{data.name} has too; it has: {', '.join(data.estimands())}")
    if len(problems.items) > before:
        return None
    fixed = {p.name: int(given[p.name]) if p.integer else float(given[p.name]) for p in consts}
    return FitModel(fam, fixed, target, dict(doc))


def _data_space(data: Family, params: dict) -> Space | None:
    """Where the data lie over every condition: the family's support at each
    combination of true values where it declares one, else its space."""
    if not data.has("support"):
        return data.space
    lows, highs = [], []
    names = list(params)
    for combo in itertools.product(*params.values()):
        try:
            lo, hi = data.support(dict(zip(names, combo, strict=True)))
        except (NotImplementedError, TypeError, ValueError):
            return data.space
        lows.append(lo)
        highs.append(hi)
    return Space(min(lows), max(highs), bool(data.space and data.space.integer))
