"""The likelihood explorer: an interactive log-likelihood curve in the self-contained page.

Plain HTML, SVG and JavaScript, no library and no server. The numbers are the
likelihood table's (:mod:`fisherlab.diagnostics.likelihood`), embedded as JSON: every
curve on its grid (``theta, loglik, rel_loglik, score, information``) and its marks
(truth, MLE, MAP, Wald and likelihood-ratio intervals, the cutoff). The script draws
the curves of one parameter for every n shown (the curvature grows with n), highlights
the chosen n and replicate, marks the truth, the MLE, the MAP and both intervals, and
moves a point along the highlighted curve with a slider, reading out ℓ(θ), the score
(drawn as the tangent's slope) and the observed information at that point. The slider
steps through the curve's grid points, which include its MLE (where the table's
ℓ − ℓ(MLE) is exactly 0) and stay off the domain's ends (σ = 0, where ℓ = −∞): every
reading is a row of the table, and the script computes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .html import esc

MARKS = ["truth", "mle", "map", "mle_information", "wald_low", "wald_high", "lr_low",
         "lr_high", "cutoff"]
COLUMNS = {"theta": "theta", "ll": "loglik", "rel": "rel_loglik", "score": "score",
           "info": "information"}


def _num(v):
    """A number for the script's JSON: NaN null; an infinity (an unbounded likelihood-ratio
    end, the information at a p of 0) the string "inf" or "-inf", which JSON has no
    number for and the script reads back as one."""
    v = float(v)
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return round(v, 12) if np.isfinite(v) else None


def data(t: pd.DataFrame) -> dict:
    """The table as the script's JSON: parameter -> its curves (NaN becomes null, an
    infinity "inf" or "-inf": :func:`_num`)."""
    out: dict[str, list] = {}
    for (name, n, rep), g in t.groupby(["parameter", "n", "replicate"], sort=False):
        g = g.sort_values("point")
        first = g.iloc[0]
        curve = {"n": int(n), "replicate": int(rep), "profile": bool(first["profile"]),
                 **{k: [_num(v) for v in g[c]] for k, c in COLUMNS.items()},
                 **{k: _num(first[k]) for k in MARKS if k in g}}
        out.setdefault(str(name), []).append(curve)
    for curves in out.values():
        curves.sort(key=lambda c: (c["n"], c["replicate"]))
    return out


def html(r) -> str:
    """The explorer of a study's page ('' when the table is empty)."""
    return explorer(r.tables.get("likelihood"))


def explorer(t: pd.DataFrame | None) -> str:
    """The explorer of a likelihood table: a study's (its page) or one observed
    dataset's (``fisherlab fit --html``, :func:`page`); '' when the table is empty."""
    if t is None or t.empty:
        return ""
    d = data(t)
    blocks = "".join(_block(name, curves) for name, curves in d.items())
    payload = json.dumps(d, separators=(",", ":")).replace("</", "<\\/")
    return (f"<style>{CSS}</style>{blocks}"
            f'<script type="application/json" id="lx-data">{payload}</script>'
            f"<script>{SCRIPT}</script>")


def page(t: pd.DataFrame, title: str, lede: str) -> str:
    """A page of its own holding the explorer of ``t``, for a user's data: the same
    explorer as a study's page, under a title and a paragraph saying what was fitted."""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>{esc(title)} · fisherlab</title><style>{PAGE_CSS}</style></head><body>"
            f"<h1>{esc(title)}</h1><p class='lede'>{esc(lede)}</p>{explorer(t)}</body></html>")


PAGE_CSS = ("body{font:15px/1.5 system-ui,sans-serif;max-width:1180px;margin:1.5em auto;"
            "padding:0 1em;color:#222}.lede{color:#444}")


def _block(name: str, curves: list) -> str:
    what = "profile log-likelihood" if curves[0]["profile"] else "log-likelihood"
    sizes = sorted({c["n"] for c in curves})
    reps = sorted({c["replicate"] for c in curves})
    n_opts = "".join(f'<option value="{n}">{n}</option>' for n in sizes)
    r_opts = "".join(f'<option value="{k}">{k}</option>' for k in reps)
    cells = [("theta", f"{esc(name)}"), ("ll", "ℓ"), ("rel", "ℓ − ℓ(MLE)"),
             ("score", "score dℓ/d" + esc(name)), ("info", "observed information")]
    read = "".join(f'<div><span class="lx-k">{k}</span><output class="lx-v" '
                   f'data-lx="{c}"></output></div>' for c, k in cells)
    return (f'<div class="lx" data-param="{esc(name)}">'
            f'<h3>The {what} of {esc(name)}</h3>'
            f'<div class="lx-controls"><label>n <select class="lx-n">{n_opts}</select>'
            f'</label><label{" hidden" * (len(reps) == 1)}>replicate '  # one dataset: no choice
            f'<select class="lx-rep">{r_opts}</select></label>'
            f'<label class="lx-move">move {esc(name)} '
            f'<input type="range" class="lx-slider" min="0" max="{len(curves[0]["theta"]) - 1}" '
            f'step="1" value="0" '
            f'aria-label="move {esc(name)} along the curve"></label></div>'
            f'<svg class="lx-plot" viewBox="0 0 1140 400" role="img" '
            f'aria-label="{what} of {esc(name)}"></svg>'
            f'<div class="lx-legend"></div><div class="lx-read">{read}</div>'
            f'<p class="lx-marks"></p></div>')


CSS = """
.lx{border:1px solid #e4e4e4;border-radius:6px;padding:.6em 1em;margin:1em 0}
.lx h3{margin:.2em 0 .5em}.lx-controls{display:flex;flex-wrap:wrap;gap:.4em 1.6em;
align-items:center;font-size:14px}.lx-move input{width:320px;vertical-align:middle}
.lx-plot{width:100%;max-width:1140px;height:auto;display:block}
.lx-plot text{font:12px system-ui,sans-serif;fill:#333}.lx-legend{font-size:13px;color:#444}
.lx-legend span{display:inline-block;margin-right:1.2em}.lx-legend i{display:inline-block;
width:22px;height:3px;vertical-align:middle;margin-right:.35em}
.lx-read{display:flex;flex-wrap:wrap;gap:.3em 1.6em;font-size:14px;margin:.5em 0;
font-variant-numeric:tabular-nums}.lx-k{color:#555;margin-right:.4em}
.lx-v{font-weight:600}.lx-marks{font-size:13px;color:#444;margin:.2em 0}
"""

#: the script (package data beside this module): look-ups, interpolation, drawing
SCRIPT = (Path(__file__).with_name("explorer.js")).read_text(encoding="utf-8")
