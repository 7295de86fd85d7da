"""A validated study: its grid of conditions, its chunks and jobs, and their specs.

:class:`Study` is what every stage receives, from chunk to report; it is built once by
:func:`fisherlab.spec.load.load_study` from a study file. Its ``family`` is the
configured family object and each of its ``estimators`` carries its estimator object,
so no stage rebuilds either from a name. Seeds are derived in
:mod:`fisherlab.core.seeds` from a condition's identity, never from list positions.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.seeds import SEED_BLOCK
from ..estimators import Estimator
from ..families import Family
from ..families.pseudo_true import pseudo_true
from ..stats.plugins import MeasureSpec
from .claims import Claim
from .compare import Compare
from .hypotheses import Hypothesis
from .misspec import FitModel
from .targets import Targets

__all__ = ["Chunk", "Condition", "EstimatorSpec", "Job", "Study", "spec_sha256"]


# --------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class EstimatorSpec:
    """One estimator of a study: its registered name, its options, the configured
    :class:`~fisherlab.estimators.Estimator` object, the ``id`` that names it in every
    table (unique within the study) and the ``label`` people read (:mod:`.labels`)."""

    name: str
    options: dict = field(default_factory=dict)
    estimator: Estimator | None = field(default=None, compare=False, repr=False)
    label: str = field(default="", compare=False)
    #: ``mle[newton]``, ``mle[likelihood_ratio]``: one of those a study item expanded into
    key: str = field(default="", compare=False)

    @property
    def id(self) -> str:
        return self.key or self.name

    def to_json(self) -> dict:
        return {"name": self.name, "options": self.options}


@dataclass(frozen=True)
class Condition:
    """One cell of the design: true parameter values and a sample size."""

    params: dict[str, float]
    n: int

    @property
    def param_id(self) -> str:
        """A readable, filesystem-safe id of the parameter values (hash if long)."""
        # a prior-drawn parameter (simulation-based calibration) is ``<name>=prior``
        slug = "_".join(f"{k}={'prior' if isinstance(v, dict) else _num(v)}"
                        for k, v in sorted(self.params.items()))
        slug = re.sub(r"[^A-Za-z0-9=._-]", "", slug)
        if len(slug) > 80:
            slug = "h" + hashlib.sha256(slug.encode()).hexdigest()[:16]
        return slug

    @property
    def id(self) -> str:
        return f"{self.param_id}/n{self.n}"


def _num(v: float) -> str:
    return repr(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


@dataclass(frozen=True)
class Chunk:
    """A contiguous range of replicates of one cell (condition × n): what one call of
    :func:`fisherlab.run.simulate.run_chunk` draws and fits."""

    condition: Condition
    index: int
    start: int
    stop: int

    @property
    def id(self) -> str:
        return f"{self.condition.id}/c{self.index}"


@dataclass(frozen=True)
class Job:
    """One Snakemake job, written as one chunk file: a replicate range of one cell, or
    (``spans``) the same range of one condition at every sample size, a :class:`Chunk`
    per n in the study's order. A job's seeds are its chunks' seeds, so the rows do not
    depend on how replicates are grouped into jobs."""

    chunks: tuple[Chunk, ...]
    #: the job spans every sample size of its condition (named ``c<k>``, not ``n<n>.c<k>``)
    spans: bool = False

    @property
    def param_id(self) -> str:
        return self.chunks[0].condition.param_id

    @property
    def index(self) -> int:
        return self.chunks[0].index

    @property
    def start(self) -> int:
        return self.chunks[0].start

    @property
    def stop(self) -> int:
        return self.chunks[0].stop

    @property
    def name(self) -> str:
        """``c<k>`` for a job that spans the sample sizes, else ``n<n>.c<k>``."""
        return (f"c{self.index}" if self.spans
                else f"n{self.chunks[0].condition.n}.c{self.index}")

    @property
    def id(self) -> str:
        return f"{self.param_id}/{self.name}"


#: a job's name within its condition: ``c<k>`` (every n) or ``n<n>.c<k>`` (one cell)
JOB_NAME = re.compile(r"(?:n(\d+)\.)?c(\d+)")


@dataclass
class Study:
    """A validated study: what every stage receives, from chunk to report.

    ``family`` is the configured family object (its ``model.design`` applied) and each
    of ``estimators`` carries its estimator object; no stage rebuilds either from a name.
    """

    name: str
    path: Path
    description: str
    family: Family
    #: per parameter, its true values; a one-item list holding a priors.Prior for a
    #: parameter whose truth each replicate draws (simulation-based calibration)
    params: dict[str, list]
    sample_sizes: list[int]
    replications: int
    seed: int
    estimators: list[EstimatorSpec]
    estimands: list[str]
    level: float
    raw: dict = field(repr=False, default_factory=dict)
    #: seconds one per-dataset fit may take (None: no limit); part of every chunk's spec
    fit_timeout: float | None = None
    #: largest share of failed replicates per condition × estimator (None: no check)
    max_failure_rate: float | None = None
    #: the family's ``model.design`` (regression covariates, fixed parameters), or None
    design: dict | None = None
    #: replications from target MCSEs (``replications`` is then their ``max``), and
    #: the rounds decided so far: condition id -> cumulative replications per round,
    #: read from the round files (:func:`fisherlab.pipeline.rounds.with_schedule`)
    targets: Targets | None = None
    schedule: dict | None = field(default=None, repr=False)
    #: what the study claims to show (``expect:``), judged after the run
    claims: tuple[Claim, ...] = ()
    #: the measures beyond summary.csv's (``measures:``), written to measures.csv
    measures: tuple[MeasureSpec, ...] = ()
    #: the data whose fit set the truth (``fitted_to``, from ``fisherlab fit --study``)
    fitted_to: dict | None = None
    #: paired comparisons with a reference estimator (``compare:``), to paired.csv
    compare: Compare | None = None
    #: the model the estimators fit when it is not ``family`` (``fit_model:``)
    fit_model: FitModel | None = None
    _truths: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def analysis(self) -> Family:
        """The family the estimators fit: ``fit_model``'s, else the data's own."""
        return self.fit_model.family if self.fit_model else self.family

    def fit_truths(self, params: dict) -> dict[str, float]:
        """Under a ``fit_model``, each estimand's truth at a condition's true values:
        the analysis family's pseudo-true value (derived estimands at the pseudo-true
        parameters), or the data model's own value where ``target`` says data."""
        key = json.dumps(params, sort_keys=True)
        if key not in self._truths:
            fit = self.fit_model
            star = {**fit.params, **pseudo_true(fit.family, self.family, params, fit.params)}
            self._truths[key] = {
                e: float(self.family.truth(params, e) if fit.target_of(e) == "data"
                         else fit.family.truth(star, e)) for e in self.estimands}
        return self._truths[key]
    #: the hypothesis tests (``tests:``), written to tests.csv
    tests: tuple[Hypothesis, ...] = ()

    def rounds(self, c: Condition) -> list[int]:
        """A condition's cumulative replications after each round; one round of
        ``replications`` for a fixed-R study."""
        if self.targets is None:
            return [self.replications]
        return (self.schedule or {}).get(c.id) or [self.targets.first_round(self.replications)]

    def reps(self, c: Condition) -> int:
        """Replications of a condition (so far, for a study with targets)."""
        return self.rounds(c)[-1]

    # ---------------------------------------------------------------- grid
    def param_grid(self) -> list[dict[str, float]]:
        """The product of the parameter lists, in file order."""
        names = list(self.params)
        return [dict(zip(names, combo, strict=True))
                for combo in itertools.product(*(self.params[k] for k in names))]

    def conditions(self) -> list[Condition]:
        return [Condition(p, n) for p in self.param_grid() for n in self.sample_sizes]

    def chunks(self, chunk_size) -> list[Chunk]:
        """Every chunk of the study, cell by cell; ``chunk_size`` is replicates per chunk,
        or a function of the cell that gives every cell of a condition the same size
        (``chunk_size: auto``, :func:`fisherlab.plan.chunking.sizes_for`)."""
        size_of = chunk_size if callable(chunk_size) else (lambda c: chunk_size)
        return [ch for c in self.conditions() for ch in self._chunks_of(c, size_of(c))]

    def _chunks_of(self, c: Condition, size: int) -> list[Chunk]:
        """A condition's chunks: each round's replicates (:meth:`rounds`) split into
        ``size``, numbered round after round (a later round only adds chunks)."""
        if size % SEED_BLOCK:
            raise ValueError(f"chunk_size must be a multiple of {SEED_BLOCK}")
        out, lo = [], 0
        for hi in self.rounds(c):
            out += [Chunk(c, len(out) + i, start, min(start + size, hi))
                    for i, start in enumerate(range(lo, hi, size))]
            lo = hi
        return out

    def jobs(self, chunk_size, spanning=frozenset()) -> list[Job]:
        """Every job of the study: a chunk each, except that the chunks of a condition
        in ``spanning`` (param ids) are grouped by replicate range, every n in one job."""
        grouped: dict[tuple, list[Chunk]] = {}
        for ch in self.chunks(chunk_size):
            pid = ch.condition.param_id
            key = (pid, ch.start) if pid in spanning else (pid, ch.start, ch.condition.n)
            grouped.setdefault(key, []).append(ch)
        return [Job(tuple(chs), chs[0].condition.param_id in spanning)
                for chs in grouped.values()]

    def estimator(self, id: str) -> EstimatorSpec:
        """The estimator whose ``id`` names it in the tables."""
        for e in self.estimators:
            if e.id == id:
                return e
        raise KeyError(f"no estimator {id!r} in study {self.name!r}")

    def labels(self) -> dict[str, str]:
        """Estimator id -> the label people read."""
        return {e.id: e.label for e in self.estimators}

    def job(self, cond: str, name: str, chunk_size: int) -> Job:
        """The job ``<cond>/<name>`` of this study at ``chunk_size`` (:data:`JOB_NAME`):
        chunk k of each of its cells (numbered by rounds, :meth:`_chunks_of`)."""
        m = JOB_NAME.fullmatch(name)
        cells = [c for c in self.conditions() if m is not None and c.param_id == cond
                 and (m.group(1) is None or c.n == int(m.group(1)))]
        index = int(m.group(2)) if m else -1
        chunks = [self._chunks_of(c, chunk_size) for c in cells]
        if not cells or not all(0 <= index < len(chs) for chs in chunks):
            raise KeyError(f"no job {cond}/{name} in study {self.name!r}")
        return Job(tuple(chs[index] for chs in chunks), m.group(1) is None)

    def spec(self, chunk: Chunk | Job) -> dict:
        """What one chunk or job computes, as plain JSON: its hash identifies the job's
        results (provenance, Snakemake's re-run trigger); the job itself receives the
        study object and the job. A job's ``n`` is the list of its sample sizes."""
        if isinstance(chunk, Job):  # a one-cell job's spec is its chunk's
            return ({**self.spec(chunk.chunks[0]), "n": [ch.condition.n for ch in chunk.chunks]}
                    if chunk.spans else self.spec(chunk.chunks[0]))
        return {
            "study": self.name, "family": self.family.name, "params": chunk.condition.params,
            "n": chunk.condition.n, "chunk": chunk.index, "start": chunk.start,
            "stop": chunk.stop, "seed": self.seed,
            "estimators": [e.to_json() for e in self.estimators],
            "estimands": self.estimands, "level": self.level,
            # only when set, so that studies without a limit keep their specs (and chunks)
            **({"fit_timeout": self.fit_timeout} if self.fit_timeout else {}),
            **({"design": self.design} if self.design else {}),
            **({"fit_model": self.fit_model.raw} if self.fit_model else {}),
        }


def spec_sha256(spec: dict) -> str:
    """The hash that identifies what a chunk or job computes (its :meth:`Study.spec` as
    canonical JSON): provenance, Snakemake's re-run trigger, a chunk's self-check."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()
