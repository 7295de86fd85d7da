"""Efficiency against the Cramér–Rao bound.

For an unbiased estimator, Var(theta_hat) >= CRLB = g' I(theta)^-1 g / n (Family.crlb),
so the efficiency ratio Var / CRLB = n Var(theta_hat) I(theta) is >= 1 and tends to 1
for the MLE of a regular family. The empirical variance empSE^2 has relative MCSE
sqrt(2/(S-1)) (Morris et al. 2019, Table 6: MCSE(empSE) = empSE / sqrt(2(S-1)), and
d(empSE^2) = 2 empSE d(empSE)). MSE / CRLB is shown too: biased estimators can go below 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import condition_keys, crlb_or_nan, good, groups, perf, theta_of


def efficiency(df: pd.DataFrame, family) -> pd.DataFrame:
    """One row per condition × n × estimator × estimand: ``crlb, var, var_ratio
    (Var/CRLB), var_ratio_mcse, mse_ratio, mse_ratio_mcse``. Empty when the family
    declares no Fisher information (e.g. the uniform)."""
    keys = condition_keys(df)
    cols = keys + ["n", "estimator", "estimand", "crlb", "var", "var_ratio",
                   "var_ratio_mcse", "mse_ratio", "mse_ratio_mcse"]
    if not family.has_information():
        return pd.DataFrame(columns=cols)
    rows = []
    for key, g in groups(good(df), keys + ["n", "estimator", "estimand"]):
        row = dict(zip(keys + ["n", "estimator", "estimand"], key, strict=True))
        crlb = crlb_or_nan(family, theta_of(row, keys), row["estimand"], int(row["n"]))
        if not np.isfinite(crlb) or crlb <= 0:
            continue
        p = perf(g)
        S = len(g)
        var = p["empse"] ** 2
        ratio = var / crlb
        row.update(crlb=crlb, var=var, var_ratio=ratio,
                   var_ratio_mcse=ratio * np.sqrt(2.0 / (S - 1)) if S > 1 else np.nan,
                   mse_ratio=p["mse"] / crlb, mse_ratio_mcse=p["mse_mcse"] / crlb)
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)
