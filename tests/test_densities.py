"""fisherlab.core.densities.logpdf gives scipy's numbers, bit for bit."""

import numpy as np
import pytest
from scipy import stats

from fisherlab.core.densities import logpdf

CASES = [  # distribution, shapes (broadcast over replicates), data inside the support
    (stats.norm, (), lambda r, s: r.normal(1.0, 2.0, s)),
    (stats.gamma, (2.5,), lambda r, s: r.gamma(2.5, 1.0, s)),
    (stats.gumbel_r, (), lambda r, s: r.gumbel(0.0, 1.0, s)),
    (stats.weibull_min, (1.7,), lambda r, s: r.weibull(1.7, s)),
    (stats.beta, (2.0, 3.0), lambda r, s: r.beta(2.0, 3.0, s)),
    (stats.t, (4.0,), lambda r, s: r.standard_t(4.0, s)),
    (stats.lognorm, (0.5,), lambda r, s: r.lognormal(0.0, 0.5, s)),
]


@pytest.mark.parametrize("dist,shapes,draw", CASES, ids=[c[0].name for c in CASES])
def test_same_bits_as_scipy(dist, shapes, draw):
    rng = np.random.default_rng(7)
    x = draw(rng, (50, 37))
    loc = rng.normal(0.0, 0.1, (50, 1))
    scale = rng.uniform(0.5, 2.0, (50, 1))
    sh = tuple(np.full((50, 1), v) * rng.uniform(0.9, 1.1, (50, 1)) for v in shapes)
    want = dist.logpdf(x, *sh, loc=loc, scale=scale)
    got = logpdf(dist, x, *sh, loc=loc, scale=scale)
    assert got.shape == want.shape
    assert np.array_equal(got.view(np.int64), want.view(np.int64))
    # scalars, and one dataset as the optimisers pass it
    assert np.array_equal(logpdf(dist, x[0], *shapes, loc=0.1, scale=1.3),
                          dist.logpdf(x[0], *shapes, loc=0.1, scale=1.3))


def test_outside_the_support_or_invalid_falls_back_to_scipy():
    x = np.array([[-1.0, 0.5, 2.0], [np.nan, 1.0, np.inf]])
    for args in [((2.0,), 0.0, 1.0), ((-1.0,), 0.0, 1.0), ((2.0,), 0.0, -1.0),
                 ((2.0,), np.array([[0.0], [0.7]]), np.array([[1.0], [0.0]]))]:
        shapes, loc, scale = args
        want = stats.gamma.logpdf(x, *shapes, loc=loc, scale=scale)
        got = logpdf(stats.gamma, x, *shapes, loc=loc, scale=scale)
        np.testing.assert_array_equal(got, want)
    assert np.array_equal(logpdf(stats.norm, np.arange(3), loc=1.0),
                          stats.norm.logpdf(np.arange(3), loc=1.0))


@pytest.mark.parametrize("dist", [stats.norm, stats.logistic, stats.gumbel_r, stats.cauchy])
def test_whole_line_families_at_the_infinities(dist):
    # no support mask on the whole real line: +-inf must still give scipy's values
    x = np.array([[-np.inf, -3.0, 0.0, 2.5, np.inf]])
    with np.errstate(invalid="ignore"):  # gumbel_r at -inf: inf - inf, in scipy too
        np.testing.assert_array_equal(logpdf(dist, x, loc=0.3, scale=1.7),
                                      dist.logpdf(x, loc=0.3, scale=1.7))
