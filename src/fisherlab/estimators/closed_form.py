"""Estimators with closed forms: maximum likelihood, method of moments, unbiased.

Each is a thin adapter over what the family declares; the statistics live in the
family modules, the shared completion (delta method, Wald) in :mod:`.base`.
"""

from __future__ import annotations

import numpy as np
from scipy import differentiate

from ..core.numerics import safe_inv
from ..families.base import Family, Point
from . import intervals, numeric
from .base import Estimator
from .registry import register
from .sandwich import sandwich_cov


@register
class MLE(Estimator):
    name = "mle"
    doc = ("maximum likelihood (closed form where the family has one, else numeric: "
           "see estimators/numeric.py, or a named optimiser: estimators/optimisers.py); "
           "standard error from the observed information at the optimum; Wald interval "
           "unless the family has an exact one, or likelihood-ratio or score intervals "
           "(estimators/intervals.py)")
    options_schema = {**numeric.OPTIONS_SCHEMA, "se": {
        "default": "model",
        "oneOf": [{"enum": ["model", "sandwich"]},
                  {"type": "array", "items": {"enum": ["model", "sandwich"]},
                   "minItems": 1, "uniqueItems": True}],
        "description": "standard errors (and Wald intervals) from the model's observed "
                       "information, or robust ones from the Huber-White sandwich "
                       "(estimators/sandwich.py), right under a misspecified model too; "
                       "a list gives one estimator each"}}
    label_options = ("method", "interval", "se")
    #: a list of methods gives one estimator per method (an optimiser comparison), a
    #: list of standard errors one per kind (model-based beside sandwich)
    expand_options = ("method", "se")
    maximum_likelihood = True

    @classmethod
    def applies_to(cls, family: Family) -> bool:
        return family.has("mle") or family.has("mle_batched") or family.has("logpdf")

    @classmethod
    def check_options(cls, family: Family, options: dict) -> None:
        methods = options.get("method", "auto")
        if "em" in (methods if isinstance(methods, list) else [methods]) and not family.has(
                "em_step"):
            raise _option_error("method", f"em needs a family that declares an EM step "
                                f"(em_step); {family.name} does not")
        interval = options.get("interval", "wald")
        ses = options.get("se", "model")
        sandwich = "sandwich" in (ses if isinstance(ses, list) else [ses])
        if sandwich and not family.regular:
            raise _option_error("se", f"a sandwich needs a regular likelihood (scores and "
                                f"an information); {family.name} is not regular")
        if sandwich and interval != "wald":
            raise _option_error("se", "sandwich standard errors give Wald intervals; "
                                f"with se: sandwich the interval must be wald, not {interval}")
        if interval != "wald" and interval not in cls.interval_methods(family):
            offered = ", ".join(cls.interval_methods(family)) or "none but its own"
            raise _option_error("interval", f"{interval} intervals are not available for "
                                f"{family.name}; it offers: {offered}")

    @classmethod
    def interval_methods(cls, family: Family) -> tuple[str, ...]:
        if not family.regular:  # the uniform endpoints: their exact pivot only
            return ()
        return (("wald", "likelihood_ratio")
                + (("score",) if family.has("score_interval") else ())
                + (intervals.PROPORTION if family.has("successes") else ()))

    def interval_kind(self, family, estimand):
        method = self.options.get("interval", "wald")
        if method != "wald" and intervals.one_parameter(family, estimand) is not None:
            return intervals.KINDS.get(method, method.replace("_", " "))
        return super().interval_kind(family, estimand)

    def reports_evaluations(self) -> bool:
        return self.options.get("method", "auto") != "auto"

    def closed_form(self, family: Family) -> bool:
        return family.has("mle") and self.options.get("method", "auto") == "auto"

    def theoretical_bias(self, family, estimand, theta, n):
        return family.mle_bias(estimand, theta, n) if self.closed_form(family) else None

    def has_exact_interval(self, family, estimand):
        return (self.closed_form(family) and estimand in family.exact_mle_intervals
                and self.options.get("se", "model") == "model")

    def sufficient_only(self, family):
        # a closed-form MLE of an exponential family, its observed information and every
        # interval method here are functions of the sufficient statistic
        return self.closed_form(family) and family.exponential_family

    def point(self, family, x, theta_fixed, level):
        if not self.closed_form(family):
            pt = numeric.numeric_mle(family, x, theta_fixed, self.options)
        else:
            pt = family.mle(x, theta_fixed, level)
            needs_cov = any(e not in pt.se for e in family.estimands())
            if pt.cov is None and needs_cov and (family.exponential_family
                                                 or family.has("observed_information")):
                theta = {**theta_fixed, **pt.estimate}
                pt.cov = safe_inv(family.observed_information(x, theta))
        if self.options.get("se", "model") == "sandwich":
            names = [p.name for p in family.estimated()]
            theta_hat = {nm: pt.estimate[nm] for nm in names}
            pt.cov = sandwich_cov(family, x, theta_fixed, theta_hat)
            # every standard error from the sandwich (complete() applies the delta method)
            pt.se = {}
            pt.interval = {}
        method = self.options.get("interval", "wald")
        if method != "wald":
            names = [p.name for p in family.estimated()]
            se = {nm: pt.se[nm] if nm in pt.se else np.sqrt(pt.cov[:, j, j])
                  for j, nm in enumerate(names) if nm in pt.se or pt.cov is not None}
            pt.interval.update(intervals.intervals(family, x, theta_fixed, pt.estimate, se,
                                                   method, level))
        return pt


