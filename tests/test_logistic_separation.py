"""Separation in logistic regression: the detector (Konis's linear programs) on hand-made
datasets, the MLE's failed fits, and the share of separated datasets that
logistic_credit claims, established by routes that share nothing with the estimator.

With an intercept and one covariate, a dataset is separated exactly when a threshold on
the covariate splits the classes: every x of one class <= every x of the other
(Albert & Anderson 1984; quasi-complete when the two meet, complete when they do not;
one class empty counts). That check needs no optimiser, and it gives the chance of
separation as a one-dimensional integral: for n independent pairs with covariate density
f and P(y = 1 | x) = p(x), let g0 = f (1 - p), g1 = f p, G their distribution functions
and P1 = G1(inf). Then

    P(every y = 0 below every y = 1, some y = 0) = n int g0(m) (G0(m) + P1 - G1(m))^(n-1) dm

(m is the largest x with y = 0: the other n - 1 pairs are zeros below m or ones above it),
and P(separated) is that plus the same with the classes swapped (all-ones counted once in
each half, all-zeros in the other: together every outcome once).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, special, stats

from fisherlab.estimators import make_estimator
from fisherlab.families.logistic_regression import separation
from fisherlab.families.regression import parts, regression_data
from fisherlab.spec.load import load_study

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "studies" / "logistic_credit.yaml"


def _one_covariate(x, y):
    X = np.stack([np.ones_like(x, dtype=float), np.asarray(x, float)], -1)
    return X, np.asarray(y, float)


def threshold_separated(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether each row (R, n) of one covariate is separated: a threshold splits the
    classes (one class empty counts)."""
    hi0 = np.where(y == 0, x, -np.inf).max(-1)
    lo0 = np.where(y == 0, x, np.inf).min(-1)
    hi1 = np.where(y == 1, x, -np.inf).max(-1)
    lo1 = np.where(y == 1, x, np.inf).min(-1)
    return (hi0 <= lo1) | (hi1 <= lo0)


# ------------------------------------------------------------------ the detector
def test_the_detector_tells_complete_quasi_complete_and_overlapping_data():
    x = np.arange(8.0)
    cases = {  # one covariate
        "complete": (x, x >= 4),
        "complete, one class": (x, np.zeros(8)),
        "quasi-complete": (np.array([0, 1, 2, 3, 3, 4, 5, 6.0]),
                           np.array([0, 0, 0, 0, 1, 1, 1, 1])),
        "": (x, np.array([0, 1, 0, 1, 0, 1, 1, 0])),
    }
    Xs, ys = zip(*(_one_covariate(a, b) for a, b in cases.values()), strict=True)
    kinds = separation(np.stack(Xs), np.stack(ys))
    assert [k or "" for k in kinds] == [k.split(",")[0] for k in cases]


def test_the_detector_in_two_dimensions():
    # y = 1 exactly where x1 + x2 > 0: complete, though neither covariate alone splits
    rng = np.random.default_rng(5)
    z = rng.standard_normal((30, 2))
    z = z[np.abs(z.sum(1)) > 0.1]
    X = np.column_stack([np.ones(len(z)), z])
    y = (z.sum(1) > 0).astype(float)
    assert not threshold_separated(z[:, 0], y) and not threshold_separated(z[:, 1], y)
    # one more x, on the line x1 + x2 = 0, seen with y = 1 and with y = 0: that line
    # still separates weakly, and no line strictly: quasi-complete
    Xq = np.vstack([X, [[1, 0.4, -0.4], [1, 0.4, -0.4]]])
    yq = np.r_[y, 1.0, 0.0]
    # a y = 0 at the centre of the y = 1 points, inside their convex hull: overlapping
    Xo = np.vstack([X, X[y == 1].mean(0)])
    yo = np.r_[y, 0.0]
    kinds = [separation(a[None], b[None])[0] for a, b in ((X, y), (Xq, yq), (Xo, yo))]
    assert kinds == ["complete", "quasi-complete", ""]
    # and all at once, as the estimator calls it, padded to one n
    assert separation(np.zeros((0, 5, 3)), np.zeros((0, 5))).shape == (0,)


def test_the_detector_agrees_with_the_threshold_check_on_the_studys_datasets():
    fam = load_study(STUDY).family
    data = fam.sample(np.random.default_rng(11), {"beta0": -4.0, "beta1": 0.06}, (3000, 10))
    y, X = parts(data)
    assert np.array_equal(separation(X, y) != "", threshold_separated(X[..., 1], y))


