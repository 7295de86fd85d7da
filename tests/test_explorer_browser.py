"""The likelihood explorer in a real browser: headless Chromium (Debian's ``chromium``)
loads a study's page, a mouse drag moves the slider, and the readout changes to the
likelihood table's values at the new point; at the MLE ℓ − ℓ(MLE) reads 0, and at the
slider's end σ is inside its domain, ℓ a finite number."""

import re

import numpy as np
import pandas as pd
import pytest

from fisherlab.pipeline import stages
from fisherlab.spec.load import load_study

from .browser import Browser, find_chromium

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="no Chromium found: install Debian's chromium package")

STUDY = """description: explorer
model: {family: normal, params: {mu: 5.0, sigma: 2.0}}
sample_sizes: [10, 160]
replications: 100
seed: 4
estimators: [mle]
estimands: [mu, sigma]
interval: {method: [wald, likelihood_ratio]}
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = tmp_path_factory.mktemp("explorer")
    (root / "explorer.yaml").write_text(STUDY)
    folder = stages.run(load_study(root / "explorer.yaml"), root / "res", chunk_size=100,
                        echo=lambda *_: None)
    return folder


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def test_dragging_the_slider_moves_along_the_tables_curve(page, tmp_path):
    table = pd.read_csv(page / "likelihood.csv")
    box = ".lx[data-param='mu']"
    with Browser(f"file://{page / 'report.html'}") as b:
        assert b.eval("document.querySelectorAll('.lx').length") == 2

        def read(box=box):
            return {k: b.eval(f"document.querySelector(\"{box} output[data-lx='{k}']\")"
                              ".textContent") for k in ("theta", "ll", "rel", "score", "info")}

        before = read()
        # the slider starts at the MLE, a point of the table's curve: ℓ − ℓ(MLE) is 0
        curve = table[(table.parameter == "mu") & (table.n == 10) & (table.replicate == 0)]
        mle = curve["mle"].iloc[0]
        assert _number(before["theta"]) == pytest.approx(mle, rel=1e-3)
        assert before["rel"] == "0"
        b.drag(f"{box} .lx-slider", 0.5, 0.85)
        after = read()
        assert after != before
        theta = _number(after["theta"])
        assert theta > mle
        # the readout is the table's curve, linearly interpolated at that theta
        for key, col in (("rel", "rel_loglik"), ("score", "score"), ("info", "information")):
            want = np.interp(theta, curve["theta"], curve[col])
            assert _number(after[key]) == pytest.approx(want, rel=2e-3, abs=1e-3), key
        assert _number(after["score"]) < 0  # right of the peak the slope is downhill
        # another n: the marks line names that curve's MLE
        b.eval(f"(function(){{var s=document.querySelector(\"{box} .lx-n\");s.value='160';"
               "s.dispatchEvent(new Event('change'));})()")
        marks = b.eval(f"document.querySelector(\"{box} .lx-marks\").textContent")
        big = table[(table.parameter == "mu") & (table.n == 160) & (table.replicate == 0)]
        shown = float(re.search(r"MLE ([-0-9.e]+)", marks).group(1))
        assert marks.startswith("n = 160") and shown == pytest.approx(big["mle"].iloc[0],
                                                                      rel=1e-3)
        # the sigma slider at its left end: sigma > 0, the table's first point, l finite
        sig = ".lx[data-param='sigma']"
        b.drag(f"{sig} .lx-slider", 0.5, 0.0)
        low = read(sig)
        first = table[(table.parameter == "sigma") & (table.n == 10) & (table.replicate == 0)
                      & (table.point == 0)].iloc[0]
        assert 0 < _number(low["theta"]) == pytest.approx(first.theta, rel=1e-3)
        assert _number(low["ll"]) == pytest.approx(first.loglik, rel=1e-3)
        assert -1e4 < _number(low["ll"]) < 0
        b.screenshot(tmp_path / "explorer.png", box)
        assert (tmp_path / "explorer.png").stat().st_size > 10_000


def test_a_curve_above_its_mle_is_drawn_whole_and_infinite_ends_read_as_such(page, tmp_path):
    """A mixture's profile can rise above its MLE (its likelihood grows without bound)
    and its likelihood-ratio interval can be unbounded: the y axis reaches the highest
    point of any curve instead of cutting it at the top, and the marks read '−∞' and
    '∞', not '–' (NaN's), for the infinite ends."""
    from fisherlab.report.explorer import page as explorer_page

    table = pd.read_csv(page / "likelihood.csv")
    table = table[table.parameter == "mu"].copy()
    first = (table.n == 10) & (table.replicate == 0)
    table.loc[first, ["lr_low", "lr_high"]] = [-np.inf, np.inf]
    table.loc[table.index[first][5], "rel_loglik"] = 3.0
    out = tmp_path / "explorer.html"
    out.write_text(explorer_page(table, "lifted", "a curve above its MLE"), encoding="utf-8")
    with Browser(f"file://{out}") as b:
        marks = b.eval("document.querySelector('.lx .lx-marks').textContent")
        assert "likelihood-ratio interval [−∞, ∞]" in marks, marks
        # every curve inside the plot's box: its top is at y = 34 (the script's T), and a
        # curve cut at the top would have points above it
        top = b.eval("Math.min.apply(null, Array.from(document.querySelectorAll("
                     "'.lx-plot polyline')).map(function (p) { return Math.min.apply(null, "
                     "p.getAttribute('points').split(' ').map(function (xy) { "
                     "return Number(xy.split(',')[1]); })); }))")
        assert top >= 34, top
