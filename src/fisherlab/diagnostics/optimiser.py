"""Optimisers compared: ``mle: {method: [newton, bfgs, ..., gradient_ascent, adam]}``.

Every estimator that counts its optimiser's work (``reports_evaluations``: an ``mle``
with a named method) gets one row per condition × n: the share of fits that converged,
the iterations per fit (mean, median, largest) and the evaluations of the
log-likelihood, the gradient and the Hessian per fit (means), and how far its
converged estimates are from the REFERENCE's, the first such estimator of the study
(list the reference method first), over the replicates where both converged: the
largest absolute difference and the largest difference in the reference's standard
errors (``max_diff_se``), which the optimiser rule judges
(:mod:`fisherlab.verdicts.optimiser`). Wall time per fit is not here (it differs from run to
run): it is in ``provenance.json`` (``timings``), which the report shows beside this.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import condition_keys, groups
from .registry import diagnostic

COLUMNS = ["n", "estimator", "reference", "fits", "converged", "converged_share",
           "iterations_mean", "iterations_mcse", "iterations_median", "iterations_max",
           "fevals_mean", "gevals_mean", "hevals_mean", "compared", "max_abs_diff",
           "max_diff_se"]


@diagnostic("optimiser", by=("n",),
            columns=("n", "replicate", "estimator", "estimand", "estimate", "se", "converged",
                     "iterations", "fevals", "gevals", "hevals"))
def optimiser(df: pd.DataFrame, study) -> pd.DataFrame:
    """One row per condition × n × estimator that counts its optimiser's work (see the
    module docstring for the columns)."""
    ids = [e.id for e in study.estimators if e.estimator.reports_evaluations()]
    keys = condition_keys(df)
    if not ids or df.empty:
        return pd.DataFrame(columns=keys + COLUMNS)
    ref = ids[0]
    rows = []
    for key, g in groups(df[df["estimator"].isin(ids)], keys + ["n"]):
        base = dict(zip(keys + ["n"], key, strict=True))
        r = g[g["estimator"] == ref][["replicate", "estimand", "estimate", "se", "converged"]]
        for est in ids:
            e = g[g["estimator"] == est]
            # one fit per replicate: counts repeat over its estimands; it converged when
            # every estimand did
            fit = e.groupby("replicate").agg(
                converged=("converged", "all"), iterations=("iterations", "first"),
                fevals=("fevals", "first"), gevals=("gevals", "first"),
                hevals=("hevals", "first"))
            both = e.merge(r, on=["replicate", "estimand"], suffixes=("", "_ref"))
            both = both[both["converged"].to_numpy(bool)
                        & both["converged_ref"].to_numpy(bool)]
            diff = (both["estimate"] - both["estimate_ref"]).abs().to_numpy(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = diff / both["se_ref"].to_numpy(float)
            if est == ref:  # compared with itself: nothing to say
                diff = rel = np.array([])
            rel = rel[~np.isnan(rel)]  # no reference SE: nothing to compare with
            worst = float(rel.max()) if rel.size else np.nan
            it = fit["iterations"].to_numpy(float)
            rows.append(dict(base, estimator=est, reference=est == ref, fits=len(fit),
                             converged=int(fit["converged"].sum()),
                             converged_share=float(fit["converged"].mean()),
                             iterations_mean=float(it.mean()),
                             iterations_mcse=float(it.std(ddof=1) / np.sqrt(it.size))
                             if it.size > 1 else np.nan,
                             iterations_median=float(np.median(it)),
                             iterations_max=int(it.max()),
                             fevals_mean=float(fit["fevals"].mean()),
                             gevals_mean=float(fit["gevals"].mean()),
                             hevals_mean=float(fit["hevals"].mean()),
                             compared=int(diff.size),
                             max_abs_diff=float(diff.max()) if diff.size else np.nan,
                             max_diff_se=worst))
    return pd.DataFrame(rows, columns=keys + COLUMNS)
