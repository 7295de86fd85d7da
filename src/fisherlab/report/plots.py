"""The report's figures: ArviZ (arviz-plots) where it has the plot, matplotlib otherwise.

ArviZ draws the sampling distributions (``plot_dist``), the ECDF of the PIT of the
standardised estimates against N(0, 1) with simultaneous bands (``plot_ecdf_pit``) and
the estimates by estimator (``plot_forest``); they read an xarray DataTree whose
``replicate`` dimension is the sample dimension (:func:`replicate_tree`).
matplotlib draws RMSE against n on log-log axes with the theoretical slope, bias
against theory, efficiency against the Cramér–Rao bound, coverage against nominal
with MCSE bands, and the zip plot of intervals (Morris et al. 2019, Fig. 3).

Every function returns a matplotlib Figure (or None when it has nothing to show);
:func:`save` writes PNG and closes it.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from scipy import stats  # noqa: E402

from ..measures import condition_columns  # noqa: E402

#: at most this many sample sizes in the ArviZ panels (smallest, ..., largest)
MAX_N_PANELS = 4
COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]
LINESTYLES = ["-", "--", ":", "-."]


# --------------------------------------------------------------------------- helpers
def pick_sizes(sizes, k: int = MAX_N_PANELS) -> list[int]:
    """Up to ``k`` sample sizes spread over the sorted list, always the ends."""
    sizes = sorted(set(int(s) for s in sizes))
    if len(sizes) <= k:
        return sizes
    idx = np.unique(np.round(np.linspace(0, len(sizes) - 1, k)).astype(int))
    return [sizes[i] for i in idx]


def first_condition(df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The rows of the first condition and its label (ArviZ figures show one)."""
    keys = condition_columns(df)
    if not keys:
        return df, ""
    first = df[keys].drop_duplicates().sort_values(keys).iloc[0]
    mask = np.logical_and.reduce([df[k].to_numpy() == first[k] for k in keys])
    return df[mask], _label(keys, [first[k] for k in keys])


def _label(keys, values) -> str:
    def v(x):
        return f"{x:g}" if isinstance(x, int | float) else str(x)
    return ", ".join(f"{k.removeprefix('true_').removeprefix('prior_')} = {v(x)}"
                     for k, x in zip(keys, values, strict=True))


def conditions(df: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    keys = condition_columns(df)
    if not keys:
        return [("", df)]
    return [(_label(keys, key if isinstance(key, tuple) else (key,)), g)
            for key, g in df.groupby(keys, sort=True, dropna=False)]


def replicate_tree(df: pd.DataFrame, value: str = "estimate", group: str = "estimates",
                   sizes=None) -> xr.DataTree:
    """The replicate rows of ONE condition as a DataTree: one variable per estimand,
    dims ``(estimator, n, replicate)``; failed fits are NaN. ``n`` is labelled
    ``"n = 5"`` so panel titles read well."""
    ok = df[df["converged"].to_numpy(bool)]
    if sizes is not None:
        ok = ok[ok["n"].isin(sizes)]
    data = {}
    for estimand, g in ok.groupby("estimand", sort=False):
        da = g.set_index(["estimator", "n", "replicate"])[value].to_xarray()
        data[estimand] = da
    ds = xr.Dataset(data)
    ds = ds.assign_coords(n=[f"n = {v}" for v in ds["n"].to_numpy()])
    return xr.DataTree.from_dict({group: ds})


def _grid(k: int, width: float = 3.6, height: float = 3.0, rows: int = 1):
    cols = max(1, int(np.ceil(k / rows)))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows),
                             squeeze=False, layout="constrained")
    for ax in axes.flat[k:]:
        ax.set_visible(False)
    return fig, axes.flat


def n_axis(ax, sizes) -> None:
    """A log n axis labelled at the study's sample sizes (no crowded minor labels)."""
    sizes = sorted({int(v) for v in sizes})
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xticks(sizes, [str(v) for v in sizes])
    if len(sizes) > 6:
        ax.tick_params(axis="x", labelrotation=45)


def save(fig, path) -> None:
    """Write ``fig`` as PNG (dpi 90: sharp on screen, small in a data URI) and close it."""
    fig.savefig(path, dpi=90)
    plt.close(fig)


