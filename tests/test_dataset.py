"""The estimates dataset: layout, one-line reads, chunking-independent bytes, and the
streaming stages equal to the whole-table computations."""

from __future__ import annotations

import shutil
import textwrap

import pandas as pd
import pytest

from fisherlab.core.layout import chunk_file, stats_path
from fisherlab.diagnostics import run_all, stream_all
from fisherlab.pipeline import stages
from fisherlab.run.dataset import Estimates
from fisherlab.spec.load import load_study
from fisherlab.stats.measures import summarise

from .conftest import assert_summaries_close

STUDY = """\
description: dataset test
model:
  family: normal
  params: {mu: [0.0, 2.0], sigma: 1.5}
sample_sizes: [5, 20]
replications: 250
seed: 99
estimators: [mle, unbiased, mom]
estimands: [mu, sigma2]
"""


def build(tmp_path, chunk_size: int, name: str = "ds"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(STUDY))
    study = load_study(path)
    results = tmp_path / f"res{chunk_size}"
    stages.run(study, results, chunk_size=chunk_size, html_page=False, echo=lambda *_: None)
    return study, results / study.name


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ds")
    return build(tmp, 100), build(tmp, 200)


def test_layout_is_hive_partitioned_by_condition(built):
    (study, folder), _ = built
    parts = sorted(p.relative_to(folder).as_posix() for p in (folder / "estimates").rglob("*"))
    assert parts == ["estimates/cond=mu=0_sigma=1.5", "estimates/cond=mu=0_sigma=1.5/n20.parquet",
                     "estimates/cond=mu=0_sigma=1.5/n5.parquet", "estimates/cond=mu=2_sigma=1.5",
                     "estimates/cond=mu=2_sigma=1.5/n20.parquet",
                     "estimates/cond=mu=2_sigma=1.5/n5.parquet"]
    assert (folder / "stats/cond=mu=2_sigma=1.5/n5.parquet").exists()
    one = pd.read_parquet(folder / "estimates/cond=mu=2_sigma=1.5/n5.parquet")
    assert "chunk" not in one.columns  # it depends on the chunking
    # cells in (estimator, estimand) order, replicates in order within a cell
    keys = list(one[["estimator", "estimand"]].drop_duplicates().itertuples(index=False))
    assert keys == sorted(keys)
    assert (one.groupby(["estimator", "estimand"])["replicate"].diff().dropna() == 1).all()


def test_the_dataset_reads_in_one_line(built):
    (study, folder), _ = built
    rows = 2 * 2 * 250 * 3 * 2
    df = pd.read_parquet(folder / "estimates")  # pandas: hive partitions become `cond`
    assert len(df) == rows and set(df["cond"].astype(str)) == {"mu=0_sigma=1.5",
                                                              "mu=2_sigma=1.5"}
    import pyarrow.dataset as ds

    assert ds.dataset(folder / "estimates", partitioning="hive").count_rows() == rows
    duckdb = pytest.importorskip("duckdb")
    q = f"select count(*) from read_parquet('{folder}/estimates/*/*.parquet')"
    assert duckdb.sql(q).fetchall() == [(rows,)]


def test_bytes_do_not_depend_on_the_chunking(built):
    (_, a), (_, b) = built
    files = sorted(p.relative_to(a) for p in a.rglob("*.parquet")
                   if p.relative_to(a).parts[0] in ("estimates", "stats"))
    assert len(files) == 8
    for f in [*files, "estimates.parquet", "summary.csv"]:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_export_is_the_whole_table_in_study_order(built):
    (study, folder), _ = built
    one = pd.read_parquet(folder / "estimates.parquet")
    parts = pd.read_parquet(folder / "estimates").drop(columns="cond")
    keys = ["true_mu", "true_sigma", "n", "estimator", "estimand", "replicate"]
    assert one[keys].equals(one[keys].sort_values(keys, ignore_index=True))
    pd.testing.assert_frame_equal(
        one, parts.sort_values(keys, ignore_index=True)[list(one.columns)])


def test_streaming_stages_equal_the_whole_table(built):
    (study, folder), _ = built
    df = pd.read_parquet(folder / "estimates.parquet")
    assert_summaries_close(pd.read_csv(folder / "summary.csv"),
                           pd.read_csv(pd.io.common.StringIO(summarise(df).to_csv(index=False))))
    whole = run_all(df, study)
    streamed = stream_all(Estimates(folder), study)
    assert set(whole) == set(streamed)
    for name, t in whole.items():
        pd.testing.assert_frame_equal(streamed[name].reset_index(drop=True),
                                      t.reset_index(drop=True), check_dtype=False)
    assert len(streamed["bessel"]) > 0 and len(streamed["consistency"]) > 0


def test_stream_all_decodes_each_estimates_file_once(built, monkeypatch):
    """Every diagnostic's units are cut from one decoding of each condition × n file."""
    import fisherlab.diagnostics as diagnostics

    (study, folder), _ = built
    read = diagnostics.pq.read_table
    seen = []
    monkeypatch.setattr(diagnostics.pq, "read_table",
                        lambda path, **kw: seen.append(str(path)) or read(path, **kw))
    stream_all(Estimates(folder), study)
    parts = [str(p) for p in Estimates(folder).parts()]
    assert sorted(seen) == sorted(parts) and len(parts) == 2 * 2


