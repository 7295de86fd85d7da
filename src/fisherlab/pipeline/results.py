"""A results folder as Python objects: ``fisherlab.open("results/<study>")``.

Everything is read when first asked for, and the estimates are never loaded whole: they
are a pyarrow dataset (``estimates.parquet`` when the run exported it, else the
partitioned ``estimates/`` folder) and a DuckDB relation over it, so a study of any size
opens at once and a query reads only what it needs.

    >>> res = fisherlab.open("results/normal_bessel")
    >>> res.summary                       # summary.csv as a DataFrame
    >>> res.diagnostics["coverage"]       # every diagnostic table by name
    >>> res.sql("select estimator, avg(estimate) from estimates group by 1").df()
"""

from __future__ import annotations

import html
import json
import tempfile
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path

import pandas as pd

from ..core import files
from ..core.layout import ESTIMATES, StudyFiles
from ..diagnostics import TABLES
from ..run import provenance
from ..spec.load import load_study
from ..verdicts import CLAIMS
from ..verdicts import TABLE as VERDICTS
from .fromfile import study_of

#: the name the estimates have in :meth:`Results.sql`
VIEW = "estimates"


class Tables(Mapping):
    """Tables of a results folder by name, each read from its CSV when first asked for."""

    def __init__(self, folder: StudyFiles, names):
        self._files = folder
        self._names = [n for n in names if folder.table(n).exists()]
        self._cache: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(f"no table {name!r} in {self._files.folder} "
                           f"(there are: {', '.join(self._names) or 'none'})")
        if name not in self._cache:
            self._cache[name] = files.read_table(self._files.table(name))
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"Tables({', '.join(self._names)})"


class Results:
    """One study's results folder (what ``fisherlab run`` or the workflow wrote)."""

    def __init__(self, folder: str | Path):
        self.files = StudyFiles(folder)
        self.folder = self.files.folder
        if not self.folder.is_dir():
            raise FileNotFoundError(f"no results folder {self.folder}")

    # ------------------------------------------------------------------ tables
    @cached_property
    def tables(self) -> Tables:
        """Every ``<name>.csv`` of the folder."""
        return Tables(self.files, sorted(p.stem for p in self.folder.glob("*.csv")))

    @cached_property
    def diagnostics(self) -> Tables:
        """The diagnostic tables (``coverage``, ``efficiency``, ...) that the folder holds."""
        return Tables(self.files, TABLES)

    def _table(self, name: str) -> pd.DataFrame | None:
        return self.tables[name] if name in self.tables else None

    @property
    def summary(self) -> pd.DataFrame | None:
        return self._table("summary")

    @property
    def verdicts(self) -> pd.DataFrame | None:
        return self._table(VERDICTS)

    @property
    def claims(self) -> pd.DataFrame | None:
        return self._table(CLAIMS)

    @property
    def measures(self) -> pd.DataFrame | None:
        """measures.csv, the long table of every measure, where the run wrote one."""
        return self._table("measures")

    # ------------------------------------------------------------------ the study
    @cached_property
    def provenance(self) -> dict:
        p = self.files.provenance
        return json.loads(p.read_text()) if p.exists() else {}

    @cached_property
    def study(self):
        """The :class:`~fisherlab.spec.study.Study` the results came from: the study file
        named in provenance.json when its SHA-256 still matches, else the copy of it that
        provenance.json keeps (so the results stay readable after the file changed)."""
        prov = self.provenance
        if "from" in prov:  # estimates summarised from a file: the study they describe
            return study_of(prov["from"], self.folder.name)
        path = Path(prov.get("study_file", ""))
        # a relative path is the workflow's, from the project folder: results/<study>/..
        for p in (path, self.folder.resolve().parent.parent / path):
            if p.is_file() and provenance.file_hash(p) == prov.get("study_sha256"):
                return load_study(p)
        text = prov.get("study_text")
        if text is None:
            raise FileNotFoundError(
                f"{self.files.provenance}: the study file {path} is gone or changed, and "
                "this folder keeps no copy of it (written before copies were kept)")
        with tempfile.TemporaryDirectory() as tmp:  # load_study names a study by its file
            copy = Path(tmp) / f"{prov.get('study', self.folder.name)}.yaml"
            copy.write_text(text)
            return load_study(copy)

    # ------------------------------------------------------------------ estimates
    @cached_property
    def estimates(self):
        """Every estimate row as a pyarrow dataset (nothing read until a scan)."""
        import pyarrow.dataset as ds

        if self.files.estimates_file.exists():
            return ds.dataset(self.files.estimates_file, format="parquet")
        root = self.folder / ESTIMATES
        if not any(root.glob("cond=*/n*.parquet")):
            raise FileNotFoundError(f"no estimates in {self.folder}")
        return ds.dataset(root, format="parquet", partitioning="hive")

    @cached_property
    def estimate_rows(self) -> int:
        """The number of estimate rows, from the Parquet footers (no row is read)."""
        return sum(f.metadata.num_rows for f in self.estimates.get_fragments())

    @cached_property
    def connection(self):
        """A DuckDB connection in which the estimates are the view ``estimates``."""
        import duckdb

        con = duckdb.connect()
        con.register(VIEW, self.estimates)
        return con

    @property
    def relation(self):
        """The estimates as a DuckDB relation (lazy: ``.filter``, ``.aggregate``, ``.df``)."""
        return self.connection.table(VIEW)

    def sql(self, query: str):
        """A DuckDB relation from SQL in which the estimates are the table ``estimates``."""
        return self.connection.sql(query)

    # ------------------------------------------------------------------ showing
    def _lines(self) -> list[tuple[str, str]]:
        # what people open first, then the diagnostics, then any other table
        first = ("summary", VERDICTS, CLAIMS, "measures")
        names = sorted(self.tables, key=lambda t: (t not in first, first.index(t)
                                                   if t in first else 0, t))
        out = [(name, f"{len(self.tables[name])} rows") for name in names]
        try:
            kind = ("estimates.parquet" if self.files.estimates_file.exists()
                    else "estimates/ (partitioned)")
            out.insert(0, ("estimates", f"{self.estimate_rows} rows in {kind}"))
        except FileNotFoundError:
            pass
        return out

    def __repr__(self) -> str:
        lines = [f"Results {self.folder.name!r} at {self.folder}"]
        lines += [f"  {name:<14} {what}" for name, what in self._lines()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td><code>{html.escape(n)}</code></td><td>{html.escape(w)}"
                       "</td></tr>" for n, w in self._lines())
        return (f"<b>Results {html.escape(self.folder.name)}</b> "
                f"<small>{html.escape(str(self.folder))}</small><table>{rows}</table>")


def open_results(folder: str | Path) -> Results:
    """The results folder of one study as a :class:`Results`."""
    return Results(folder)
