"""Read a study file and build its :class:`~fisherlab.spec.study.Study`; the config too.

The study file is the public interface (README, "A study file"). Reading it goes through
the floors of this package in order: :mod:`.safeyaml` (the text, safely),
:mod:`.schema` (its JSON Schema, finite numbers, sizes), :mod:`.checks` (each section
beyond the schema: the family and its design, the parameters, the estimators, the
estimands), :mod:`.targets` (replications as target MCSEs). Every problem is a
:class:`~fisherlab.core.errors.StudyError` that names the file, the key and what is
allowed, and one error lists every problem of a file; the workflow loads every study
before it schedules a single job.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..core import defaults
from ..core.errors import StudyError, StudyErrors
from ..core.layout import RESERVED
from ..estimators import estimator_class
from .checks import check_estimands, check_estimators, check_family, check_params
from .claims import PAIRED, check_claims
from .compare import check_compare
from .hypotheses import check_tests
from .measures import check_measures
from .misspec import check_fit_model
from .schema import Problems, check_finite, check_schema, check_size, read_yaml
from .study import EstimatorSpec, Study
from .targets import check_targets

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
#: longest lists of a study file, checked before the schema (the schema's maxItems)
SIZE_CAPS = {"sample_sizes": 1000, "estimators": 100, "estimands": 100}


def check_name(name: str) -> str | None:
    """Why ``name`` (a file stem) cannot name a study, or None: it names results/<name>/."""
    if not NAME_RE.match(name):
        return ("the file name must be letters, digits, '_', '-' or '.', starting with a "
                "letter or digit (it names the results folder)")
    if name.lower() in RESERVED:
        return (f"the study name {name!r} is reserved: results/{name} is the workflow's own "
                f"file or folder (reserved: {', '.join(sorted(RESERVED))}); rename the file")
    return None


def load_study(path: str | Path) -> Study:
    """Read, validate and normalise a study file; one StudyError listing every problem.

    A section's semantic checks (:mod:`fisherlab.spec.checks`) run only where the schema
    found nothing wrong in what they read, so each problem is reported once."""
    path = Path(path)
    problems = Problems(path)
    doc = None
    try:
        doc = read_yaml(path)
    except StudyError as exc:
        problems.extend(exc)
    else:
        if check_size(doc, path, problems, SIZE_CAPS):
            check_schema(doc, "study", path, problems)
            check_finite(doc, path, problems)
    model = doc.get("model") if isinstance(doc, dict) else None
    fam = params = estimators = estimands = None
    if isinstance(model, dict) and problems.clean("model.family") \
            and problems.clean("model.design"):
        fam = check_family(path, model["family"], model.get("design"), problems)
    if fam is not None and problems.clean("model.params"):
        params = check_params(path, fam, model["params"], problems)
    data_fam, fit = fam, None  # with a fit_model, estimators and estimands are its own
    if params is not None and isinstance(doc.get("fit_model"), dict) \
            and problems.clean("fit_model"):
        fit = check_fit_model(path, fam, params, doc["fit_model"], problems)
        fam = fit.family if fit is not None else None
    if fam is not None and problems.clean("estimators"):
        method = (doc.get("interval") or {}).get("method", []) \
            if isinstance(doc.get("interval"), dict) else []
        estimators = check_estimators(path, fam, doc["estimators"], problems,
                                      [method] if isinstance(method, str) else list(method))
    if estimators is not None and problems.clean("estimands"):
        estimands = check_estimands(fam, doc.get("estimands"), estimators, problems)
    if estimators is not None and problems.clean("sample_sizes"):
        for name, *_ in estimators:
            low = estimator_class(name).min_n(fam)
            bad = [n for n in doc["sample_sizes"] if n < low]
            if bad:
                problems.add("sample_sizes", f"{bad[0]} is below the smallest sample size for "
                             f"{fam.name} with {name!r}: every n must be >= {low}")
    targets = None  # replications as target MCSEs
    if isinstance(doc, dict) and isinstance(doc.get("replications"), dict) \
            and problems.clean("replications"):
        targets = check_targets(doc["replications"], problems)
    measures = ()
    if isinstance(doc, dict) and doc.get("measures") and problems.clean("measures"):
        measures = check_measures(doc["measures"], problems) or ()
    compare = None
    if isinstance(doc, dict) and doc.get("compare") is not None and estimators is not None \
            and problems.clean("compare"):
        compare = check_compare(doc["compare"], [e[4] or e[0] for e in estimators], problems)
    tests = ()
    if isinstance(doc, dict) and doc.get("tests") and estimands is not None \
            and problems.clean("tests"):
        tests = check_tests(doc["tests"], fam, estimands, [e[2] for e in estimators],
                            problems) or ()
    claims = ()
    if isinstance(doc, dict) and doc.get("expect") and params is not None \
            and estimators is not None and estimands is not None \
            and problems.clean("expect") and problems.clean("sample_sizes") \
            and problems.clean("measures"):
        claims = check_claims(doc["expect"], params, doc["sample_sizes"],
                              [e[4] or e[0] for e in estimators], estimands, problems,
                              design=model.get("design"),
                              labels={e[4] or e[0]: e[3] for e in estimators},
                              extra={m.name: m.label for m in measures},
                              tests=tests) or ()
    for i, c in enumerate(claims):  # a paired measure needs compare: and another estimator
        if c.measure in PAIRED and problems.clean("compare") \
                and (compare is None or c.estimator == compare.reference):
            problems.add(f"expect[{i}].measure", f"{c.measure} compares an estimator with "
                         "compare:'s reference; " + ("name one other than the reference "
                         f"{compare.reference!r}" if compare else "add compare: to the file"))
    bad_name = check_name(path.stem)
    if bad_name:
        problems.items.insert(0, ("", bad_name))
    problems.raise_if_any()
    level = float((doc.get("interval") or {}).get("level", defaults.LEVEL))
    return Study(name=path.stem, path=path, description=doc["description"], family=data_fam,
                 params=params, sample_sizes=list(doc["sample_sizes"]),
                 replications=targets.max if targets else doc["replications"],
                 seed=doc["seed"], targets=targets,
                 estimators=[EstimatorSpec(*e) for e in estimators],
                 estimands=estimands, level=level, raw=doc,
                 fit_timeout=_opt_float(doc.get("fit_timeout")),
                 max_failure_rate=_opt_float(doc.get("max_failure_rate")),
                 design=model.get("design"), claims=claims, measures=measures,
                 fitted_to=doc.get("fitted_to"), compare=compare, fit_model=fit,
                 tests=tests)


def _opt_float(v) -> float | None:
    return None if v is None else float(v)


def load_config(doc: dict | None, file: str = "config/config.yaml") -> dict:
    """Validate the workflow config and fill in defaults (:mod:`fisherlab.core.defaults`)."""
    doc = dict(doc or {})
    check_schema(doc, "config", file)
    studies = doc.get("studies") or []
    if isinstance(studies, str):
        studies = [s for s in re.split(r"[,\s]+", studies) if s]
    return {"studies": list(studies),
            "studies_dir": doc.get("studies_dir", defaults.STUDIES_DIR),
            "chunk_size": _chunk_size(doc.get("chunk_size", defaults.CHUNK_SIZE)),
            "single_file_rows": int(doc.get("single_file_rows", defaults.SINGLE_FILE_ROWS)),
            "allow_large": str(doc.get("allow_large", False)).lower() == "true"}


def _chunk_size(v) -> int | str:
    return "auto" if v == "auto" else int(v)


def discover(config: dict, root: str | Path = ".", errors: list | None = None) -> list[Study]:
    """Load every study the config selects (all files in studies_dir when none is named);
    one StudyErrors naming every problem of every file, or, given ``errors``, the
    studies that loaded with each file's StudyError appended to ``errors``."""
    sdir = Path(root) / config["studies_dir"]
    try:  # show paths as a user typed them, relative to the working directory
        sdir = sdir.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        pass
    available = sorted(p.stem for p in sdir.glob("*.yaml"))
    names = config["studies"] or available
    own = errors is None
    errors = [] if own else errors
    studies = []
    unknown = [nm for nm in names if nm not in available]
    if unknown:
        errors.append(StudyError("config", "studies", "; ".join(
            f"no study named {nm!r} in {sdir}/" for nm in unknown)
            + f"; available: {', '.join(available) or 'none'}"))
    for nm in names:
        if nm in available:
            try:
                studies.append(load_study(sdir / f"{nm}.yaml"))
            except StudyError as exc:
                errors.append(exc)
    if errors and own:
        raise errors[0] if len(errors) == 1 else StudyErrors(errors)
    return studies
