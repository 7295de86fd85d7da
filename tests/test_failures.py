"""The failures table: failed fits counted per kind of reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fisherlab.diagnostics.failures import failures, reason_kind

from .test_diagnostics import rows


def test_failures_counted_per_kind_of_reason():
    df = rows({10: np.zeros(6)}, 0.0)
    df = pd.concat([df, df.assign(estimand="other")], ignore_index=True)
    df.loc[[0, 1, 6], "converged"] = False  # replicate 0 fails for both estimands
    df.loc[[0, 6], "reason"] = "separation"
    df.loc[1, "reason"] = ""
    t = failures(df)
    assert list(t["kind"]) == ["separation", "unspecified"]
    assert list(t["failed"]) == [1, 1] and list(t["of"]) == [6, 6]
    assert t["estimands"].iloc[0] == "other, theta"
    assert failures(rows({10: np.zeros(6)}, 0.0)).empty


def test_failure_reasons_group_by_kind_with_their_range():
    """Reasons that differ only in their numbers are one kind, with the range of the
    numbers; joined reasons count under each kind."""
    df = rows({10: np.zeros(5)}, 0.0)
    df["converged"] = False
    df["reason"] = ["R-hat 1.020 > 1.02", "R-hat 1.031 > 1.02", "ESS 150 < 200.0",
                    "R-hat 1.050 > 1.02; ESS 90 < 200.0", "optimiser did not converge"]
    t = failures(df).set_index("kind")
    assert t.loc["R-hat … > …", "failed"] == 3
    assert (t.loc["R-hat … > …", "low"], t.loc["R-hat … > …", "high"]) == (1.02, 1.05)
    assert t.loc["ESS … < …", "failed"] == 2 and t.loc["ESS … < …", "low"] == 90
    assert np.isnan(t.loc["optimiser did not converge", "low"])
    assert reason_kind("non-finite estimate: mu=nan") == ("non-finite estimate: mu=…",
                                                          pytest.approx(np.nan, nan_ok=True))