# --------------------------------------------------------------------------- matplotlib
def rmse_plot(summary: pd.DataFrame, slopes: dict[str, float]):
    """RMSE against n on log-log axes, one panel per estimand, with a grey reference line
    of each theoretical slope (``slopes``: estimator -> slope) through the largest-n
    point of the first estimator that has it."""
    estimands = list(dict.fromkeys(summary["estimand"]))
    fig, axes = _grid(len(estimands))
    conds = conditions(summary)
    for ax, estimand in zip(axes, estimands, strict=False):
        s = summary[summary["estimand"] == estimand]
        anchors = {}
        for ci, (_, gc) in enumerate(conds):
            for ei, (est, g) in enumerate(gc[gc["estimand"] == estimand].groupby("estimator")):
                g = g.sort_values("n")
                ax.errorbar(g["n"], g["rmse"], yerr=2 * g["rmse_mcse"].fillna(0),
                            color=COLORS[ei % len(COLORS)], ls=LINESTYLES[ci % 4],
                            marker="o", ms=3, lw=1.2, capsize=2,
                            label=est if ci == 0 else None)
                slope = slopes.get(est, -0.5)
                anchors.setdefault(slope, (g["n"].iloc[-1], g["rmse"].iloc[-1]))
        n = np.array(sorted(s["n"].unique()), dtype=float)
        for k, (slope, (n0, r0)) in enumerate(sorted(anchors.items())):
            ax.plot(n, r0 * (n / n0) ** slope, color="0.4", lw=3, alpha=0.35,
                    ls=["-", "--"][k % 2], label=f"slope {slope:g} (theory)")
        ax.set(yscale="log", xlabel="n", ylabel="RMSE", title=estimand)
        n_axis(ax, s["n"])
    axes[0].legend(fontsize=8)
    if len(conds) > 1:
        fig.suptitle("line style = condition: " + "; ".join(
            f"{LINESTYLES[i % 4]} {lab}" for i, (lab, _) in enumerate(conds)), fontsize=8)
    return fig


def bias_plot(bessel: pd.DataFrame):
    """Bessel: empirical bias (±2 MCSE) against the theoretical bias (dashed), and MSE,
    per estimand, first condition."""
    if bessel.empty:
        return None
    b, label = first_condition(bessel)
    estimands = list(dict.fromkeys(b["estimand"]))
    fig, axes = plt.subplots(2, len(estimands), figsize=(3.8 * len(estimands), 5.6),
                             squeeze=False, layout="constrained")
    for j, estimand in enumerate(estimands):
        s = b[b["estimand"] == estimand]
        for ei, (est, g) in enumerate(s.groupby("estimator")):
            g = g.sort_values("n")
            c = COLORS[ei % len(COLORS)]
            axes[0, j].errorbar(g["n"], g["bias"], yerr=2 * g["bias_mcse"], color=c,
                                marker="o", ms=3, capsize=2, lw=1, label=est)
            if g["theory_bias"].notna().any():
                axes[0, j].plot(g["n"], g["theory_bias"], color=c, ls="--", lw=1)
            axes[1, j].errorbar(g["n"], g["mse"], yerr=2 * g["mse_mcse"], color=c,
                                marker="o", ms=3, capsize=2, lw=1, label=est)
        axes[0, j].axhline(0, color="0.6", lw=0.8)
        axes[0, j].set(title=f"{estimand}: bias (dashed: theory)", xlabel="n")
        axes[1, j].set(yscale="log", title=f"{estimand}: MSE", xlabel="n")
        n_axis(axes[0, j], s["n"])
        n_axis(axes[1, j], s["n"])
    axes[0, 0].legend(fontsize=8)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


def efficiency_plot(eff: pd.DataFrame):
    """n Var(θ̂) I(θ) against n (±2 MCSE), with the Cramér–Rao bound at 1."""
    if eff.empty:
        return None
    e, label = first_condition(eff)
    estimands = list(dict.fromkeys(e["estimand"]))
    fig, axes = _grid(len(estimands))
    for ax, estimand in zip(axes, estimands, strict=False):
        for ei, (est, g) in enumerate(e[e["estimand"] == estimand].groupby("estimator")):
            g = g.sort_values("n")
            ax.errorbar(g["n"], g["var_ratio"], yerr=2 * g["var_ratio_mcse"], marker="o",
                        ms=3, capsize=2, lw=1, color=COLORS[ei % len(COLORS)], label=est)
        ax.axhline(1, color="0.3", ls="--", lw=1, label="Cramér–Rao bound")
        ax.set(xlabel="n", ylabel="Var / CRLB", title=estimand)
        n_axis(ax, e["n"])
    axes[0].legend(fontsize=8)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


