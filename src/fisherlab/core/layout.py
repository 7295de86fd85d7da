"""Where every file of a run lives: the one place that names them.

The stages write, the report and the index read, and the workflow's rules declare the
same files; all of them take the names from here. A study's folder holds::

    results/<study>/
        chunks/<cond>/<job>.parquet       one job's rows (+ .stats.parquet, .n<n>.draws.nc)
        estimates/cond=<cond>/n<n>.parquet the rows of one condition × n
        stats/cond=<cond>/n<n>.parquet     the merged statistics of its cells
        rounds/r<k>.json                   a study with target MCSEs: round k's decision
        estimates.parquet                  optional: every row in one file
        provenance.json, status.json       where the rows came from; ok or stopped
        summary.csv, precision.csv         the measures; each target MCSE, met or not
        measures.csv                       the study's own measures (measures:), if any
        paired.csv                         paired comparisons (compare:), if any
        <table>.csv                        one table per diagnostic, and the verdicts
        report.md, report.html, figures/, verdict.json   the pages and the index's line
        logs/                              the workflow's logs
    results/index.html                     every study on disk

:class:`StudyFiles` gives the paths of one study's folder; built with a pattern such as
``results/{study}`` it gives the workflow's wildcard paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: the results folder of a run (the workflow's; ``fisherlab run --results`` may differ)
RESULTS = "results"
#: the index page of a results folder
INDEX = "index.html"
#: the workflow's logs, under a results folder and under each study's
LOGS = "logs"
#: names directly under a results folder that are the workflow's own, not a study's
RESERVED = frozenset({INDEX, LOGS})
#: a job's chunk file, relative to a results folder
CHUNK_FILE = "{study}/chunks/{cond}/{chunk}.parquet"
#: most rows in one row group of a chunk file (a cell's rows of one estimator × estimand
#: are one row group up to this size) and of an estimates file (a cell's rows of one
#: estimator × estimand in row groups of this size): what gather holds at once, about
#: 333 B a row (two gathers in Snakemake's threads stay well under 1 GB together)
CHUNK_ROW_GROUP = 1 << 18
PART_ROW_GROUP = 1 << 18
CHUNK_PATH = RESULTS + "/" + CHUNK_FILE
#: the two partitioned datasets of a study, and one condition × n's file in each
ESTIMATES, STATS = "estimates", "stats"
#: a study with target MCSEs: round k's record
ROUND_FILE = "rounds/r{k}.json"
#: the files of a study's folder computed from its rows (removed with stale chunks);
#: besides these, every ``<table>.csv``
DERIVED = ("estimates.parquet", "report.md", "report.html", "verdict.json", "status.json",
           "figures")


@dataclass(frozen=True)
class StudyFiles:
    """The files of one study's results folder (``folder`` may hold wildcards)."""

    folder: Path

    def __init__(self, folder: str | Path):
        object.__setattr__(self, "folder", Path(folder))

    def _at(self, name: str) -> Path:
        return self.folder / name

    @property
    def estimates_file(self) -> Path:
        return self._at("estimates.parquet")

    @property
    def provenance(self) -> Path:
        return self._at("provenance.json")

    @property
    def status(self) -> Path:
        return self._at("status.json")

    @property
    def summary(self) -> Path:
        return self.table("summary")

    @property
    def precision(self) -> Path:
        return self.table("precision")

    @property
    def measures(self) -> Path:
        """The study's own measures (``measures:``), when it lists any."""
        return self.table("measures")

    @property
    def paired(self) -> Path:
        """Paired comparisons with a reference estimator (``compare:``), when set."""
        return self.table("paired")

    @property
    def report_md(self) -> Path:
        return self._at("report.md")

    @property
    def report_html(self) -> Path:
        return self._at("report.html")

    @property
    def verdict(self) -> Path:
        return self._at("verdict.json")

    @property
    def figures(self) -> Path:
        return self._at("figures")

    @property
    def logs(self) -> Path:
        return self._at(LOGS)

    def table(self, name: str) -> Path:
        """``<name>.csv``: the summary, a diagnostic's table, the verdicts."""
        return self._at(f"{name}.csv")

    def partition(self, kind: str, cond: str) -> Path:
        """One condition's folder of the ``estimates`` or ``stats`` dataset."""
        return self._at(kind) / f"cond={cond}"

    def log(self, name: str) -> Path:
        """A job's log under the study's ``logs/``."""
        return self.logs / f"{name}.log"

    def part(self, kind: str, cond: str, n) -> Path:
        """One condition × n's file of the ``estimates`` or ``stats`` dataset."""
        return self.partition(kind, cond) / f"n{n}.parquet"

    def round(self, k) -> Path:
        return self._at(ROUND_FILE.format(k=k))

    def derived(self) -> list[Path]:
        """The files computed from the study's rows that exist or may (:data:`DERIVED`
        and every table)."""
        return [self._at(nm) for nm in DERIVED] + sorted(self.folder.glob("*.csv"))


def chunk_file(results: str | Path, study: str, job) -> Path:
    """The chunk file of a job (its condition's ``param_id`` and its ``name``) of the
    study named ``study``, under a results folder."""
    return Path(results) / CHUNK_FILE.format(study=study, cond=job.param_id, chunk=job.name)


def stats_path(chunk: str | Path) -> Path:
    """The statistics file a chunk job writes beside its rows."""
    return Path(chunk).with_suffix(".stats.parquet")


def draws_path(chunk: str | Path, n: int) -> Path:
    """The posterior draws a chunk job keeps for one cell (``keep_draws``)."""
    p = Path(chunk)
    return p.with_name(f"{p.stem}.n{n}.draws.nc")


def side_files(chunk: str | Path) -> list[Path]:
    """A chunk file's statistics and any posterior draws written beside it."""
    p = Path(chunk)
    return [stats_path(p), *p.parent.glob(f"{p.stem}.n*.draws.nc")]


def part_path(folder: str | Path, kind: str, cond: str, n: int) -> Path:
    return StudyFiles(folder).part(kind, cond, n)
