"""paired.csv: every estimator against the study's reference (``compare:``) on the same
datasets, one row per condition × n × estimator × estimand.

The rows of a cell are paired by ``replicate``: within a condition and n, replicate i
of every estimator is a fit to the same dataset (:mod:`fisherlab.run.simulate`). A
pair is used when both fits gave a finite estimate; the others are left out and
counted (``left_out``: replicates where either fit failed, or one of the two has no
row). The coverage difference uses the used pairs where both intervals are finite
(``coverage_used``). The measures and their MCSEs are :mod:`fisherlab.stats.paired`'s,
by the study's method (``mcse_method``).

Not a registered diagnostic: only a study with ``compare:`` has the table, written by
its own stage (:func:`fisherlab.pipeline.stages.paired`), which reads one condition × n
file at a time (:meth:`fisherlab.run.dataset.Estimates.read`), never the whole study.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.labels import param_columns
from ..stats.paired import VALUES, compare

#: what each condition × n is read for
READ = ("replicate", "estimator", "estimand", "true_value", "estimate", "ci_low", "ci_high",
        "converged")
#: paired.csv's columns after the condition columns
COLUMNS = ["n", "estimator", "reference", "estimand", "used", "left_out", "coverage_used",
           "rho", *(c for v in VALUES for c in (v, f"{v}_mcse")), "mcse_method"]


def paired_table(study, source) -> pd.DataFrame:
    """The paired comparisons of ``study`` (its ``compare:``) from ``source``
    (:class:`fisherlab.run.dataset.Estimates`); empty without ``compare:``."""
    cells = source.cells
    head = param_columns(cells) + [k for k in source.keys if k not in param_columns(cells)]
    if study.compare is None:
        return pd.DataFrame(columns=[*head, *COLUMNS])
    ref = study.compare.reference
    others = [e.id for e in study.estimators if e.id != ref]
    rows = []
    for _, unit in cells.drop_duplicates(["cond", "n"]).iterrows():
        d = source.read(unit["cond"], int(unit["n"]), READ)
        for estimand in dict.fromkeys(d["estimand"]):
            mine = d[d["estimand"] == estimand]
            base = _by_replicate(mine[mine["estimator"] == ref])
            for est in others:
                row = {**{k: unit[k] for k in head}, "n": int(unit["n"]),
                       "estimator": est, "reference": ref, "estimand": estimand}
                row.update(pair_cell(_by_replicate(mine[mine["estimator"] == est]), base,
                                     study.compare.mcse))
                rows.append(row)
    return pd.DataFrame(rows, columns=[*head, *COLUMNS])


def _by_replicate(g: pd.DataFrame) -> pd.DataFrame:
    return g.set_index("replicate")[["true_value", "estimate", "ci_low", "ci_high",
                                     "converged"]]


def pair_cell(est: pd.DataFrame, ref: pd.DataFrame, method: str) -> dict:
    """The paired measures of one cell: ``est`` and ``ref`` indexed by replicate."""
    both = est.join(ref.add_suffix("_ref"), how="outer")
    ok = np.ones(len(both), bool)
    for side in ("", "_ref"):
        ok &= both[f"converged{side}"].astype(float).fillna(0).to_numpy() > 0
        ok &= np.isfinite(both[f"estimate{side}"].to_numpy(float))
    p = both[ok]
    err = p["estimate"].to_numpy(float) - p["true_value"].to_numpy(float)
    err_ref = p["estimate_ref"].to_numpy(float) - p["true_value_ref"].to_numpy(float)
    covered = {}
    fin = np.ones(len(p), bool)
    for side in ("", "_ref"):
        lo, hi = p[f"ci_low{side}"].to_numpy(float), p[f"ci_high{side}"].to_numpy(float)
        fin &= np.isfinite(lo) & np.isfinite(hi)
        truth = p[f"true_value{side}"].to_numpy(float)
        covered[side] = ((lo <= truth) & (truth <= hi)).astype(float)
    has_ci = bool(fin.any())
    out = compare(err, err_ref, covered[""][fin] if has_ci else None,
                  covered["_ref"][fin] if has_ci else None, method)
    out.update(used=int(ok.sum()), left_out=int((~ok).sum()),
               coverage_used=int(fin.sum()), mcse_method=method)
    return out
