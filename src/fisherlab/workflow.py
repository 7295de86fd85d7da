"""What the Snakefile needs from the package: the validated plan of studies and jobs.

The Snakefile stays thin: it asks :class:`Plan` for file lists and job specs and
calls the CLI. Everything here is importable and tested without Snakemake.

Before any job, :func:`load_plan` loads every selected study (all problems of all
files in one message), prints the cost plan (:mod:`fisherlab.cost`) and stops past its
limits unless the config says ``allow_large: true``.

A study stopped by ``max_failure_rate`` stops alone: the ``check`` checkpoint writes
its ``status.json``, and :meth:`Plan.finished` asks for the summary, diagnostics and
page of the studies that were not stopped only, so the other studies and the index
(which marks the stopped one) are still built.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .chunking import in_process, jobs_for, sizes_for, study_rows
from .cost import Cost, check_limits, machine_cpus, plan_text, study_cost
from .stages import CHUNK_FILE, spec_sha256
from .study import Job, Study, StudyError, StudyErrors, discover, load_config

RESULTS = "results"
CHUNK_PATH = RESULTS + "/" + CHUNK_FILE
#: wildcard constraints, so a chunk path parses one way only
WILDCARDS = {"study": r"[A-Za-z0-9][A-Za-z0-9_.-]*", "cond": r"[A-Za-z0-9=._-]+",
             "chunk": r"(n\d+\.)?c\d+"}


@dataclass
class Plan:
    studies: dict[str, Study]
    #: replicates per job: an int, or "auto" (per condition, fisherlab.chunking)
    chunk_size: int | str = "auto"
    costs: list[Cost] = field(default_factory=list)
    #: studies with at most this many rows also get estimates.parquet
    single_file_rows: int = 5_000_000
    #: jobs of each study, and the same keyed by (cond, chunk) and by cond: built once,
    #: because Snakemake asks for every job's files and spec (10^4 jobs: a scan each is
    #: 10^8 steps)
    _chunks: dict = field(default_factory=dict, repr=False)
    _index: dict = field(default_factory=dict, repr=False)
    _by_condition: dict = field(default_factory=dict, repr=False)
    #: issue 13: the round state of studies with target MCSEs (fisherlab.rounds.Rounds,
    #: set by workflow/rules/precision.smk)
    rounds: object | None = field(default=None, repr=False)
    _sizes: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_config(cls, config: dict | None, root: str | Path = ".", echo=None,
                    cores: int | None = None) -> Plan:
        """Validate the config, load every selected study and check the cost plan's
        limits (StudyError on any problem); ``echo`` receives the cost plan's text."""
        cfg = load_config(config)
        errors: list[StudyError] = []
        studies = discover(cfg, root, errors)
        costs = [study_cost(s, cfg["chunk_size"]) for s in studies]
        if echo is not None and costs:
            echo(plan_text(costs, cores))
        try:
            check_limits(costs, cfg["allow_large"])
        except StudyErrors as exc:
            errors += exc.each
        except StudyError as exc:
            errors.append(exc)
        if errors:  # every problem of every file, and every limit passed, at once
            raise errors[0] if len(errors) == 1 else StudyErrors(errors)
        return cls({s.name: s for s in studies}, cfg["chunk_size"], costs,
                   cfg["single_file_rows"])

    def chunks(self, study: str, final: bool = True) -> list[Job]:
        """The study's jobs (one chunk file each), in the study's order; for a study with
        target MCSEs, those of its rounds: all of them (``final``: waits for the last
        round's checkpoint) or those decided so far (a job's spec)."""
        if self.studies[study].targets is not None and self.rounds is not None \
                and self.rounds.sync(study, final):  # issue 13
            self._chunks.pop(study, None)
        if study not in self._chunks:
            s = self.studies[study]
            self._chunks[study] = jobs_for(s, self.chunk_size)
            self._index[study] = {(j.param_id, j.name): j for j in self._chunks[study]}
            by: dict = {}
            for j in self._chunks[study]:
                by.setdefault(j.param_id, []).append(j)
            self._by_condition[study] = by
        return self._chunks[study]

    def chunk_path(self, study: str, job: Job) -> str:
        return CHUNK_PATH.format(study=study, cond=job.param_id, chunk=job.name)

    def chunk_files(self, wildcards) -> list[str]:
        """Input function: every chunk file of ``wildcards.study``, in the study's order."""
        return [self.chunk_path(wildcards.study, j) for j in self.chunks(wildcards.study)]

    def condition_chunks(self, wildcards) -> list[str]:
        """Input function: the chunk files of one condition (the gather job)."""
        self.chunks(wildcards.study)
        return [self.chunk_path(wildcards.study, j)
                for j in self._by_condition[wildcards.study][wildcards.cond]]

    def parts(self, kind: str):
        """Input function: the ``estimates`` or ``stats`` folder of each condition of a
        study (``<kind>/cond=<cond>``, a file per n inside)."""
        def files(wildcards) -> list[str]:
            self.chunks(wildcards.study, final=False)
            return [f"{RESULTS}/{wildcards.study}/{kind}/cond={c}"
                    for c in self._by_condition[wildcards.study]]
        return files

    def spec(self, study: str, cond: str, chunk: str) -> dict:
        self.chunks(study, final=False)
        job = self._index[study].get((cond, chunk))
        if job is not None:
            return self.studies[study].spec(job)
        raise KeyError(f"no chunk {cond}/c{chunk} in study {study!r}")

    def spec_hash(self, wildcards) -> str:
        """Params function: the hash of the job's spec (a change re-runs the job, and
        the job checks that the study file still gives it)."""
        return spec_sha256(self.spec(wildcards.study, wildcards.cond, wildcards.chunk))

    def in_process(self, wildcards) -> bool:
        """Params function: the job runs inside the Snakemake process
        (:func:`fisherlab.chunking.in_process`)."""
        self.chunks(wildcards.study, final=False)
        job = self._index[wildcards.study][(wildcards.cond, wildcards.chunk)]
        return in_process(self.studies[wildcards.study], job)

    def priority(self, wildcards) -> int:
        """Priority function of ``simulate``: 1 for a job in a process of its own (the
        costly ones: compiled models, numeric fits), 0 for one in Snakemake's process.
        When more jobs are ready than ``--cores`` allows, every costly chunk job starts
        before any report page, so the run does not end on a long job started late. Not
        the estimated seconds: the cost table prices an estimator by its default
        options, and an optimiser comparison (six methods per fit) costs several times
        its estimate."""
        return 0 if self.in_process(wildcards) else 1

    def size(self, wildcards) -> int:
        """Params function: replicates per job of the chunk's cell or condition."""
        self.chunks(wildcards.study, final=False)
        index = self._index[wildcards.study]
        name = wildcards.chunk
        first = index[(wildcards.cond, name[: name.rindex("c")] + "c0")]  # a full one
        s = self.studies[wildcards.study]
        if s.targets is not None:  # issue 13: c0 is the first round's, not a full one
            if wildcards.study not in self._sizes:  # auto sizes scan the study: once
                self._sizes[wildcards.study] = sizes_for(s, self.chunk_size)
            size = self._sizes[wildcards.study]
            return size(first.chunks[0].condition) if callable(size) else size
        return first.stop

    def study_file(self, wildcards) -> str:
        return str(self.studies[wildcards.study].path)

    def targets(self, *names: str) -> list[str]:
        """Final outputs of every study, e.g. ``targets("summary.csv", "report.md")``."""
        return [f"{RESULTS}/{s}/{nm}" for s in self.studies for nm in names]

    def single_files(self) -> list[str]:
        """estimates.parquet of the studies small enough to get one."""
        return [f"{RESULTS}/{s}/estimates.parquet" for s, st in self.studies.items()
                if study_rows(st) <= self.single_file_rows]

    # ---------------------------------------------------------------- stopped studies
    def finished(self, checkpoints, *names: str) -> list:
        """Input functions, one per study: its status.json, and ``names`` if its ``check``
        checkpoint did not stop it. One function per study, because Snakemake resolves
        each input function on its own: a study's summary and page join the DAG as soon
        as its own checkpoint is done, not when the last study's is."""

        def study_files(s: str):
            def files(wildcards=None) -> list[str]:
                status = checkpoints.check.get(study=s).output.status
                if _stopped(status):
                    return [status]
                return [status, *(f"{RESULTS}/{s}/{nm}" for nm in names)]

            return files

        return [study_files(s) for s in self.studies]

    def stopped(self) -> dict[str, str]:
        """Studies of this plan whose status.json says stopped: name -> message."""
        out = {}
        for s in self.studies:
            status = Path(f"{RESULTS}/{s}/status.json")
            if _stopped(status):
                out[s] = json.loads(status.read_text(encoding="utf-8")).get("message", "")
        return out

    def announce_stopped(self, log=None) -> None:
        """The Snakefile's ``onsuccess``: name every stopped study, and fail the run (after
        everything else was built) so that a script notices."""
        stopped = self.stopped()
        if stopped:
            from snakemake.exceptions import WorkflowError

            raise WorkflowError(
                f"{len(stopped)} study(ies) stopped by max_failure_rate; every other study "
                f"and {RESULTS}/index.html are done:\n"
                + "\n".join(f"{s}: see {RESULTS}/{s}/status.json\n{msg}"
                            for s, msg in stopped.items()))


def _stopped(status: str | Path) -> bool:
    try:
        return bool(json.loads(Path(status).read_text(encoding="utf-8")).get("stopped"))
    except (OSError, ValueError):
        return False


def load_plan(config: dict, root: str | Path = ".", workflow=None) -> Plan:
    """The Snakefile's entry point: a Plan, or one message naming every problem of every
    study file (file, key, what is allowed) and every limit passed, raised as Snakemake's
    WorkflowError so the run stops before any job. The cost plan is printed by the main
    Snakemake process (not by each job of a cluster run)."""
    main = workflow is None or getattr(workflow, "is_main_process", True)
    cores = None
    if workflow is not None:
        try:  # --cores, but no more than the machine has (--cores 8 on 2 cores runs on 2)
            cores = min(int(workflow.global_resources["_cores"].value), machine_cpus())
        except (AttributeError, KeyError, TypeError, ValueError):
            cores = None
    echo = (lambda text: print(text, file=sys.stderr)) if main else None
    try:
        return Plan.from_config(config, root, echo=echo, cores=cores)
    except StudyError as exc:
        from snakemake.exceptions import WorkflowError

        raise WorkflowError(f"invalid study: {exc}") from None
