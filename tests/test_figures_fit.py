"""Every figure the page draws keeps its text readable: inside the figure, and no two
texts on top of each other, even with long estimator labels and long estimand names.

Each figure function the sections use is drawn from a small synthetic results set
(tables built here, no fitting, no sampling) whose labels are deliberately long, saved
with the project's own settings (:func:`fisherlab.report.figures.save`), and then its
rendered text is measured: every visible Text (suptitle, panel titles, axis labels,
the tick labels matplotlib draws, legend entries, annotations) must lie inside the
figure, and no two may overlap, tick labels of one axis among them. The saved PNG must
be the page's text column wide at two device pixels per CSS pixel.
"""

from __future__ import annotations

import functools
import io
import struct

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from fisherlab.report import azplots, figures, nested  # noqa: E402
from fisherlab.report.sections import (  # noqa: E402
    bessel,
    consistency,
    coverage,
    efficiency,
    intervals,
    optimiser,
    paired,
    score,
)
from fisherlab.report.verdicts import Verdicts  # noqa: E402

LABELS = {"mle": "mle, method newton, with a likelihood-ratio interval",
          "map": "map, Normal(0, 5) prior on mu, HalfNormal(5) on sigma",
          "posterior": "posterior, Normal(0, 5) prior on mu, HalfNormal(5) on sigma, "
                       "4 chains of 1000 draws"}
ESTIMANDS = ("mu", "log_odds_of_default_per_thousand_of_income")
SIZES = (5, 20, 100)
CONDITIONS = ({"true_mu": 2.0, "true_sigma": 1.5}, {"true_mu": -1.0, "true_sigma": 1.5})
R = 200
#: how far (pixels) a text may reach past the figure's edge, or into another text
TOLERANCE = 1.0


