"""fisherlab.testing: the conformance checks as a user runs them on a model of their own,
and checks that fail when a declaration is wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fisherlab.families import get_family
from fisherlab.testing import all_checks, check_family

ROOT = Path(__file__).resolve().parents[1]
ZIP = "python:studies.models.zero_inflated_poisson:ZeroInflatedPoisson"


@pytest.fixture
def project(monkeypatch):
    """A user's python: model is imported from the project folder."""
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(str(ROOT))


def test_a_users_own_family_passes_every_check(project):
    names = [c.name for c in all_checks(ZIP)]
    # its sampler, and the estimators that apply: the numeric MLE and its declared MoM
    assert names == [f"{ZIP}: sampler", f"{ZIP}: mle", f"{ZIP}: mom"]
    check_family(ZIP)


def _broken(name: str, **attrs):
    base = type(get_family(name))
    return type(f"Broken{base.__name__}", (base,), attrs)()


def test_a_wrong_fisher_information_fails():
    def info(self, theta):  # the Poisson's 1/lam, doubled
        return 2.0 / np.asarray(theta["lam"], float)[..., None, None]

    fam = _broken("poisson", fisher_information=info)
    with pytest.raises(AssertionError, match="Fisher information.*I\\[0, 0\\]"):
        check_family(fam, estimators=[])


def test_a_wrong_score_and_a_false_mle_fail():
    def score(self, x, theta):  # d/d lam of x log lam - lam is x/lam - 1: without the 1
        return (x / np.asarray(theta["lam"], float)[:, None]).sum(-1)[:, None]

    def mle(self, x, theta_fixed, level):
        pt = type(get_family("poisson")).mle(self, x, theta_fixed, level)
        pt.estimate["lam"] = pt.estimate["lam"] * 1.1
        return pt

    fam = _broken("poisson", score=score, mle=mle)
    with pytest.raises(AssertionError) as err:
        check_family(fam, estimators=[])
    assert "poisson: score" in str(err.value)
    assert "poisson: closed-form MLE" in str(err.value)


def test_an_estimator_that_mutates_the_data_fails():
    from fisherlab.estimators.closed_form import MethodOfMoments
    from fisherlab.testing import check_estimator

    class Mutating(MethodOfMoments):
        def point(self, family, x, theta_fixed, level):
            x[:] = x + 1.0
            return super().point(family, x, theta_fixed, level)

    fam = get_family("poisson")
    from fisherlab.estimators import registry

    registry._REGISTRY["mutating_mom"] = type("M", (Mutating,), {"name": "mutating_mom"})
    try:
        with pytest.raises(AssertionError, match="must not mutate"):
            check_estimator(fam, "mutating_mom")
    finally:
        del registry._REGISTRY["mutating_mom"]
