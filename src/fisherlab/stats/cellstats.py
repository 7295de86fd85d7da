"""A cell's sufficient statistics: what its summary needs, kept per seed block.

A *cell* is one condition × n × estimator × estimand. For each 100-replicate seed
block of a cell, :func:`block_stats` keeps (converged rows only, except the counts):

* ``n_rep``, ``n_failed``: rows and failed fits; ``rep_failed``: replicates whose fit
  by this estimator failed for any estimand (the ``max_failure_rate`` rule);
* ``x_*``: count, mean, M2, M3, M4 (:mod:`fisherlab.stats.moments`) of x = the estimate
  when the cell's truth is fixed, or the error estimate - truth_i when truths are
  drawn per replicate (``drawn``): bias, empSE and its kurtosis-aware MCSE, MSE and its
  MCSE all follow (:func:`fisherlab.stats.measures.performance_from_stats`);
* ``est_*``: count, mean, M2 of the estimate (its mean when truths are drawn);
* ``se2_*``: count of finite se^2, their mean and M2 (model-based SE and its MCSE);
* ``ci_*``: count of finite intervals, how many cover the truth (``ci_cover``), the
  mean and M2 of their widths;
* ``truth``: the fixed truth (NaN when drawn).

:func:`merge_cells` merges the blocks of each cell in a fixed pairwise tree; the
result is the same whatever chunks the blocks came from. Bias-eliminated coverage
is the one measure these cannot give (its centre, theta_i + bias, is known only after
the merge); the summarise stage counts it in a second pass over each cell's intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.seeds import SEED_BLOCK
from .moments import block_moments, tree_merge

#: cell keys within a condition, and the block
KEYS = ["estimator", "estimand"]
#: moment sets: prefix -> order
MOMENTS = {"x": 4, "est": 2, "se2": 2, "width": 2}
COUNTS = ["n_rep", "n_failed", "rep_failed", "ci_cover"]
FIELDS = COUNTS + ["truth"] + [f"{p}_{k}" for p, o in MOMENTS.items()
                               for k in ("cnt", "mean", *(f"m{j}" for j in range(2, o + 1)))]


def _grid(values: np.ndarray, pos: np.ndarray, nb: int, fill=0.0) -> np.ndarray:
    out = np.full(nb * SEED_BLOCK, fill, dtype=values.dtype)
    out[pos] = values
    return out.reshape(nb, SEED_BLOCK)


def block_stats(df: pd.DataFrame, drawn: bool) -> pd.DataFrame:
    """One row per cell (estimator, estimand) × seed block of ``df`` (rows of one
    condition and n): :data:`KEYS`, ``block`` and :data:`FIELDS`."""
    rep = df["replicate"].to_numpy(np.int64)
    bad = ~df["converged"].to_numpy(bool)
    # replicates whose fit failed for any estimand, per estimator
    failed = (pd.DataFrame({"estimator": df["estimator"].to_numpy(), "replicate": rep,
                            "bad": bad}).groupby(["estimator", "replicate"])["bad"].any())
    # each column converted once (per cell it would be cells × rows of copying)
    cols = {c: df[c].to_numpy(float) for c in VALUES}
    cells = []
    for (est, estimand), idx in df.groupby(KEYS, sort=True).indices.items():
        f = failed.loc[est]
        cells.append(cell_stats(est, estimand, rep[idx], bad[idx],
                                f.index.to_numpy(np.int64), f.to_numpy(bool),
                                {c: v[idx] for c, v in cols.items()}, drawn))
    return stats_frame(cells)


#: the columns of a cell's rows that its statistics read (besides replicate, converged)
VALUES = ("estimate", "true_value", "se", "ci_low", "ci_high")


def cell_stats(estimator: str, estimand: str, rep: np.ndarray, bad: np.ndarray,
               failed_rep: np.ndarray, failed: np.ndarray, values: dict,
               drawn: bool) -> dict:
    """One cell's per-block statistics as columns (one entry per block): its rows'
    replicates ``rep``, failed fits ``bad`` and :data:`VALUES` (``values``), and, per
    replicate ``failed_rep`` of its estimator, whether any of the estimator's fits of
    it failed (``failed``)."""
    r = rep
    b0 = int(r.min()) // SEED_BLOCK
    nb = int(r.max()) // SEED_BLOCK - b0 + 1
    pos = r - b0 * SEED_BLOCK
    present = _grid(np.ones(len(r), bool), pos, nb, False)
    ok = present & _grid(~bad, pos, nb, False)
    g = values
    est_v = _grid(g["estimate"], pos, nb)
    truth = _grid(g["true_value"], pos, nb)
    x = est_v - truth if drawn else est_v
    se2 = _grid(g["se"] ** 2, pos, nb, np.nan)
    lo, hi = _grid(g["ci_low"], pos, nb, np.nan), _grid(g["ci_high"], pos, nb, np.nan)
    fin = ok & np.isfinite(lo) & np.isfinite(hi)
    rf = _grid(failed, failed_rep - b0 * SEED_BLOCK, nb, False)
    row = {"estimator": estimator, "estimand": estimand,
           "block": np.arange(b0, b0 + nb, dtype=np.int64),
           "n_rep": present.sum(1), "n_failed": (present & ~ok).sum(1),
           "rep_failed": rf.sum(1), "ci_cover": (fin & (lo <= truth) & (truth <= hi)).sum(1),
           "truth": np.full(nb, np.nan if drawn else float(g["true_value"][0]))}
    sets = {"x": (x, ok), "est": (est_v, ok), "se2": (se2, ok & np.isfinite(se2)),
            "width": (hi - lo, fin)}
    for p, (v, m) in sets.items():
        for k, a in block_moments(v, m, MOMENTS[p]).items():
            row[f"{p}_{k}"] = a
    return row


def stats_columns(cells: list[dict]) -> dict[str, np.ndarray]:
    """Cells' statistics (:func:`cell_stats`) as the columns of one table, cells in
    (estimator, estimand) order: :data:`KEYS`, ``block`` and :data:`FIELDS`."""
    cells = sorted(cells, key=lambda c: (c["estimator"], c["estimand"]))
    sizes = [len(c["block"]) for c in cells]
    out = {k: np.repeat(np.array([c[k] for c in cells], dtype=object), sizes)
           for k in KEYS}
    for k in ["block"] + FIELDS:
        out[k] = np.concatenate([c[k] for c in cells])
    for c in COUNTS:
        out[c] = out[c].astype(np.int64)
    return out


def stats_frame(cells: list[dict]) -> pd.DataFrame:
    """:func:`stats_columns` as a DataFrame."""
    return pd.DataFrame(stats_columns(cells))


def merge_cells(blocks: pd.DataFrame) -> pd.DataFrame:
    """One row per cell (:data:`KEYS`): its blocks merged in block order (a fixed tree),
    counts summed. Every block of a cell must be present once."""
    blocks = blocks.sort_values(KEYS + ["block"], kind="stable", ignore_index=True)
    rows = []
    for key, g in blocks.groupby(KEYS, sort=True):
        blk = g["block"].to_numpy()
        if len(np.unique(blk)) != len(blk) or np.any(np.diff(blk) != 1) or blk[0] != 0:
            raise ValueError(f"cell {key}: blocks {blk.tolist()[:5]}... are not 0, 1, 2, ...")
        row = dict(zip(KEYS, key, strict=True))
        for c in COUNTS:
            row[c] = int(g[c].sum())
        row["truth"] = float(g["truth"].iloc[0])
        for p, order in MOMENTS.items():
            names = ("cnt", "mean", *(f"m{j}" for j in range(2, order + 1)))
            m = tree_merge({k: g[f"{p}_{k}"].to_numpy(float) for k in names})
            row.update({f"{p}_{k}": float(v) for k, v in m.items()})
        rows.append(row)
    return pd.DataFrame(rows, columns=KEYS + FIELDS)


def moments_of(row, prefix: str) -> dict:
    """The moment set ``prefix`` (``x``, ``est``, ``se2``, ``width``) of a merged row."""
    return {k.removeprefix(prefix + "_"): float(row[k]) for k in FIELDS
            if k.startswith(prefix + "_")}
