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
