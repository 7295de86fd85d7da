"""The report's ArviZ figures (arviz-plots), drawn from the replicate rows and tables.

* :func:`dist_plot`: sampling distributions (``plot_dist``); ECDFs instead of KDEs
  where estimates sit on a lattice (k/n) or failed fits leave gaps;
* :func:`pit_plot`: ECDF of PIT values minus the uniform CDF (``plot_ecdf_pit``'s curve,
  drawn by arviz-plots' backend), one panel per cell, each titled with its table's test
  and p-value, with the band ±crit of the table's KS critical value: the line leaves
  the band exactly when the table's verdict says so;
* :func:`forest_plot`: estimation errors by estimator and n (``plot_forest``), every
  cell, drawn from the fits that succeeded, with the count of failed fits beside it; its
  scale is the bulk's (within the tails table's far-out fences), and the far-out
  estimates are counted at the axis' edge.

Every figure is the page's width (:data:`fisherlab.report.figures.WIDTH`), drawn in
ArviZ's ``arviz-variat`` style at the font size of the page's other figures.

ArviZ reads an xarray DataTree whose ``replicate`` dimension is the sample dimension.
"""

from __future__ import annotations

import functools
import warnings

import matplotlib
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextPath

from . import figures
from .figures import first_condition, legend_columns
from .fit import text_width, wrap
from .format import fmt_p

#: at most this many sample sizes in the ArviZ panels (smallest, ..., largest)
MAX_N_PANELS = 4
#: arviz-variat's sizes, scaled to the page's other figures (its base font is 12 points)
STYLE = {"font.size": 9.0, "axes.titlesize": 10.0, "figure.titlesize": 10.0}
#: a mark of the far-out estimates at an axis' edge (their count from the tails table)
FAR = "#b3261e"


def _az():
    import arviz_plots as azp  # (start-up: imported when used)

    return azp


def styled(fn):
    """Draw with ArviZ's ``arviz-variat`` style, without changing the style of the
    matplotlib figures drawn after."""

    @functools.wraps(fn)
    def wrapper(*args, **kw):
        import matplotlib.pyplot as plt  # (start-up: imported when used)

        _az()  # registers the style with matplotlib
        with plt.style.context(["arviz-variat", STYLE]):
            return fn(*args, **kw)

    return wrapper


def _figure(pc):
    """The matplotlib Figure behind a PlotCollection."""
    return pc.get_viz("figure")


def plt_size(key: str) -> float:
    """A font size of the style in use, in points (``large`` and the like resolved)."""
    return FontProperties(size=matplotlib.rcParams[key]).get_size_in_points()


def pick_sizes(sizes, k: int = MAX_N_PANELS) -> list[int]:
    """Up to ``k`` sample sizes spread over the sorted list, always the ends."""
    sizes = sorted(set(int(s) for s in sizes))
    if len(sizes) <= k:
        return sizes
    idx = np.unique(np.round(np.linspace(0, len(sizes) - 1, k)).astype(int))
    return [sizes[i] for i in idx]


def replicate_tree(df: pd.DataFrame, labels: dict[str, str], value: str = "estimate",
                   sizes=None) -> xr.DataTree:
    """The rows of ONE condition as a DataTree: a variable per estimand, dims
    ``(estimator, n, replicate)``, failed fits NaN; coordinates read as labels."""
    d = df if sizes is None else df[df["n"].isin(sizes)]
    d = d.assign(**{value: np.where(d["converged"].to_numpy(bool), d[value], np.nan)})
    ds = xr.Dataset({e: g.set_index(["estimator", "n", "replicate"])[value].to_xarray()
                     for e, g in d.groupby("estimand", sort=False)})
    ds = ds.assign_coords(n=[f"n = {v}" for v in ds["n"].to_numpy()],
                          estimator=[labels.get(e, e) for e in ds["estimator"].to_numpy()])
    return xr.DataTree.from_dict({"estimates": ds})


