"""A study's estimates as a Parquet dataset partitioned by condition, and its statistics.

Under ``results/<study>/``:

    estimates/cond=<param_id>/n<n>.parquet   the replicate rows of one condition and n
    stats/cond=<param_id>/n<n>.parquet       one row per cell: its merged statistics

``<param_id>`` is the condition's id (``mu=5_sigma=1``, as in the chunk paths); the
folders are hive-style, so ``pd.read_parquet("results/<study>/estimates")`` and
``pyarrow.dataset.dataset(..., partitioning="hive")`` read the whole study with a
``cond`` column. Each estimates file holds the columns of the estimates contract
(README, "Outputs") without ``chunk``, cells in order (estimator, estimand) and
replicates in order within a cell, one row group per :data:`ROW_GROUP` rows of a cell,
and no timestamps: the bytes do not depend on how the replicates were chunked.

:func:`gather` builds one condition's two files from its chunks (the workflow's
``gather`` job; a cell at a time in memory). :class:`Estimates` reads them back a
condition or a cell at a time. :func:`export` writes the optional single-file
``estimates.parquet`` by streaming the parts in the study's row order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ..core.files import atomic_path, write_parquet
from ..core.labels import condition_columns, group_columns, param_columns, prior_col, true_col
from ..core.layout import ESTIMATES, PART_ROW_GROUP, STATS, part_path, stats_path
from ..core.priors import describe
from ..stats.cellstats import merge_cells

#: rows per row group within a cell (a cell smaller than this is one row group)
ROW_GROUP = PART_ROW_GROUP
#: columns of the chunks that the dataset does not keep (they depend on the chunking)
DROPPED = ("chunk",)


def condition_values(condition) -> dict:
    """The condition columns of a study condition: ``true_<p>`` (NaN when drawn) and
    ``prior_<p>`` (the prior, described) for each drawn parameter, as the rows have."""
    params = condition.params
    out = {true_col(k): (np.nan if isinstance(v, dict) else float(v))
           for k, v in sorted(params.items())}
    out.update({prior_col(k): describe(v) for k, v in sorted(params.items())
                if isinstance(v, dict)})
    return out


# --------------------------------------------------------------------------- writing
def _pieces(files: Sequence[pq.ParquetFile], n: int, estimator: str, estimand: str):
    """The row groups of the chunk files that may hold the cell × ``estimator`` ×
    ``estimand`` (by their min/max statistics; a group without them may hold anything),
    as ``(first replicate, file, group)``, in replicate order."""
    want = {"n": n, "estimator": estimator, "estimand": estimand}
    out = []
    for f in files:
        names = f.schema_arrow.names
        for g in range(f.num_row_groups):
            group = f.metadata.row_group(g)
            first, fits = 0, True
            for j, name in enumerate(names):
                st = group.column(j).statistics
                if st is None or not st.has_min_max:
                    continue
                if name in want and not st.min <= want[name] <= st.max:
                    fits = False
                elif name == "replicate":
                    first = st.min
            if fits and group.num_rows:
                out.append((first, id(f), g, f))
    out.sort(key=lambda p: p[:3])
    return [(f, g) for _, _, g, f in out]


def gather(condition, chunks: Sequence[str | Path], rows_out: str | Path,
           stats_out: str | Path) -> int:
    """One condition × n: its rows in the chunks (each holds a replicate range of the
    condition at every n) as one file, cell by cell in replicate order, and its cells'
    statistics, merged from the chunks' per-block statistics.

    Streamed: a chunk row group at a time (a chunk writes one per cell × estimator ×
    estimand, :func:`fisherlab.run.chunks.write_chunk`), a cell's rows buffered only up to
    one output row group (:data:`ROW_GROUP` rows), whatever the chunks' sizes."""

    n = int(condition.n)
    blocks = pd.concat([pd.read_parquet(stats_path(p), filters=[("n", "==", n)])
                        for p in chunks], ignore_index=True)
    cells = merge_cells(blocks.drop(columns="n"))
    files = [pq.ParquetFile(p) for p in chunks]
    schema = pa.schema([f for f in files[0].schema_arrow.remove_metadata()
                        if f.name not in DROPPED])
    rows = 0
    with atomic_path(rows_out) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        for est, estimand in cells[["estimator", "estimand"]].itertuples(index=False):
            held: list[pa.Table] = []  # this cell's rows not yet written, in order
            last = None  # the last replicate taken: pieces must follow one another
            for f, g in _pieces(files, n, est, estimand):
                t = f.read_row_group(g, columns=schema.names)
                keep = pc.and_(pc.and_(pc.equal(t["n"], n), pc.equal(t["estimator"], est)),
                               pc.equal(t["estimand"], estimand))
                t = t.filter(keep).select(schema.names).cast(schema)
                if not t.num_rows:
                    continue
                if last is not None and t["replicate"][0].as_py() <= last:
                    raise ValueError(f"{rows_out}: chunks with overlapping replicates "
                                     f"({[str(p) for p in chunks]})")
                last = t["replicate"][-1].as_py()
                held.append(t)
                rows += t.num_rows
                held = _flush(writer, held, ROW_GROUP)
            _flush(writer, held, 0)
    if rows != int(cells["n_rep"].sum()):
        raise ValueError(f"{rows_out}: {rows} rows but the statistics count "
                         f"{int(cells['n_rep'].sum())}")
    head = pd.DataFrame([condition_values(condition)] * len(cells))
    head["n"] = n
    write_parquet(pd.concat([head, cells], axis=1), stats_out)
    return rows


