"""``results/index.html``: every study with finished results on disk, whichever studies
a run selected, with its one-line verdict, or marked as stopped by max_failure_rate,
and when it was run.

A study is listed when its folder holds either a finished page (verdict.json and
report.html) or a status.json saying it was stopped, whatever its size (a large study
has no estimates.parquet); its time is ``created`` in provenance.json (when its
estimates were combined), else its status's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ..core import files
from ..core.layout import StudyFiles
from .html import CSS, esc


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _when(folder: Path) -> str:
    sf = StudyFiles(folder)
    created = _read(sf.provenance).get("created") or _read(sf.status).get("created")
    if not created:
        try:
            stamp = sf.verdict.stat().st_mtime
        except OSError:
            return ""
        created = datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")
    return created.replace("T", " ").replace("+00:00", " UTC")


def studies_on_disk(results: str | Path, out: str | Path) -> list[dict]:
    """One entry per study folder under ``results`` with finished results: ``study``,
    ``report`` (a link relative to ``out``, or ""), ``family``, ``description``,
    ``verdict``, ``stopped`` and ``run`` (when)."""
    out = Path(out)
    entries = []
    for folder in sorted(p for p in Path(results).iterdir() if p.is_dir()):
        sf = StudyFiles(folder)
        status = _read(sf.status)
        verdict = _read(sf.verdict)
        page = sf.report_html
        if status.get("stopped"):
            # the message's first condition: "true_p=0.5, n=10, mle: 91/200 failed (45.5%)"
            lines = (status.get("message") or "").splitlines()
            worst = lines[1].strip().split("; commonest")[0] if len(lines) > 1 else ""
            entry = {"study": folder.name, "report": "", "family": status.get("family", ""),
                     "description": status.get("description", ""), "stopped": True,
                     "verdict": f"stopped by max_failure_rate = "
                                f"{status.get('max_failure_rate')}" + (
                                    f"; worst: {worst}" if worst else "")}
        elif verdict and page.is_file():
            entry = {**verdict, "study": folder.name, "stopped": False,
                     # link relative to the index, wherever the results folder is
                     "report": str(page.resolve().relative_to(out.parent.resolve(),
                                                              walk_up=True))}
        else:
            continue
        entries.append({**entry, "run": _when(folder)})
    return entries


def render(verdicts: list[dict]) -> str:
    def name(v):
        link = f"<a href='{esc(v['report'])}'>{esc(v['study'])}</a>" if v.get("report") \
            else esc(v["study"])
        return link + (" <b>(stopped)</b>" if v.get("stopped") else "")

    def claims(v):
        c = v.get("claims") or {}
        if not c.get("of"):
            return "–"
        cls = "ok" if c["hold"] == c["of"] else "bad"
        return f"<span class='{cls}'>{c['hold']} of {c['of']} hold</span>"

    rows = "".join(
        f"<tr><td class='l'>{name(v)}</td>"
        f"<td class='l fam'>{esc(v.get('family', ''))}</td>"
        f"<td class='l'>{esc(v.get('description', ''))}</td>"
        f"<td class='l claims'>{claims(v)}</td>"
        # one line per part of the verdict ("rate as theory 8/8 · normal at ...")
        f"<td class='l verdict'>{'<br>'.join(map(esc, v.get('verdict', '').split(' · ')))}</td>"
        f"<td class='l'>{esc(v.get('run', ''))}</td></tr>"
        for v in sorted(verdicts, key=lambda v: v["study"]))
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>fisherlab studies</title><style>{CSS}"
            # a long family name (a user's python: model) wraps; the verdict keeps its width
            "td.fam{min-width:9em;max-width:14em;overflow-wrap:anywhere}td.verdict{min-width:17em}"
            "</style></head><body>"
            "<h1>fisherlab studies</h1><p class='lede'>Each study's page answers: does each "
            "estimator behave as theory says, and from which n on? The claims are what the "
            "study file says it shows, each checked by the run. The verdict counts, from "
            "each study's verdicts table, estimator–estimand pairs whose RMSE shrinks at the "
            "theoretical rate, whose standardised estimates pass a normality test at the "
            "largest n, and whose intervals reach nominal coverage at the largest n. Every "
            "study with results "
            "in this folder is listed, whichever run made them; a study stopped by its "
            "max_failure_rate has no page (its status.json names the conditions).</p>"
            "<table><tr><th class='l'>study</th><th class='l'>family</th>"
            "<th class='l'>question</th><th class='l'>claims</th><th class='l'>verdict</th>"
            "<th class='l'>run</th></tr>"
            f"{rows}</table></body></html>")


def write_index(results: str | Path, out: str | Path) -> None:
    """The index of every study with finished results under ``results``."""
    files.write_text(out, render(studies_on_disk(results, out)))
