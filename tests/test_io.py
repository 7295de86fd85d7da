"""Outputs are written whole (temp file + rename) and readable like any other file."""

import os

from fisherlab.core import files as io


def test_written_files_get_the_ordinary_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        io.write_text(tmp_path / "report.html", "<p>hi</p>")
    finally:
        os.umask(umask)
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "report.html").read_text() == "<p>hi</p>"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temp file left


def test_a_chunk_written_a_piece_at_a_time_checks_itself(tmp_path):
    """CheckedWriter hashes each row group as it writes it; verify_checked rehashes the
    file a row group at a time: a whole file verifies, with its metadata; a changed
    value, a truncated file and a file without a checksum are each named."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(1)
    path = tmp_path / "c.parquet"
    pieces = []
    with io.CheckedWriter(path, {"spec_sha256": "s"}) as writer:
        for k in range(4):
            df = pd.DataFrame({"estimate": rng.normal(size=50), "reason": ["", "x"] * 25,
                               "converged": [True, False] * 25,
                               "replicate": np.arange(50) + 50 * k})
            df.loc[3, "estimate"] = np.nan  # a null in the file
            pieces.append(df)
            writer.write(df, row_group_size=20)
        writer.meta["seconds"] = 1.5
    assert pq.ParquetFile(path).metadata.num_row_groups == 4 * 3  # 20 + 20 + 10 each
    meta, problem = io.verify_checked(path)
    assert problem == "" and meta["spec_sha256"] == "s" and meta["seconds"] == 1.5
    assert io.read_meta(path) == meta
    got, _, problem = io.read_checked(path)
    assert problem == ""
    pd.testing.assert_frame_equal(got, pd.concat(pieces, ignore_index=True))

    # one value changed, the metadata (and its digest) kept
    table = pq.read_table(path)
    other = table.set_column(0, "estimate", pa.array(
        np.where(np.arange(200) == 77, 0.5, table["estimate"].to_numpy(zero_copy_only=False))))
    changed = tmp_path / "changed.parquet"
    pq.write_table(other, changed, row_group_size=20)
    assert io.verify_checked(changed)[1] == \
        "its rows do not match its checksum (the file is corrupt)"
    # truncated
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert io.verify_checked(cut)[1].startswith("cannot be read")
    # no checksum
    bare = tmp_path / "bare.parquet"
    pq.write_table(table.replace_schema_metadata(None), bare)
    assert io.verify_checked(bare)[1].startswith("has no checksum")
    # an error while writing leaves no file
    try:
        with io.CheckedWriter(tmp_path / "failed.parquet") as writer:
            writer.write(pieces[0])
            raise RuntimeError("a fit failed")
    except RuntimeError:
        pass
    assert not (tmp_path / "failed.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
