"""What an estimator is, and the one generic completion step every estimator shares.

Like scikit-learn: constructing an estimator only stores its options; ``fit`` returns
a value and mutates nothing. An estimator produces a :class:`~fisherlab.families.Point`
for a batch of datasets; :meth:`Estimator.fit` completes it into one
:class:`EstimandFit` per estimand:

* derived estimands by invariance (plug-in g(theta_hat));
* missing standard errors by the delta method, se(g) = sqrt(grad' Cov grad);
* missing intervals as Wald intervals, estimate -/+ z_{1-alpha/2} se;
* replicates with non-finite estimates flagged ``converged=False`` with a reason;
* an exception in the estimator marks every replicate of the batch failed with its
  message, instead of stopping the job.

The per-dataset path, :func:`fit_each`, also records as failures a fit that raises,
returns a non-finite estimate, or runs longer than the study's ``fit_timeout`` (set
for a block of code with :func:`fit_timeout`), each with its reason.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..families.base import Family, Point, Theta, z_quantile


@dataclass
class EstimandFit:
    """Per-replicate results for one estimand, each an array of shape ``(R,)``."""

    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    converged: np.ndarray
    reason: np.ndarray
    iterations: np.ndarray
    #: posterior draws ``(R, chain, draw)`` where the estimator samples (PIT, keep_draws)
    draws: np.ndarray | None = None


class Estimator:
    """Base class. Subclasses set ``name``, ``doc``, ``options_schema`` and implement
    :meth:`applies_to`, :meth:`estimands_for` and :meth:`point`."""

    name: ClassVar[str]
    doc: ClassVar[str] = ""
    #: JSON-Schema ``properties`` of the options a study may pass
    options_schema: ClassVar[dict] = {}

    def __init__(self, **options):
        self.options = options

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.options})"

    @classmethod
    def applies_to(cls, family: Family) -> bool:
        raise NotImplementedError

    @classmethod
    def estimands_for(cls, family: Family) -> tuple[str, ...]:
        """Estimands this estimator can report for ``family``."""
        return family.estimands()

    @classmethod
    def check_options(cls, family: Family, options: dict) -> None:
        """Checks of ``options`` beyond their JSON Schema; raise ValueError (with optional
        ``key`` and ``problem`` attributes) and the loader names file and key."""

    @classmethod
    def min_n(cls, family: Family) -> int:
        return max(family.min_n, family.estimator_min_n.get(cls.name, 0))

    def point(self, family: Family, x: np.ndarray, theta_fixed: Theta, level: float) -> Point:
        raise NotImplementedError

    # ------------------------------------------------------------------ the shared path
    def fit(self, family: Family, x: np.ndarray, theta_fixed: Theta,
            estimands: tuple[str, ...], level: float) -> dict[str, EstimandFit]:
        """Fit every dataset (row of ``x``) and report each requested estimand."""
        R = x.shape[0]
        try:
            with np.errstate(all="ignore"):
                pt = self.point(family, x, theta_fixed, level)
                return complete(family, pt, theta_fixed, estimands, level, R)
        except Exception as exc:  # noqa: BLE001 - a failed fit is recorded, never fatal
            return {e: failed(R, failure_reason(exc)) for e in estimands}


def failure_reason(exc: BaseException) -> str:
    """The ``reason`` recorded for a fit that raised: exception type and message."""
    return f"{type(exc).__name__}: {exc}".replace("\n", " ")[:300]


def failed(R: int, reason: str) -> EstimandFit:
    nan = np.full(R, np.nan)
    return EstimandFit(nan, nan.copy(), nan.copy(), nan.copy(), np.zeros(R, bool),
                       np.full(R, reason, dtype=object), np.zeros(R, np.int64))


def safe_inv(mat: np.ndarray) -> np.ndarray:
    """Inverse of a stack of square matrices; an infinite 1x1 information gives variance 0
    (a boundary estimate such as p_hat = 0), a singular matrix gives NaN."""
    if mat.shape[-1] == 1:
        with np.errstate(divide="ignore"):
            return 1.0 / mat
    out = np.full_like(mat, np.nan, dtype=float)
    ok = np.all(np.isfinite(mat), axis=(-2, -1))
    if mat.shape[-1] == 2:  # [[a, b], [c, d]]^-1 = [[d, -b], [-c, a]] / (ad - bc): 4x faster
        a, b, c, d = mat[..., 0, 0], mat[..., 0, 1], mat[..., 1, 0], mat[..., 1, 1]
        with np.errstate(all="ignore"):
            det = a * d - b * c
            ok &= det != 0
            adj = np.stack([np.stack([d, -b], -1), np.stack([-c, a], -1)], -2)
            inv = adj / det[..., None, None]
        out[ok] = inv[ok]
        return out
    if ok.any():
        try:
            out[ok] = np.linalg.inv(mat[ok])
        except np.linalg.LinAlgError:
            for i in np.flatnonzero(ok):
                try:
                    out[i] = np.linalg.inv(mat[i])
                except np.linalg.LinAlgError:
                    pass
    return out


def positive_definite(mat: np.ndarray) -> np.ndarray:
    """Whether each symmetric matrix of a stack is positive definite (False if not finite):
    Sylvester's criterion in closed form for 1x1 and 2x2, eigenvalues otherwise."""
    k = mat.shape[-1]
    finite = np.all(np.isfinite(mat), axis=(-2, -1))
    m = np.where(finite[..., None, None], mat, 0.0)
    if k == 1:
        return finite & (m[..., 0, 0] > 0)
    if k == 2:
        det = m[..., 0, 0] * m[..., 1, 1] - m[..., 0, 1] * m[..., 1, 0]
        return finite & (m[..., 0, 0] > 0) & (det > 0)
    return finite & np.all(np.linalg.eigvalsh(0.5 * (m + np.swapaxes(m, -1, -2))) > 0, axis=-1)


