"""``results/index.html``: every study's page, with its one-line verdict."""

from __future__ import annotations

import json
from pathlib import Path

from .. import io
from .html import CSS, esc


def render(verdicts: list[dict]) -> str:
    rows = "".join(
        f"<tr><td class='l'><a href='{esc(v['report'])}'>{esc(v['study'])}</a></td>"
        f"<td class='l'>{esc(v['family'])}</td><td class='l'>{esc(v['description'])}</td>"
        f"<td class='l'>{esc(v['verdict'])}</td></tr>"
        for v in sorted(verdicts, key=lambda v: v["study"]))
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>fisherlab studies</title><style>{CSS}</style></head><body>"
            "<h1>fisherlab studies</h1><p class='lede'>Each study's page answers: does each "
            "estimator behave as theory says, and from which n on? The verdict counts "
            "estimator–estimand pairs whose RMSE shrinks at the theoretical rate, whose "
            "standardised estimates pass a normality test at the largest n, and whose "
            "intervals reach nominal coverage at the largest n.</p>"
            "<table><tr><th class='l'>study</th><th class='l'>family</th>"
            "<th class='l'>question</th><th class='l'>verdict</th></tr>"
            f"{rows}</table></body></html>")


def write_index(results: str | Path, out: str | Path) -> None:
    """The index of every study with a finished page under ``results`` (its
    ``verdict.json``), whichever studies this run selected."""
    verdict_files = sorted(Path(results).glob("*/verdict.json"))
    verdicts = [json.loads(Path(p).read_text(encoding="utf-8")) for p in verdict_files]
    out = Path(out)
    for v, p in zip(verdicts, verdict_files, strict=True):
        # link relative to the index, wherever the results folder is
        v["report"] = str((Path(p).parent / "report.html").resolve().relative_to(
            out.parent.resolve(), walk_up=True))
    io.write_text(out, render(verdicts))
