"""What the Snakefile needs from the package: the validated plan of studies and jobs.

The Snakefile stays thin: it asks :class:`Plan` for file lists and job specs and
calls the CLI. Everything here is importable and tested without Snakemake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .chunking import sizes_for, study_rows
from .dataset import PART
from .stages import CHUNK_FILE, spec_sha256
from .study import Chunk, Study, discover, load_config

RESULTS = "results"
CHUNK_PATH = RESULTS + "/" + CHUNK_FILE
#: wildcard constraints, so a chunk path parses one way only
WILDCARDS = {"study": r"[A-Za-z0-9][A-Za-z0-9_.-]*", "cond": r"[A-Za-z0-9=._-]+",
             "n": r"\d+", "chunk": r"\d+"}


@dataclass
class Plan:
    studies: dict[str, Study]
    #: replicates per job: an int, or "auto" (per condition, fisherlab.chunking)
    chunk_size: int | str = "auto"
    #: studies with at most this many rows also get estimates.parquet
    single_file_rows: int = 5_000_000
    #: chunks of each study, and the same keyed by (cond, n, chunk) and by (cond, n): built
    #: once, because Snakemake asks for every job's files and spec (10^4 jobs: a scan
    #: each is 10^8 steps)
    _chunks: dict = field(default_factory=dict, repr=False)
    _index: dict = field(default_factory=dict, repr=False)
    _by_condition: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_config(cls, config: dict | None, root: str | Path = ".") -> Plan:
        """Validate the config and load every selected study (StudyError on any problem)."""
        cfg = load_config(config)
        studies = discover(cfg, root)
        return cls({s.name: s for s in studies}, cfg["chunk_size"], cfg["single_file_rows"])

    def chunks(self, study: str) -> list[Chunk]:
        if study not in self._chunks:
            s = self.studies[study]
            self._chunks[study] = s.chunks(sizes_for(s, self.chunk_size))
            self._index[study] = {(ch.condition.param_id, ch.condition.n, ch.index): ch
                                  for ch in self._chunks[study]}
            by: dict = {}
            for ch in self._chunks[study]:
                by.setdefault((ch.condition.param_id, ch.condition.n), []).append(ch)
            self._by_condition[study] = by
        return self._chunks[study]

    def chunk_path(self, study: str, chunk: Chunk) -> str:
        c = chunk.condition
        return CHUNK_PATH.format(study=study, cond=c.param_id, n=c.n, chunk=chunk.index)

    def chunk_files(self, wildcards) -> list[str]:
        """Input function: every chunk file of ``wildcards.study``."""
        return [self.chunk_path(wildcards.study, ch) for ch in self.chunks(wildcards.study)]

    def condition_chunks(self, wildcards) -> list[str]:
        """Input function: the chunk files of one condition × n (the gather job)."""
        self.chunks(wildcards.study)
        key = (wildcards.cond, int(wildcards.n))
        return [self.chunk_path(wildcards.study, ch)
                for ch in self._by_condition[wildcards.study][key]]

    def parts(self, kind: str):
        """Input function: every ``estimates`` or ``stats`` file of a study."""
        def files(wildcards) -> list[str]:
            self.chunks(wildcards.study)
            return [f"{RESULTS}/{wildcards.study}/{kind}/" + PART.format(cond=c, n=n)
                    for c, n in self._by_condition[wildcards.study]]
        return files

    def spec(self, study: str, cond: str, n: int, chunk: int) -> dict:
        self.chunks(study)
        ch = self._index[study].get((cond, int(n), int(chunk)))
        if ch is not None:
            return self.studies[study].spec(ch)
        raise KeyError(f"no chunk {cond}/n{n}/c{chunk} in study {study!r}")

    def spec_hash(self, wildcards) -> str:
        """Params function: the hash of the chunk's spec (a change re-runs the job, and
        the job checks that the study file still gives it)."""
        return spec_sha256(self.spec(wildcards.study, wildcards.cond, wildcards.n,
                                     wildcards.chunk))

    def size(self, wildcards) -> int:
        """Params function: replicates per job of the chunk's condition."""
        self.chunks(wildcards.study)
        ch = self._by_condition[wildcards.study][(wildcards.cond, int(wildcards.n))][0]
        return ch.stop - ch.start

    def study_file(self, wildcards) -> str:
        return str(self.studies[wildcards.study].path)

    def targets(self, *names: str) -> list[str]:
        """Final outputs of every study, e.g. ``targets("summary.csv", "report.md")``."""
        return [f"{RESULTS}/{s}/{nm}" for s in self.studies for nm in names]

    def single_files(self) -> list[str]:
        """estimates.parquet of the studies small enough to get one."""
        return [f"{RESULTS}/{s}/estimates.parquet" for s, st in self.studies.items()
                if study_rows(st) <= self.single_file_rows]


def load_plan(config: dict, root: str | Path = ".") -> Plan:
    """The Snakefile's entry point: a Plan, or a one-line error naming file, key and what is
    allowed, raised as Snakemake's WorkflowError so the run stops before any job."""
    from .study import StudyError

    try:
        return Plan.from_config(config, root)
    except StudyError as exc:
        from snakemake.exceptions import WorkflowError

        raise WorkflowError(f"invalid study: {exc}") from None