def _option_error(key: str, problem: str) -> ValueError:
    exc = ValueError(problem)
    exc.key, exc.problem = key, problem
    return exc


@register
class MethodOfMoments(Estimator):
    name = "mom"
    doc = ("method of moments: match the first k raw moments; standard error by the delta "
           "method on the sample moments (sandwich), Wald interval")
    moment_based = True
    options_schema = {"jacobian": {
        "default": "auto", "enum": ["auto", "analytic", "numeric"],
        "description": "the delta method's Jacobian of the parameters in the moments: "
                       "the derivatives the family declares beside its moment map "
                       "(analytic; mom_jacobian), scipy.differentiate.jacobian of the "
                       "moment map (numeric), or analytic where the family declares it "
                       "and numeric otherwise (auto). The numeric differences lose "
                       "precision where a moment is near 0 or a step crosses a clip (a "
                       "uniform's variance near 0 at n = 2 gave standard errors 1000x "
                       "too large), and cost ~15 us a dataset"}}
    label_options = ("jacobian",)

    @classmethod
    def applies_to(cls, family: Family) -> bool:
        return family.has("mom_from_moments")

    @classmethod
    def check_options(cls, family: Family, options: dict) -> None:
        if options.get("jacobian") == "analytic" and not family.has("mom_jacobian"):
            raise _option_error("jacobian", f"an analytic Jacobian needs a family that "
                                f"declares mom_jacobian; {family.name} does not")

    def theoretical_bias(self, family, estimand, theta, n):
        return family.mom_bias(estimand, theta, n)

    def point(self, family, x, theta_fixed, level):
        k = family.mom_moments
        n = x.shape[1]
        names = [p.name for p in family.estimated()]
        # sum over each dataset of the centred powers' products (R, k, k); the moments (k, R)
        cross, m = _moment_sums(x, k)

        def h(mm):  # parameters from moments, vectorised: (k, ...) -> (p, ...)
            est = family.mom_from_moments(np.moveaxis(mm, 0, -1), theta_fixed)
            return np.stack([np.asarray(est[nm], float) for nm in names], axis=0)

        estimate = family.mom_from_moments(m.T, theta_fixed)
        # delta method: Cov(theta) = J Cov(m) J' with Cov(m) = Cov(x, x^2, ...)/n
        step = 1e-3 * np.maximum(np.abs(m), 1e-8)
        how = self.option("jacobian")
        if how == "analytic" or (how == "auto" and family.has("mom_jacobian")):
            d = family.mom_jacobian(m.T, theta_fixed)  # per parameter (R, k)
            jac = np.stack([np.moveaxis(np.asarray(d[nm], float), -1, 0) for nm in names])
        else:
            jac = _jacobian(h, m, step, family.name)  # (p, k, R)
        # Cov(m) is estimated from the n observations: undefined (NaN) for n = 1
        cov_m = cross / max(n - 1, 0) / n
        cov = np.einsum("iaR,Rab,jbR->Rij", jac, cov_m, jac)
        return Point(estimate, cov=cov)


#: values of data in one block of :func:`_moment_sums`: its centred powers stay in the
#: processor's cache between their passes
MOMENT_BLOCK = 32768


