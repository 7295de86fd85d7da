"""A study at the fit: how good is this estimate at this n?

``fisherlab fit DATA --study NAME`` writes a study file whose truth is the MLE of the
user's data (a parametric bootstrap, run as a study): the fitted family, the MLE as the
true parameter values, the data's n and a few sizes around it, the estimators that
applied to the data, and replications from a target Monte Carlo SE of the coverage.
The file's ``fitted_to`` records the data it came from, and the study's page and
report.md say in their header that the truth is that fit, not the world's. The study
states no claims (``expect:``), so its description states none either: the run's
measures, verdicts and report answer the question.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import yaml

from ..core.defaults import STUDIES_DIR
from ..core.errors import StudyError
from ..core.seeds import SEED_BLOCK
from ..estimators import estimator_class
from ..plan.forecast import forecast
from ..spec.load import check_name
from .fitdata import Fit

#: the coverage MCSE the study's rounds aim at, unless ``--mcse`` says otherwise
COVERAGE_MCSE = 0.005
#: the sample sizes beside the data's n, as multiples of it
AROUND = (0.5, 1, 2, 4)


def study_path(name: str, studies_dir: str | Path = STUDIES_DIR) -> Path:
    """``--study NAME`` is studies/NAME.yaml; a path ending in .yaml is itself."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml"):
        return p
    return Path(studies_dir) / f"{name}.yaml"


def sizes(fit: Fit) -> list[int]:
    """The data's n and sizes around it (:data:`AROUND`), none below what every
    estimator needs."""
    fam = fit.data.family
    low = max([fam.min_n] + [estimator_class(_name(i)).min_n(fam) for i in fit.items])
    return sorted({max(low, int(round(f * fit.data.n))) for f in AROUND})


def _name(item) -> str:
    return item if isinstance(item, str) else next(iter(item))


def replications(mcse: float) -> dict:
    """Target MCSEs of the coverage, run in rounds (:mod:`fisherlab.pipeline.rounds`)
    up to what the target needs at the coverage's worst, 1/2: the MCSE of a coverage
    p over R replicates is sqrt(p (1 - p) / R) (:func:`~fisherlab.plan.forecast.forecast`
    from one replicate's sqrt(p (1 - p)))."""
    most = forecast(1, 0.5, mcse)
    return {"mcse": {"coverage": mcse},
            "max": int(SEED_BLOCK * max(2, math.ceil(most / SEED_BLOCK))),
            "min": 2 * SEED_BLOCK}


def study_doc(fit: Fit, mcse: float = COVERAGE_MCSE) -> dict:
    """The study file's mapping; StudyError when the MLE does not exist or is not
    regular (there is no fitted value to set the truth to)."""
    d = fit.data
    if fit.mle is None or fit.notes:
        raise StudyError(d.source, "--study", "no study at the fit: "
                         + "; ".join(fit.notes or ["the MLE does not exist"]))
    fam = d.family
    truth = {**{k: (int(v) if isinstance(v, int) else float(v))
                for k, v in d.theta_fixed.items()}, **fit.mle}
    ns = sizes(fit)
    used = ", ".join(f"{k} = {v:.6g}" for k, v in fit.mle.items())
    doc = {
        "description": (f"The estimators of a {fam.name} model at n = "
                        f"{', '.join(map(str, ns))}, with the truth set to the MLE fitted "
                        f"to {d.source} (n = {d.n}: {used}): a parametric bootstrap; the "
                        "study states no claims"),
        "fitted_to": {"data": d.source, "columns": _columns(d.columns), "n": d.n,
                      "estimator": "mle", "estimates": dict(fit.mle)},
        "model": {"family": fam.name, "params": truth},
    }
    if d.design:
        doc["model"] = {"family": fam.name, "design": d.design, "params": truth}
    doc.update({
        "sample_sizes": ns,
        "replications": replications(mcse),
        "seed": seed_of(d.x),
        "estimators": list(fit.items),
        "estimands": list(fam.estimands()),
        "interval": {"level": fit.level, **({"method": fit.methods}
                                            if len(fit.methods) > 1 else {})},
    })
    return doc


def _columns(columns: dict) -> list[str]:
    return [c for v in columns.values() for c in ([v] if isinstance(v, str) else v)]


def seed_of(x: np.ndarray) -> int:
    """The study's seed from the data's bytes: the same data give the same study."""
    return int.from_bytes(hashlib.sha256(np.ascontiguousarray(x).tobytes()).digest()[:4],
                          "big")


def write_study(fit: Fit, name: str, studies_dir: str | Path = STUDIES_DIR,
                mcse: float = COVERAGE_MCSE) -> Path:
    """Write the study at the fit to ``study_path(name)``; never over an existing file."""
    path = study_path(name, studies_dir)
    bad = check_name(path.stem)
    if bad:
        raise StudyError(path, "--study", bad)
    if path.exists():
        raise StudyError(path, "--study", "the file exists: choose another name, or "
                         "remove it first")
    doc = study_doc(fit, mcse)
    path.parent.mkdir(parents=True, exist_ok=True)
    head = ("# written by `fisherlab fit`: the truth is the MLE of the data in fitted_to,\n"
            "# not the world's\n")
    path.write_text(head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True,
                                          width=88), encoding="utf-8")
    return path