# --------------------------------------------------------------------------- data
def replicate_rows() -> pd.DataFrame:
    """Replicates of every condition × n × estimator × estimand: t(3) errors (a few far
    out), Wald-like intervals, the first cell's intervals of zero width where the
    estimate is 0 (as a proportion's Wald interval at p̂ = 0), some failed fits."""
    rng = np.random.default_rng(1)
    frames = []
    for cond in CONDITIONS:
        for n in SIZES:
            for est in LABELS:
                for k, estimand in enumerate(ESTIMANDS):
                    truth = cond["true_mu"] if k == 0 else 0.5
                    se = np.full(R, 1.5 / np.sqrt(n))
                    estimate = truth + se * rng.standard_t(3, R)
                    estimate[:3] = truth - 40 * se[:3]  # far out below
                    if k == 1 and n == 20:
                        estimate[: R // 2] = 0.0
                        se[: R // 2] = 0.0
                    converged = rng.random(R) > (0.1 if est == "map" else 0.0)
                    frames.append(pd.DataFrame({
                        **{c: v for c, v in cond.items()}, "n": n,
                        "replicate": np.arange(R), "estimator": est,
                        "estimand": estimand, "true_value": truth, "estimate": estimate,
                        "se": se, "ci_low": estimate - 1.96 * se,
                        "ci_high": estimate + 1.96 * se, "converged": converged,
                        "pit": rng.random(R)}))
    return pd.concat(frames, ignore_index=True)


def cells(rows: pd.DataFrame) -> pd.DataFrame:
    keys = [*CONDITIONS[0], "n", "estimator", "estimand"]
    return rows[keys].drop_duplicates().reset_index(drop=True)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    keys = [*CONDITIONS[0], "n", "estimator", "estimand"]
    out = []
    for key, g in rows.groupby(keys, sort=False):
        ok = g[g["converged"]]
        err = ok["estimate"] - ok["true_value"]
        out.append(dict(zip(keys, key, strict=True), true_value=g["true_value"].iloc[0],
                        n_rep=len(g), n_failed=int((~g["converged"]).sum()),
                        rmse=float(np.sqrt((err**2).mean())), rmse_mcse=0.01))
    return pd.DataFrame(out)


def tables(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    from fisherlab.diagnostics.tails import tails

    c = cells(rows)
    k = len(c)
    i = np.arange(k)
    cov = c.assign(S=R, nominal=0.95, kind="wald", exact=False,
                   coverage=0.93 + 0.01 * np.sin(i), coverage_mcse=0.015,
                   becoverage=0.94, becoverage_mcse=0.015, width=1.0, width_mcse=0.01,
                   miss_below=0.03, miss_above=0.04,
                   zero_width=np.where((c["n"] == 20) & (c["estimand"] == ESTIMANDS[1]),
                                       R // 2, 0))
    return {
        "coverage": cov,
        "tails": tails(rows, None),
        "consistency": pd.DataFrame({"estimator": list(LABELS), "theory_slope": -0.5}),
        "efficiency": c.assign(crlb=0.1, var_ratio=1.0 + 0.1 * np.cos(i),
                               var_ratio_mcse=0.05),
        "bessel": c.assign(bias=0.01 * np.sin(i), bias_mcse=0.005, theory_bias=-0.01,
                           mse=0.1 / c["n"], mse_mcse=0.001),
        "optimiser": c[c["estimand"] == ESTIMANDS[0]].assign(
            iterations_mean=5.0 + i[: k // 2], converged_share=0.99, max_diff_se=1e-6),
        "score": c[c["estimator"] == "mle"].rename(columns={"estimand": "parameter"})
        .drop(columns="estimator").assign(mean_z=0.02, mean_score_mcse=0.1, n_info=10.0,
                                          var_ratio=1.02, var_ratio_mcse=0.05)}


def verdicts(cov: pd.DataFrame) -> Verdicts:
    t = cov.drop(columns=[c for c in cov.columns if c not in (*CONDITIONS[0], "n",
                                                              "estimator", "estimand")])
    return Verdicts(t.assign(question="coverage", detail=np.nan, verdict="nominal",
                             low=0.92, high=0.97, pvalue=0.5, threshold=0.01))


def pit_cells(rows: pd.DataFrame, estimand: str):
    """The panels of a PIT grid as the sections build them (a place holder too)."""
    out = []
    for n in SIZES:
        for est in LABELS:
            lab = f"{LABELS[est]}\nn = {n}"
            if est == "map" and n == SIZES[0]:
                out.append((lab, None, None))
                continue
            v = rows[(rows["estimator"] == est) & (rows["estimand"] == estimand)
                     & (rows["n"] == n)]["pit"].to_numpy()
            out.append((lab, v, pd.Series({"test": "KS", "pvalue": 0.0123, "alpha": 0.01,
                                           "crit": 0.1})))
    return out


@functools.cache
def data():
    rows = replicate_rows()
    t = tables(rows)
    return rows, summary(rows), t, verdicts(t["coverage"])


def _pit(estimators):
    rows, *_ = data()
    long = ESTIMANDS[1]
    panels = [c for c in pit_cells(rows, long) if c[0].split("\n")[0] in
              [LABELS[e] for e in estimators]]
    title = (f"{long}: ECDF of Φ(z) − uniform, z = (θ̂ − θ)/se; grey: the KS band at the "
             "table's level (mu = 2, sigma = 1.5)")
    return azplots.pit_plot(panels, title, len(estimators) if len(estimators) > 1
                            else len(SIZES))


def _paired():
    """The paired comparisons of two long-labelled estimators with a reference in two
    conditions: four panels and a legend of four lines."""
    from types import SimpleNamespace

    rows = []
    for i, (mu, est) in enumerate([(m, e) for m in (0.0, 2.0) for e in ("map", "posterior")]):
        for n in SIZES:
            rows.append({"true_mu": mu, "true_sigma": 1.5, "n": n, "estimator": est,
                         "estimand": "mu", "relative_precision": 10.0 * i - 5,
                         "relative_precision_mcse": 3.0, "mse_ratio": 1 + 0.05 * i,
                         "mse_ratio_mcse": 0.02, "bias_diff": 0.01 * i,
                         "bias_diff_mcse": 0.004, "coverage_diff": -0.01 * i,
                         "coverage_diff_mcse": 0.006})
    r = SimpleNamespace(tables={"paired": pd.DataFrame(rows)}, label=LABELS.get,
                        varying=["true_mu"], conditions=2,
                        study=SimpleNamespace(compare=SimpleNamespace(reference="mle")))
    return paired.paired_plot(r, "mu")


#: name -> a function drawing that figure: every figure function the page's sections use
FIGURES = {
    "coverage": lambda: coverage.coverage_plot(data()[2]["coverage"], data()[3], LABELS),
    "zip": lambda: coverage.zip_plot(data()[0][data()[0]["n"] == 20], data()[1], 0.95,
                                     LABELS, coverage=data()[2]["coverage"],
                                     tails=data()[2]["tails"]),
    **{f"forest_{e}": (lambda e=e: azplots.forest_plot(data()[0], data()[1], LABELS, e,
                                                       tails=data()[2]["tails"]))
       for e in ESTIMANDS},
    "intervals": lambda: intervals.intervals_plot(data()[2]["coverage"], data()[3], LABELS,
                                                  0.95),
    "rmse": lambda: consistency.rmse_plot(data()[1], data()[2]["consistency"], LABELS),
    "efficiency": lambda: efficiency.efficiency_plot(data()[2]["efficiency"], LABELS),
    "bias": lambda: bessel.bias_plot(data()[2]["bessel"], LABELS),
    "score": lambda: score.score_plot(data()[2]["score"]),
    "optimiser": lambda: optimiser.optimiser_plot(data()[2]["optimiser"], LABELS, 1e-4),
    "dist": lambda: azplots.dist_plot(data()[0], LABELS, lattice=False)[0],
    "pit": lambda: _pit(list(LABELS)),
    "pit_one_estimator": lambda: _pit(["map"]),
    "nested_loop": lambda: _nested(),
    "paired": _paired,
}


def _nested():
    """The nested-loop plot of the summary (true_mu × n), with every measure."""
    s = data()[1]
    i = np.arange(len(s))
    s = s.assign(bias=0.01 * np.sin(i), empse=s["rmse"], coverage=0.93 + 0.01 * np.cos(i))
    t = nested.nested_table(s, list(LABELS))
    return nested.nested_loop_figure(t, nested.nested_factors(s), list(LABELS), LABELS, 0.95)


# --------------------------------------------------------------------------- checks
def visible_texts(fig, renderer) -> list[tuple[str, object]]:
    """(what, Text) for every text the saved figure shows."""
    found = []
    for name in ("_suptitle", "_supxlabel", "_supylabel"):
        found.append(("suptitle", getattr(fig, name, None)))
    found += [("figure text", t) for t in fig.texts]
    for leg in fig.legends:
        found += [("legend", t) for t in (*leg.get_texts(), leg.get_title())]
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        found += [(f"axes {i} title", t) for t in (ax.title, ax._left_title, ax._right_title)]
        for axis in (ax.xaxis, ax.yaxis):
            if not axis.get_visible():  # matplotlib draws nothing of a hidden axis
                continue
            found.append((f"axes {i} {axis.axis_name}label", axis.label))
            found.append((f"axes {i} offset", axis.get_offset_text()))
            # the ticks matplotlib draws (those inside the view limits), as Axis does
            for tick in axis._update_ticks():
                found += [(f"axes {i} {axis.axis_name}tick", lab)
                          for lab in (tick.label1, tick.label2)]
        found += [(f"axes {i} text", t) for t in ax.texts]
        leg = ax.get_legend()
        if leg is not None:
            found += [(f"axes {i} legend", t) for t in (*leg.get_texts(), leg.get_title())]
    seen: set[int] = set()  # the suptitle is also one of the figure's texts
    return [(what, t) for what, t in found
            if t is not None and not (id(t) in seen or seen.add(id(t)))
            and t.get_visible() and t.get_text().strip()
            and (t.axes is None or t.axes.get_visible())]


def problems(fig) -> list[str]:
    """What is wrong with the text of a saved figure: texts outside it, and overlaps."""
    if not hasattr(fig.canvas, "get_renderer"):  # closed by save(): measure it with Agg
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    # closing reset its dpi: lay it out again as it was saved (the same, deterministic)
    fig.set_dpi(figures.DPI)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    texts = [(what, t, t.get_window_extent(renderer)) for what, t in visible_texts(fig, renderer)]
    out = []
    for what, t, b in texts:
        if (b.x0 < box.x0 - TOLERANCE or b.x1 > box.x1 + TOLERANCE
                or b.y0 < box.y0 - TOLERANCE or b.y1 > box.y1 + TOLERANCE):
            out.append(f"{what} {t.get_text()!r} reaches outside the figure "
                       f"({b.x0:.0f}..{b.x1:.0f} × {b.y0:.0f}..{b.y1:.0f} of "
                       f"{box.width:.0f} × {box.height:.0f})")
    for i, (w1, t1, b1) in enumerate(texts):
        for w2, t2, b2 in texts[i + 1:]:
            dx = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
            dy = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
            if dx > TOLERANCE and dy > TOLERANCE:
                out.append(f"{w1} {t1.get_text()!r} overlaps {w2} {t2.get_text()!r}")
    return out


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_text_fits(name):
    fig = FIGURES[name]()
    assert fig is not None, name
    buf = io.BytesIO()
    figures.save(fig, buf)
    bad = problems(fig)
    assert not bad, f"{name}: " + "\n".join(bad[:12])
    width, _ = png_size(buf.getvalue())
    assert abs(width - figures.WIDTH * figures.DPI) <= 2, (name, width)


def test_checks_catch_a_clipped_title_and_crowded_ticks():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_title("a title much longer than the figure is wide, clipped at both ends")
    ax.set_xticks(np.arange(12), [f"{v:.3f}" for v in np.linspace(-0.05, 0.05, 12)])
    fig.savefig(io.BytesIO(), dpi=figures.DPI)
    found = problems(fig)
    assert any("outside the figure" in p for p in found)
    assert any("xtick" in p and "overlaps" in p for p in found)
    plt.close(fig)
