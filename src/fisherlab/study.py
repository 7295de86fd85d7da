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
import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from . import priors
from .estimators import estimator_class, estimator_names, estimators_for
from .families import family_names, get_family
from .seeds import SEED_BLOCK

#: most parameter combinations a study may have (Snakemake's DAG slows beyond ~1e5 jobs)
MAX_GRID = 100_000
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class StudyError(ValueError):
    """An invalid study (or config) file: the message names the file, key and what is allowed."""

    def __init__(self, file: str | Path, key: str, problem: str):
        self.file, self.key, self.problem = str(file), key, problem
        where = f"{self.file}: " + (f"key '{key}': " if key else "")
        super().__init__(where + problem)


# --------------------------------------------------------------------------- YAML
class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys (PyYAML keeps the last one silently)."""


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"found duplicate key {key!r}", key_node.start_mark)
        seen[key] = True
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely (no code, no duplicate keys); StudyError if malformed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(path, "", f"cannot read the file ({exc})") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise StudyError(path, "", f"not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise StudyError(path, "", "not valid YAML: nested too deeply") from None


@cache
def schema(name: str) -> dict:
    """A JSON Schema shipped with the package (the same files as workflow/schemas/)."""
    text = resources.files("fisherlab.schemas").joinpath(f"{name}.schema.yaml").read_text()
    return yaml.safe_load(text)


def _key(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _short(value: Any) -> str:
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (RecursionError, ValueError):  # nested too deeply to show
        text = f"a deeply nested {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def check_schema(doc: Any, name: str, file: str | Path) -> None:
    """Validate ``doc`` against the named schema, raising a StudyError for the first problem."""
    sch = schema(name)
    validator = jsonschema.Draft202012Validator(sch)
    try:
        errors = sorted(validator.iter_errors(doc), key=lambda e: (len(e.absolute_path),
                                                                    list(map(str, e.path))))
    except RecursionError:
        raise StudyError(file, "", "the file is nested too deeply") from None
    if errors:
        raise _friendly(errors[0], sch, file)


def _friendly(err: jsonschema.ValidationError, sch: dict, file) -> StudyError:
    key = _key(err.absolute_path)
    v, inst = err.validator, err.instance
    if v == "type" and not err.absolute_path:
        return StudyError(file, "", "must be a mapping of keys (description, model, ...), "
                          f"got {type(inst).__name__}")
    if v == "required":
        missing = [k for k in err.validator_value if not isinstance(inst, dict) or k not in inst]
        return StudyError(file, _join(key, missing[0]),
                          f"is missing; required keys here: {', '.join(err.validator_value)}")
    if v == "additionalProperties" and err.validator_value is False:
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(set(inst) - set(allowed), key=str)[0]
        near = difflib.get_close_matches(str(extra), allowed, n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        return StudyError(file, _join(key, extra),
                          f"is not a known key; {hint}allowed: {', '.join(allowed)}")
    if v in ("oneOf", "anyOf"):
        return StudyError(file, key, f"{_short(inst)} is not allowed here; expected "
                          f"{_describe(err.schema)}")
    val, got = err.validator_value, _short(inst)
    desc = {
        "type": lambda: f"must be {_article(val)}, got {got}",
        "minimum": lambda: f"must be >= {val}, got {got}",
        "maximum": lambda: f"must be <= {val}, got {got}",
        "exclusiveMinimum": lambda: f"must be > {val}, got {got}",
        "exclusiveMaximum": lambda: f"must be < {val}, got {got}",
        "minItems": lambda: f"must have at least {val} item(s)",
        "maxItems": lambda: f"must have at most {val} item(s)",
        "uniqueItems": lambda: f"must not repeat a value, got {got}",
        "minLength": lambda: "must not be empty",
        "minProperties": lambda: f"must have at least {val} key(s)",
        "maxProperties": lambda: f"must have exactly {val} key (a one-key mapping)",
        "multipleOf": lambda: f"must be a multiple of {val}, got {got}",
        "enum": lambda: f"must be one of {', '.join(map(str, val))}, got {got}",
    }
    return StudyError(file, key, desc[v]() if v in desc else err.message)


def _join(prefix: str, key: Any) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def _article(t) -> str:
    names = {"integer": "an integer", "number": "a number", "string": "a string",
             "array": "a list", "object": "a mapping", "boolean": "true or false",
             "null": "empty"}
    if isinstance(t, list):
        return " or ".join(names.get(x, x) for x in t)
    return names.get(t, t)


def _describe(sub: dict) -> str:
    opts = sub.get("oneOf") or sub.get("anyOf") or []
    parts = []
    for o in opts:
        if o.get("type") == "array":
            parts.append(f"a list of {_article(o.get('items', {}).get('type', 'value'))}s"
                         .replace("a list of a ", "a list of ").replace("an ", ""))
        elif o.get("type") == "object":
            parts.append("a one-key mapping {name: {options}}")
        else:
            parts.append(_article(o.get("type", "value")))
    return " or ".join(parts) or "a valid value"


# --------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class EstimatorSpec:
    name: str
    options: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
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
    name: str
    path: Path
    description: str
    family: str
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

    def chunks(self, chunk_size: int) -> list[Chunk]:
        if chunk_size % SEED_BLOCK:
            raise ValueError(f"chunk_size must be a multiple of {SEED_BLOCK}")
        out = []
        for c in self.conditions():
            for k, start in enumerate(range(0, self.replications, chunk_size)):
                out.append(Chunk(c, k, start, min(start + chunk_size, self.replications)))
        return out

    def spec(self, chunk: Chunk) -> dict:
        """Everything a chunk job needs, as plain JSON: the job is a pure function of it."""
        return {
            "study": self.name, "family": self.family, "params": chunk.condition.params,
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
    return Study(name=name, path=path, description=doc["description"], family=fam.name,
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
                raise StudyError(path, key, f"{_short(v)} is outside the domain: {p.name} "
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
            sub = f".{_key(e.absolute_path)}" if e.absolute_path else ""
            raise StudyError(path, f"{key}.{name}{sub}", _friendly(e, sch, path).problem)
        try:  # semantic checks beyond the schema (e.g. priors, see priors.py)
            cls.check_options(fam, opts)
        except ValueError as exc:
            sub = getattr(exc, "key", "")
            raise StudyError(path, f"{key}.{name}" + (f".{sub}" if sub else ""),
                             getattr(exc, "problem", str(exc))) from None
        spec = EstimatorSpec(name, opts)
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
            "chunk_size": int(doc.get("chunk_size", 1000))}


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

