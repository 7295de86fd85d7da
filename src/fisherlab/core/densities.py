"""scipy.stats log-densities without their per-call bookkeeping, same numbers.

``scipy.stats.<dist>.logpdf`` checks its arguments, marks the points outside the
support, compresses the valid ones into new arrays (``argsreduce``) and scatters the
results back (``np.place``). On the arrays of a fit (an optimiser's or EM's many calls on
one dataset or a batch) that bookkeeping costs more than the density: 65% of
``norm.logpdf`` on a dataset of 100. :func:`logpdf` computes the same expression,
``dist._logpdf((x - loc) / scale, *shapes) - log(scale)``, on the arrays as they are when
every argument is valid and every point inside the support, and otherwise calls scipy's
``logpdf`` itself. The arithmetic is scipy's, element by element, so the numbers are
the same bits (tests/test_densities.py compares them).
"""

from __future__ import annotations

import functools

import numpy as np


def logpdf(dist, x, *shapes, loc=0.0, scale=1.0, z=None) -> np.ndarray:
    """``dist.logpdf(x, *shapes, loc=loc, scale=scale)`` for a continuous
    ``scipy.stats`` distribution ``dist``, with scipy's numbers. ``z``: ``(x - loc) /
    scale``, where the caller has computed it already for its own use (a score)."""
    x, loc, scale = np.asarray(x), np.asarray(loc), np.asarray(scale)
    if x.dtype != np.float64 or not np.all(scale > 0):
        return dist.logpdf(x, *shapes, loc=loc, scale=scale)
    shapes = tuple(np.asarray(s) for s in shapes)
    z = (x - loc) / scale if z is None else np.asarray(z)
    with np.errstate(invalid="ignore"):
        ok = np.all(dist._argcheck(*shapes)) if shapes else True  # noqa: SLF001
        ok = ok and not np.isnan(z).any() and (
            _whole_line(dist, shapes) or np.all(dist._support_mask(z, *shapes)))  # noqa: SLF001
    if not ok:
        return dist.logpdf(x, *shapes, loc=loc, scale=scale)
    out = dist._logpdf(z, *shapes) - np.log(scale)  # noqa: SLF001
    shape = np.broadcast_shapes(z.shape, *(s.shape for s in shapes), scale.shape)
    return out if out.shape == shape else np.broadcast_to(out, shape).copy()


def _whole_line(dist, shapes) -> bool:
    """Whether ``dist`` (without shape parameters) lives on the whole real line: then
    its support mask (closed: ±inf are inside it too) holds for every non-NaN z, and its
    three passes over the data (a fifth of an EM step on the normal) say nothing."""
    return not shapes and _unbounded(dist)


@functools.cache
def _unbounded(dist) -> bool:
    # once per distribution: asking scipy costs as much as the mask on a small dataset
    a, b = dist._get_support()  # noqa: SLF001
    return bool(np.isneginf(a) and np.isposinf(b))
