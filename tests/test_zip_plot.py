"""The zip plot shows every interval: one of zero width as a dot, counted from the
coverage table; the far-out estimates' intervals at the edge of a scale kept on the
rest, marked and counted from the tails table. The forest keeps its scale the same way."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")

from matplotlib.collections import LineCollection, PathCollection  # noqa: E402

from fisherlab.diagnostics.coverage import coverage  # noqa: E402
from fisherlab.diagnostics.tails import tails  # noqa: E402
from fisherlab.report import azplots  # noqa: E402
from fisherlab.report.sections.coverage import zip_plot  # noqa: E402

from .conftest import study_for  # noqa: E402

R = 400


def proportions(n: int = 10, p: float = 0.05, seed: int = 3) -> pd.DataFrame:
    """Wald intervals of a rare proportion: p̂ = 0 gives the interval [0, 0]."""
    k = np.random.default_rng(seed).binomial(n, p, R)
    est = k / n
    half = 1.96 * np.sqrt(est * (1 - est) / n)
    return pd.DataFrame({"true_p": p, "n": n, "replicate": np.arange(R), "estimator": "mle",
                         "estimand": "p", "true_value": p, "estimate": est,
                         "se": half / 1.96, "ci_low": est - half, "ci_high": est + half,
                         "converged": True})


def heavy(seed: int = 4) -> pd.DataFrame:
    """Normal estimates with five far below the rest, their intervals far wider."""
    rng = np.random.default_rng(seed)
    est, se = rng.normal(-4.0, 1.0, R), np.full(R, 1.0)
    est[:5], se[:5] = -40.0 - np.arange(5), 25.0
    return pd.DataFrame({"true_beta0": -4.0, "n": 30, "replicate": np.arange(R),
                         "estimator": "mle", "estimand": "beta0", "true_value": -4.0,
                         "estimate": est, "se": se, "ci_low": est - 1.96 * se,
                         "ci_high": est + 1.96 * se, "converged": True})


def summary(df: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in df.columns if c.startswith("true_") and c != "true_value"]
    return df[[*keys, "n", "estimator", "estimand"]].drop_duplicates().assign(
        n_failed=0, n_rep=R)


def test_zero_width_intervals_are_counted_and_drawn_as_dots():
    df = proportions()
    zero = int((df["ci_low"] == df["ci_high"]).sum())
    assert zero > R / 2  # (1 - 0.05)^10 = 0.60 of them
    cov = coverage(df, study_for("bernoulli", level=0.95))
    assert cov["zero_width"].tolist() == [zero]
    fig = zip_plot(df, summary(df), 0.95, {"mle": "mle"}, coverage=cov)
    ax = fig.axes[0]
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in dots) == zero
    assert np.allclose(np.concatenate([c.get_offsets()[:, 0] for c in dots]), 0.0)
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert sum(len(c.get_segments()) for c in lines) == R - zero
    assert f"{zero} of {R} of zero width" in ax.get_title()


def test_far_out_estimates_are_marked_at_the_edge_of_the_bulks_scale():
    df = heavy()
    t = tails(df, None)
    assert t["far_below"].tolist() == [5]
    fig = zip_plot(df, summary(df), 0.95, {"mle": "mle"}, tails=t)
    ax = fig.axes[0]
    bulk = df.iloc[5:]
    lo, hi = ax.get_xlim()
    assert bulk["ci_low"].min() > lo > -40 and bulk["ci_high"].max() < hi
    marks = [ln for ln in ax.lines if ln.get_marker() == "<"]
    assert len(marks) == 1 and len(marks[0].get_xdata()) == 5
    assert np.all(marks[0].get_xdata() < 0.02)  # at the left edge, in axes fractions
    assert "5 far out below" in ax.get_title()


def test_the_forest_keeps_its_scale_and_counts_the_far_out_at_its_edge():
    df = heavy()
    fig = azplots.forest_plot(df, summary(df), {"mle": "mle"}, "beta0", tails(df, None))
    ax = fig.axes[-1]
    assert ax.get_xlim()[0] > -36 + 4  # far above the far-out errors (-36 and below)
    assert [t.get_text() for t in ax.texts] == ["◀ 5"]
