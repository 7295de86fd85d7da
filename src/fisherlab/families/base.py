"""What a distribution family declares, and the generic fallbacks for what it leaves out.

A family is declared once, in its own module, as a subclass of :class:`Family`
registered with :func:`fisherlab.families.register`. It states its parameters with
their domains, a vectorised sampler, the log-density, and, where they exist, its
closed-form MLE, method of moments, classical unbiased estimators, per-observation
Fisher information and derived estimands. Every estimator in
:mod:`fisherlab.estimators` works from these declarations only.

Conventions
-----------
* ``x`` is an array of shape ``(R, n)``: R datasets (replicates) of n observations.
* ``theta`` is a mapping from parameter name to a float or an array that broadcasts
  against the replicate axis, i.e. shape ``(R,)``.
* Estimator outputs are :class:`Point` objects: estimates per estimand, of shape ``(R,)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
from scipy import special

from .fallbacks import expected_information, numerical_score
from .params import Derived, Param, Space, Theta
from .point import Point

__all__ = ["Derived", "Family", "Param", "Point", "Space", "Theta", "z_quantile"]


class Family:
    """Base class of a distribution family. Subclasses set the class attributes and
    override what they know; the base class supplies generic fallbacks."""

    name: ClassVar[str]
    doc: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]]
    #: smallest sample size for which the estimators are defined
    min_n: ClassVar[int] = 1
    #: derived estimands, by name
    derived: ClassVar[tuple[Derived, ...]] = ()
    #: number of raw moments the method of moments matches (0: no method of moments)
    mom_moments: ClassVar[int] = 0
    #: the MLE of this family is regular (RMSE ~ n^-1/2); the uniform endpoints are not
    regular: ClassVar[bool] = True
    #: observations are counts (integer support): every estimate is a function of a
    #: lattice-valued statistic, so its distribution has steps (normality uses K², not KS)
    discrete: ClassVar[bool] = False
    #: estimands for which the family declares a classical unbiased estimator
    unbiased_estimands: ClassVar[tuple[str, ...]] = ()
    #: smallest n of the classical unbiased estimators where larger than ``min_n``
    unbiased_min_n: ClassVar[int] = 0
    #: for a full-rank exponential family the observed information at the MLE equals
    #: n times the expected information at the MLE (the term with the score vanishes)
    exponential_family: ClassVar[bool] = False
    #: how the family is declared: "registered" (by name, in its own module), "scipy"
    #: (any scipy.stats distribution, :mod:`.scipy_dist`) or "python" (a user's own
    #: model, :mod:`.python_family`); the cost table prices the last two by kind
    kind: ClassVar[str] = "registered"
    #: where one observation lives (:class:`~.params.Space`), whatever the parameters:
    #: what a study's ``fit_model`` is checked against (a Poisson cannot fit values
    #: below 0); None where the family cannot say (a user's own model)
    space: ClassVar[Space | None] = Space()

    # ----------------------------------------------------------------- declarations
    @classmethod
    def estimated(cls) -> tuple[Param, ...]:
        """The parameters estimators target (design constants excluded)."""
        return tuple(p for p in cls.params if p.estimated)

    @classmethod
    def fixed_values(cls, theta: Mapping) -> Theta:
        """The design constants' values in ``theta`` (e.g. the binomial's trials): the
        ``theta_fixed`` that estimators, sufficient statistics and likelihoods take."""
        return {p.name: theta[p.name] for p in cls.params if not p.estimated}

    def columns(self) -> int:
        """Values per observation (a regression's y and its covariates): what a dataset
        of n observations holds is n times this."""
        return 1

    @classmethod
    def param(cls, name: str) -> Param:
        return next(p for p in cls.params if p.name == name)

    @classmethod
    def estimands(cls) -> tuple[str, ...]:
        """Every estimand this family can report: its estimated parameters, then derived."""
        return tuple(p.name for p in cls.estimated()) + tuple(d.name for d in cls.derived)

    @classmethod
    def default_estimands(cls) -> tuple[str, ...]:
        return tuple(p.name for p in cls.estimated())

    @classmethod
    def example_theta(cls) -> dict[str, float]:
        """Ordinary parameter values (the middle of each typical range), for tests and docs."""
        out = {}
        for p in cls.params:
            mid = (p.typical[0] + p.typical[1]) / 2
            out[p.name] = int(round(mid)) if p.integer else float(mid)
        return out

    @classmethod
    def check_theta(cls, theta: Mapping[str, float]) -> None:
        """Cross-parameter constraints (e.g. uniform lower < upper); raise ValueError."""

    # ----------------------------------------------------------------- required
    def sample(self, rng: np.random.Generator, theta: Theta, size: tuple[int, int]) -> np.ndarray:
        """Draw ``size = (R, n)`` observations; one dataset per row."""
        raise NotImplementedError

    def logpdf(self, x: np.ndarray, theta: Theta) -> np.ndarray:
        """Elementwise log-density (log-mass) of ``x`` under ``theta`` (broadcasting)."""
        raise NotImplementedError

    def loglik(self, x: np.ndarray, theta: Theta) -> np.ndarray:
        """Log-likelihood of each dataset (row of ``x``); theta values are ``(R,)``."""
        cols = {k: np.asarray(v, dtype=float)[..., None] for k, v in theta.items()}
        return self.logpdf(x, cols).sum(axis=-1)

    # ----------------------------------------------------------------- optional
    def sufficient(self, x: np.ndarray, theta_fixed: Theta) -> np.ndarray:
        """Per-dataset sufficient statistics ``(R, s)`` of the datasets ``x`` ``(R, n)``
        (exponential families), with whatever else :meth:`loglik_sufficient` needs to give
        the exact log-likelihood: n, the base measure's sum, the count of values outside
        the support (the fixed values, e.g. the binomial's trials, may enter both).
        Declared together with :meth:`loglik_sufficient`; the likelihood-ratio interval
        search computes them once per chunk
        (:class:`fisherlab.estimators.intervals.Datasets`) and then evaluates hundreds of
        likelihoods in O(1) per dataset."""
        raise NotImplementedError

    def loglik_sufficient(self, t: np.ndarray, theta: Theta) -> np.ndarray:
        """``loglik(x, theta)`` from ``t = sufficient(x, theta_fixed)`` (``(..., s)``); the
        theta values (the fixed ones included) are shaped like ``t[..., 0]``."""
        raise NotImplementedError

    def outside_support(self, t: np.ndarray) -> np.ndarray:
        """How many values of each dataset lie outside the support, from ``t =
        sufficient(x, theta_fixed)``: its last column, by the convention of every declared
        :meth:`sufficient`."""
        return t[..., -1]

    def truth(self, theta: Theta, estimand: str) -> np.ndarray:
        """The true value of an estimand under ``theta``."""
        for d in self.derived:
            if d.name == estimand:
                return np.asarray(d.fn(theta), dtype=float)
        return np.asarray(theta[estimand], dtype=float)

    def mle(self, x: np.ndarray, theta_fixed: Theta, level: float) -> Point:
        """Closed-form maximum likelihood; raise NotImplementedError when there is none."""
        raise NotImplementedError

    def mom_from_moments(self, m: np.ndarray, theta_fixed: Theta) -> dict[str, np.ndarray]:
        """Method of moments: parameters from the first ``mom_moments`` raw moments,
        ``m[..., j] = mean(x**(j+1))``."""
        raise NotImplementedError

    def mom_jacobian(self, m: np.ndarray, theta_fixed: Theta) -> dict[str, np.ndarray]:
        """The derivatives of :meth:`mom_from_moments`: per estimated parameter an array
        ``(..., mom_moments)`` of d parameter / d m_j, for the method of moments' delta
        method (taken by default where declared; without it, or with ``jacobian:
        numeric``, the moment map is differentiated numerically)."""
        raise NotImplementedError

    def unbiased(self, x: np.ndarray, theta_fixed: Theta, level: float) -> Point:
        """Classical unbiased estimators, where they exist (Bessel's correction, ...)."""
        raise NotImplementedError

    def fisher_information(self, theta: Theta) -> np.ndarray:
        """Expected information of ONE observation, ``(..., k, k)`` over the estimated
        parameters in declared order. Declare the closed form where there is one; the
        default computes it (:meth:`information`)."""
        return self.information(theta).matrix

    def information(self, theta: Theta):
        """I(theta) of one observation and where it comes from, an
        :class:`~.fallbacks.Information`: the declared closed form, else numerical
        integration of the squared score over the declared :meth:`support`, else Monte
        Carlo with its precision; NotImplementedError for a non-regular family."""
        return expected_information(self, theta)

    def support(self, theta: Theta) -> tuple[float, float]:
        """The support ``(low, high)`` of one continuous observation at ``theta``;
        optional (it lets :meth:`information` integrate instead of sampling)."""
        raise NotImplementedError

    def observed_information(self, x: np.ndarray, theta: Theta) -> np.ndarray:
        """Observed information ``-d^2 loglik`` of each dataset at ``theta``, ``(R, k, k)``.

        Default for exponential families, valid at the MLE only: there the observed
        information equals n I(theta_hat), because the second-derivative terms that
        differ between the two are multiplied by the score, which is zero.
        """
        if not self.exponential_family:
            raise NotImplementedError
        return x.shape[-1] * self.information_at_mle(theta)

    def information_at_mle(self, theta: Theta) -> np.ndarray:
        """Fisher's information per observation as the default :meth:`observed_information`
        takes it for standard errors at an MLE: :meth:`fisher_information`, unless a
        family computes it more cheaply to the accuracy a standard error needs (gamma
        and beta: their trigammas by differences, to 2.5e-10 relative)."""
        return self.fisher_information(theta)

    def pseudo_true(self, expect, theta_fixed: Theta) -> dict[str, float]:
        """The parameters of this family closest in Kullback-Leibler divergence to
        another distribution, argmax E[log f(X; theta)], in closed form from its
        expectations: ``expect(g)`` is E[g(X)] for a vectorised g. Optional; without it
        :func:`fisherlab.families.pseudo_true.pseudo_true` maximises numerically."""
        raise NotImplementedError

    # ----------------------------------------------------------------- numeric MLE hooks
    # (see fisherlab.estimators.numeric: what a family leaves out falls back to
    # scipy.optimize on unconstrained parameters and a numerical Hessian)
    def start(self, x, theta_fixed: Theta) -> dict[str, np.ndarray]:
        """Starting values ``(R,)`` per estimated parameter for numeric MLE; default the
        method of moments when declared, else the middle of each typical range."""
        R = x.shape[0]
        if self.mom_moments:
            m = np.stack([np.mean(x ** (j + 1), axis=1) for j in range(self.mom_moments)], -1)
            est = self.mom_from_moments(m, theta_fixed)
            return {p.name: np.asarray(est[p.name], float) for p in self.estimated()}
        return {p.name: np.full(R, 0.5 * (p.typical[0] + p.typical[1]))
                for p in self.estimated()}

    def score(self, x, theta: Theta) -> np.ndarray:
        """Gradient of each dataset's log-likelihood, ``(R, k)`` over the estimated
        parameters. Declare it analytically where you can (``has("score")``: numeric MLE
        then uses it); the default differentiates :meth:`loglik` numerically
        (:func:`~.fallbacks.numerical_score`)."""
        return numerical_score(self, x, theta)

    def loglik_score(self, x, theta: Theta) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`loglik` and :meth:`score` of each dataset at once, ``((R,), (R, k))``,
        theta values ``(R,)``; the same numbers as the two apart. Optional: a family whose
        log-density and score share most of their work (a mixture's component densities)
        declares it, and the profile likelihood's optimiser, which asks for both at every
        step, then computes that work once (:mod:`fisherlab.estimators.intervals`)."""
        return self.loglik(x, theta), self.score(x, theta)

    def em_step(self, x, theta: Theta, theta_fixed: Theta) -> tuple[dict, np.ndarray]:
        """One EM iteration (E-step, M-step) for every replicate at once: the new
        estimates ``(R,)`` per estimated parameter, and each dataset's log-likelihood at
        ``theta`` (the E-step computes it); optional (``mle: {method: em}``)."""
        raise NotImplementedError

    def score_interval(self, x, theta_fixed: Theta, level: float) -> dict[str, tuple]:
        """Intervals from inverting the score test in closed form (Wilson for a
        proportion), ``estimand -> (low (R,), high (R,))``; optional
        (``interval: {method: score}``)."""
        raise NotImplementedError

    def successes(self, x, theta_fixed: Theta) -> tuple[np.ndarray, int]:
        """``(k (R,), N)``: successes in N trials, for a family whose one estimated
        parameter ``p`` is a proportion; optional: declaring it offers the
        Agresti–Coull, Jeffreys and Clopper–Pearson intervals (:mod:`.proportion`)."""
        raise NotImplementedError

    def exact_wald_rejection(self, estimand: str, theta: Theta, n: int, null: float,
                             sides: str, level: float) -> float:
        """The exact rejection rate of the closed-form MLE's Wald test of
        ``estimand = null`` where a formula gives it (the normal mean: a noncentral t);
        optional, NotImplementedError where there is none."""
        raise NotImplementedError

    def exact_support(self, theta: Theta, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``(x (K, n), prob (K,))``: one dataset of n observations for each value of
        the sufficient statistic with its probability under ``theta`` (probabilities
        summing to 1 within :data:`TAIL_MASS`); optional, for a discrete family. An
        estimator that depends on the data through that statistic alone then has exact
        coverage and rejection rates: sums of ``prob`` where its interval covers or its
        test rejects (Brown, Cai & DasGupta 2001)."""
        raise NotImplementedError

    def mle_batched(self, x, theta_fixed: Theta, *, tol: float, maxiter: int,
                    starts: int) -> Point:
        """Numeric MLE of all replicates at once (batched Newton, IRLS, EM); optional.
        Must report ``converged``/``reason``/``iterations`` per replicate."""
        raise NotImplementedError

    def configure(self, design: Mapping | None) -> Family:
        """This family specialised by a study's ``model.design`` (regression covariates,
        fixed parameters, ...); raise ValueError for a design it does not accept."""
        if design:
            raise ValueError(f"the {self.name} family takes no design")
        return self

    # ----------------------------------------------------------------- PyMC form
    def pymc_likelihood(self, theta: Mapping, x: np.ndarray, theta_fixed: Theta):
        """Add this family's likelihood to the current ``pm.Model`` context; optional.

        ``theta`` maps each estimated parameter to its PyMC variable (the prior),
        ``theta_fixed`` holds design constants as floats, ``x`` is ONE dataset ``(n,)``
        used as the initial data. Create the data as ``pm.Data("x", ...)`` with the
        dtype of the support and one observed variable, and return the data variable:
        the Bayesian estimators (:mod:`fisherlab.estimators.bayes`) compile the model
        once and then feed each replicate through it.
        """
        raise NotImplementedError

    def pymc_sufficient_likelihood(self, theta: Mapping, t: np.ndarray, theta_fixed: Theta):
        """:meth:`pymc_likelihood` of R datasets from their sufficient statistics; optional,
        with :meth:`sufficient`.

        ``t = sufficient(x, theta_fixed)`` is ``(R, s)``; ``theta`` maps each estimated
        parameter to a PyMC variable of shape ``(R,)``, one coordinate per dataset. Create the
        statistics as ``pm.Data("t", ...)``, observe them through PyMC distributions
        whose joint density, as a function of theta, is the datasets' likelihood up to a
        factor free of theta (Fisher-Neyman factorisation, so the posterior is the same),
        and return the data variable. The posterior estimator's joint sampler
        (:class:`fisherlab.estimators.samplers.NutpieJoint`) then evaluates a block's
        log-density and gradient in O(1) per replicate, not O(n). It never feeds rows
        with values :meth:`outside_support` (they go to :meth:`pymc_likelihood`).
        tests/test_bayes.py checks every declaring family: the two log-densities differ
        by a constant in theta and their gradients agree.
        """
        raise NotImplementedError

    def pymc_data(self, x: np.ndarray) -> np.ndarray:
        """The datasets as the plain float array ``pymc_likelihood`` takes as ``pm.Data``;
        the identity, except for structured data (regression: y and X packed)."""
        return x

    # ----------------------------------------------------------------- theory
    def mle_bias(self, estimand: str, theta: Theta, n: int) -> float | None:
        """The exact bias of the closed-form MLE of ``estimand`` at ``theta`` and n,
        where the family knows it (the Bessel diagnostic's theory column); else None."""
        return None

    def mom_bias(self, estimand: str, theta: Theta, n: int) -> float | None:
        """The exact bias of the method of moments, where known; else None."""
        return None

    #: estimands whose ``unbiased`` interval is exact (t, chi-square, gamma, pivot)
    exact_unbiased_intervals: ClassVar[tuple[str, ...]] = ()
    #: estimands whose closed-form MLE interval is exact (the uniform's pivot)
    exact_mle_intervals: ClassVar[tuple[str, ...]] = ()

    # ----------------------------------------------------------------- capabilities
    @classmethod
    def has(cls, method: str) -> bool:
        """Whether the family overrides ``method`` (i.e. declares it)."""
        own = getattr(cls, method, None)
        base = getattr(Family, method, None)
        return own is not None and own is not base

    @classmethod
    def has_information(cls) -> bool:
        """Whether the family declares its Fisher information (regular families)."""
        return cls.has("fisher_information")

    def estimand_gradient(self, theta: Theta, estimand: str) -> np.ndarray:
        """d estimand / d theta over the estimated parameters, ``(..., k)``."""
        names = [p.name for p in self.estimated()]
        if estimand in names:
            ref = np.asarray(theta[names[0]], dtype=float)
            g = np.zeros(ref.shape + (len(names),))
            g[..., names.index(estimand)] = 1.0
            return g
        d = next(d for d in self.derived if d.name == estimand)
        return np.asarray(d.grad(theta), dtype=float)

    def crlb(self, theta: Theta, estimand: str, n: int) -> np.ndarray:
        """Cramér–Rao lower bound for an unbiased estimator of ``estimand`` from n
        observations: grad' I(theta)^{-1} grad / n."""
        info = self.fisher_information(theta)
        g = self.estimand_gradient(theta, estimand)
        return np.einsum("...i,...ij,...j->...", g, np.linalg.inv(info), g) / n


#: an exact support is truncated where the tail mass left out is below this
TAIL_MASS = 1e-14


def z_quantile(level: float) -> float:
    """Two-sided normal quantile for a confidence level."""
    return float(special.ndtri(0.5 + level / 2))  # the normal quantile, without rv overhead
