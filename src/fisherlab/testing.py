"""The conformance checks every family and estimator passes, shipped as library code.

Run them on your own ``python:`` family or plug-in estimator, as the project's tests run
them on every registered one (scikit-learn's ``parametrize_with_checks``)::

    from fisherlab.testing import check_family, parametrize_with_checks

    check_family("python:studies.models.zero_inflated_poisson:ZeroInflatedPoisson")

    @parametrize_with_checks(["python:mypkg.models:MyModel"])
    def test_my_model(check):
        check()

A family's checks: its sampler (shape, reproducible from a seed, values inside the
support), its closed-form MLE where it declares one (no nearby point has a higher
likelihood), its declared score (the derivative of its log-density) and Fisher
information (the variance of the score, on 200 000 draws within 4 MCSEs). Then, for
every estimator that applies to it, the estimator's contract: one result per replicate
and estimand, finite estimates inside their intervals, the data untouched, the same
numbers again for the same data and seeds. Each check raises AssertionError naming
what failed; statistical checks use fixed seeds and tolerances in Monte Carlo standard
errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from scipy import differentiate

from .estimators import estimator_class, estimators_for, make_estimator
from .families import Family, family_names, get_family

#: small settings for the estimators that sample, so that the checks stay quick
QUICK = {"posterior": {"draws": 300, "tune": 300}}


@dataclass(frozen=True)
class Check:
    """One named check; calling it runs it (AssertionError when it fails)."""

    name: str
    run: Callable[[], None]

    def __call__(self) -> None:
        self.run()

    def __repr__(self) -> str:
        return self.name


def _family(family: Family | str) -> Family:
    return get_family(family) if isinstance(family, str) else family


# --------------------------------------------------------------------------- a family
def check_sampler(family: Family) -> None:
    """Datasets of the asked shape, the same for the same seed, inside the support."""
    theta = family.example_theta()
    x = family.sample(np.random.default_rng(3), theta, (50, 7))
    y = family.sample(np.random.default_rng(3), theta, (50, 7))
    assert x.shape == (50, 7), f"sample gave shape {x.shape}, not (50, 7)"
    assert np.array_equal(x, y), "sample is not reproducible from the generator"
    assert np.all(np.isfinite(family.logpdf(x, theta))), "a sampled value has zero density"


def check_mle_maximises(family: Family) -> None:
    """The declared closed-form MLE: no point a step away has a higher log-likelihood."""
    theta = family.example_theta()
    x = family.sample(np.random.default_rng(5), theta, (30, 25))
    fixed = family.fixed_values(theta)
    hat = {**fixed, **family.mle(x, fixed, 0.95).estimate}
    best = family.loglik(x, hat)
    for p in family.estimated():
        for step in (1e-3, -1e-3, 0.05, -0.05):
            moved = dict(hat)
            moved[p.name] = hat[p.name] + step * np.maximum(np.abs(hat[p.name]), 1e-2)
            with np.errstate(all="ignore"):
                other = family.loglik(x, moved)
            assert np.all((other <= best + 1e-9) | np.isnan(other)), \
                f"moving {p.name} by {step:+g} (relative) raises the log-likelihood"


def _numerical_scores(family: Family, x: np.ndarray, theta: dict) -> np.ndarray:
    """d logpdf / d theta of each single observation, ``(k, N)``."""
    scores = []
    for p in family.estimated():
        def f(v, idx, nm=p.name):  # elementwise: derivative() passes matching slices of idx
            return family.logpdf(x[idx.astype(np.intp)], {**theta, nm: v})
        res = differentiate.derivative(f, np.full(x.shape, float(theta[p.name])),
                                       args=(np.arange(x.size, dtype=float),),
                                       initial_step=1e-3)
        scores.append(res.df)
    return np.stack(scores)


def check_score(family: Family) -> None:
    """The declared score is the derivative of the declared log-density (to 1e-6
    relative, a numerical derivative's precision)."""
    theta = family.example_theta()
    x = family.sample(np.random.default_rng(7), theta, (20, 5))
    th = {k: np.full(20, float(v)) for k, v in theta.items()}
    declared = family.score(x, th)
    numeric = np.stack([_numerical_scores(family, x[i], theta).sum(axis=1)
                        for i in range(len(x))])
    scale = np.maximum(np.abs(numeric), 1.0)
    assert np.all(np.abs(declared - numeric) <= 1e-6 * scale), \
        "the declared score differs from the derivative of the log-density"


def check_information(family: Family) -> None:
    """E[score] = 0 and E[score score'] = I(theta) of one observation, on 200 000 draws,
    each within 4 Monte Carlo standard errors; the score is the numerical derivative of
    the declared log-density."""
    theta = family.example_theta()
    x = family.sample(np.random.default_rng(6), theta, (200_000, 1))[:, 0]
    s = _numerical_scores(family, x, theta)
    info = family.fisher_information(theta)
    N = x.size
    for i in range(len(s)):
        assert abs(s[i].mean()) < 4 * s[i].std() / np.sqrt(N), "the score's mean is not 0"
        for j in range(len(s)):
            prod = s[i] * s[j]
            assert abs(prod.mean() - info[i, j]) < 4 * prod.std() / np.sqrt(N) + 1e-9, \
                f"I[{i}, {j}] = {info[i, j]:g}, the score's products average {prod.mean():g}"


def family_checks(family: Family | str) -> list[Check]:
    """The checks of one family's own declarations (its estimators': :func:`estimator_checks`)."""
    fam = _family(family)
    out = [Check(f"{fam.name}: sampler", lambda: check_sampler(fam))]
    if fam.has("mle"):
        out.append(Check(f"{fam.name}: closed-form MLE", lambda: check_mle_maximises(fam)))
    if fam.has("score"):
        out.append(Check(f"{fam.name}: score", lambda: check_score(fam)))
    if fam.has_information():
        out.append(Check(f"{fam.name}: Fisher information", lambda: check_information(fam)))
    return out


# --------------------------------------------------------------------------- an estimator
def check_estimator(family: Family, name: str, options: dict | None = None) -> None:
    """Every estimator on a family it applies to: one result per replicate and estimand
    (derived ones by plug-in), finite estimates inside their intervals, the data
    untouched, and the same numbers again for the same data and seeds."""
    theta = family.example_theta()
    cls = estimator_class(name)
    n = max(cls.min_n(family), 30)
    R = 40 if not cls.samples else 4
    x = family.sample(np.random.default_rng(4), theta, (R, n))
    before = x.copy()
    estimands = cls.estimands_for(family)
    seeds = np.arange(R, dtype=np.uint64) + 11
    opts = QUICK.get(name, {}) if options is None else options

    def run():
        return make_estimator(name, opts).fit(family, x, family.fixed_values(theta),
                                              estimands, 0.9, seeds=seeds)

    fits = run()
    assert np.array_equal(x, before), "an estimator must not mutate the data"
    again = run()
    for e in estimands:
        f = fits[e]
        for arr in (f.estimate, f.se, f.ci_low, f.ci_high, f.converged):
            assert arr.shape == (R,), f"{e}: a result of shape {arr.shape}, not ({R},)"
        assert f.converged.all(), f"{e}: fits failed: {set(f.reason[~f.converged])}"
        assert np.all(np.isfinite(f.estimate)) and np.all(f.se >= 0), f"{e}: estimate or se"
        assert np.all(f.ci_low <= f.estimate) and np.all(f.estimate <= f.ci_high), \
            f"{e}: an estimate outside its interval"
        assert np.array_equal(f.estimate, again[e].estimate), f"{e}: not reproducible"
        if cls.samples:  # draws for the PIT, per replicate
            assert f.draws is not None and f.draws.shape[0] == R, f"{e}: no draws"


def estimator_checks(family: Family | str, estimators: Iterable[str] | None = None) -> list[Check]:
    """The contract check of each estimator (default: every one that applies) on ``family``."""
    fam = _family(family)
    names = estimators_for(fam) if estimators is None else list(estimators)
    return [Check(f"{fam.name}: {e}", lambda e=e: check_estimator(fam, e)) for e in names]


def all_checks(family: Family | str, estimators: Iterable[str] | None = None) -> list[Check]:
    fam = _family(family)
    return family_checks(fam) + estimator_checks(fam, estimators)


def check_family(family: Family | str, estimators: Iterable[str] | None = None) -> None:
    """Run every check of ``family`` and of its estimators; AssertionError listing each
    one that failed."""
    failed = []
    for check in all_checks(family, estimators):
        try:
            check()
        except AssertionError as exc:
            failed.append(f"{check.name}: {exc}")
    if failed:
        raise AssertionError("\n".join(failed))


def parametrize_with_checks(families: Iterable[Family | str] | None = None,
                            estimators: Iterable[str] | None = None):
    """A ``pytest.mark.parametrize`` over every check of ``families`` (default: every
    registered family) and their estimators; the test receives ``check`` and calls it."""
    import pytest  # only for test code: pytest is no dependency of the library

    names = family_names() if families is None else list(families)
    checks = [c for f in names for c in all_checks(f, estimators)]
    return pytest.mark.parametrize("check", checks, ids=[c.name for c in checks])
