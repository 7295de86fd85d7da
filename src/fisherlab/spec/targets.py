"""Replications from target Monte Carlo standard errors: what a study file asks for.

A study may give ``replications`` as targets instead of a number::

    replications: {mcse: {coverage: 0.003, bias: 0.005}, max: 200000, min: 200}

The run then adds replications in rounds per condition × n until every target is met
or ``max`` is reached (:mod:`fisherlab.pipeline.rounds`; the forecast of how many a
target needs is :mod:`fisherlab.plan.forecast`; docs/precision.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.seeds import SEED_BLOCK

#: the measures a target may name, and what their MCSE is (summary.csv's ``<m>_mcse``)
TARGETABLE = {
    "bias": "bias_mcse", "rel_bias": "bias_mcse / |truth|", "empse": "empse_mcse",
    "mse": "mse_mcse", "rmse": "rmse_mcse", "modelse": "modelse_mcse",
    "relerr_modelse": "relerr_modelse_mcse", "coverage": "coverage_mcse",
    "width": "width_mcse",
}
#: the first round's replications when the file gives no ``min``
DEFAULT_MIN = 2 * SEED_BLOCK
@dataclass(frozen=True)
class Targets:
    """What ``replications`` asks for: measure -> largest MCSE, the first round's
    replications and the most any condition × n gets."""

    mcse: dict
    min: int
    max: int

    def to_json(self) -> dict:
        return {"mcse": dict(self.mcse), "min": self.min, "max": self.max}

    def first_round(self, replications: int) -> int:
        """The first round's replications of a study capped at ``replications``."""
        return min(self.min, replications)


def check_targets(value, problems) -> Targets | None:
    """The targets of a ``replications`` mapping the schema accepted (NaN and infinity
    are refused by :func:`fisherlab.spec.schema.check_finite`), or None for a number;
    problems go to ``problems`` with their key."""
    if not isinstance(value, dict):
        return None
    hi = int(value["max"])
    lo = int(value.get("min", min(DEFAULT_MIN, SEED_BLOCK * (hi // SEED_BLOCK))))
    if lo > hi:
        problems.add("replications.min", f"must be <= replications.max ({hi}), got {lo}")
        return None
    return Targets({k: float(v) for k, v in value["mcse"].items()}, lo, hi)
