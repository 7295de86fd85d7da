"""Writing outputs so that a killed job never leaves a half-written file, and reading
back files that check themselves.

Every output is written to a temporary file in the same directory and then renamed
over the target with :func:`os.replace`, which is atomic on POSIX file systems.

A parquet file written with ``checksum=True`` (a chunk) carries in its metadata the
SHA-256 of its rows (:func:`table_digest`); :func:`read_checked` recomputes it, so a
truncated, corrupted or half-copied file is found, never silently used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success."""
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
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(target: str | Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_parquet(df, target: str | Path, meta: dict | None = None,
                  checksum: bool = False, row_group_size: int | None = None) -> None:
    """Write ``df``; ``meta`` (JSON-able provenance) goes into the file's schema metadata
    under the key ``fisherlab``. With ``checksum``, ``meta["rows_sha256"]`` is the
    digest of the rows as they read back from the file (:func:`read_checked`).
    ``row_group_size``: rows per row group (a chunk writes one per cell, so that reading
    one cell skips the others)."""

    table = pa.Table.from_pandas(df, preserve_index=False)
    with atomic_path(target) as tmp:
        if checksum:
            # the digest of the rows as a reader sees them: written once, read back,
            # and that table (with the digest in its metadata) is the file
            pq.write_table(table, tmp, row_group_size=row_group_size)
            table = pq.read_table(tmp)
            meta = {**(meta or {}), "rows_sha256": table_digest(table)}
        if meta is not None:
            table = table.replace_schema_metadata(
                {**(table.schema.metadata or {}), b"fisherlab": json.dumps(meta, default=str)})
        pq.write_table(table, tmp, row_group_size=row_group_size)


def table_digest(table) -> str:
    """SHA-256 of a table's columns and values (its Arrow IPC stream without metadata)."""


    table = table.replace_schema_metadata(None).combine_chunks()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue()).hexdigest()


def read_checked(path: str | Path):
    """``(rows as a DataFrame, meta)`` of a file written with ``checksum=True``, or
    ``(None, meta, problem)`` when it cannot be read or its rows are not what it was
    written with: returns ``(df, meta, "")`` when all is well."""

    try:
        table = pq.read_table(path)
        raw = (table.schema.metadata or {}).get(b"fisherlab")
        meta = json.loads(raw) if raw else {}
    except Exception as exc:  # noqa: BLE001 - any failure to read is a corrupt file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, {}, f"cannot be read ({first})"
    if "rows_sha256" not in meta:
        return None, meta, "has no checksum (written by an older fisherlab, or not a chunk)"
    if table_digest(table) != meta["rows_sha256"]:
        return None, meta, "its rows do not match its checksum (the file is corrupt)"
    return table.to_pandas(), meta, ""


def read_meta(path: str | Path) -> dict:
    """The ``fisherlab`` provenance stored in a parquet file ({} when absent)."""

    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(b"fisherlab")
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
