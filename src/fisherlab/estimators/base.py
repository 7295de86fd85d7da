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
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core.alarm import time_limit
from ..core.labels import estimator_label
from ..families.base import Family, Point, Theta, z_quantile
from ..families.point import blank_reasons


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
    #: sampler warnings per replicate (see :class:`~fisherlab.families.base.Point`):
    #: ``flagged`` (R,) bool, ``flag_reason`` (R,) str, ``flags`` name -> (R,) values
    flagged: np.ndarray | None = None
    flag_reason: np.ndarray | None = None
    flags: dict[str, np.ndarray] | None = None
    #: an optimiser's work per replicate: ``fevals``, ``gevals``, ``hevals`` (R,) each
    evaluations: dict[str, np.ndarray] | None = None


@dataclass(frozen=True)
class Work:
    """An estimator's fit cost relative to its defaults' (``time``) and the posterior
    draws it keeps per replicate and estimand while a chunk is fitted."""

    time: float = 1.0
    kept_draws: int = 0


class Estimator:
    """Base class. Subclasses set ``name``, ``doc``, ``options_schema``, their traits,
    and implement :meth:`applies_to`, :meth:`estimands_for` and :meth:`point`.

    Traits tell the diagnostics what kind of estimator this is; no diagnostic, family
    or report ever tests an estimator's name.
    """

    name: ClassVar[str]
    doc: ClassVar[str] = ""
    #: JSON-Schema ``properties`` of the options a study may pass
    options_schema: ClassVar[dict] = {}
    #: options that change what is estimated, shown in the estimator's label
    label_options: ClassVar[tuple[str, ...]] = ()

    # ---------------------------------------------------------------- traits
    #: a smooth function of sample means: RMSE ~ n^-1/2 in any family (delta method)
    moment_based: ClassVar[bool] = False
    #: the classical unbiased estimator: exact bias 0 for every estimand it reports
    classically_unbiased: ClassVar[bool] = False
    #: uses a prior (its intervals are credible intervals; shrinks towards the prior)
    bayesian: ClassVar[bool] = False
    #: draws random numbers (a sampler): gets one seed per replicate and reports draws
    #: (``EstimandFit.draws``) and sampler warnings (``flagged``, ``flags``)
    samples: ClassVar[bool] = False
    #: maximises the likelihood (its estimate is the peak the likelihood explorer marks)
    maximum_likelihood: ClassVar[bool] = False

    def __init__(self, **options):
        self.options = options

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.options})"

    def option(self, key: str):
        """An option's value: the study's, else the default its schema declares (the one
        place an option's default is written)."""
        if key in self.options:
            return self.options[key]
        return self.options_schema.get(key, {}).get("default")

    def work(self) -> Work:
        """What a fit costs against the cost table's measurement, which was made at this
        estimator's default options (:mod:`fisherlab.plan.prices`): 1 for a point
        estimator; a sampler scales with its draws."""
        return Work()

    def label(self, family: Family | None = None) -> str:
        """What people read: ``map, Beta(2, 2) prior`` (:mod:`fisherlab.core.labels`)."""
        shown = {k: self.options[k] for k in ("prior", *self.label_options)
                 if k in self.options}
        one = family is not None and len(family.estimated()) == 1
        return estimator_label(self.name, shown, one)

    def has_exact_interval(self, family: Family, estimand: str) -> bool:
        """Whether the interval of ``estimand`` is exact at every n (a pivot, or the
        family's declared exact interval), not asymptotic (Wald)."""
        return False

    #: options that may take a list in a study file: each value gives one estimator
    #: (``mle: {method: [newton, bfgs]}`` -> ``mle[newton]``, ``mle[bfgs]``)
    expand_options: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def variants(cls, family: Family, options: dict,
                 interval_methods: list[str]) -> list[tuple[dict, str]]:
        """The estimators one study item stands for: ``(options, id suffix)`` for each
        value of a list-valued :attr:`expand_options` option and each of the study's
        ``interval.method`` values it offers (explicit ``interval`` options win); a
        dimension with one value adds no suffix (``mle[newton][score]``)."""
        dims = [(opt, options[opt]) for opt in cls.expand_options  # (an empty list stays,
                if isinstance(options.get(opt), list) and options[opt]]  # for the schema)
        offered = [m for m in interval_methods if m in cls.interval_methods(family)]
        if "interval" not in options and offered and offered != ["wald"]:
            dims.append(("interval", offered))
        out = [(dict(options), "")]
        for opt, values in dims:
            out = [({**o, opt: v}, sfx + (f"[{v}]" if len(values) > 1 else ""))
                   for o, sfx in out for v in values]
        return out

    @classmethod
    def interval_methods(cls, family: Family) -> tuple[str, ...]:
        """The interval methods a study's ``interval.method`` may choose for this
        estimator on ``family`` (its options' ``interval``); () when it has one kind."""
        return ()

    def sufficient_only(self, family: Family) -> bool:
        """Whether its fit (estimate, SE, interval) depends on a dataset only through
        the family's sufficient statistic, so that its exact coverage and rejection
        rates are sums over that statistic's support
        (:meth:`~fisherlab.families.base.Family.exact_support`)."""
        return False

    def interval_kind(self, family: Family, estimand: str) -> str:
        """What kind of interval it reports for ``estimand``: 'exact', 'wald',
        'likelihood ratio', 'score', 'credible' (the interval table's column)."""
        if self.bayesian:  # a sampler's credible interval, or Laplace's at the mode
            return "credible" if self.samples else "Laplace"
        return "exact" if self.has_exact_interval(family, estimand) else "wald"

    def thresholds(self) -> tuple[float, float]:
        """A sampler's warning thresholds, (largest R-hat, smallest ESS), from its
        options; only estimators that ``samples`` have them."""
        raise NotImplementedError

    def reports_evaluations(self) -> bool:
        """Whether its fits count optimiser evaluations (the estimates then carry the
        columns ``fevals``, ``gevals``, ``hevals``)."""
        return False

    def theoretical_bias(self, family: Family, estimand: str, theta: Theta,
                         n: int) -> float | None:
        """The exact bias E[estimate] - truth at ``theta`` and n, where known (the
        Bessel diagnostic's theory column); None when unknown."""
        return 0.0 if self.classically_unbiased else None

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
        return family.min_n

    def point(self, family: Family, x: np.ndarray, theta_fixed: Theta, level: float,
              **kw) -> Point:
        """Estimates for every dataset (row of ``x``). An estimator that ``samples``
        receives ``seeds``, one integer per replicate
        (:func:`fisherlab.core.seeds.replicate_seeds`)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the shared path
    def fit(self, family: Family, x: np.ndarray, theta_fixed: Theta,
            estimands: tuple[str, ...], level: float,
            seeds: np.ndarray | None = None) -> dict[str, EstimandFit]:
        """Fit every dataset (row of ``x``) and report each requested estimand."""
        R = x.shape[0]
        kw = {"seeds": seeds} if self.samples else {}
        try:
            with np.errstate(all="ignore"):
                pt = self.point(family, x, theta_fixed, level, **kw)
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


def finite_cov(cov) -> bool:
    """Whether every entry of a covariance stack is finite (then a unit gradient's
    g' cov g is its diagonal entry; a NaN or inf elsewhere would spread through 0 * x)."""
    cov = np.asarray(cov)
    return cov.dtype.kind == "f" and bool(np.isfinite(cov).all())


def complete(family: Family, pt: Point, theta_fixed: Theta, estimands: tuple[str, ...],
             level: float, R: int) -> dict[str, EstimandFit]:
    """Fill in derived estimates, delta-method standard errors and Wald intervals."""
    names = [p.name for p in family.estimated()]
    theta_hat = {**theta_fixed, **{k: v for k, v in pt.estimate.items() if k in names}}
    have_all = all(k in pt.estimate for k in names)
    z = z_quantile(level)
    conv = np.ones(R, bool) if pt.converged is None else np.asarray(pt.converged, bool)
    reason = (blank_reasons(R) if pt.reason is None
              else np.asarray(pt.reason, dtype=object))
    iters = np.zeros(R, np.int64) if pt.iterations is None else np.asarray(pt.iterations)
    diagonal = pt.cov is not None and have_all and finite_cov(pt.cov)
    out = {}
    for e in estimands:
        if e in pt.estimate:
            est = np.asarray(pt.estimate[e], dtype=float)
        elif have_all:
            est = family.truth(theta_hat, e)  # invariance: g(theta_hat)
        else:
            raise KeyError(f"estimator gave no estimate of {e!r}")
        # astype copies (the arrays of the fit are not shared); broadcast_to only for a
        # scalar, since its cost on a (R,) array is that of the copy several times over
        est = (est if np.shape(est) == (R,) else np.broadcast_to(est, (R,))).astype(float)
        if e in pt.se:
            se = np.asarray(pt.se[e], dtype=float)
        elif diagonal and e in names:
            # g = e_j: g' cov g is cov_jj exactly (the other terms are exact zeros)
            j = names.index(e)
            se = np.sqrt(pt.cov[..., j, j] + 0.0)  # + 0.0: a -0.0 variance gives 0.0, as there
        elif pt.cov is not None and have_all:
            g = family.estimand_gradient(theta_hat, e)
            se = np.sqrt(np.einsum("...i,...ij,...j->...", g, pt.cov, g))
        else:
            se = np.full(R, np.nan)
        se = (se if np.shape(se) == (R,) else np.broadcast_to(se, (R,))).astype(float)
        if e in pt.interval:
            lo, hi = (np.broadcast_to(np.asarray(v, float), (R,)).copy() for v in pt.interval[e])
        else:
            half = z * se
            lo, hi = est - half, est + half
        finite = np.isfinite(est)
        ok = conv & finite
        # the estimands share the reasons (as they share the iterations) unless one
        # has a reason of its own to add
        why = reason
        if not finite.all():
            bad = conv & ~finite
            if bad.any():
                why = reason.astype(object)  # a copy of its own
                why[bad] = "non-finite estimate"
        draws = None if pt.draws is None else pt.draws.get(e)
        out[e] = EstimandFit(est, se, lo, hi, ok, why, iters, draws,
                             pt.flagged, pt.flag_reason, pt.flags, pt.evaluations)
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
    #: optimiser evaluations, e.g. ``{"fevals": 12, "gevals": 12}``
    evaluations: dict[str, int] | None = None


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


def _time_limit(seconds: float | None):
    """Raise :class:`FitTimeout` inside the block after ``seconds`` (SIGALRM, main thread
    only: :func:`fit_each` also checks the elapsed time afterwards)."""
    return time_limit(seconds, lambda: FitTimeout(
        f"the fit took longer than fit_timeout = {seconds:g} s"))


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
    reason = blank_reasons(R)
    iters = np.zeros(R, np.int64)
    counts: dict[str, np.ndarray] = {}
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
        for nm, v in (f.evaluations or {}).items():
            counts.setdefault(nm, np.zeros(R, np.int64))[i] = v
        bad = [f"{nm}={v}" for nm, v in values.items() if not np.isfinite(v)]
        if bad and f.converged:  # NaN or inf with no reason given: say so
            conv[i], reason[i] = False, "non-finite estimate: " + ", ".join(bad)
    return Point(est, se=se, interval=interval, cov=cov, converged=conv, reason=reason,
                 iterations=iters, evaluations=counts or None)
