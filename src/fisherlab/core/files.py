"""Writing outputs so that a killed job never leaves a half-written file, and reading
back files that check themselves.

Every output is written to a temporary file in the same directory and then renamed
over the target with :func:`os.replace`, which is atomic on POSIX file systems.

A parquet file written with a checksum (a chunk: :class:`CheckedWriter`, a row group at
a time) carries in its metadata the SHA-256 of its rows (:class:`RowsDigest`);
:func:`verify_checked` recomputes it a row group at a time, so a truncated, corrupted
or half-copied file is found, never silently used, and never held whole in memory.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


@contextlib.contextmanager
def atomic_path(target: str | Path, sync: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    With ``sync`` (the default) the file's data reach the disk (``fsync``) before the
    rename, so that even a crash of the machine cannot leave the target's name on a
    file whose data were lost, and a write error the file system reports only then
    (a full disk on some file systems) fails the write. The rename alone already
    protects against a killed process (its writes are in the kernel's cache, whole) and
    a write that fails at once. An fsync costs milliseconds (the file system's journal
    commit): ``sync=False`` is for a file whose bytes are checked against a digest kept
    in a file that is synced after it (a chunk's statistics, :func:`write_parquet`'s
    returned SHA-256), so that a file lost in a crash is found, never used."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    # mkstemp makes the file private (0600); give it the mode a plain open() would
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        if sync:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(target: str | Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_parquet(df, target: str | Path, meta: dict | None = None,
                  checksum: bool = False, row_group_size: int | None = None,
                  sync: bool = True) -> str | None:
    """Write ``df`` (a DataFrame or an Arrow table); ``meta`` (JSON-able provenance)
    goes into the file's schema metadata under the key ``fisherlab``. With
    ``checksum``, ``meta["rows_sha256"]`` is the digest of the rows
    (:class:`CheckedWriter`, :func:`read_checked`).
    ``row_group_size``: rows per row group. ``sync=False``: the file is not synced to
    disk (:func:`atomic_path`) and the SHA-256 of its bytes is returned, for a synced
    file to keep (:func:`file_sha256` checks it)."""

    if checksum:
        with CheckedWriter(target, meta) as writer:
            writer.write(df, row_group_size)
        return None
    table = df if isinstance(df, pa.Table) else pa.Table.from_pandas(df, preserve_index=False)
    if meta is not None:
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), b"fisherlab": json.dumps(meta, default=str)})
    if sync:
        with atomic_path(target) as tmp:
            pq.write_table(table, tmp, row_group_size=row_group_size)
        return None
    # the bytes written in memory, hashed there and written once (no reading back)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, row_group_size=row_group_size)
    data = sink.getvalue()
    with atomic_path(target, sync=False) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (as :func:`write_parquet` with ``sync=False``
    returns it)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _zero(kind):
    """A value of type ``kind`` to put under a null (Arrow leaves whatever was there)."""
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pa.scalar("", kind)
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return pa.scalar(b"", kind)
    try:
        return pa.scalar(0).cast(kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return None


class RowsDigest:
    """SHA-256 of rows given a row group at a time: the Arrow IPC stream of the row
    groups in order, one record batch each, every column contiguous, with its nulls
    filled and its validity as a boolean column beside it. The bytes then depend on the
    values and types only (a value under a null is arbitrary in Arrow: pandas' NaN keeps
    its bits there, a parquet reader puts zeros), so what a writer hashes as it writes
    equals what a reader hashes as it reads the row groups back.

    The stream is hashed as its messages, not written: the schema's, each batch's
    (``serialize``: the same encapsulated message a stream writer writes) and the
    end-of-stream marker, the stream's bytes in order. A stream writer on a Python
    file handed them over as a dozen small writes a column (17,000 calls for a chunk
    of 72,000 rows)."""

    #: the end-of-stream marker: a continuation token and a zero length
    EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"

    def __init__(self, schema):
        schema = schema.remove_metadata()
        fields = list(schema) + [pa.field(f"{f.name}\0valid", pa.bool_()) for f in schema]
        self._schema = pa.schema(fields)
        self._hash = hashlib.sha256(self._schema.serialize())

    def update(self, table) -> None:
        cols, valid = [], []
        for col in table.columns:
            col = col.combine_chunks()
            valid.append(col.is_valid())
            if col.null_count and (zero := _zero(col.type)) is not None:
                col = col.fill_null(zero)
            cols.append(col)
        self._hash.update(pa.RecordBatch.from_arrays(cols + valid,
                                                     schema=self._schema).serialize())

    def hexdigest(self) -> str:
        self._hash.update(self.EOS)
        return self._hash.hexdigest()


class CheckedWriter:
    """A self-checking parquet file written a piece at a time (a chunk job's rows, a cell
    at a time): each :meth:`write` is one or more row groups, written and hashed
    (:class:`RowsDigest`) at once and then no longer held; on closing, ``meta`` with
    ``rows_sha256`` goes into the file's metadata (key ``fisherlab``) and the file is
    renamed onto ``target`` (:func:`atomic_path`). An error inside the ``with`` leaves
    no file. ``meta`` may be completed (``writer.meta[...] = ...``) until then.
    ``statistics``: the columns whose row groups get min/max statistics (all when None;
    each costs its encoding time, for a reader that skips row groups by them)."""

    def __init__(self, target: str | Path, meta: dict | None = None,
                 statistics: list[str] | None = None):
        self.target = Path(target)
        self.meta = dict(meta or {})
        self.statistics = statistics
        self.rows = 0
        self._writer = self._digest = self._schema = None

    def __enter__(self):
        self._atomic = atomic_path(self.target)
        self._tmp = self._atomic.__enter__()
        return self

    def write(self, rows, row_group_size: int | None = None) -> None:
        """Append ``rows`` (a DataFrame or an Arrow table) in row groups of at most
        ``row_group_size`` rows (all of them: one)."""
        table = rows if isinstance(rows, pa.Table) else pa.Table.from_pandas(
            rows, preserve_index=False)
        if self._writer is None:
            self._schema = table.schema
            # dictionaries for strings only (an estimator's name repeated R times): a
            # column of distinct numbers gains nothing from one, and building it was a
            # third of a chunk row group's writing
            strings = [f.name for f in self._schema
                       if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
            self._writer = pq.ParquetWriter(
                self._tmp, self._schema, use_dictionary=strings,
                write_statistics=True if self.statistics is None else [
                    c for c in self.statistics if c in self._schema.names])
            self._digest = RowsDigest(self._schema)
        else:
            table = table.cast(self._schema)
        size = max(int(row_group_size or table.num_rows), 1)
        for start in range(0, max(table.num_rows, 1), size):
            group = table.slice(start, size)
            self._writer.write_table(group, row_group_size=size)
            self._digest.update(group)
        self.rows += table.num_rows

    def __exit__(self, kind, exc, tb):
        try:
            if kind is None:
                if self._writer is None:
                    raise ValueError(f"{self.target}: no rows were written")
                self.meta["rows_sha256"] = self._digest.hexdigest()
                text = json.dumps(self.meta, default=str)
                # Arrow readers take a file's schema metadata from its stored Arrow
                # schema (written when the writer opened, before the digest was known):
                # store it again with the metadata, as write_table would have
                schema = self._schema.with_metadata(
                    {**(self._schema.metadata or {}), b"fisherlab": text.encode()})
                self._writer.add_key_value_metadata({
                    "fisherlab": text,
                    "ARROW:schema": base64.b64encode(schema.serialize().to_pybytes()).decode()})
        except BaseException:
            kind, exc, tb = sys.exc_info()
            raise
        finally:
            if self._writer is not None:
                self._writer.close()
            # renames the file onto the target, or (after an error) removes it
            self._atomic.__exit__(kind, exc, tb)


def verify_checked(path: str | Path) -> tuple[dict, str]:
    """``(meta, problem)`` of a file written with a checksum (:class:`CheckedWriter`),
    its rows read back and hashed a row group at a time (never the whole file in
    memory); ``problem`` is "" when all is well, else what is wrong."""

    try:
        pf = pq.ParquetFile(path)
        raw = (pf.metadata.metadata or {}).get(b"fisherlab")
        meta = json.loads(raw) if raw else {}
        if "rows_sha256" not in meta:
            return meta, "has no checksum (written by an older fisherlab, or not a chunk)"
        digest = RowsDigest(pf.schema_arrow)
        for i in range(pf.num_row_groups):
            digest.update(pf.read_row_group(i))
    except Exception as exc:  # noqa: BLE001 - any failure to read is a corrupt file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return {}, f"cannot be read ({first})"
    if digest.hexdigest() != meta["rows_sha256"]:
        return meta, "its rows do not match its checksum (the file is corrupt)"
    return meta, ""


def read_checked(path: str | Path):
    """``(rows as a DataFrame, meta, "")`` of a file written with ``checksum=True``, or
    ``(None, meta, problem)`` when it cannot be read or its rows are not what it was
    written with (:func:`verify_checked`)."""

    meta, problem = verify_checked(path)
    if problem:
        return None, meta, problem
    return pq.read_table(path).to_pandas(), meta, ""


def read_meta(path: str | Path) -> dict:
    """The ``fisherlab`` provenance stored in a parquet file ({} when absent)."""

    raw = (pq.read_metadata(path).metadata or {}).get(b"fisherlab")
    return json.loads(raw) if raw else {}


def write_csv(df, target: str | Path) -> None:
    with atomic_path(target) as tmp:
        df.to_csv(tmp, index=False)


def read_table(path: str | Path):
    """A table written by :func:`write_csv`; an empty table (a diagnostic with nothing to
    say) is written without columns, which pandas cannot read back: an empty frame."""
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def read_attrs(path: str | Path) -> dict:
    """The ``DataFrame.attrs`` pandas stored in a parquet file's metadata ({} if none)."""

    raw = (pq.read_schema(path).metadata or {}).get(b"pandas")
    return (json.loads(raw).get("attributes") or {}) if raw else {}
