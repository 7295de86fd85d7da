"""A study described by a file of estimates rather than a study file.

``fisherlab summarise --from FILE`` summarises estimates that someone else simulated:
one row per replicate × method × condition, with columns named as in rsimsum's
``simsum()`` (``estvarname``, ``se``, ``true``, ``methodvar``, ``by``). :class:`Columns`
holds which column plays which role; :func:`external_study` builds the
:class:`~fisherlab.spec.study.Study` every stage receives: the ``by`` factors are the
grid, the methods the estimators, the truth the estimand's value.

Such a study has no model: :class:`External` is a family that declares nothing (no
sampler, likelihood, information or exact bias) and :class:`Reported` an estimator
known only by the numbers it reported. What needs a model is left out of the stages,
each with its reason (:data:`NEEDS_MODEL`), never approximated.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..core.defaults import LEVEL
from ..estimators import Estimator
from ..families import Family
from .study import EstimatorSpec, Study

#: the diagnostics a file of estimates cannot feed, and why (the page and the command
#: say so); the others read only the estimate rows
NEEDS_MODEL = {
    "bessel": "the exact bias of each estimator needs the model (its family)",
    "consistency": "the theoretical rate of the RMSE needs the model's regularity",
    "efficiency": "the Cramér–Rao bound needs the family's Fisher information",
    "information": "the Fisher information needs the model's likelihood",
    "likelihood": "the likelihood curves need the datasets and the model",
    "normality": "the standardised estimates use the Cramér–Rao bound of the model",
    "score": "the score at the truth needs the datasets and the model",
}


@dataclass(frozen=True)
class Columns:
    """Which column of the file plays which role (rsimsum's ``simsum()`` names)."""

    #: the estimate (rsimsum ``estvarname``)
    estvarname: str
    #: its truth: a column, or a number for every row (rsimsum ``true``)
    true: str | float
    #: the method's column (``methodvar``); None: one method, named ``estimate``
    methodvar: str | None = None
    #: its standard error (``se``)
    se: str | None = None
    #: the condition factors (``by``)
    by: tuple[str, ...] = ()
    #: the interval's limits (rsimsum ``ci.limits``); without them and with ``se``, the
    #: Wald interval estimate ± z·se, as rsimsum
    ci_limits: tuple[str, str] | None = None
    #: the sample size, a column or a number for every row
    n: str | int | None = None
    #: the estimand's column, when the file has several parameters
    param: str | None = None
    #: the interval's nominal level (coverage is judged against it)
    level: float = LEVEL

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> Columns:
        d = dict(d)
        d["by"] = tuple(d.get("by") or ())
        if d.get("ci_limits"):
            d["ci_limits"] = tuple(d["ci_limits"])
        return cls(**d)

    def wald(self) -> bool:
        """Whether the intervals are Wald's, estimate ± z·se, as rsimsum's ``simsum()``
        computes them when it is given no ``ci.limits``."""
        return self.ci_limits is None and self.se is not None

    def used(self) -> dict[str, str]:
        """Column -> the option that named it (for messages), the file's columns only."""
        named = {"--estvarname": self.estvarname, "--se": self.se,
                 "--methodvar": self.methodvar, "--param": self.param,
                 "--true": self.true if isinstance(self.true, str) else None,
                 "--n": self.n if isinstance(self.n, str) else None}
        out = {c: opt for opt, c in named.items() if c is not None}
        out.update({c: "--by" for c in self.by})
        if self.ci_limits:
            out.update({self.ci_limits[0]: "--ci-limits", self.ci_limits[1]: "--ci-limits"})
        return out


def factor_column(name: str) -> str:
    """The condition column of a ``by`` factor: ``true_<name>``, as a study names its
    grid, unless the file already names it so (a study's own estimates read back)."""
    return name if name.startswith("true_") else f"true_{name}"


class External(Family):
    """The family of a file of estimates: nothing is known about the model."""

    name = "external"
    doc = "estimates read from a file; the model that made them is not known"
    params = ()
    regular = False
    kind = "external"

    def sample(self, rng, theta, size):
        raise NotImplementedError("a file of estimates has no model to draw from")

    def logpdf(self, x, theta):
        raise NotImplementedError("a file of estimates has no likelihood")


class Reported(Estimator):
    """A method of a file of estimates: its estimates, SEs and intervals as reported."""

    name = "reported"
    doc = "a method whose estimates were read from a file"

    def interval_kind(self, family, estimand: str) -> str:
        return self.options.get("interval", "as reported")

    @classmethod
    def applies_to(cls, family) -> bool:
        return isinstance(family, External)

    def point(self, family, x, theta_fixed, level):
        raise NotImplementedError("a method read from a file cannot be fitted again")


def external_study(name: str, source: str | Path, columns: Columns, grid: dict[str, list],
                   methods: list[str], estimands: list[str], sample_sizes: list[int],
                   replications: int) -> Study:
    """The study a file of estimates describes: ``grid`` maps each condition column to
    its levels (in the file's order), ``methods`` are the estimators' ids."""
    params = {k.removeprefix("true_"): v for k, v in grid.items()}
    # rsimsum's convention: without interval columns, the interval is estimate ± z·se
    kind = {"interval": "wald"} if columns.wald() else {}
    specs = [EstimatorSpec("reported", {}, Reported(**kind), label=m, key=m) for m in methods]
    where = f", by {', '.join(columns.by)}" if columns.by else ""
    text = (f"Estimates of {', '.join(estimands)} by {len(methods)} method(s) read from "
            f"{Path(source).name}{where}: Morris et al.'s measures with their Monte Carlo "
            "standard errors; no data were simulated")
    return Study(name=name, path=Path(source), description=text, family=External(),
                 params={k: [_plain(x) for x in v] for k, v in params.items()},
                 sample_sizes=sample_sizes, replications=replications, seed=None,
                 estimators=specs, estimands=estimands, level=columns.level,
                 raw={"from": str(source), "columns": columns.to_json()})


def _plain(v):
    """A level as YAML would hold it: a Python number or text."""
    if isinstance(v, np.generic):
        return v.item()
    return v
