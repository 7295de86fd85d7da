"""The simulated datasets again, for the diagnostics that need the data themselves (the
score at the truth, the likelihood explorer). A dataset is a pure function of the study
and the replicate's seed block (:mod:`fisherlab.core.seeds`), so drawing blocks again gives
exactly the datasets the estimators saw, whatever the chunking."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..core.labels import prior_col, true_col
from ..core.priors import describe
from ..core.seeds import SEED_BLOCK
from ..run.simulate import draw_with_truth
from ..spec.study import Chunk, Condition

#: replicates drawn at a time (a multiple of the seed block)
BATCH = 10 * SEED_BLOCK


def datasets(study, condition: Condition, stop: int | None = None,
             batch: int = BATCH) -> Iterator[tuple[int, dict, object]]:
    """``(first replicate, theta, x)`` for replicates ``[0, stop)`` of ``condition``
    (all of them by default), ``batch`` at a time; theta holds an ``(R,)`` array for a
    truth drawn per replicate."""
    total = study.reps(condition)  # per condition × n for a study with target MCSEs
    stop = total if stop is None else min(stop, total)
    for start in range(0, stop, batch):
        end = min(start + batch, stop)
        # whole seed blocks are drawn (a family may use several streams per block)
        full = min(-(-end // SEED_BLOCK) * SEED_BLOCK, total)
        theta, x = draw_with_truth(study, Chunk(condition, 0, start, full))
        keep = end - start
        theta = {k: v[:keep] if getattr(v, "ndim", 0) else v for k, v in theta.items()}
        yield start, theta, x[:keep]


def condition_row(condition: Condition) -> dict:
    """A condition as the tables' condition columns: ``true_<p>`` per fixed truth,
    ``prior_<p>`` (the prior, described) per truth drawn from a prior."""
    fixed = {true_col(k): float(v) for k, v in sorted(condition.params.items())
             if not isinstance(v, Mapping)}
    drawn = {prior_col(k): describe(v) for k, v in sorted(condition.params.items())
             if isinstance(v, Mapping)}
    return {**fixed, **drawn}


def param_conditions(study) -> list[Condition]:
    """One condition per parameter combination (at the study's first n; the caller
    chooses its n)."""
    return [Condition(p, study.sample_sizes[0]) for p in study.param_grid()]