def coverage_plot(cov: pd.DataFrame):
    """Coverage against n, ±2 MCSE, with the band nominal ± 2 sqrt(p(1-p)/S)."""
    if cov.empty:
        return None
    c, label = first_condition(cov)
    estimands = list(dict.fromkeys(c["estimand"]))
    fig, axes = _grid(len(estimands))
    for ax, estimand in zip(axes, estimands, strict=False):
        s = c[c["estimand"] == estimand]
        ns = np.sort(s["n"].unique())
        band = s.groupby("n")[["band_low", "band_high"]].first().reindex(ns)
        ax.fill_between(ns, band["band_low"], band["band_high"], color="0.85",
                        label="nominal ± 2 MCSE")
        ax.axhline(s["nominal"].iloc[0], color="0.4", lw=0.8)
        for ei, (est, g) in enumerate(s.groupby("estimator")):
            g = g.sort_values("n")
            ax.errorbar(g["n"], g["coverage"], yerr=2 * g["coverage_mcse"], marker="o",
                        ms=3, capsize=2, lw=1, color=COLORS[ei % len(COLORS)], label=est)
        ax.set(xlabel="n", ylabel="coverage", title=estimand)
        n_axis(ax, ns)
    axes[0].legend(fontsize=8)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


def zip_plot(df: pd.DataFrame, n: int | None = None):
    """Zip plot (Morris et al. 2019, Fig. 3): each interval of one n, ranked by how far
    the truth is from its centre in half-widths; red ones miss the truth."""
    d, label = first_condition(df[df["converged"].to_numpy(bool)])
    d = d[np.isfinite(d["ci_low"]) & np.isfinite(d["ci_high"])]
    if d.empty:
        return None
    n = int(d["n"].min()) if n is None else n
    d = d[d["n"] == n]
    cells = list(d.groupby(["estimand", "estimator"], sort=False))
    fig, axes = _grid(len(cells), width=2.8, height=3.2,
                      rows=int(d["estimand"].nunique()))
    for ax, ((estimand, est), g) in zip(axes, cells, strict=False):
        lo, hi = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
        truths = g["true_value"].to_numpy(float)
        truth = float(truths[0])
        if not np.all(truths == truth):  # truths drawn per replicate: centre on each
            lo, hi, truth = lo - truths, hi - truths, 0.0
        # |truth - centre| / half-width <= 1 exactly when the interval covers the truth
        r = np.abs(truth - (lo + hi) / 2) / np.maximum((hi - lo) / 2, 1e-300)
        order = np.argsort(r, kind="stable")
        cent = 100 * (np.arange(r.size) + 0.5) / r.size
        segs = np.stack([np.c_[lo[order], cent], np.c_[hi[order], cent]], axis=1)
        miss = r[order] > 1
        ax.add_collection(LineCollection(segs, colors=np.where(miss[:, None],
                                         [[0.8, 0.1, 0.1, 0.7]], [[0.2, 0.4, 0.7, 0.35]]),
                                         linewidths=0.6))
        ax.axvline(truth, color="k", lw=0.8)
        ax.axhline(95, color="0.3", ls=":", lw=0.8)
        ax.autoscale_view()
        ax.set(title=f"{estimand} · {est}", ylim=(0, 100),
               xlabel=f"interval (n = {n})", ylabel="centile of |truth − centre|/half-width")
        ax.yaxis.label.set_size(7)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


# --------------------------------------------------------------------------- ArviZ
def _az():
    import arviz_plots as azp

    azp.style.use("arviz-variat")
    return azp