def _moment_sums(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per dataset of ``x`` (R, n), the sums over its values of the products of its
    centred powers, ``einsum("iRn,jRn->Rij", c, c)`` of :func:`_centred_powers`'s ``c``
    (R, k, k), and the sample moments m (k, R); the same numbers, a block of datasets at
    a time. Whole, the k centred powers of every dataset were k arrays the size of the
    data, each pass over them a pass through memory (at n = 1000 the uniform's fit took
    twice its data's drawing); a block's stay in cache. einsum's sums do not depend on
    the block a dataset is in, but for a block of one dataset beyond 8192 values (its
    own loop, without the dataset axis): no block has one dataset unless ``x`` has."""
    R, n = x.shape
    rows = max(2, MOMENT_BLOCK // max(n, 1))
    cross = np.empty((R, k, k))
    m = np.empty((k, R))
    # one workspace for every block's powers (a new array a block was a fresh mapping
    # of memory, its pages faulted in again: a third of the time)
    work = np.empty(k * min(R, 2 * rows) * n)
    start = 0
    while start < R:
        stop = R if R - start < 2 * rows else start + rows  # the last block: 2 or more
        c, m[:, start:stop] = _centred_powers(
            x[start:stop], k, work[:k * (stop - start) * n].reshape(k, stop - start, n))
        cross[start:stop] = np.einsum("iRn,jRn->Rij", c, c)
        start = stop
    return cross, m


def _centred_powers(x: np.ndarray, k: int, out: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The powers x, x^2, ..., x^k of the datasets ``x`` (R, n) centred at their means
    (k, R, n), and the means, the sample moments m (k, R). For float64 data each power
    is written into its place and centred there: at n = 1000 a pass over the powers
    costs as much as drawing the data, and stacking them copies them all. The numbers
    are those of ``powers = np.stack([x ** (j + 1) ...])``, ``m = powers.mean(-1)``,
    ``powers - m[..., None]``. ``out``: where to write them (float64 data; a contiguous
    (k, R, n) array)."""
    if x.dtype != np.float64:  # counts: their powers are integers until the mean
        powers = np.stack([x ** (j + 1) for j in range(k)], axis=0)
        m = powers.mean(axis=-1)
        return powers - m[..., None], m
    x = np.ascontiguousarray(x)  # each dataset's sum in the order of a copy's
    out = np.empty((k, *x.shape)) if out is None else out
    m = np.empty((k, x.shape[0]))
    m[0] = x.mean(axis=-1)
    np.subtract(x, m[0][:, None], out=out[0])
    for j in range(1, k):
        if j == 1:
            np.multiply(x, x, out=out[1])  # x ** 2 is x * x (numpy's square)
        else:
            out[j] = x ** (j + 1)
        m[j] = out[j].mean(axis=-1)
        out[j] -= m[j][:, None]
    return out, m


#: iterations of the Jacobian's first pass over every dataset (:func:`_jacobian`)
FIRST_PASS = 2
#: families whose datasets mostly needed more than :data:`FIRST_PASS` (this process)
_SLOW_JACOBIAN: set = set()


def _jacobian(h, m, step, family: str) -> np.ndarray:
    """``scipy.differentiate.jacobian(h, m, initial_step=step).df`` with the same bits,
    in two passes. Each dataset's (last axis) entries are their own problem: scipy
    iterates until every entry of every dataset has converged, evaluating ``h`` on all
    of them each time, so a few slow entries (3 of 8000 for the uniform at R = 2000)
    made every dataset pay up to 10 iterations. Every dataset gets
    :data:`FIRST_PASS` iterations; the datasets with an entry not yet converged get the
    whole call again, on them alone. Where most datasets need the second pass (the
    normal's d mu / d m2, a rounding-level zero, never converges), the family gets one
    pass from then on."""
    if family in _SLOW_JACOBIAN:
        return differentiate.jacobian(h, m, initial_step=step).df
    first = differentiate.jacobian(h, m, initial_step=step, maxiter=FIRST_PASS)
    jac = first.df
    again = np.nonzero(np.any(first.status != 0, axis=tuple(range(first.status.ndim - 1))))[0]
    if 2 * len(again) > m.shape[-1]:
        _SLOW_JACOBIAN.add(family)
    if len(again):
        jac[..., again] = differentiate.jacobian(h, m[..., again],
                                                 initial_step=step[..., again]).df
    return jac


@register
class Unbiased(Estimator):
    name = "unbiased"
    doc = ("the classical unbiased estimator where one exists (Bessel's n-1 for the normal "
           "variance, (n-1)/Σx for the exponential rate, the uniform UMVUE, ...), with its "
           "exact interval where the family has one")
    classically_unbiased = True

    @classmethod
    def applies_to(cls, family: Family) -> bool:
        return family.has("unbiased")

    @classmethod
    def min_n(cls, family: Family) -> int:
        return max(family.min_n, family.unbiased_min_n)

    def has_exact_interval(self, family, estimand):
        return estimand in family.exact_unbiased_intervals

    @classmethod
    def estimands_for(cls, family: Family) -> tuple[str, ...]:
        return family.unbiased_estimands

    def point(self, family, x, theta_fixed, level):
        pt = family.unbiased(x, theta_fixed, level)
        missing = [e for e in pt.estimate if e not in pt.se]
        names = [p.name for p in family.estimated()]
        if missing and all(nm in pt.estimate for nm in names) and family.has_information():
            # Wald from the expected information at the estimate
            theta = {**theta_fixed, **{nm: pt.estimate[nm] for nm in names}}
            pt.cov = safe_inv(x.shape[1] * family.fisher_information(theta))
        return pt