@styled
def dist_plot(df: pd.DataFrame, labels: dict[str, str], lattice: bool):
    """Sampling distribution of each estimator, per n (columns) and estimand (rows),
    first condition, estimators by colour. ``lattice``: some estimates take few values
    (the normality table's ``lattice``): ECDFs, as also when fits failed."""
    azp = _az()
    d, label = first_condition(df)
    sizes = pick_sizes(d["n"].unique())
    d = d[d["n"].isin(sizes)]
    kind = "ecdf" if lattice or not d["converged"].all() else "kde"
    dt = replicate_tree(d, labels, sizes=sizes)
    rows = len(dt["estimates"].data_vars)
    pc = azp.plot_dist(dt, group="estimates", sample_dims=["replicate"], kind=kind,
                       cols=["__variable__", "n"], col_wrap=len(sizes),
                       aes={"color": ["estimator"]}, backend="matplotlib",
                       visuals={"point_estimate_text": False, "credible_interval": False,
                                "point_estimate": False},
                       figure_kwargs={"figsize": (figures.WIDTH, 2.3 * rows + 0.9)})
    fig = _figure(pc)
    ests = list(dt["estimates"]["estimator"].to_numpy())
    shown, cols = legend_columns(fig, ests, plt_size("legend.fontsize"))
    pc.add_legend("estimator", loc="outside lower center", ncols=cols)
    for text, new in zip(fig.legends[-1].get_texts(), shown, strict=False):
        text.set_text(new)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig, kind


