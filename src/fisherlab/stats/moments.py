"""Mergeable sufficient statistics: counts and central moments up to the fourth.

A summary of 10^8 replicate rows must not need them in memory at once. Every measure
of :func:`fisherlab.stats.measures.performance` is a function of a few counts and of the
mean and central moment sums M2, M3, M4 of some per-row values, and those merge
exactly: two sets A and B with counts a, b (n = a + b) and delta = mean_B - mean_A give

    mean = mean_A + delta b / n
    M2 = M2_A + M2_B + delta^2 a b / n
    M3 = M3_A + M3_B + delta^3 a b (a - b) / n^2 + 3 delta (a M2_B - b M2_A) / n
    M4 = M4_A + M4_B + delta^4 a b (a^2 - a b + b^2) / n^3
         + 6 delta^2 (a^2 M2_B + b^2 M2_A) / n^2 + 4 delta (a M3_B - b M3_A) / n

(Chan, Golub & LeVeque 1979 for M2; Pébay 2008, "Formulas for robust, one-pass
parallel computation of covariances and arbitrary-order statistical moments", Sandia
SAND2008-6212, eq. 2.1 for M3, M4). Central moments, not raw power sums: a power sum
of estimates near 1000 with spread 0.001 loses every digit of the spread.

This module is the bottom layer: numpy only, no fisherlab import. Statistics are
kept per *seed block* (100 replicates, :mod:`fisherlab.core.seeds`) and merged over the
blocks of a cell in a fixed pairwise tree (:func:`tree_merge`), so the merged numbers
do not depend on how the replicates were chunked into jobs.
"""

from __future__ import annotations

import numpy as np

#: the moment fields of one variable ``v``: ``v_cnt, v_mean, v_m2, v_m3, v_m4``
ORDERS = ("cnt", "mean", "m2", "m3", "m4")


def block_moments(x: np.ndarray, mask: np.ndarray, order: int = 4) -> dict[str, np.ndarray]:
    """Count, mean and central moment sums M2..M<order> of ``x[..., j]`` where ``mask``,
    along the last axis (two passes: the mean, then the powers of the deviations)."""
    x = np.where(mask, x, 0.0)
    cnt = mask.sum(axis=-1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt > 0, x.sum(axis=-1) / np.maximum(cnt, 1), 0.0)
    d = np.where(mask, x - mean[..., None], 0.0)
    out = {"cnt": cnt, "mean": mean}
    p = d * d
    out["m2"] = p.sum(axis=-1)
    for k in range(3, order + 1):
        p = p * d
        out[f"m{k}"] = p.sum(axis=-1)
    return out


def merge(a: dict, b: dict) -> dict:
    """Merge two moment sets (arrays broadcast; an empty side leaves the other)."""
    na, nb = a["cnt"], b["cnt"]
    n = na + nb
    safe = np.where(n > 0, n, 1.0)
    delta = b["mean"] - a["mean"]
    out = {"cnt": n, "mean": np.where(n > 0, a["mean"] + delta * nb / safe, 0.0)}
    out["m2"] = a["m2"] + b["m2"] + delta**2 * na * nb / safe
    if "m3" in a:
        out["m3"] = (a["m3"] + b["m3"] + delta**3 * na * nb * (na - nb) / safe**2
                     + 3 * delta * (na * b["m2"] - nb * a["m2"]) / safe)
    if "m4" in a:
        out["m4"] = (a["m4"] + b["m4"]
                     + delta**4 * na * nb * (na * na - na * nb + nb * nb) / safe**3
                     + 6 * delta**2 * (na * na * b["m2"] + nb * nb * a["m2"]) / safe**2
                     + 4 * delta * (na * b["m3"] - nb * a["m3"]) / safe)
    return out


def tree_merge(m: dict, axis: int = -1) -> dict:
    """Merge moment sets along ``axis`` pairwise (0+1, 2+3, ..., then again), a fixed
    tree over the blocks' order: the result depends on the blocks, not on chunking."""
    m = {k: np.moveaxis(np.asarray(v, dtype=np.float64), axis, -1) for k, v in m.items()}
    while next(iter(m.values())).shape[-1] > 1:
        size = next(iter(m.values())).shape[-1]
        even = size - size % 2
        left = {k: v[..., 0:even:2] for k, v in m.items()}
        right = {k: v[..., 1:even:2] for k, v in m.items()}
        merged = merge(left, right)
        if size % 2:
            merged = {k: np.concatenate([merged[k], m[k][..., -1:]], axis=-1) for k in m}
        m = merged
    return {k: v[..., 0] for k, v in m.items()}


def variance(m: dict) -> float:
    """Sample variance (ddof 1) from a merged set."""
    return m["m2"] / (m["cnt"] - 1)


def excess_kurtosis(m: dict) -> float:
    """m4 / m2^2 - 3 with m_k = M_k / n (0 when m2 = 0), as
    :func:`fisherlab.stats.measures.excess_kurtosis`."""
    n = m["cnt"]
    m2 = m["m2"] / n
    return float(m["m4"] / n / m2**2 - 3.0) if m2 > 0 else 0.0