def complete(family: Family, pt: Point, theta_fixed: Theta, estimands: tuple[str, ...],
             level: float, R: int) -> dict[str, EstimandFit]:
    """Fill in derived estimates, delta-method standard errors and Wald intervals."""
    names = [p.name for p in family.estimated()]
    theta_hat = {**theta_fixed, **{k: v for k, v in pt.estimate.items() if k in names}}
    have_all = all(k in pt.estimate for k in names)
    z = z_quantile(level)
    conv = np.ones(R, bool) if pt.converged is None else np.asarray(pt.converged, bool)
    reason = (np.full(R, "", dtype=object) if pt.reason is None
              else np.asarray(pt.reason, dtype=object))
    iters = np.zeros(R, np.int64) if pt.iterations is None else np.asarray(pt.iterations)
    out = {}
    for e in estimands:
        if e in pt.estimate:
            est = np.asarray(pt.estimate[e], dtype=float)
        elif have_all:
            est = family.truth(theta_hat, e)  # invariance: g(theta_hat)
        else:
            raise KeyError(f"estimator gave no estimate of {e!r}")
        est = np.broadcast_to(est, (R,)).astype(float)
        if e in pt.se:
            se = np.asarray(pt.se[e], dtype=float)
        elif pt.cov is not None and have_all:
            g = family.estimand_gradient(theta_hat, e)
            se = np.sqrt(np.einsum("...i,...ij,...j->...", g, pt.cov, g))
        else:
            se = np.full(R, np.nan)
        se = np.broadcast_to(se, (R,)).astype(float)
        if e in pt.interval:
            lo, hi = (np.broadcast_to(np.asarray(v, float), (R,)).copy() for v in pt.interval[e])
        else:
            lo, hi = est - z * se, est + z * se
        ok = conv & np.isfinite(est)
        why = np.where(conv & ~np.isfinite(est), "non-finite estimate", reason)
        draws = None if pt.draws is None else pt.draws.get(e)
        out[e] = EstimandFit(est, se, lo, hi, ok, why.astype(object), iters, draws)
    return out


