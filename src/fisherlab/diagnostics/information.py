"""The Fisher information of one observation: its value, where it comes from, checked.

I(theta) = E[s s'] with s the score of one observation. A family's closed form is used
where it declares one; otherwise it is computed (numerical integration of the squared
score against the density, or Monte Carlo with its stated precision:
:meth:`fisherlab.families.base.Family.information`). Every value is checked against an
independent Monte Carlo estimate (:data:`CHECK_DRAWS` draws at the truth, another seed):
``check_z`` = (information - check) / its standard error, which the information rule
judges (:mod:`fisherlab.verdicts.information`). The efficiency (Cramér–Rao) and score
sections use these values.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..families.fallbacks import MC_SEED, monte_carlo_information
from ._common import MISSPECIFIED
from ._data import condition_row, param_conditions
from .registry import ONCE, diagnostic

#: draws of the independent Monte Carlo check, and its seed
CHECK_DRAWS = 50_000
CHECK_SEED = MC_SEED + 1
COLUMNS = ["parameter", "parameter2", "information", "source", "rel_error", "check",
           "check_se", "check_z"]


@diagnostic("information", by=ONCE, columns=())  # (from the family alone)
def information(df: pd.DataFrame, study) -> pd.DataFrame:
    """One row per condition × pair of estimated parameters (i <= j): the information
    I_ij of one observation, its source and relative precision, the independent Monte
    Carlo check with its standard error, and ``check_z``."""
    fam = study.family
    names = [p.name for p in fam.estimated()]
    rows = []
    for cond in param_conditions(study):
        base = condition_row(cond)
        theta = cond.params
        if study.fit_model is not None:
            rows.append(dict(base, parameter="", source=MISSPECIFIED))
            continue
        if any(isinstance(v, Mapping) for v in theta.values()):
            rows.append(dict(base, parameter="", source="none: the truth is drawn per "
                             "replicate from a prior"))
            continue
        try:
            info = fam.information(theta)
            check = monte_carlo_information(fam, theta, CHECK_DRAWS, CHECK_SEED)
        except NotImplementedError as exc:
            rows.append(dict(base, parameter="", source=f"none: {exc}"))
            continue
        own = np.zeros_like(check.matrix) if info.error is None else info.error
        for i in range(len(names)):
            for j in range(i, len(names)):
                se = float(np.hypot(check.error[i, j], own[i, j]))
                diff = float(info.matrix[i, j] - check.matrix[i, j])
                z = diff / se if se > 0 else (0.0 if diff == 0 else np.inf)
                rows.append(dict(base, parameter=names[i], parameter2=names[j],
                                 information=float(info.matrix[i, j]), source=info.source,
                                 rel_error=info.rel_error, check=float(check.matrix[i, j]),
                                 check_se=se, check_z=z))
    cols = list(rows[0]) if rows else COLUMNS
    cols = [c for c in cols if c not in COLUMNS] + COLUMNS
    return pd.DataFrame(rows, columns=cols)
