"""Diagnostics: does each estimator behave as theory says, and from which n on?

Each diagnostic is a pure function of the replicate rows (``estimates.parquet``) and,
where it needs theory, the family (:func:`fisherlab.families.get_family`):

* :func:`consistency` — slope of log RMSE on log n against -1/2 (regular) or -1;
* :func:`bessel` — biased vs unbiased estimators: bias against theory, and MSE;
* :func:`efficiency` — n Var(theta_hat) I(theta) against the Cramér–Rao bound 1;
* :func:`normality` — standardised estimates against N(0, 1), per n;
* :func:`coverage` — actual against nominal coverage, with MCSE bands;
* :func:`failures` — failed fits and their reasons.
"""

from __future__ import annotations

import pandas as pd

from .bessel import bessel
from .consistency import consistency
from .coverage import coverage
from .efficiency import efficiency
from .failures import failures
from .normality import normality

#: table name -> file name under results/<study>/
TABLES = ("consistency", "bessel", "efficiency", "normality", "coverage", "failures")


def run_all(df: pd.DataFrame, family, level: float = 0.95) -> dict[str, pd.DataFrame]:
    """Every diagnostic table of one study, keyed by :data:`TABLES`."""
    return {
        "consistency": consistency(df, family),
        "bessel": bessel(df, family),
        "efficiency": efficiency(df, family),
        "normality": normality(df, family),
        "coverage": coverage(df, level),
        "failures": failures(df),
    }


__all__ = ["TABLES", "bessel", "consistency", "coverage", "efficiency", "failures",
           "normality", "run_all"]
