"""The explorer of a user's data (`fisherlab fit --html`) in headless Chromium: the
reaction times' page opens at the MLE (μ = 255, ℓ − ℓ(MLE) = 0, score 0), a drag of the
slider moves along the data's own curve, and the readouts are the likelihood table's
values there; no truth is marked, since data have none."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from fisherlab.cli import app as cli
from fisherlab.diagnostics.likelihood import data_table
from fisherlab.families import get_family

from .browser import Browser, find_chromium

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="no Chromium found: install Debian's chromium package")

RT = np.array([240.0, 255, 261, 248, 271])
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "reaction_times.csv"


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def test_the_reaction_times_explorer_moves_along_the_data_s_curve(tmp_path, capsys):
    out = tmp_path / "rt.html"
    assert cli.main(["fit", str(EXAMPLE), "--family", "normal", "--html", str(out)]) == 0
    capsys.readouterr()
    sigma = RT.std()
    table = data_table(get_family("normal"), {}, RT[None], {"mu": 255.0, "sigma": sigma},
                       {"mu": sigma / np.sqrt(5), "sigma": sigma / np.sqrt(10)}, 0.95)
    curve = table[table.parameter == "mu"]
    box = ".lx[data-param='mu']"
    with Browser(f"file://{out}") as b:
        assert b.eval("document.querySelectorAll('.lx').length") == 2

        def read():
            return {k: b.eval(f"document.querySelector(\"{box} output[data-lx='{k}']\")"
                              ".textContent") for k in ("theta", "ll", "rel", "score", "info")}

        start = read()
        assert _number(start["theta"]) == 255 and start["rel"] == "0"
        # ℓ(μ̂, σ̂) = -n/2 (log(2π σ̂²) + 1) and, at the peak, the score is 0
        assert _number(start["ll"]) == pytest.approx(stats.norm.logpdf(RT, 255, sigma).sum(),
                                                     abs=0.01)
        assert abs(_number(start["score"])) < 1e-6
        b.drag(f"{box} .lx-slider", 0.5, 0.15)
        moved = read()
        # the slider steps through the curve's grid points: the readout is that row
        i = int(b.eval(f"document.querySelector(\"{box} .lx-slider\").value"))
        at = curve.sort_values("point").iloc[i]
        assert _number(moved["theta"]) == pytest.approx(at.theta, rel=1e-3) and at.theta < 255
        for key, col in (("ll", "loglik"), ("rel", "rel_loglik"), ("score", "score"),
                         ("info", "information")):
            assert _number(moved[key]) == pytest.approx(at[col], rel=1e-3), key
        # the profile drop of a normal mean: -n/2 log(1 + (x̄ - μ)² / σ̂²)
        assert at.rel_loglik == pytest.approx(-2.5 * np.log1p((255 - at.theta) ** 2
                                                              / sigma**2), rel=1e-6)
        assert _number(moved["score"]) > 0  # left of the peak the slope is uphill
        marks = b.eval(f"document.querySelector(\"{box} .lx-marks\").textContent")
        assert marks.startswith("n = 5: MLE 255 ") and "truth" not in marks
        b.screenshot(tmp_path / "rt.png", box)
        assert (tmp_path / "rt.png").stat().st_size > 10_000
