"""What the report's matplotlib figures share: panels, axes, legends, colours, saving.

Each section draws its own figures (:mod:`fisherlab.report.sections`) from its tables
with these; a figure prints no statistic of its own: what it marks (a slope, a band, a
count of failures) is a value of a table. ArviZ figures are in
:mod:`fisherlab.report.azplots`. :func:`save` writes PNG and closes the figure.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ..core.labels import condition_columns, condition_label  # noqa: E402

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]
LINESTYLES = ["-", "--", ":", "-."]


# --------------------------------------------------------------------------- helpers
def first_condition(df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The rows of a table's first condition and its label (figures show one)."""
    keys = condition_columns(df)
    if not keys or df.empty:
        return df, ""
    first = df[keys].drop_duplicates().sort_values(keys).iloc[0]
    mask = np.logical_and.reduce([df[k].to_numpy() == first[k] for k in keys])
    return df[mask], condition_label(first, keys)


def conditions(df: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    keys = condition_columns(df)
    if not keys:
        return [("", df)]
    return [(condition_label(dict(zip(keys, key if isinstance(key, tuple) else (key,),
                                       strict=True)), keys), g)
            for key, g in df.groupby(keys, sort=True, dropna=False)]


def grid(k: int, width: float = 3.6, height: float = 3.0, rows: int = 1,
         min_width: float = 6.0):
    """``k`` panels in ``rows`` rows; at least ``min_width`` inches wide, so that the
    legend below the panels has room."""
    cols = max(1, int(np.ceil(k / rows)))
    fig, axes = plt.subplots(rows, cols, figsize=(max(width * cols, min_width),
                                                  height * rows + 0.6),
                             squeeze=False, layout="constrained")
    for ax in axes.flat[k:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def n_axis(ax, sizes) -> None:
    """A log n axis labelled at the study's sample sizes (no crowded minor labels)."""
    sizes = sorted({int(v) for v in sizes})
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xticks(sizes, [str(v) for v in sizes])
    if len(sizes) > 6:
        ax.tick_params(axis="x", labelrotation=45)


def legend_below(fig, axes, ncol: int = 3) -> None:
    """One legend for the figure, under the panels, so it never covers data."""
    handles, labels = {}, []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in handles:
                handles[lab] = h
                labels.append(lab)
    if labels:
        # as many columns as the figure's width holds, at about 2.6 inches a label
        fit = max(1, int(fig.get_figwidth() / 2.6))
        fig.legend([handles[lab] for lab in labels], labels, loc="outside lower center",
                   ncol=min(ncol, len(labels), fit), fontsize=8, frameon=False)


def save(fig, path) -> None:
    """Write ``fig`` as PNG (dpi 90: sharp on screen, small in a data URI) and close it."""
    fig.savefig(path, dpi=90)
    plt.close(fig)


def lines(ax, g: pd.DataFrame, y: str, mcse: str, color, label, ls="-") -> None:
    g = g.sort_values("n")
    ax.errorbar(g["n"], g[y], yerr=2 * g[mcse].fillna(0), color=color, ls=ls, marker="o",
                ms=3, lw=1.1, capsize=2, label=label)


def n_axis_narrow(ax, sizes) -> None:
    """A log n axis, or a linear one for a narrow range of n (580 to 600)."""
    sizes = sorted({int(v) for v in sizes})
    if narrow(sizes):
        ax.set_xlim(sizes[0] - 0.5, sizes[-1] + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        return
    n_axis(ax, sizes)


def narrow(sizes) -> bool:
    """Many sample sizes in a narrow range (580 to 600): a linear n axis."""
    sizes = sorted({int(v) for v in sizes})
    return len(sizes) > 6 and sizes[-1] < 3 * sizes[0]
