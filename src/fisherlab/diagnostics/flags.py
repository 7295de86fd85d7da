"""Sampler warnings: which replicates were flagged, why, and whether it matters.

An estimator that samples (trait ``samples``, e.g. ``posterior``) flags a replicate
whose sampler warned, without failing it (:mod:`fisherlab.estimators.posterior`):
divergent transitions, rank-normalised R-hat above ``max_rhat``, bulk or tail ESS below
``min_ess``. Its estimate stays in every measure. This table shows, per condition × n
× estimator × estimand:

* per kind of warning (:data:`KINDS`): the replicates flagged with it (``<kind>_count``),
  their share of the converged replicates, and the worst value among them (most
  divergences, largest R-hat, smallest ESS);
* bias and coverage with their Monte Carlo SEs (Morris et al. 2019, Table 6, via
  :func:`fisherlab.stats.measures.performance`) on all converged replicates and on the
  unflagged ones only, side by side, and the difference in bias in units of the
  all-replicate MCSE: if the two agree within their MCSEs, the warnings did not change
  the study's conclusions.

The thresholds are the estimator's own (:meth:`~fisherlab.estimators.base.Estimator.
thresholds`: its options ``max_rhat`` and ``min_ess``, or their defaults), shown in
the table. Empty (with its columns) when no estimator of the study samples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import condition_keys, good, groups, perf
from .registry import CELL, diagnostic

#: column prefix -> (kind as ``flag_reason`` names it, value column, worst is max?)
KINDS = {"divergences": ("divergences", "divergences", True),
         "rhat": ("R-hat above max_rhat", "rhat", True),
         "ess": ("ESS below min_ess", "ess", False)}

COLUMNS = (["replicates", "flagged", "flagged_share"]
           + [f"{k}_{c}" for k in KINDS for c in ("count", "share", "worst")]
           + ["max_rhat", "min_ess"]
           + [f"{m}_{w}" for w in ("all", "unflagged")
              for m in ("S", "bias", "bias_mcse", "coverage", "coverage_mcse")]
           + ["bias_shift_z"])


@diagnostic("flags", by=CELL,
            columns=("n", "estimator", "estimand", "estimate", "true_value", "ci_low",
                     "ci_high", "converged", "flagged", "flag_reason", "divergences", "rhat",
                     "ess_bulk", "ess_tail"))
def flags(df: pd.DataFrame, study) -> pd.DataFrame:
    """Per condition × n × estimator × estimand of the sampling estimators: flagged
    replicates by kind (count, share, worst value), and bias and coverage with MCSEs on
    all replicates and on the unflagged ones, side by side."""
    keys = condition_keys(df)
    head = keys + ["n", "estimator", "estimand"]
    samplers = {e.id: e for e in study.estimators if e.estimator.samples}
    if not samplers or "flagged" not in df:
        return pd.DataFrame(columns=head + COLUMNS)
    d = good(df[df["estimator"].isin(list(samplers))])
    rows = []
    for key, g in groups(d, head):
        row = dict(zip(head, key, strict=True))
        max_rhat, min_ess = samplers[row["estimator"]].estimator.thresholds()
        flagged = g["flagged"].to_numpy(bool)
        reason = g["flag_reason"].fillna("").astype(str)
        S = len(g)
        row.update(replicates=S, flagged=int(flagged.sum()), flagged_share=flagged.mean(),
                   max_rhat=max_rhat, min_ess=min_ess)
        values = {"divergences": g["divergences"].to_numpy(float),
                  "rhat": g["rhat"].to_numpy(float),
                  "ess": np.fmin(g["ess_bulk"].to_numpy(float), g["ess_tail"].to_numpy(float))}
        for k, (kind, col, worst_is_max) in KINDS.items():
            hit = reason.str.split("; ").apply(lambda r, kind=kind: kind in r).to_numpy(bool)
            v = values[col][hit]
            v = v[np.isfinite(v)]
            row[f"{k}_count"], row[f"{k}_share"] = int(hit.sum()), hit.mean()
            row[f"{k}_worst"] = (np.nan if not v.size
                                 else float(v.max() if worst_is_max else v.min()))
        for which, part in (("all", g), ("unflagged", g[~flagged])):
            p = perf(part, ci=True)
            row.update({f"S_{which}": len(part), f"bias_{which}": p["bias"],
                        f"bias_mcse_{which}": p["bias_mcse"],
                        f"coverage_{which}": p["coverage"],
                        f"coverage_mcse_{which}": p["coverage_mcse"]})
        mcse = row["bias_mcse_all"]
        row["bias_shift_z"] = ((row["bias_unflagged"] - row["bias_all"]) / mcse
                               if mcse and np.isfinite(mcse) and mcse > 0 else np.nan)
        rows.append(row)
    return pd.DataFrame(rows, columns=head + COLUMNS)
