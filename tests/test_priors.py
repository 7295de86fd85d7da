"""Priors in a study file: checked when it is read, each problem a StudyError naming
its key; the default priors fit every PyMC family's parameters."""

from __future__ import annotations

import pytest

from fisherlab.core import priors
from fisherlab.core.errors import StudyError
from fisherlab.families import get_family
from fisherlab.spec.load import load_study

STUDY = """description: t
model: {family: bernoulli, params: {p: 0.3}}
sample_sizes: [10]
replications: 100
seed: 1
estimators:
  - map: {prior: PRIOR}
"""


@pytest.mark.parametrize(("prior", "key", "words"), [
    ("{p: {dist: Betta, alpha: 2, beta: 2}}", "prior.p.dist", "did you mean 'Beta'"),
    ("{p: {dist: Beta, alpha: 2, bta: 2}}", "prior.p.bta", "allowed: alpha, beta"),
    ("{p: {dist: Beta, alpha: -1, beta: 2}}", "prior.p.alpha", "must be > 0"),
    ("{p: {dist: Beta, alpha: 2}}", "prior.p.beta", "is missing"),
    ("{p: {dist: Normal, mu: 0, sigma: 1}}", "prior.p.dist", "outside the domain"),
    ("{q: {dist: Beta, alpha: 2, beta: 2}}", "prior.q", "priors can be given for: p"),
    ("{p: {dist: __import__, alpha: 2}}", "prior.p.dist", "unknown distribution"),
    ("{p: {dist: Uniform, lower: 0.5, upper: 0.2}}", "prior.p", "must be below"),
])
def test_bad_priors_are_study_errors(tmp_path, prior, key, words):
    f = tmp_path / "s.yaml"
    f.write_text(STUDY.replace("PRIOR", prior))
    with pytest.raises(StudyError) as exc:
        load_study(f)
    assert exc.value.key == f"estimators[0].map.{key}"
    assert words in exc.value.problem
    assert str(f) in str(exc.value)


def test_default_priors_fit_every_pymc_family():
    for name in ["bernoulli", "binomial", "poisson", "normal", "exponential", "geometric"]:
        fam = get_family(name)
        for p in fam.estimated():
            spec = priors.default_prior(fam, p)
            assert priors.validate(spec, p) == spec
            lo, hi = priors.scipy_dist(spec).support()
            assert p.low <= lo and hi <= p.high
