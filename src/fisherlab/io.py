"""Writing outputs so that a killed job never leaves a half-written file.

Every output is written to a temporary file in the same directory and then renamed
over the target with :func:`os.replace`, which is atomic on POSIX file systems.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


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
                  row_group_size: int | None = None) -> None:
    """Write ``df``; ``meta`` (JSON-able provenance) goes into the file's schema metadata
    under the key ``fisherlab``; ``row_group_size``: rows per row group (a chunk writes
    one per cell, so that reading one cell skips the others)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    if meta is not None:
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), b"fisherlab": json.dumps(meta, default=str)})
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, row_group_size=row_group_size)


def read_meta(path: str | Path) -> dict:
    """The ``fisherlab`` provenance stored in a parquet file ({} when absent)."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(b"fisherlab")
    return json.loads(raw) if raw else {}


def write_csv(df, target: str | Path) -> None:
    with atomic_path(target) as tmp:
        df.to_csv(tmp, index=False)
