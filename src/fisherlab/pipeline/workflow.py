"""What the Snakefile needs from the package: the studies, their jobs and their files.

The Snakefile stays thin: it asks :class:`Workflow` for file lists and job specs and
calls the command line. Everything here is importable and tested without Snakemake.

Before any job, :func:`load_workflow` loads every selected study (all problems of all
files in one message), prints the cost plan (:mod:`fisherlab.plan.cost`) and stops past
its limits unless the config says ``allow_large: true``.

A study stopped by ``max_failure_rate`` stops alone: the ``check`` checkpoint writes
its ``status.json``, and :meth:`Workflow.finished` asks for the summary, diagnostics and
page of the studies that were not stopped only, so the other studies and the index
(which marks the stopped one) are still built.

A study with target MCSEs runs in rounds (:mod:`.rounds`): round k is the checkpoint
``rounds/r<k>.json``, whose input is the statistics of every chunk of rounds 0..k, which
the records of rounds < k decide; gather and check wait for the first record that says
done. Snakemake re-evaluates the jobs after each checkpoint, so the loop of rounds is
Snakemake's own: :class:`Rounds` only says, from the records on disk, which files each
round needs.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from snakemake.exceptions import WorkflowError

from ..core.defaults import CHUNK_SIZE, SINGLE_FILE_ROWS
from ..core.errors import StudyError, StudyErrors
from ..core.layout import CHUNK_PATH, INDEX, RESULTS, StudyFiles, stats_path
from ..plan.chunking import in_process, jobs_for, sizes_for, study_rows
from ..plan.cost import Cost, check_limits, machine_cpus, plan_text, study_cost
from ..spec.load import discover, load_config
from ..spec.study import Job, Study, spec_sha256
from .rounds import at_round, read_rounds, round_chunks, schedule_of

#: wildcard constraints, so a chunk path parses one way only
WILDCARDS = {"study": r"[A-Za-z0-9][A-Za-z0-9_.-]*", "cond": r"[A-Za-z0-9=._-]+",
             "chunk": r"(n\d+\.)?c\d+"}


class Patterns:
    """A :class:`~fisherlab.core.layout.StudyFiles` whose paths are strings: Snakemake
    fills wildcards (``{study}``) into strings only, not into Path objects."""

    def __init__(self, files: StudyFiles):
        self._files = files

    def __getattr__(self, name: str):
        value = getattr(self._files, name)
        if callable(value):
            return lambda *args: str(value(*args))
        return str(value)


#: the files of a study's folder, with its wildcard (the rules' inputs and outputs)
STUDY = Patterns(StudyFiles(f"{RESULTS}/{{study}}"))


def files_of(study: str) -> StudyFiles:
    """The files of one study's results folder."""
    return StudyFiles(Path(RESULTS) / study)