@styled
def pit_plot(cells: list[tuple[str, np.ndarray | None, pd.Series | None]], title: str,
             ncol: int):
    """ECDF of PIT minus uniform, one panel per cell, ``ncol`` panels a row: ``cells``
    are (panel label, PIT values, the cell's table row with ``test``, ``pvalue``,
    ``crit``); a cell without values is an empty place that keeps the grid aligned.
    Each panel is titled with the row's test and p-value, with the band ±crit.

    The curve is arviz-stats' Δ-ECDF (``ecdf(pit=True)``) drawn with arviz-plots'
    matplotlib backend, as ``plot_ecdf_pit`` draws it, but without its plot collection:
    that would also run a uniformity test per panel and set limits and marks that the
    page replaces with its table's own test and band."""
    if not any(pit is not None for _, pit, _ in cells):
        return None
    bk = _backend()
    k = len(cells)
    ncol = min(ncol, k)
    rows = -(-k // ncol)
    fig, axes = bk.create_plotting_grid(k, rows, ncol, figsize=(figures.WIDTH,
                                                                2.5 * rows + 0.7),
                                        sharex=True, sharey=False, squeeze=False)
    for ax, (lab, pit, row) in zip(axes.flat, cells, strict=False):
        if pit is None:  # said, not hidden: a reader looks for every estimator and n
            bk.title(f"{lab}\n(no test)", ax, size=9)
            # not set_xticks([]): the x axis is shared, and its ticks would go everywhere
            ax.tick_params(bottom=False, labelbottom=False, left=False, labelleft=False)
            ax.text(0.5, 0.5, "no finite values to test\n(see the table's row)",
                    ha="center", va="center", fontsize=8, color="0.35",
                    transform=ax.transAxes)
            continue
        pit = np.asarray(pit, float)
        ecdf = xr.DataArray(pit, dims=["replicate"]).azstats.ecdf(
            dim=["replicate"], pit=True, npoints=pit.size)
        x = ecdf.sel(plot_axis="x").to_numpy()
        y = ecdf.sel(plot_axis="y").to_numpy()
        bk.line(np.array([0.0, 1.0]), np.zeros(2), ax, color="B3", linestyle="C1")
        bk.step(x, y, ax, color="C0", step_mode="before")
        bk.xlabel("PIT", ax, color="B1")
        bk.title(f"{lab}\n{row['test']} p = {fmt_p(row['pvalue'], row['alpha'])}", ax,
                 size=9)
        crit = float(row["crit"])
        if np.isfinite(crit):
            ax.axhspan(-crit, crit, color="0.85", zorder=0)
        # each panel shows its whole curve: no clipping by a shared axis
        top = 1.15 * max(np.nanmax(np.abs(y)) if y.size else 0.0,
                         crit if np.isfinite(crit) else 0.0, 0.02)
        ax.set_ylim(-top, top)
    fig.suptitle(title, fontsize=9)
    return fig


def _backend():
    """arviz-plots' matplotlib backend: its drawing functions, which resolve the style's
    aliases (``C0``, ``B3``) as its plots do."""
    import arviz_stats  # noqa: F401 - registers the ``azstats`` accessor
    from arviz_plots.backend import matplotlib as backend  # (start-up: imported when used)

    return backend


#: the forest's point (the mean error: the bias of the summary table) and its two central
#: intervals (ArviZ's defaults, fixed here so that the caption says what is drawn)
FOREST_POINT = "mean"
FOREST_PROBS = (0.5, 0.89)


@styled
def forest_plot(df: pd.DataFrame, summary: pd.DataFrame, labels: dict[str, str],
                estimand: str, tails: pd.DataFrame | None = None):
    """Estimation errors θ̂ − θ of one estimand by estimator and n, first condition:
    ``arviz_plots.plot_forest`` (:data:`FOREST_POINT`, the mean error, which is the bias,
    and the central :data:`FOREST_PROBS` intervals, of the fits that succeeded, NaN
    skipped), with the summary's count of failed fits beside each row. One figure per
    estimand: estimands' errors differ in scale. The axis spans the
    intervals, but not past the ``tails`` table's far-out fences: estimates beyond them
    are counted at the edge (◀ k, k ▶), so that a few wild fits do not squash the rest."""
    azp = _az()
    d, label = first_condition(df[df["estimand"] == estimand])
    s, _ = first_condition(summary[summary["estimand"] == estimand])
    sizes = pick_sizes(d["n"].unique(), 3)
    d = d.assign(error=d["estimate"] - d["true_value"])
    dt = replicate_tree(d, labels, value="error", sizes=sizes)
    ds = dt["estimates"].to_dataset()
    rows = ds.sizes["estimator"] * ds.sizes["n"]
    row = max(0.3, 0.6 / ds.sizes["n"])  # inches a row: room for a label of 2-3 lines
    skip = {"skipna": True}
    with warnings.catch_warnings():
        # a row whose fits all failed is drawn empty, its failed count beside it: numpy's
        # warnings about its empty quantiles say nothing more
        warnings.filterwarnings("ignore", "All-NaN slice|Mean of empty slice|invalid value",
                                RuntimeWarning)
        pc = azp.plot_forest(dt, group="estimates", sample_dims=["replicate"],
                             backend="matplotlib", labels=["estimator", "n"],
                             point_estimate=FOREST_POINT, ci_kind="eti",
                             ci_probs=FOREST_PROBS,
                             visuals={"ticklabels": False},
                             stats={"trunk": skip, "twig": skip, "point_estimate": skip},
                             figure_kwargs={"figsize": (figures.WIDTH, row * rows + 1.0),
                                            "width_ratios": _label_share(ds)})
    fig = _figure(pc)
    _wrap_labels(fig, fig.axes[0], set(ds["estimator"].to_numpy()))
    ax = fig.axes[-1]  # the forest column is last
    ax.axvline(0, color="0.3", lw=0.8, ls="--")
    points = pc.viz["point_estimate"]

    def y_of(est, n):
        art = points[estimand].sel(estimator=labels.get(est, est), n=f"n = {n}").item()
        # None: every fit of the row failed, nothing drawn to label
        return None if art is None else float(np.asarray(art.get_offsets())[0, 1])

    for _, r in s[s["n"].isin(sizes) & (s["n_failed"] > 0)].iterrows():
        y = y_of(r["estimator"], r["n"])
        if y is not None:
            ax.annotate(f"{int(r['n_failed'])} of {int(r['n_rep'])} failed", (1.0, y),
                        xycoords=("axes fraction", "data"), xytext=(4, 0),
                        textcoords="offset points", va="center", fontsize=7, color=FAR)
    far = _far(tails, estimand, sizes)
    _bulk_limits(ax, pc.viz["twig"][estimand], far)
    for _, r in far.iterrows():
        y = y_of(r["estimator"], r["n"])
        for side, k in ((0.0, r["far_below"]), (1.0, r["far_above"])):
            if y is not None and k > 0:
                ax.annotate(f"◀ {int(k)}" if side == 0 else f"{int(k)} ▶", (side, y),
                            xycoords=("axes fraction", "data"), va="center",
                            ha="left" if side == 0 else "right", fontsize=8, color=FAR,
                            fontweight="bold")
    fig.suptitle(f"{estimand}: estimate − truth" + (f" ({label})" if label else ""),
                 fontsize=9)
    return fig


def _far(tails: pd.DataFrame | None, estimand: str, sizes) -> pd.DataFrame:
    """The tails table's rows of ``estimand`` at ``sizes`` in the first condition, with
    the fences as errors (estimate − truth) where they are on the estimates' scale."""
    if tails is None or tails.empty:
        return pd.DataFrame(columns=["estimator", "n", "far_below", "far_above",
                                     "low", "high"])
    t, _ = first_condition(tails[(tails["estimand"] == estimand) & tails["n"].isin(sizes)])
    shift = np.where(t["scale"] == "estimate", t["true_value"], 0.0)
    return t.assign(low=t["fence_low"] - shift, high=t["fence_high"] - shift)


def _bulk_limits(ax, twigs, far: pd.DataFrame) -> None:
    """The forest's x limits: its intervals and 0, but not past the far-out fences."""
    xs = np.concatenate([np.asarray(a.get_xdata(), float) for a in twigs.values.flat
                         if a is not None] or [np.zeros(1)])
    lo, hi = np.nanmin(np.append(xs, 0.0)), np.nanmax(np.append(xs, 0.0))
    if far["low"].notna().any():
        lo = max(lo, min(float(far["low"].min()), 0.0))
    if far["high"].notna().any():
        hi = min(hi, max(float(far["high"].max()), 0.0))
    pad = 0.08 * (hi - lo) if hi > lo else 1.0
    ax.set_xlim(lo - pad, hi + pad)


def _label_share(ds: xr.Dataset) -> list[float]:
    """The forest's width ratios, labels : forest: as wide as the longest estimator label
    and ``n = ...`` side by side need (between an eighth and a third of the figure)."""
    size = FontProperties(size=matplotlib.rcParams["font.size"]).get_size_in_points()

    def points(text: str) -> float:
        return TextPath((0, 0), text, size=size).get_extents().width

    need = (max(points(str(e)) for e in ds["estimator"].to_numpy())
            + max(points(str(n)) for n in ds["n"].to_numpy()) + 3 * size) / 72
    share = min(1 / 3, max(1 / 8, need / figures.WIDTH))
    return [share, 1 - share]


def _wrap_labels(fig, ax, names: set[str]) -> None:
    """Wrap the estimator labels of the forest's label column to the room left of the
    ``n = ...`` labels, and hide that column's x axis (it has no scale)."""
    r = fig.canvas.get_renderer()
    ax.xaxis.set_visible(False)
    ax.spines["bottom"].set_visible(False)
    fig.draw_without_rendering()
    ns = [t for t in ax.texts if t.get_text() not in names]
    room = ax.bbox.width - max((text_width(t.get_text(), t.get_fontproperties(), r)
                                for t in ns), default=0.0) - 12 * fig.dpi / 72
    for t in ax.texts:
        if t.get_text() in names:
            t.set_text(wrap(t.get_text(), room, t.get_fontproperties(), r))