def _flush(writer, held: list, size: int) -> list:
    """Write the held rows in row groups of ``size`` (0: all that are held, as the last
    row groups of a cell), keeping what does not fill one; the rows still held."""
    total = sum(t.num_rows for t in held)
    step = size or ROW_GROUP
    if total == 0 or (size and total < size):
        return held
    table = pa.concat_tables(held).combine_chunks()
    done = 0
    while total - done >= step or (not size and done < total):
        writer.write_table(table.slice(done, step), row_group_size=step)
        done += min(step, total - done)
    return [table.slice(done)] if done < total else []


def export(parts: Iterable[str | Path], out: str | Path) -> int:
    """The single-file ``estimates.parquet``: the parts in order, streamed a row group
    at a time (no whole-table step)."""

    parts = [str(p) for p in parts]
    schema = ds.dataset(parts, format="parquet").schema
    rows = 0
    # a row group at a time, file by file (a dataset scan reads ahead many batches)
    with atomic_path(out) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        for part in parts:
            f = pq.ParquetFile(part)
            for g in range(f.num_row_groups):
                for batch in f.read_row_group(g).cast(schema).to_batches(ROW_GROUP):
                    writer.write_batch(batch)
                    rows += batch.num_rows
    return rows


# --------------------------------------------------------------------------- reading
class Estimates:
    """One study's estimates dataset and cell statistics, read a piece at a time."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    @cached_property
    def cells(self) -> pd.DataFrame:
        """Every cell's merged statistics with its ``cond`` (the partition), in the
        order of :func:`fisherlab.core.labels.group_columns`."""
        root = self.folder / STATS
        if not any(root.glob("cond=*/n*.parquet")):
            raise FileNotFoundError(f"no statistics under {root}")
        df = ds.dataset(root, format="parquet", partitioning="hive").to_table().to_pandas()
        df["cond"] = df["cond"].astype(str)
        return df.sort_values(group_columns(df), kind="stable", ignore_index=True)

    @property
    def keys(self) -> list[str]:
        """The condition columns."""
        return condition_columns(self.cells)

    def parts(self) -> list[Path]:
        """The estimates files in the study's row order (condition, n)."""
        c = self.cells.drop_duplicates(["cond", "n"])
        return [part_path(self.folder, ESTIMATES, cond, n) for cond, n in zip(
            c["cond"], c["n"], strict=True)]

    def conditions(self) -> pd.DataFrame:
        """One row per condition: its ``cond`` and condition columns, in order."""
        return self.cells.drop_duplicates("cond")[["cond", *self.keys]]

    def read(self, cond: str, n: int | None = None, columns: Sequence[str] | None = None,
             replicates_below: int | None = None, **equal) -> pd.DataFrame:
        """The rows of one condition (one n, or all), optionally only ``columns``, only
        replicates below ``replicates_below``, and only rows whose columns equal
        ``equal`` (e.g. ``estimator="mle"``)."""
        sizes = sorted(self.cells.loc[self.cells["cond"] == cond, "n"].unique())
        files = [str(part_path(self.folder, ESTIMATES, cond, int(v))) for v in sizes
                 if n is None or int(v) == int(n)]
        source = ds.dataset(files, format="parquet")
        cols = None
        if columns is not None:
            have = set(source.schema.names)
            lead = param_columns(source.schema.names) + [
                c for c in source.schema.names if c.startswith("prior_")]
            cols = list(dict.fromkeys([*lead, *(c for c in columns if c in have)]))
        filt = None if replicates_below is None else ds.field("replicate") < replicates_below
        for k, v in equal.items():
            f = ds.field(k) == v
            filt = f if filt is None else filt & f
        return source.to_table(columns=cols, filter=filt).to_pandas()

    def units(self, by: Sequence[str]) -> pd.DataFrame:
        """The distinct ``cond`` × ``by`` (columns of the cells) in table order."""
        head = [*self.keys, *by]
        return self.cells.drop_duplicates(["cond", *by])[["cond", *head]].reset_index(
            drop=True)

    def rows(self) -> int:
        return int(self.cells["n_rep"].sum())

    def fits(self) -> tuple[int, int]:
        """(fits, failed fits): a fit is one replicate × estimator of a condition, failed
        when any of its estimands failed."""
        per = self.cells.drop_duplicates(["cond", "n", "estimator"])
        return int(per["n_rep"].sum()), int(per["rep_failed"].sum())