# ------------------------------------------------------------------ the MLE
def test_a_separated_dataset_is_a_failed_fit_without_an_estimate():
    from fisherlab.families import get_family

    fam = get_family("logistic_regression")
    x = np.arange(8.0)
    X, y_sep = _one_covariate(x, x >= 4)
    _, y_ok = _one_covariate(x, [0, 1, 0, 1, 0, 1, 1, 0])
    data = regression_data(np.stack([y_sep, y_ok]), np.stack([X, X]))
    f = make_estimator("mle").fit(fam, data, {}, ("beta0", "beta1"), 0.95)
    for e in ("beta0", "beta1"):
        assert list(f[e].converged) == [False, True]
        assert f[e].reason[0] == "complete separation: the MLE does not exist"
        # no estimate rather than IRLS's last iterate (|beta1| in the tens)
        assert np.isnan(f[e].estimate[0]) and np.isfinite(f[e].estimate[1])
        assert np.isnan(f[e].ci_low[0]) and np.isnan(f[e].se[0])


def test_the_mle_fails_on_exactly_the_separated_datasets():
    """Separation is checked only where IRLS did not settle; it misses none."""
    study = load_study(STUDY)
    fam = study.family
    mle = study.estimators[0].estimator
    for n, seed in ((10, 1), (30, 2)):
        data = fam.sample(np.random.default_rng(seed), {"beta0": -4.0, "beta1": 0.06},
                          (4000, n))
        y, X = parts(data)
        f = mle.fit(fam, data, {}, ("beta1",), 0.95)["beta1"]
        assert np.array_equal(~f.converged, threshold_separated(X[..., 1], y)), n


# ------------------------------------------------------------------ the claimed share
def exact_share(n: int, beta0=-4.0, beta1=0.06, loc=50.0, scale=15.0) -> float:
    """P(separated) for n pairs of the design (the integral of the module docstring)."""
    f = stats.norm(loc, scale)
    p = lambda x: special.expit(beta0 + beta1 * x)  # noqa: E731
    g0 = lambda x: f.pdf(x) * (1 - p(x))  # noqa: E731
    g1 = lambda x: f.pdf(x) * p(x)  # noqa: E731
    lo, hi = loc - 12 * scale, loc + 12 * scale
    G = lambda g, m: integrate.quad(g, lo, m, epsabs=1e-15, epsrel=1e-12)[0]  # noqa: E731
    P1 = G(g1, hi)
    a = integrate.quad(lambda m: n * g0(m) * (G(g0, m) + P1 - G(g1, m)) ** (n - 1),
                       lo, hi, epsabs=1e-15, epsrel=1e-10, limit=200)[0]
    b = integrate.quad(lambda m: n * g1(m) * (G(g1, m) + 1 - P1 - G(g0, m)) ** (n - 1),
                       lo, hi, epsabs=1e-15, epsrel=1e-10, limit=200)[0]
    return a + b


def simulated_share(n: int, datasets: int, seed: int) -> float:
    """The share of separated datasets among ``datasets`` drawn with numpy directly
    (income ~ N(50, 15), y ~ Bernoulli(expit(-4 + 0.06 income)))."""
    rng = np.random.default_rng(seed)
    hits, left = 0, datasets
    while left:
        m = min(left, 200_000)
        x = rng.normal(50.0, 15.0, (m, n))
        y = (rng.random((m, n)) < special.expit(-4.0 + 0.06 * x)).astype(float)
        hits += int(threshold_separated(x, y).sum())
        left -= m
    return hits / datasets


def claimed_shares() -> dict[int, float]:
    study = load_study(STUDY)
    return {n: float(c.target) for c in study.claims if c.measure == "failure_rate"
            for n in c.n}


def test_the_study_claims_the_chance_of_separation():
    claimed = claimed_shares()
    assert set(claimed) == {10, 30, 100, 500}
    for n, share in claimed.items():
        exact = exact_share(n)
        # the claim quotes the integral to its digits (0 where it is below 1e-12)
        assert share == pytest.approx(exact, rel=1e-3, abs=1e-12), (n, exact)


@pytest.mark.parametrize("n", [10, 30])
def test_the_claimed_share_is_the_simulated_share(n):
    datasets = 1_000_000
    share = claimed_shares()[n]
    seen = simulated_share(n, datasets, seed=20261203 + n)
    mcse = np.sqrt(share * (1 - share) / datasets)  # 0.00034 at n = 10, 2e-5 at n = 30
    assert abs(seen - share) < 3 * mcse, (seen, share, mcse)
