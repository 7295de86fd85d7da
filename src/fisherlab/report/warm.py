"""Imported by the workflow's fork server (:data:`fisherlab.cli.inprocess.PRELOAD`): draws
and saves one small figure of each kind a page draws, so that what matplotlib and ArviZ
build on first use (fonts, the mathtext parser of log-axis labels, ArviZ's style and
plotting backend) is built once in the server and inherited by every forked page,
instead of once per page (about 0.2 s of a page's CPU). Nothing is written to disk."""

from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd

from . import azplots, figures


def warm() -> None:
    """One matplotlib figure with a log axis and one ArviZ figure of each kind, saved
    to memory as a page saves them."""
    fig, axes = figures.panels(1, 1, 2.0)
    ax = axes[0, 0]
    ax.plot([5, 50, 500], [0.3, 0.1, 0.03])
    ax.set(yscale="log", title="n")
    figures.n_axis(ax, [5, 50, 500])
    figures.save(fig, io.BytesIO())
    k = 40
    rows = pd.DataFrame({"n": 5, "replicate": np.arange(k) % 20,
                         "estimator": np.repeat(["a", "b"], k // 2), "estimand": "p",
                         "true_value": 0.5, "estimate": np.linspace(0.0, 1.0, k), "se": 0.1,
                         "ci_low": 0.0, "ci_high": 1.0, "converged": True})
    summary = pd.DataFrame({"n": 5, "estimator": ["a", "b"], "estimand": "p",
                            "n_failed": 0, "n_rep": k // 2})
    figures.save(azplots.dist_plot(rows, {}, False)[0], io.BytesIO())
    figures.save(azplots.forest_plot(rows, summary, {}, "p"), io.BytesIO())
    test = pd.Series({"test": "KS", "pvalue": 0.5, "alpha": 0.01, "crit": 0.2})
    figures.save(azplots.pit_plot([("a", np.linspace(0.0, 1.0, k), test)], "p", 1),
                 io.BytesIO())


try:
    warm()
except Exception as exc:  # noqa: BLE001 - a warm-up must never stop the server
    print(f"fisherlab: report warm-up skipped: {type(exc).__name__}: {exc}", file=sys.stderr)
