"""How many replications a target MCSE needs: forecasts from measured MCSEs.

Every MCSE of Morris, White & Crowther (2019), Table 6, is sqrt(V / S) with V a
per-replicate variance (a delta-method form for the non-linear measures), so the
replications a target MCSE tau needs are R = V / tau^2 = R_now (MCSE_now / tau)^2. For
coverage this is p (1 - p) / tau^2, for bias empSE^2 / tau^2; the other forms are in
docs/precision.md. R_now counts failed fits too, so the forecast keeps the measured
failure rate. The round stage (:mod:`fisherlab.pipeline.rounds`) and the pilot
(:mod:`fisherlab.run.pilot`) both forecast with these.
"""

from __future__ import annotations

import math

from ..core.seeds import SEED_BLOCK
from ..stats.measures import performance_from_stats


def mcse_of(perf: dict, measure: str, truth: float) -> float:
    """The MCSE of ``measure`` in a :func:`~fisherlab.stats.measures.performance` dict."""
    if measure == "rel_bias":
        return perf["bias_mcse"] / abs(truth) if truth else float("nan")
    return perf[f"{measure}_mcse"]


def forecast(replications: int, mcse: float, target: float) -> float:
    """Replications for MCSE ``target``: V / target^2 with V = replications * mcse^2 the
    per-replicate variance behind the MCSE (NaN when the MCSE is)."""
    return replications * (mcse / target) ** 2


def predicted_mcse(replications: int, mcse: float, at: int) -> float:
    """The MCSE ``at`` replications, forecast from one measured at ``replications``."""
    return mcse * math.sqrt(replications / at)


def assess(study, cond: str, n: int, cells, targets: dict | None = None) -> list[dict]:
    """Each target (default: the study's) of each cell (estimator × estimand) of one
    condition × n, from its merged statistics ``cells``
    (:func:`fisherlab.stats.cellstats.merge_cells`)."""
    drawn = any(isinstance(v, dict) for v in study.params.values())
    out = []
    for _, c in cells.iterrows():
        perf = performance_from_stats(c, drawn)
        reps = int(c["n_rep"])
        for m, tau in (targets or study.targets.mcse).items():
            se = float(mcse_of(perf, m, float(c["truth"])))
            out.append({"cond": cond, "n": int(n), "estimator": c["estimator"],
                        "estimand": c["estimand"], "measure": m, "target": tau,
                        "value": float(perf["rel_bias" if m == "rel_bias" else m]),
                        "mcse": se, "replications": reps,
                        "needed": forecast(reps, se, tau),
                        "met": bool(se <= tau) if math.isfinite(se) else None})
    return out


def next_replications(reps: int, rows: list[dict], cap: int) -> tuple[int, bool]:
    """(replications of the next round, whether the cell stops). A cell stops when every
    target it can measure is met, or at the cap; otherwise it grows to the largest
    forecast, in whole seed blocks, by one block at least."""
    unmet = [r for r in rows if r["met"] is False]
    if not unmet or reps >= cap:
        return reps, True
    need = max(r["needed"] for r in unmet)
    grow = SEED_BLOCK * math.ceil(need / SEED_BLOCK)
    return min(cap, max(reps + SEED_BLOCK, grow)), False
