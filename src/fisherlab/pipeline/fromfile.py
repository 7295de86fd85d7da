"""``fisherlab summarise --from FILE``: a file of someone's estimates through the stages.

The file becomes a results folder like a study's (:mod:`fisherlab.run.fromfile`), and
the same stages run on it: summarise, diagnose, judge, report.md and the page. The
diagnostics that need the model (:data:`fisherlab.spec.external.NEEDS_MODEL`) are left
out, each with its reason in provenance.json (``from.left_out``), which the page shows;
their tables are written empty, so nothing downstream mistakes a missing table for an
old one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ..core import files
from ..core.layout import RESULTS, StudyFiles
from ..diagnostics import TABLES, stream_all
from ..run import provenance
from ..run.chunks import remove
from ..run.dataset import Estimates
from ..run.fromfile import read_estimates, study_of_rows, write_dataset
from ..spec.external import NEEDS_MODEL, Columns, external_study
from . import stages


def summarise_file(path: str | Path, columns: Columns, out: str | Path | None = None,
                   html_page: bool = True, echo=print) -> Path:
    """Summarise the estimates in ``path`` into the results folder ``out`` (default
    ``results/<file stem>``): the workflow's files of a study, without a simulation."""
    path = Path(path)
    folder = Path(out) if out is not None else Path(RESULTS) / path.stem
    sf = StudyFiles(folder)
    rows = read_estimates(path, columns)
    remove([folder / "estimates", folder / "stats", *sf.derived()])
    write_dataset(rows, folder)
    study = study_of_rows(folder.name, path, columns, rows)
    del rows  # from here on every stage reads the dataset, a piece at a time
    left_out = {k: v for k, v in NEEDS_MODEL.items() if k in TABLES}
    files.write_text(sf.provenance, json.dumps({
        "study": study.name, "from": {
            "file": str(path.resolve()), "sha256": provenance.file_hash(path),
            "columns": columns.to_json(), "study": describe(study), "left_out": left_out},
        "versions": provenance.versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds")}, indent=1))
    stages.summarise(study, folder, sf.summary)
    tables = stream_all(Estimates(folder), study, [t for t in TABLES if t not in left_out])
    for name in TABLES:
        files.write_csv(tables.get(name, pd.DataFrame()), sf.table(name))
    stages.judge(study, folder)
    stages.report_md(study, folder, sf.report_md)
    if html_page:
        stages.html(study, folder, sf.report_html, sf.figures, sf.verdict)
        stages.index(folder.parent)
    for name, why in left_out.items():
        echo(f"{study.name}: left out {name}: {why}")
    echo(f"{study.name}: {Estimates(folder).rows()} rows from {path} -> {folder}/")
    return folder


def describe(study) -> dict:
    """What :func:`study_of` needs to build the study again."""
    return {"grid": {f"true_{k}" if not k.startswith("true_") else k: v
                     for k, v in study.params.items()},
            "methods": [e.id for e in study.estimators], "estimands": study.estimands,
            "sample_sizes": study.sample_sizes, "replications": study.replications}


def study_of(record: dict, name: str):
    """The study of a results folder made from a file, from its provenance record."""
    s = record["study"]
    return external_study(name, record["file"], Columns.from_json(record["columns"]),
                          s["grid"], s["methods"], s["estimands"], s["sample_sizes"],
                          s["replications"])