def dist_plot(df: pd.DataFrame):
    """Sampling distribution of each estimator, per n (columns) and estimand (rows):
    ``arviz_plots.plot_dist`` over the ``replicate`` dimension, estimators by colour."""
    azp = _az()
    d, label = first_condition(df)
    sizes = pick_sizes(d["n"].unique())
    dt = replicate_tree(d, sizes=sizes)
    pc = azp.plot_dist(dt, group="estimates", sample_dims=["replicate"], kind="kde",
                       cols=["__variable__", "n"], col_wrap=len(sizes),
                       aes={"color": ["estimator"]},
                       backend="matplotlib",
                       visuals={"point_estimate_text": False, "credible_interval": False,
                                "point_estimate": False},
                       figure_kwargs={"figsize": (12, 2.2 * len(dt["estimates"].data_vars))})
    pc.add_legend("estimator")
    fig = _figure(pc)
    if label:
        fig.suptitle(label, fontsize=9)
    return fig


def ecdf_pit_plot(df: pd.DataFrame, estimand: str):
    """ECDF of PIT = Φ(z) of the standardised estimates z = (θ̂ − θ)/se, minus the
    uniform CDF, with arviz-stats' simultaneous uniformity test at level 0.01:
    ``arviz_plots.plot_ecdf_pit``. Flat and unmarked: z looks N(0, 1)."""
    azp = _az()
    d, label = first_condition(df[df["estimand"] == estimand])
    d = d[d["converged"].to_numpy(bool) & np.isfinite(d["se"]) & (d["se"] > 0)]
    if d.empty:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        d = d.assign(pit=stats.norm.cdf((d["estimate"] - d["true_value"]) / d["se"]))
    # the uniformity test needs every replicate of a panel: keep only the (estimator, n)
    # cells where every replicate gave a finite z (se = 0 happens in discrete families)
    full = d.groupby(["estimator", "n"])["pit"].transform(
        lambda v: np.isfinite(v).all() and len(v) == d["replicate"].nunique())
    d = d[full.astype(bool)]
    if d.empty:
        return None
    sizes = pick_sizes(d["n"].unique(), 3)
    d = d[d["n"].isin(sizes)]
    cells = d.groupby(["estimator", "n"]).ngroups
    if cells < d["estimator"].nunique() * len(sizes):  # ragged grid: keep whole estimators
        keep = d.groupby("estimator")["n"].nunique()
        d = d[d["estimator"].isin(keep[keep == len(sizes)].index)]
        if d.empty:
            return None
    dt = replicate_tree(d, value="pit", group="pit", sizes=sizes)
    k = len(dt["pit"]["estimator"])
    # method "pot_c" (the default; the legacy "envelope" method fails on arviz-plots
    # 1.x with a DataTree input): a simultaneous test of uniformity that marks the
    # points that depart most, and prints its p-value
    pc = azp.plot_ecdf_pit(dt, group="pit", sample_dims=["replicate"], method="pot_c",
                           envelope_prob=0.99, backend="matplotlib",
                           cols=["estimator", "n"], col_wrap=len(sizes),
                           figure_kwargs={"figsize": (3.4 * len(sizes), 2.2 * k)})
    fig = _figure(pc)
    fig.suptitle(f"{estimand}: ECDF of Φ(z) − uniform; marked points depart (α = 0.01)"
                 + (f" ({label})" if label else ""), fontsize=9)
    return fig


def forest_plot(df: pd.DataFrame):
    """Estimation errors θ̂ − θ by estimator and n, every estimand:
    ``arviz_plots.plot_forest`` (point: median; bars: central intervals)."""
    azp = _az()
    d, label = first_condition(df)
    d = d.assign(error=d["estimate"] - d["true_value"])
    dt = replicate_tree(d, value="error", sizes=pick_sizes(d["n"].unique(), 3))
    rows = int(np.prod([v.size for k, v in dt["estimates"].coords.items() if k != "replicate"]))
    rows *= len(dt["estimates"].data_vars)
    pc = azp.plot_forest(dt, group="estimates", sample_dims=["replicate"],
                         backend="matplotlib", figure_kwargs={"figsize": (9, 0.32 * rows + 1)})
    fig = _figure(pc)
    fig.axes[-1].axvline(0, color="0.3", lw=0.8, ls="--")  # the forest column is last
    fig.suptitle("estimate − truth" + (f" ({label})" if label else ""), fontsize=9)
    return fig


def _figure(pc):
    """The matplotlib Figure behind a PlotCollection."""
    return pc.get_viz("figure")
