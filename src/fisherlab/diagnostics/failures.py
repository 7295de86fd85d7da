"""Failed or non-converged fits: how many, and why, per condition and estimator."""

from __future__ import annotations

import pandas as pd

from ._common import condition_keys


def failures(df: pd.DataFrame) -> pd.DataFrame:
    """One row per condition × n × estimator × reason with at least one failure:
    ``failed`` (replicates), ``of`` (replicates run), ``rate``, ``estimands``.

    A replicate counts once per estimator even when several estimands failed.
    """
    keys = condition_keys(df)
    head = keys + ["n", "estimator"]
    cols = head + ["reason", "failed", "of", "rate", "estimands"]
    total = df.groupby(head, dropna=False)["replicate"].nunique().rename("of")
    bad = df[~df["converged"].to_numpy(bool)].copy()
    if bad.empty:
        return pd.DataFrame(columns=cols)
    bad["reason"] = bad["reason"].fillna("").replace("", "unspecified")
    agg = bad.groupby(head + ["reason"], dropna=False).agg(
        failed=("replicate", "nunique"),
        estimands=("estimand", lambda s: ", ".join(sorted(set(s)))))
    out = agg.reset_index().merge(total.reset_index(), on=head, how="left")
    out["rate"] = out["failed"] / out["of"]
    return out[cols].sort_values(head + ["reason"], ignore_index=True)
