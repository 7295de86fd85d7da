"""Run one chunk: draw its datasets, fit every estimator, return the replicate rows.

This is SimDesign's *generate* and *analyse* for one job. A chunk is a pure function
of its spec (see :meth:`fisherlab.study.Study.spec`); its rows follow the
``estimates.parquet`` contract (README, "Outputs").
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .estimators import make_estimator
from .families import get_family
from .seeds import block_rng, blocks

#: columns of estimates.parquet after the ``true_<param>`` columns
COLUMNS = ["n", "replicate", "estimator", "estimand", "true_value", "estimate", "se",
           "ci_low", "ci_high", "converged", "reason", "iterations", "chunk"]


def draw(spec: Mapping) -> np.ndarray:
    """The chunk's datasets, shape ``(stop - start, n)``, block by block."""
    fam = get_family(spec["family"])
    parts = [fam.sample(block_rng(spec["seed"], spec["family"], spec["params"], spec["n"], b),
                        spec["params"], (size, spec["n"]))
             for b, size in blocks(spec["start"], spec["stop"])]
    return np.concatenate(parts, axis=0)


def run_chunk(spec: Mapping) -> pd.DataFrame:
    """Fit every estimator of the spec to the chunk's datasets: one row per replicate ×
    estimator × estimand."""
    fam = get_family(spec["family"])
    x = draw(spec)
    R = x.shape[0]
    theta = dict(spec["params"])
    fixed = {p.name: theta[p.name] for p in fam.params if not p.estimated}
    estimands = tuple(spec["estimands"])
    truth = {e: float(fam.truth(theta, e)) for e in estimands}
    replicate = np.arange(spec["start"], spec["stop"])
    frames = []
    for est in spec["estimators"]:
        estimator = make_estimator(est["name"], est.get("options"))
        fits = estimator.fit(fam, x, fixed, estimands, spec["level"])
        for e in estimands:
            f = fits[e]
            frames.append(pd.DataFrame({
                "n": np.full(R, spec["n"], dtype=np.int64), "replicate": replicate,
                "estimator": est["name"], "estimand": e, "true_value": truth[e],
                "estimate": f.estimate, "se": f.se, "ci_low": f.ci_low, "ci_high": f.ci_high,
                "converged": f.converged, "reason": f.reason.astype(str),
                "iterations": f.iterations.astype(np.int64),
                "chunk": np.full(R, spec["chunk"], dtype=np.int64)}))
    df = pd.concat(frames, ignore_index=True)
    for i, (k, v) in enumerate(sorted(theta.items())):
        df.insert(i, f"true_{k}", float(v))
    return df


def timed_chunk(spec: Mapping) -> tuple[pd.DataFrame, float]:
    t0 = time.perf_counter()
    df = run_chunk(spec)
    return df, time.perf_counter() - t0