@dataclass
class Workflow:
    studies: dict[str, Study]
    #: replicates per job: an int, or "auto" (per condition, fisherlab.plan.chunking)
    chunk_size: int | str = CHUNK_SIZE
    costs: list[Cost] = field(default_factory=list)
    #: studies with at most this many rows also get estimates.parquet
    single_file_rows: int = SINGLE_FILE_ROWS
    #: jobs of each study, and the same keyed by (cond, chunk) and by cond: built once,
    #: because Snakemake asks for every job's files and spec (10^4 jobs: a scan each is
    #: 10^8 steps)
    _chunks: dict = field(default_factory=dict, repr=False)
    _index: dict = field(default_factory=dict, repr=False)
    _by_condition: dict = field(default_factory=dict, repr=False)
    #: the round state of studies with target MCSEs (:class:`Rounds`, set by
    #: workflow/rules/precision.smk)
    rounds: Rounds | None = field(default=None, repr=False)
    _sizes: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_config(cls, config: dict | None, root: str | Path = ".", echo=None,
                    cores: int | None = None) -> Workflow:
        """Validate the config, load every selected study and check the cost plan's
        limits (StudyError on any problem); ``echo`` receives the cost plan's text."""
        cfg = load_config(config)
        errors: list[StudyError] = []
        studies = discover(cfg, root, errors)
        costs = [study_cost(s, cfg["chunk_size"], cores) for s in studies]
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
                and self.rounds.sync(study, final):
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
            sf = files_of(wildcards.study)
            return [str(sf.partition(kind, c)) for c in self._by_condition[wildcards.study]]
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
        (:func:`fisherlab.plan.chunking.in_process`)."""
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
        if s.targets is not None:  # c0 is the first round's, not a full one
            if wildcards.study not in self._sizes:  # auto sizes scan the study: once
                self._sizes[wildcards.study] = sizes_for(s, self.chunk_size)
            size = self._sizes[wildcards.study]
            return size(first.chunks[0].condition) if callable(size) else size
        return first.stop

    def measures_file(self, wildcards) -> list[str]:
        """Input function: measures.csv of a study that lists measures (none else)."""
        study = wildcards.study
        return [str(files_of(study).measures)] if self.studies[study].measures else []

    def paired_file(self, wildcards) -> list[str]:
        """Input function: paired.csv of a study with compare: (none else)."""
        study = wildcards.study
        return [str(files_of(study).paired)] if self.studies[study].compare else []

    def study_file(self, wildcards) -> str:
        return str(self.studies[wildcards.study].path)

    def targets(self, *names: str) -> list[str]:
        """Final outputs of every study: :class:`~fisherlab.core.layout.StudyFiles`
        attributes (``targets("summary", "report_md")``) or a table's name."""
        return [_named(files_of(s), nm) for s in self.studies for nm in names]

    def single_files(self) -> list[str]:
        """estimates.parquet of the studies small enough to get one."""
        return [str(files_of(s).estimates_file) for s, st in self.studies.items()
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
                return [status, *(_named(files_of(s), nm) for nm in names)]

            return files

        return [study_files(s) for s in self.studies]

    def stopped(self) -> dict[str, str]:
        """Studies of this workflow whose status.json says stopped: name -> message."""
        out = {}
        for s in self.studies:
            status = files_of(s).status
            if _stopped(status):
                out[s] = json.loads(status.read_text(encoding="utf-8")).get("message", "")
        return out

    def announce_stopped(self, log=None) -> None:
        """The Snakefile's ``onsuccess``: name every stopped study, and fail the run (after
        everything else was built) so that a script notices."""
        stopped = self.stopped()
        if stopped:
            raise WorkflowError(
                f"{len(stopped)} study(ies) stopped by max_failure_rate; every other study "
                f"and {RESULTS}/{INDEX} are done:\n"
                + "\n".join(f"{s}: see {files_of(s).status}\n{msg}"
                            for s, msg in stopped.items()))


def _named(sf: StudyFiles, name: str) -> str:
    """A study file by its attribute name, else the table ``<name>.csv``."""
    return str(getattr(sf, name) if hasattr(sf, name) else sf.table(name))


def _stopped(status: str | Path) -> bool:
    try:
        return bool(json.loads(Path(status).read_text(encoding="utf-8")).get("stopped"))
    except (OSError, ValueError):
        return False


def load_workflow(config: dict, root: str | Path = ".", workflow=None) -> Workflow:
    """The Snakefile's entry point: a Workflow, or one message naming every problem of every
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
    if workflow is not None and main and hasattr(workflow, "onstart"):
        warn_without_threads(workflow)
    try:
        return Workflow.from_config(config, root, echo=echo, cores=cores)
    except StudyError as exc:
        raise WorkflowError(f"invalid study: {exc}") from None


#: printed at the start of a local run whose jobs do not run in Snakemake's threads
NO_THREADS = ("fisherlab: WARNING: force-use-threads is off (profiles/default beside the "
              "Snakefile sets it; was it not copied?): every job starts a Snakemake process of "
              "its own, ~1.5 s of CPU each and many times slower for a study of many jobs; "
              "copy profiles/ with the workflow, or pass --force-use-threads")


def threads_problem(workflow) -> str | None:
    """:data:`NO_THREADS` when a local run's jobs would each start a Snakemake process
    (``run:`` jobs without ``force-use-threads``), else None. Snakemake knows its
    execution settings only once the run starts (not while it reads the Snakefile)."""
    if getattr(workflow, "execution_settings", None) is None:
        return None
    try:
        threads, local = workflow.use_threads, workflow.local_exec
    except (AttributeError, AssertionError):
        return None
    return NO_THREADS if local and not threads else None


def warn_without_threads(workflow) -> None:
    """Register a start hook (run before any job, after the Snakefile's own one if it
    has one) that prints :func:`threads_problem`'s warning."""
    previous = getattr(workflow, "_onstart", None)

    def onstart(log=None):
        problem = threads_problem(workflow)
        if problem:
            print(problem, file=sys.stderr, flush=True)
        if previous is not None:
            previous(log)

    workflow.onstart(onstart)


class Rounds:
    """Round state of every target study of a workflow, read through Snakemake's
    checkpoints (``checkpoints`` None: from disk only, for tests and tools)."""

    def __init__(self, flow: Workflow, checkpoints=None, results: str = RESULTS):
        self.flow, self.checkpoints, self.results = flow, checkpoints, results
        flow.rounds = self

    def folder(self, study: str) -> Path:
        return Path(self.results) / study

    def _record(self, study: str, k: int) -> dict:
        """Round k's record, once its checkpoint ran (else Snakemake's
        IncompleteCheckpointException, which schedules it)."""
        if self.checkpoints is not None:
            path = self.checkpoints.rounds.get(study=study, k=k).output[0]
        else:
            path = StudyFiles(self.folder(study)).round(k)
        return json.loads(Path(path).read_text(encoding="utf-8"))

    def final(self, study: str) -> int:
        """The last round of ``study``: the first whose record says done."""
        k = 0
        while not self._record(study, k)["done"]:
            k += 1
        return k

    def sync(self, study: str, final: bool) -> bool:
        """Give ``study`` the schedule of its records on disk (after waiting for the
        last round when ``final``); whether it changed."""
        s = self.flow.studies[study]
        upto = self.final(study) + 1 if final else None
        sched = schedule_of(s, read_rounds(self.folder(study), upto))
        changed = sched != s.schedule
        self.flow.studies[study] = dataclasses.replace(s, schedule=sched)
        return changed

    # ---------------------------------------------------------------- input functions
    def stats(self, wildcards) -> list[str]:
        """The ``rounds`` checkpoint's input: the previous record, and the statistics
        files of every chunk of rounds 0..k."""
        study, k = wildcards.study, int(wildcards.k)
        for j in range(k):  # every earlier round decided (raises until then)
            self._record(study, j)
        s = at_round(self.flow.studies[study], self.folder(study), k)
        files = [str(StudyFiles(self.folder(study)).round(k - 1))] if k else []
        for jobs in round_chunks(s, self.flow.chunk_size).values():
            files += [str(stats_path(CHUNK_PATH.format(study=study, cond=job.param_id,
                                                       chunk=job.name))) for job in jobs]
        return files

    def final_file(self, wildcards) -> str:
        study = wildcards.study
        return str(StudyFiles(self.folder(study)).round(self.final(study)))

    def precision_file(self, wildcards) -> list[str]:
        """precision.csv for a study with targets (none for a fixed-R study)."""
        s = self.flow.studies[wildcards.study]
        return [] if s.targets is None else [str(StudyFiles(self.folder(wildcards.study))
                                                 .precision)]