def test_counts_come_from_the_statistics(built):
    (study, folder), _ = built
    src = Estimates(folder)
    assert src.rows() == 2 * 2 * 250 * 3 * 2
    assert src.fits() == (2 * 2 * 250 * 3, 0)
    assert list(src.conditions()["cond"]) == ["mu=0_sigma=1.5", "mu=2_sigma=1.5"]
    one = src.read("mu=2_sigma=1.5", 20, ["estimate"], estimator="mom", estimand="sigma2")
    assert len(one) == 250 and set(one.columns) == {"true_mu", "true_sigma", "estimate"}


# ------------------------------------------------------- a chunk's statistics file checked
def one_condition_chunks(tmp_path, seed: int = 99, name: str = "ds"):
    """The study (under ``name``), one condition and its chunk files (chunk size 100),
    computed."""
    (tmp_path / name).mkdir()
    path = tmp_path / name / "ds.yaml"
    path.write_text(textwrap.dedent(STUDY).replace("seed: 99", f"seed: {seed}"))
    study = load_study(path)
    cond = study.jobs(100)[0].param_id
    jobs = [j for j in study.jobs(100) if j.param_id == cond]
    chunks = [chunk_file(tmp_path / name / "results", study.name, j) for j in jobs]
    for job, out in zip(jobs, chunks, strict=True):
        stages.chunk(study, job, out)
    return study, cond, chunks


@pytest.mark.parametrize("swap", ["another chunk", "another spec", "truncated",
                                  "a changed value"])
def test_a_chunk_with_wrong_statistics_is_named_and_removed(tmp_path, swap):
    """gather checks each chunk's statistics file against the chunk's own spec hash: a
    statistics file copied from another chunk of the study, or from the same chunk of
    another spec (here another seed), or an unreadable one, names the chunk in a
    ChunkError and removes it with its statistics, keeping the good chunks; the
    condition's gathered files go too."""
    study, cond, chunks = one_condition_chunks(tmp_path)
    assert len(chunks) >= 3
    folder = tmp_path / "ds" / "results" / study.name
    assert stages.gather(study, cond, chunks, folder, 100) > 0  # whole: it gathers
    gathered = folder / "estimates" / f"cond={cond}"
    assert gathered.exists()
    bad = chunks[1]
    if swap == "another chunk":
        shutil.copy(stats_path(chunks[0]), stats_path(bad))
        problem = "has statistics of another spec"
    elif swap == "another spec":
        _, _, other = one_condition_chunks(tmp_path, seed=100, name="other")
        assert other[1].name == bad.name
        shutil.copy(stats_path(other[1]), stats_path(bad))
        problem = "has statistics of another spec"
    elif swap == "truncated":
        data = stats_path(bad).read_bytes()
        stats_path(bad).write_bytes(data[: len(data) // 2])
        problem = "has unreadable statistics"
    else:  # a readable file of the right spec whose numbers are not those written
        from fisherlab.core import files
        st = pd.read_parquet(stats_path(bad))
        st.loc[0, "x_mean"] += 1.0
        files.write_parquet(st, stats_path(bad), meta=files.read_meta(stats_path(bad)))
        problem = "has statistics that do not match their checksum"
    with pytest.raises(stages.ChunkError) as err:
        stages.gather(study, cond, chunks, folder, 100)
    msg = str(err.value)
    assert f"{bad}: {problem}" in msg and "1 chunk file(s) removed" in msg, msg
    assert not bad.exists() and not stats_path(bad).exists()
    assert all(c.exists() and stats_path(c).exists() for c in chunks if c != bad)
    assert not gathered.exists()


def test_gather_streams_a_chunk_bigger_than_its_row_groups(tmp_path, monkeypatch):
    """A chunk job writes a row group per cell × estimator × estimand, split at its
    row-group budget; gather reads one chunk row group at a time and writes a cell in
    row groups of its own budget: what either holds is bounded by the budgets, not by
    the chunk. The rows are those of the unbounded gather, in the same order."""
    import pyarrow.parquet as pq

    from fisherlab.run import chunks, dataset

    path = tmp_path / "big.yaml"
    path.write_text(textwrap.dedent(STUDY))
    study = load_study(path)
    job = study.jobs(300)[0]  # all 250 replicates of one cell
    out = chunk_file(tmp_path / "res", study.name, job)
    monkeypatch.setattr(chunks, "ROW_GROUP", 100)
    stages.chunk(study, job, out)
    meta = pq.ParquetFile(out).metadata
    # 250 replicates a cell: 100 + 100 + 50 rows for each of 3 estimators × 2 estimands
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == \
        [100, 100, 50] * 6 * len(job.chunks)
    cond = job.chunks[0].condition
    whole = tmp_path / "whole.parquet"
    dataset.gather(cond, [out], whole, tmp_path / "whole.stats.parquet")

    reads = []
    real = pq.ParquetFile.read_row_group

    def spy(self, i, *args, **kw):
        t = real(self, i, *args, **kw)
        reads.append(t.num_rows)
        return t

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", spy)
    monkeypatch.setattr(dataset, "ROW_GROUP", 64)
    part = tmp_path / "part.parquet"
    rows = dataset.gather(cond, [out], part, tmp_path / "part.stats.parquet")
    assert rows == 250 * 6
    # only this n's row groups of the cell are read, each once, none bigger than 100
    assert max(reads) == 100 and sum(reads) == 250 * 6
    got = pq.ParquetFile(part).metadata
    assert [got.row_group(i).num_rows for i in range(got.num_row_groups)] == \
        [64, 64, 64, 58] * 6
    pd.testing.assert_frame_equal(pd.read_parquet(part), pd.read_parquet(whole))
