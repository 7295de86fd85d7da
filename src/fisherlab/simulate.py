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
from .estimators.base import fit_timeout
from .families import get_family
from .seeds import block_rng, blocks

#: columns of estimates.parquet after the ``true_<param>`` columns
COLUMNS = ["n", "replicate", "estimator", "estimand", "true_value", "estimate", "se",
           "ci_low", "ci_high", "converged", "reason", "iterations", "chunk"]


def draw(spec: Mapping) -> np.ndarray:
    """The chunk's datasets, shape ``(stop - start, n)``, block by block."""
    fam = get_family(spec["family"], spec.get("design"))
    parts = [fam.sample(block_rng(spec["seed"], spec["family"], spec["params"], spec["n"], b),
                        spec["params"], (size, spec["n"]))
             for b, size in blocks(spec["start"], spec["stop"])]
    return np.concatenate(parts, axis=0)


def run_chunk(spec: Mapping) -> pd.DataFrame:
    """Fit every estimator of the spec to the chunk's datasets: one row per replicate ×
    estimator × estimand."""
    fam = get_family(spec["family"], spec.get("design"))
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
        with fit_timeout(spec.get("fit_timeout")):
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


class FailureRateError(RuntimeError):
    """Too many fits failed in some condition: the study is broken, not unlucky."""


def failure_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Share of failed replicates per condition × estimator, with the commonest reason.

    A replicate fails for an estimator when any of its estimands did not converge.
    """
    keys = [c for c in df.columns if c.startswith("true_") and c != "true_value"]
    keys += ["n", "estimator"]
    per_rep = (df.assign(failed=~df["converged"].astype(bool))
               .groupby(keys + ["replicate"], sort=True)["failed"].any())
    out = per_rep.groupby(level=keys).agg(failures="sum", replicates="size").reset_index()
    out["rate"] = out["failures"] / out["replicates"]
    bad = df[~df["converged"].astype(bool)]
    top = (bad.groupby(keys)["reason"].agg(lambda r: r.value_counts().index[0])
           if len(bad) else pd.Series(dtype=object))
    out["reason"] = [top.get(tuple(row), "") if len(keys) > 1 else top.get(row[0], "")
                     for row in out[keys].itertuples(index=False)]
    return out


def check_failure_rate(df: pd.DataFrame, max_rate: float | None, study: str = "") -> None:
    """Raise :class:`FailureRateError` naming every condition × estimator whose share of
    failed replicates exceeds ``max_rate`` (the study's ``max_failure_rate``)."""
    if max_rate is None:
        return
    rates = failure_rates(df)
    over = rates[rates["rate"] > max_rate].sort_values("rate", ascending=False)
    if over.empty:
        return
    keys = [c for c in rates.columns if c.startswith("true_")] + ["n"]
    lines = [f"  {', '.join(f'{k}={row[k]}' for k in keys)}, {row['estimator']}: "
             f"{int(row['failures'])}/{int(row['replicates'])} failed ({row['rate']:.1%})"
             + (f"; commonest reason: {row['reason']}" if row["reason"] else "")
             for _, row in over.head(10).iterrows()]
    more = f"\n  ... and {len(over) - 10} more" if len(over) > 10 else ""
    raise FailureRateError(
        f"study {study!r}: {len(over)} condition(s) × estimator have more failed fits than "
        f"max_failure_rate = {max_rate:g}; the study stops here (estimates.parquet keeps "
        "every failed row with its reason):\n" + "\n".join(lines) + more)