@dataclass
class OneFit:
    """What a per-dataset fitter returns for one dataset."""

    estimate: dict[str, float]
    se: dict[str, float] | None = None
    interval: dict[str, tuple[float, float]] | None = None
    cov: np.ndarray | None = None
    converged: bool = True
    reason: str = ""
    iterations: int = 0


class FitTimeout(Exception):
    """One fit ran longer than the study's ``fit_timeout``."""


#: seconds one per-dataset fit may take (None: no limit); set with :func:`fit_timeout`
_FIT_TIMEOUT: ContextVar[float | None] = ContextVar("fit_timeout", default=None)


@contextlib.contextmanager
def fit_timeout(seconds: float | None):
    """Limit every per-dataset fit made by :func:`fit_each` inside this block."""
    token = _FIT_TIMEOUT.set(float(seconds) if seconds else None)
    try:
        yield
    finally:
        _FIT_TIMEOUT.reset(token)


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Raise :class:`FitTimeout` inside the block after ``seconds`` (SIGALRM).

    A signal handler runs between Python bytecodes, so a long call into C returns
    first; :func:`fit_each` also checks the elapsed time afterwards, which is all it can
    do off the main thread, where no signal is delivered.
    """
    if (seconds is None or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return

    def _alarm(signum, frame):
        raise FitTimeout(f"the fit took longer than fit_timeout = {seconds:g} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    t0 = time.monotonic()
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if outer:  # someone else's timer was running: give it back what is left of it
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - t0), 1e-3))


def fit_each(fit_one, datasets, names: list[str], k: int | None = None) -> Point:
    """The general (non-batched) path: call ``fit_one(dataset_i) -> OneFit`` for each
    dataset and stack the results into one :class:`Point`.

    A fit that raises, returns a non-finite estimate, or exceeds the ``fit_timeout``
    in force is recorded as failed with its reason; the other datasets go on.
    ``names`` are the estimands every fit reports; ``k`` the number of estimated
    parameters when fits return ``cov``.
    """
    R = len(datasets)
    est = {nm: np.full(R, np.nan) for nm in names}
    se: dict[str, np.ndarray] = {}
    interval: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    cov = np.full((R, k, k), np.nan) if k else None
    conv = np.zeros(R, bool)
    reason = np.full(R, "", dtype=object)
    iters = np.zeros(R, np.int64)
    limit = _FIT_TIMEOUT.get()
    for i in range(R):
        try:
            t0 = time.perf_counter()
            with _time_limit(limit):
                f = fit_one(datasets[i])
            if limit is not None and time.perf_counter() - t0 > limit:
                raise FitTimeout(f"the fit took longer than fit_timeout = {limit:g} s")
            values = {nm: float(v) for nm, v in f.estimate.items()}
        except Exception as exc:  # noqa: BLE001 - a failed fit is recorded, never fatal
            reason[i] = failure_reason(exc)
            continue
        for nm, v in values.items():
            est.setdefault(nm, np.full(R, np.nan))[i] = v
        for nm, v in (f.se or {}).items():
            se.setdefault(nm, np.full(R, np.nan))[i] = v
        for nm, (lo, hi) in (f.interval or {}).items():
            a, b = interval.setdefault(nm, (np.full(R, np.nan), np.full(R, np.nan)))
            a[i], b[i] = lo, hi
        if cov is not None and f.cov is not None:
            cov[i] = f.cov
        conv[i], reason[i], iters[i] = f.converged, f.reason, f.iterations
        bad = [f"{nm}={v}" for nm, v in values.items() if not np.isfinite(v)]
        if bad and f.converged:  # NaN or inf with no reason given: say so
            conv[i], reason[i] = False, "non-finite estimate: " + ", ".join(bad)
    return Point(est, se=se, interval=interval, cov=cov, converged=conv, reason=reason,
                 iterations=iters)
