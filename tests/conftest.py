"""Shared test helpers: writing study files, running chunks in-process."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from fisherlab.measures import summarise
from fisherlab.simulate import run_chunk
from fisherlab.study import load_study

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def write_study(tmp_path):
    """Write YAML text to tmp_path/<name>.yaml and return its path."""

    def _write(text: str, name: str = "study") -> Path:
        p = tmp_path / f"{name}.yaml"
        p.write_text(textwrap.dedent(text), encoding="utf-8")
        return p

    return _write


def run_study(path, chunk_size: int = 1000) -> pd.DataFrame:
    """All replicate rows of a study, computed in this process."""
    study = load_study(path)
    return pd.concat([run_chunk(study.spec(ch)) for ch in study.chunks(chunk_size)],
                     ignore_index=True)


def summary_of(path, chunk_size: int = 1000) -> pd.DataFrame:
    return summarise(run_study(path, chunk_size))
