"""What the report's matplotlib figures share: panels, axes, legends, colours, saving.

Each section draws its own figures (:mod:`fisherlab.report.sections`) from its tables
with these; a figure prints no statistic of its own: what it marks (a slope, a band, a
count of failures) is a value of a table. ArviZ figures are in
:mod:`fisherlab.report.azplots`.

Every figure is :data:`WIDTH` inches wide, the page's text column at
:data:`PX_PER_INCH` CSS pixels an inch, so a figure fills the column and its text has
the same size in every figure. :func:`save` fits its text (:func:`fisherlab.report.fit.tidy`)
and writes PNG at :data:`DPI`, two device pixels per CSS pixel (the page shows it at half
its pixel size: sharp on high-density screens), and closes the figure.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ..core.labels import condition_columns, condition_label  # noqa: E402
from .fit import text_width, tidy, wrap  # noqa: E402
from .html import COLUMN_PX, SCALE  # noqa: E402

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]
LINESTYLES = ["-", "--", ":", "-."]
#: CSS pixels per inch of a figure: the scale at which the page shows figures
PX_PER_INCH = 90
#: every figure's width in inches: the page's text column
WIDTH = COLUMN_PX / PX_PER_INCH
#: PNG pixels per inch: SCALE device pixels per CSS pixel
DPI = SCALE * PX_PER_INCH
#: at most this many panels side by side (narrower ones crowd their tick labels)
MAX_COLUMNS = 4


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


def panels(rows: int, cols: int, height: float, **kw):
    """A figure of ``rows`` × ``cols`` panels, :data:`WIDTH` wide and ``height`` inches
    high, laid out by matplotlib's constrained layout; the axes as a 2-d array."""
    return plt.subplots(rows, cols, figsize=(WIDTH, height), squeeze=False,
                        layout="constrained", **kw)


def grid(k: int, height: float = 3.0, rows: int | None = None):
    """``k`` panels, each ``height`` inches high, in ``rows`` rows (by default as few
    as hold :data:`MAX_COLUMNS` a row), with room below for a legend."""
    rows = rows or int(np.ceil(k / MAX_COLUMNS))
    cols = max(1, int(np.ceil(k / rows)))
    fig, axes = panels(rows, cols, height * rows + 0.6)
    for ax in axes.flat[k:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def n_axis(ax, sizes) -> None:
    """A log n axis labelled at the study's sample sizes (no crowded minor labels)."""
    sizes = sorted({int(v) for v in sizes})
    if sizes[0] <= 0:  # estimates read from a file without sample sizes (n = 0)
        ax.set_xticks(sizes, [str(v) for v in sizes])
        ax.set_xlim(sizes[0] - 1, sizes[-1] + 1)
        return
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    # labels that would touch are thinned when the figure is saved (fit.tidy)
    ax.set_xticks(sizes, [str(v) for v in sizes])


def legend_below(fig, axes, ncol: int = 3) -> None:
    """One legend for the figure, under the panels, so it never covers data."""
    handles, labels = {}, []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in handles:
                handles[lab] = h
                labels.append(lab)
    if labels:
        shown, cols = legend_columns(fig, labels, 9, ncol)
        fig.legend([handles[lab] for lab in labels], shown, loc="outside lower center",
                   ncol=cols, fontsize=9, frameon=False)


def legend_columns(fig, labels: list[str], size: float,
                   most: int = 3) -> tuple[list[str], int]:
    """Labels of a legend below the panels, wrapped where one is wider than the figure,
    and as many columns (at most ``most``) as the figure's width holds side by side."""
    r = fig.canvas.get_renderer()
    room = 0.96 * fig.bbox.width
    handle = 4.5 * size * fig.dpi / 72  # the handle, its padding and the column gap
    labels = [wrap(lab, room - handle, size, r) for lab in labels]
    need = max(text_width(lab, size, r) for lab in labels) + handle
    return labels, max(1, min(most, len(labels), int(room // need)))


def save(fig, path) -> None:
    """Write ``fig`` as PNG at :data:`DPI`, its text fitted first (titles wrapped to
    their panels, tick labels that would touch thinned: :func:`fit.tidy`); close it.

    The figure is drawn once per pass of ``tidy`` and not again: the canvas of the pass
    that changed nothing is written as it is, through the call ``savefig`` ends with
    (``matplotlib.image.imsave`` of the Agg buffer), so the PNG is byte for byte the
    one ``savefig`` would write after drawing the same figure again."""
    fig.set_dpi(DPI)
    for ax in fig.axes:
        # a spine's extent asks its axis for its ticks once more, for each of the layout's
        # rounds (a tenth of a figure's cost), and adds only the tick marks, which sit
        # inside the room their labels already take
        for spine in ax.spines.values():
            spine.set_in_layout(False)
    if not tidy(fig, render=True):  # the last pass changed something: draw it
        fig.canvas.draw()
    matplotlib.image.imsave(path, fig.canvas.buffer_rgba(), format="png", origin="upper",
                            dpi=DPI)
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
