"""Exact coverage and rejection rates of a discrete family, beside the simulated ones.

Where the family declares the support of its sufficient statistic
(:meth:`~fisherlab.families.base.Family.exact_support`: Bernoulli and binomial k =
0..N, Poisson truncated where each tail's mass is below 1e-14) and the estimator's fit
depends on a dataset only through that statistic (its ``sufficient_only`` trait), one
dataset per support point, fitted once, gives every replicate the estimator could
produce: the exact coverage is the sum of the probabilities of the points whose
interval covers the truth, and a test's exact rejection rate that of the points where
it rejects (Brown, Cai & DasGupta 2001, who show how far a simulated coverage alone
can mislead). Fits that fail or intervals that are not finite are left out of both
sums and the rest renormalised, as the simulated coverage leaves them out.
"""

from __future__ import annotations

import numpy as np


def support(study, theta: dict, n: int, estimator) -> tuple[np.ndarray, np.ndarray] | None:
    """The support datasets and their probabilities, or None where the sum does not
    apply (no support declared, a truth drawn per replicate, a fit that uses more)."""
    fam = study.family
    if not (fam.has("exact_support") and estimator.sufficient_only(fam)):
        return None
    if any(p.name not in theta for p in fam.params):
        return None
    return fam.exact_support(theta, n)


def exact_coverage(study, spec, theta: dict, n: int, estimand: str,
                   truth: float) -> float:
    """The exact coverage of ``spec``'s interval for ``estimand`` at ``theta`` and n;
    NaN where it is not known."""
    est = spec.estimator
    found = support(study, theta, n, est)
    if found is None:
        return float("nan")
    x, prob = found
    fam = study.family
    fit = est.fit(fam, x, fam.fixed_values(theta), (estimand,), study.level)[estimand]
    ok = fit.converged & np.isfinite(fit.ci_low) & np.isfinite(fit.ci_high)
    covers = ok & (fit.ci_low <= truth) & (truth <= fit.ci_high)
    return float(prob[covers].sum() / prob[ok].sum()) if prob[ok].sum() > 0 else float("nan")


def z_from_exact(value: float, exact: float, S: int) -> float:
    """How many of its MCSEs a simulated share is from the exact one: the binomial MCSE
    at the exact value, sqrt(e (1 - e) / S) (at the observed share it would be 0 when
    every interval covered); 0 for a share equal to an exact 0 or 1."""
    if not np.isfinite(exact):
        return float("nan")
    mcse = np.sqrt(exact * (1 - exact) / S)
    diff = value - exact
    if mcse == 0:
        return 0.0 if diff == 0 else float(np.sign(diff) * np.inf)
    return float(diff / mcse)
