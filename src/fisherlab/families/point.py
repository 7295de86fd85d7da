"""What an estimator produces for a batch of datasets (kept apart from the family hooks
in :mod:`.base`, which re-exports it)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def blank_reasons(R: int) -> np.ndarray:
    """R empty reasons (an object array of ''), as a fit's ``Point.reason`` starts:
    ``np.full(R, '', dtype=object)`` costs five times as much."""
    out = np.empty(R, dtype=object)
    out.fill("")
    return out


@dataclass
class Point:
    """What an estimator produced for a batch of R datasets.

    ``estimate`` maps estimand to an array of shape ``(R,)``. ``se`` and ``interval``
    hold what the estimator knows itself (an exact variance, a pivotal interval);
    :mod:`fisherlab.estimators` completes the rest (delta method, Wald intervals).
    ``cov`` is the estimated covariance of the estimated parameters, ``(R, k, k)``,
    used for derived estimands and for parameters without their own ``se``.
    ``converged``/``reason`` mark replicates that failed (``reason`` is '' when fine).
    """

    estimate: dict[str, np.ndarray]
    se: dict[str, np.ndarray] = field(default_factory=dict)
    interval: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    cov: np.ndarray | None = None
    converged: np.ndarray | None = None
    reason: np.ndarray | None = None
    iterations: np.ndarray | None = None
    #: posterior draws per estimand, ``(R, chain, draw)``, for estimators that sample
    draws: dict[str, np.ndarray] | None = None
    #: sampler warnings (divergences, high R-hat, low ESS): a flagged replicate still
    #: has a usable estimate (``converged`` stays True) and the measures keep it;
    #: ``flag_reason`` says why, ``flags`` holds the values (e.g. ``rhat``, ``ess_bulk``,
    #: ``divergences``), each ``(R,)``
    flagged: np.ndarray | None = None
    flag_reason: np.ndarray | None = None
    flags: dict[str, np.ndarray] | None = None
    #: an optimiser's work per replicate, ``(R,)`` each: evaluations of the
    #: log-likelihood, of its gradient and of its Hessian (a named ``mle`` method)
    evaluations: dict[str, np.ndarray] | None = None
