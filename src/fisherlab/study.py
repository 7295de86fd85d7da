"""Load and validate a study file, expand its grid of conditions, derive its seeds.

The study file is the public interface (see README, "The study file"). Every problem
with it is a :class:`StudyError` that names the file, the key and what is allowed;
the workflow loads every study before it schedules a single job.

Seeds are derived in :mod:`fisherlab.seeds` from the condition's identity, never from
list positions.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema

from . import priors
from .estimators import Estimator, estimator_class, estimator_names, estimators_for, make_estimator
from .families import Family, family_names, get_family
from .seeds import SEED_BLOCK
from .studyfile import StudyError, check_schema, friendly_error, key_path, read_yaml, show_value

__all__ = ["Chunk", "Condition", "EstimatorSpec", "Study", "StudyError", "discover",
           "load_config", "load_study", "read_yaml"]

#: most parameter combinations a study may have (Snakemake's DAG slows beyond ~1e5 jobs)
MAX_GRID = 100_000
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


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

    @property
    def id(self) -> str:
        return self.name

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
    """A contiguous range of replicates of one condition: one Snakemake job."""

    condition: Condition
    index: int
    start: int
    stop: int

    @property
    def id(self) -> str:
        return f"{self.condition.id}/c{self.index}"


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

    # ---------------------------------------------------------------- grid
    def param_grid(self) -> list[dict[str, float]]:
        """The product of the parameter lists, in file order."""
        names = list(self.params)
        return [dict(zip(names, combo, strict=True))
                for combo in itertools.product(*(self.params[k] for k in names))]

    def conditions(self) -> list[Condition]:
        return [Condition(p, n) for p in self.param_grid() for n in self.sample_sizes]

    def chunks(self, chunk_size) -> list[Chunk]:
        """Every job of the study; ``chunk_size`` is replicates per job, or a function
        of the condition (``chunk_size: auto``, :func:`fisherlab.chunking.sizes_for`)."""
        size_of = chunk_size if callable(chunk_size) else (lambda c: chunk_size)
        out = []
        for c in self.conditions():
            size = size_of(c)
            if size % SEED_BLOCK:
                raise ValueError(f"chunk_size must be a multiple of {SEED_BLOCK}")
            for k, start in enumerate(range(0, self.replications, size)):
                out.append(Chunk(c, k, start, min(start + size, self.replications)))
        return out

    def estimator(self, id: str) -> EstimatorSpec:
        """The estimator whose ``id`` names it in the tables."""
        for e in self.estimators:
            if e.id == id:
                return e
        raise KeyError(f"no estimator {id!r} in study {self.name!r}")

    def labels(self) -> dict[str, str]:
        """Estimator id -> the label people read."""
        return {e.id: e.label for e in self.estimators}

    def chunk(self, cond: str, n: int, index: int, chunk_size: int) -> Chunk:
        """The chunk ``<cond>/n<n>/c<index>`` of this study at ``chunk_size``."""
        for c in self.conditions():
            if c.param_id == cond and c.n == int(n):
                start = int(index) * chunk_size
                if 0 <= start < self.replications:
                    return Chunk(c, int(index), start,
                                 min(start + chunk_size, self.replications))
        raise KeyError(f"no chunk {cond}/n{n}/c{index} in study {self.name!r}")

    def spec(self, chunk: Chunk) -> dict:
        """What one chunk computes, as plain JSON: its hash identifies the chunk's
        results (provenance, Snakemake's re-run trigger); the job itself receives the
        study object and the chunk."""
        return {
            "study": self.name, "family": self.family.name, "params": chunk.condition.params,
            "n": chunk.condition.n, "chunk": chunk.index, "start": chunk.start,
            "stop": chunk.stop, "seed": self.seed,
            "estimators": [e.to_json() for e in self.estimators],
            "estimands": self.estimands, "level": self.level,
            # only when set, so that studies without a limit keep their specs (and chunks)
            **({"fit_timeout": self.fit_timeout} if self.fit_timeout else {}),
            **({"design": self.design} if self.design else {}),
        }


# --------------------------------------------------------------------------- loading
def load_study(path: str | Path) -> Study:
    """Read, validate and normalise a study file; StudyError on any problem."""
    path = Path(path)
    name = path.stem
    if not NAME_RE.match(name):
        raise StudyError(path, "", "the file name must be letters, digits, '_', '-' or '.', "
                         "starting with a letter or digit (it names the results folder)")
    doc = read_yaml(path)
    check_schema(doc, "study", path)

    model = doc["model"]
    fam = _check_family(path, model["family"], model.get("design"))

    params = _check_params(path, fam, model["params"])
    sizes = list(doc["sample_sizes"])
    estimators = _check_estimators(path, fam, doc["estimators"])
    estimands = _check_estimands(path, fam, doc.get("estimands"), estimators)
    for spec in estimators:
        low = estimator_class(spec.name).min_n(fam)
        bad = [n for n in sizes if n < low]
        if bad:
            raise StudyError(path, "sample_sizes", f"{bad[0]} is below the smallest sample size "
                             f"for {fam.name} with {spec.name!r}: every n must be >= {low}")
    level = float((doc.get("interval") or {}).get("level", 0.95))
    return Study(name=name, path=path, description=doc["description"], family=fam,
                 params=params, sample_sizes=sizes, replications=int(doc["replications"]),
                 seed=int(doc["seed"]), estimators=estimators, estimands=estimands,
                 level=level, raw=doc, fit_timeout=_opt_float(doc.get("fit_timeout")),
                 max_failure_rate=_opt_float(doc.get("max_failure_rate")),
                 design=model.get("design"))


def _check_family(path, name: str, design):
    """The family, specialised by its design; registered names, ``scipy.<name>`` (a
    continuous scipy.stats distribution) and ``python:<module>:<object>``."""
    dynamic = name.startswith(("scipy.", "python:"))
    if not dynamic and name not in family_names():
        near = difflib.get_close_matches(name, family_names(), n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        raise StudyError(path, "model.family", f"unknown family {name!r}; {hint}"
                         f"allowed: {', '.join(family_names())}, scipy.<name> (a continuous "
                         "scipy.stats distribution) or python:<module>:<object>")
    try:
        fam = get_family(name)
    except KeyError as exc:
        raise StudyError(path, "model.family", str(exc.args[0] if exc.args else exc)) from None
    try:
        return fam.configure(design) if design else fam
    except ValueError as exc:
        raise StudyError(path, "model.design", str(exc)) from None


def _opt_float(v) -> float | None:
    return None if v is None else float(v)


def _check_params(path, fam, given: dict) -> dict[str, list[float]]:
    allowed = [p.name for p in fam.params]
    for k in given:
        if k not in allowed:
            near = difflib.get_close_matches(str(k), allowed, n=1)
            hint = f"did you mean '{near[0]}'? " if near else ""
            raise StudyError(path, f"model.params.{k}", f"is not a parameter of {fam.name}; "
                             f"{hint}its parameters: {', '.join(allowed)}")
    out = {}
    for p in fam.params:
        if p.name not in given:
            raise StudyError(path, f"model.params.{p.name}", f"is missing; {fam.name} needs "
                             f"{', '.join(allowed)}")
        if isinstance(given[p.name], dict):  # a prior: each replicate draws its truth
            out[p.name] = [_check_prior_param(path, fam, p, given[p.name])]
            continue
        values = given[p.name] if isinstance(given[p.name], list) else [given[p.name]]
        for i, v in enumerate(values):
            try:  # an integer beyond any float (YAML has no size limit) is out of range
                float(v)
            except OverflowError:
                v = math.inf if v > 0 else -math.inf
            except (TypeError, ValueError):
                pass
            if not p.contains(v):
                key = f"model.params.{p.name}" + (f"[{i}]" if isinstance(given[p.name], list)
                                                  else "")
                raise StudyError(path, key, f"{show_value(v)} is outside the domain: {p.name} "
                                 f"({p.doc or 'parameter'}) must be {p.describe()}")
        if len(set(values)) != len(values):
            raise StudyError(path, f"model.params.{p.name}", "repeats a value")
        out[p.name] = [int(v) if p.integer else float(v) for v in values]
    size = math.prod(len(v) for v in out.values())
    if size > MAX_GRID:
        raise StudyError(path, "model.params", f"the parameter lists give {size} combinations; "
                         f"at most {MAX_GRID} (split the study into several files)")
    names = list(out)
    for combo in itertools.product(*out.values()):
        # a prior-drawn parameter is checked at its prior's median (a typical truth)
        combo = [float(priors.scipy_dist(v).median()) if isinstance(v, dict) else v
                 for v in combo]
        try:
            fam.check_theta(dict(zip(names, combo, strict=True)))
        except ValueError as exc:
            raise StudyError(path, "model.params", str(exc)) from None
    return out


def _check_prior_param(path, fam, p, spec: dict) -> priors.Prior:
    """A true value given as a prior (simulation-based calibration): validated like an
    estimator's prior (:func:`fisherlab.priors.validate`), on an estimated, continuous
    parameter only."""
    key = f"model.params.{p.name}"
    if not p.estimated or p.integer:
        what = "fixed by the design" if not p.estimated else "an integer"
        raise StudyError(path, key, f"{p.name} is {what}; only an estimated, continuous "
                         "parameter can take a prior as its true value")
    try:
        return priors.Prior(priors.validate(spec, p))
    except priors.PriorError as exc:
        raise StudyError(path, f"{key}.{exc.key}" if exc.key else key, exc.problem) from None


def _check_estimators(path, fam, items: list) -> list[EstimatorSpec]:
    specs = []
    for i, item in enumerate(items):
        name, opts = (item, {}) if isinstance(item, str) else next(iter(item.items()))
        opts = opts or {}
        key = f"estimators[{i}]"
        if name not in estimator_names():
            near = difflib.get_close_matches(str(name), estimator_names(), n=1)
            hint = f"did you mean '{near[0]}'? " if near else ""
            raise StudyError(path, key, f"unknown estimator {name!r}; {hint}"
                             f"allowed for {fam.name}: {', '.join(estimators_for(fam))}")
        cls = estimator_class(name)
        if not cls.applies_to(fam):
            raise StudyError(path, key, f"{name!r} does not apply to the {fam.name} family; "
                             f"estimators that do: {', '.join(estimators_for(fam))}")
        sch = {"type": "object", "additionalProperties": False,
               "properties": cls.options_schema}
        errs = list(jsonschema.Draft202012Validator(sch).iter_errors(opts))
        if errs:
            e = errs[0]
            if e.validator == "additionalProperties":
                extra = sorted(set(opts) - set(cls.options_schema), key=str)[0]
                allowed = ", ".join(sorted(cls.options_schema)) or "none"
                raise StudyError(path, f"{key}.{name}.{extra}", f"is not an option of {name!r}; "
                                 f"allowed options: {allowed}")
            sub = f".{key_path(e.absolute_path)}" if e.absolute_path else ""
            raise StudyError(path, f"{key}.{name}{sub}", friendly_error(e, sch, path).problem)
        try:  # semantic checks beyond the schema (e.g. priors, see priors.py)
            cls.check_options(fam, opts)
        except ValueError as exc:
            sub = getattr(exc, "key", "")
            raise StudyError(path, f"{key}.{name}" + (f".{sub}" if sub else ""),
                             getattr(exc, "problem", str(exc))) from None
        est = make_estimator(name, opts)
        spec = EstimatorSpec(name, opts, est, est.label(fam))
        if spec in specs:
            raise StudyError(path, key, f"estimator {name!r} is listed twice with the same options")
        specs.append(spec)
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise StudyError(path, "estimators", f"{dup!r} appears twice; list each estimator once")
    return specs


def _check_estimands(path, fam, given, estimators) -> list[str]:
    estimands = list(given) if given else list(fam.default_estimands())
    for i, e in enumerate(estimands):
        if e not in fam.estimands():
            raise StudyError(path, f"estimands[{i}]", f"unknown estimand {e!r} for {fam.name}; "
                             f"allowed: {', '.join(fam.estimands())}")
        for spec in estimators:
            can = estimator_class(spec.name).estimands_for(fam)
            if e not in can:
                raise StudyError(path, f"estimands[{i}]", f"{spec.name!r} gives no estimate of "
                                 f"{e!r} for {fam.name}; it estimates: {', '.join(can)}")
    return estimands


def load_config(doc: dict | None, file: str = "config/config.yaml") -> dict:
    """Validate the workflow config and fill in defaults."""
    doc = dict(doc or {})
    check_schema(doc, "config", file)
    studies = doc.get("studies") or []
    if isinstance(studies, str):
        studies = [s for s in re.split(r"[,\s]+", studies) if s]
    return {"studies": list(studies), "studies_dir": doc.get("studies_dir", "studies"),
            "chunk_size": _chunk_size(doc.get("chunk_size", "auto")),
            "single_file_rows": int(doc.get("single_file_rows", 5_000_000))}


def _chunk_size(v) -> int | str:
    return "auto" if v == "auto" else int(v)


def discover(config: dict, root: str | Path = ".") -> list[Study]:
    """Load every study the config selects (all files in studies_dir when none is named)."""
    sdir = Path(root) / config["studies_dir"]
    try:  # show paths as a user typed them, relative to the working directory
        sdir = sdir.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        pass
    available = sorted(p.stem for p in sdir.glob("*.yaml"))
    names = config["studies"] or available
    for nm in names:
        if nm not in available:
            raise StudyError("config", "studies", f"no study named {nm!r} in {sdir}/; "
                             f"available: {', '.join(available) or 'none'}")
    return [load_study(sdir / f"{nm}.yaml") for nm in names]

