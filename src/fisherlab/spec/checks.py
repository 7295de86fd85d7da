"""The checks of a study file's sections beyond its JSON Schema: the family and its
design, the true parameters, the estimators and their options, the estimands.

Each check adds every problem it finds to a :class:`~fisherlab.spec.schema.Problems` and
returns None when it found one; :func:`fisherlab.spec.load.load_study` runs a check only
when the schema found nothing wrong in the section it reads.
"""

from __future__ import annotations

import difflib
import itertools
import math

from ..core import priors
from ..estimators import estimator_class, estimator_names, estimators_for, make_estimator
from ..families import family_names, get_family
from .schema import Problems, check_finite, schema_errors, show_value

#: most parameter combinations a study may have (Snakemake's DAG slows beyond ~1e5 jobs)
MAX_GRID = 100_000


def check_family(path, name: str, design, problems: Problems):
    """The family, specialised by its design; registered names, ``scipy.<name>`` (a
    continuous scipy.stats distribution) and ``python:<module>:<object>`` (imported here,
    so a module's top-level code runs at validation time: see docs/families.md)."""
    dynamic = name.startswith(("scipy.", "python:"))
    if not dynamic and name not in family_names():
        near = difflib.get_close_matches(name, family_names(), n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        problems.add("model.family", f"unknown family {name!r}; {hint}allowed: "
                     f"{', '.join(family_names())}, scipy.<name> (a continuous scipy.stats "
                     "distribution) or python:<module>:<object>")
        return None
    try:
        fam = get_family(name)
    except KeyError as exc:
        problems.add("model.family", str(exc.args[0] if exc.args else exc))
        return None
    try:
        return fam.configure(design) if design else fam
    except ValueError as exc:
        problems.add("model.design", str(exc))
        return None


def check_params(path, fam, given: dict, problems: Problems) -> dict[str, list] | None:
    allowed = [p.name for p in fam.params]
    before = len(problems.items)
    for k in given:
        if k not in allowed:
            near = difflib.get_close_matches(str(k), allowed, n=1)
            hint = f"did you mean '{near[0]}'? " if near else ""
            problems.add(f"model.params.{k}", f"is not a parameter of {fam.name}; "
                         f"{hint}its parameters: {', '.join(allowed)}")
    out = {}
    for p in fam.params:
        key = f"model.params.{p.name}"
        if p.name not in given:
            problems.add(key, f"is missing; {fam.name} needs {', '.join(allowed)}")
            continue
        if isinstance(given[p.name], dict):  # a prior: each replicate draws its truth
            prior = check_prior_param(fam, p, given[p.name], problems)
            if prior is not None:
                out[p.name] = [prior]
            continue
        listed = isinstance(given[p.name], list)
        values = given[p.name] if listed else [given[p.name]]
        ok = True
        for i, v in enumerate(values):
            if not p.contains(v):
                ok = False
                problems.add(key + (f"[{i}]" if listed else ""), f"{show_value(v)} is outside "
                             f"the domain: {p.name} ({p.doc or 'parameter'}) must be "
                             f"{p.describe()}")
        if len(set(values)) != len(values):
            ok = False
            problems.add(key, "repeats a value")
        if ok:
            out[p.name] = [int(v) if p.integer else float(v) for v in values]
    if len(problems.items) > before:
        return None
    size = math.prod(len(v) for v in out.values())
    if size > MAX_GRID:
        problems.add("model.params", f"the parameter lists give {size} combinations; at most "
                     f"{MAX_GRID} (split the study into several files)")
        return None
    names = list(out)
    for combo in itertools.product(*out.values()):
        # a prior-drawn parameter is checked at its prior's median (a typical truth)
        combo = [float(priors.scipy_dist(v).median()) if isinstance(v, dict) else v
                 for v in combo]
        try:
            fam.check_theta(dict(zip(names, combo, strict=True)))
        except ValueError as exc:
            problems.add("model.params", str(exc))
            return None
    return out


def check_prior_param(fam, p, spec: dict, problems: Problems) -> priors.Prior | None:
    """A true value given as a prior (simulation-based calibration): validated like an
    estimator's prior (:func:`fisherlab.core.priors.validate`), on an estimated, continuous
    parameter only."""
    key = f"model.params.{p.name}"
    if not p.estimated or p.integer:
        what = "fixed by the design" if not p.estimated else "an integer"
        problems.add(key, f"{p.name} is {what}; only an estimated, continuous parameter can "
                     "take a prior as its true value")
        return None
    try:
        return priors.Prior(priors.validate(spec, p))
    except priors.PriorError as exc:
        problems.add(f"{key}.{exc.key}" if exc.key else key, exc.problem)
        return None


def check_estimators(path, fam, items: list, problems: Problems,
                     wanted: list[str] = ()) -> list[tuple] | None:
    """Each estimator as ``(name, options, estimator object, label, key)``, or None.

    One study item may stand for several estimators: a list-valued option its class
    expands (``mle: {method: [newton, bfgs]}``) and each of the study's interval methods
    ``wanted`` it offers; ``key`` is then the id (``mle[newton]``), each checked alone."""
    specs, before = [], len(problems.items)
    for i, item in enumerate(items):
        name, opts = (item, {}) if isinstance(item, str) else next(iter(item.items()))
        opts = opts or {}
        key = f"estimators[{i}]"
        if name not in estimator_names():
            near = difflib.get_close_matches(str(name), estimator_names(), n=1)
            hint = f"did you mean '{near[0]}'? " if near else ""
            problems.add(key, f"unknown estimator {name!r}; {hint}"
                         f"allowed for {fam.name}: {', '.join(estimators_for(fam))}")
            continue
        cls = estimator_class(name)
        if not cls.applies_to(fam):
            problems.add(key, f"{name!r} does not apply to the {fam.name} family; "
                         f"estimators that do: {', '.join(estimators_for(fam))}")
            continue
        sch = {"type": "object", "additionalProperties": False,
               "properties": cls.options_schema}
        variants = cls.variants(fam, opts, list(wanted)) if isinstance(opts, dict) \
            else [(opts, "")]
        errs = []
        for cand, _ in variants:  # each estimator the item gives, checked alone
            errs = schema_errors(cand, sch, path)
            if not errs:  # NaN passes every bound of an option, too
                check_finite(cand, path, sub := Problems(path))
                errs = [sub.error()] if sub else []
            if errs:
                break
        for err in errs:
            for k, problem in err.errors:
                if problem.startswith("is not a known key"):
                    allowed = ", ".join(sorted(cls.options_schema)) or "none"
                    problem = f"is not an option of {name!r}; allowed options: {allowed}"
                problems.add(f"{key}.{name}" + (f".{k}" if k else ""), problem)
        if errs:
            continue
        try:  # semantic checks beyond the schema (e.g. priors, see priors.py)
            cls.check_options(fam, opts)
        except ValueError as exc:
            sub = getattr(exc, "key", "")
            problems.add(f"{key}.{name}" + (f".{sub}" if sub else ""),
                         getattr(exc, "problem", str(exc)))
            continue
        for variant, suffix in variants:
            if any((name, variant) == s[:2] for s in specs):
                problems.add(key, f"estimator {name!r} is listed twice with the same options")
                continue
            est = make_estimator(name, variant)
            specs.append((name, variant, est, est.label(fam), f"{name}{suffix}" if suffix else ""))
    names = [item if isinstance(item, str) else next(iter(item), None) for item in items]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        problems.add("estimators", f"{dup!r} appears twice; list each estimator once")
    for m in wanted:  # each interval method a study asks for must be some estimator's
        if specs and not any(m in s[2].interval_methods(fam) for s in specs):
            problems.add("interval.method", f"no estimator here offers {m} intervals for "
                         f"{fam.name}")
    return None if len(problems.items) > before else specs


def check_estimands(fam, given, estimators, problems: Problems) -> list[str] | None:
    estimands = list(given) if given else list(fam.default_estimands())
    before = len(problems.items)
    for i, e in enumerate(estimands):
        if e not in fam.estimands():
            problems.add(f"estimands[{i}]", f"unknown estimand {e!r} for {fam.name}; "
                         f"allowed: {', '.join(fam.estimands())}")
            continue
        for spec in estimators:
            can = estimator_class(spec[0]).estimands_for(fam)
            if e not in can:
                problems.add(f"estimands[{i}]", f"{spec[0]!r} gives no estimate of {e!r} "
                             f"for {fam.name}; it estimates: {', '.join(can)}")
    return None if len(problems.items) > before else estimands
