"""The generic fallbacks behind two family hooks: the score and the Fisher information.

:meth:`Family.score <fisherlab.families.base.Family.score>` and
:meth:`Family.information <fisherlab.families.base.Family.information>` come here when a
family declares no closed form; no family module repeats them.

* :func:`numerical_score`: d loglik / d theta of each dataset by
  ``scipy.differentiate.derivative``, in each parameter's unconstrained coordinate u
  (log, logit, identity: see :class:`~fisherlab.families.base.Param`), so that no step
  leaves the domain, then by the chain rule dl/dtheta = (dl/du) / (dtheta/du).
* :func:`expected_information`: I(theta) = E[s s'] for ONE observation, s its score,
  from (in this order) the family's declared closed form; numerical integration of
  s s' f over the family's declared :meth:`support` (``scipy.integrate.tanhsinh``,
  continuous families: every ``scipy.<name>``); else Monte Carlo, the mean of s s' over
  :data:`MC_DRAWS` draws at theta (a fixed seed) with its relative Monte Carlo standard
  error stated in the source (``Monte Carlo (±0.3%)``). A non-regular family (the
  uniform endpoints) has no Fisher information.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import differentiate, integrate

#: draws of the Monte Carlo information and its seed (the same value every run)
MC_DRAWS = 200_000
MC_SEED = 20_261_214
#: relative tolerance the quadrature aims at, and the largest relative error it accepts
#: (an integrable singularity at an end of the support, such as a gamma shape below 1,
#: may stop short of the aim); beyond that it falls back to Monte Carlo
QUAD_RTOL = 1e-8
QUAD_ACCEPT = 1e-5

CLOSED_FORM = "closed form"
QUADRATURE = "numerical integration (tanh-sinh)"


@dataclass(frozen=True)
class Information:
    """The expected information of one observation, ``(k, k)`` (or ``(..., k, k)`` for a
    closed form at arrays of theta), where it comes from, and its relative precision
    (its error over sqrt(I_aa I_bb), the largest over the entries; 0 for a closed form)."""

    matrix: np.ndarray
    source: str
    rel_error: float = 0.0
    #: the error of each entry (the Monte Carlo standard error, the quadrature's
    #: estimate); None for a closed form
    error: np.ndarray | None = None


# --------------------------------------------------------------------------- the score
def numerical_score(family, x, theta) -> np.ndarray:
    """The gradient ``(R, k)`` of each dataset's log-likelihood (rows of ``x``) over the
    estimated parameters, at ``theta`` (floats or ``(R,)`` arrays)."""
    R = x.shape[0]
    th = {k: np.broadcast_to(np.asarray(v, float).reshape(-1) if np.ndim(v) else
                             np.asarray(v, float), (R,)) for k, v in theta.items()}
    idx = np.arange(R, dtype=float)
    out = np.empty((R, len(family.estimated())))
    for j, p in enumerate(family.estimated()):
        with np.errstate(all="ignore"):
            u0 = p.to_unconstrained(th[p.name])

        def f(u, i, p=p):  # elementwise in u: derivative() passes matching slices of i
            i = i.astype(np.intp)
            cols = {k: v[i][..., None] for k, v in th.items()}
            cols[p.name] = p.from_unconstrained(u)[..., None]
            return family.logpdf(x[i], cols).sum(axis=-1)

        with np.errstate(all="ignore"):
            res = differentiate.derivative(f, u0, args=(idx,))
            out[:, j] = np.asarray(res.df) / p.jacobian(u0)
    return out


# --------------------------------------------------------------------------- information
_CACHE: dict = {}


def expected_information(family, theta) -> Information:
    """I(theta) of one observation (module docstring); NotImplementedError where there is
    none (a non-regular family; a numeric information at arrays of theta)."""
    if family.has("fisher_information"):
        return Information(np.asarray(family.fisher_information(theta), float), CLOSED_FORM)
    if not family.regular:
        raise NotImplementedError("a non-regular family has no Fisher information")
    names = [p.name for p in family.params]
    if any(np.ndim(theta[k]) for k in names):
        raise NotImplementedError("a numerical information needs one value of theta")
    th = {k: float(theta[k]) for k in names}
    key = (type(family), tuple(th.items()))
    if key not in _CACHE:
        try:
            support = family.support(th)
        except NotImplementedError:
            support = None
        info = quadrature_information(family, th, support) if support else None
        _CACHE[key] = info if info is not None else monte_carlo_information(family, th)
    return _CACHE[key]


def quadrature_information(family, theta: dict, support) -> Information | None:
    """E[s s'] = ∫ s(x) s(x)' f(x) dx over ``support`` by ``scipy.integrate.tanhsinh``,
    one integral per entry (upper triangle); None when the quadrature's error estimate
    stays above :data:`QUAD_ACCEPT` (the caller then samples)."""
    k = len(family.estimated())
    upper = np.triu_indices(k)

    def integrand(x, i, j):
        shape = np.broadcast_shapes(x.shape, i.shape)
        xf = np.broadcast_to(x, shape).reshape(-1, 1)
        th = {name: np.full(xf.shape[0], v) for name, v in theta.items()}
        with np.errstate(all="ignore"):
            s = numerical_score(family, xf, th)
            dens = np.exp(family.logpdf(xf[:, 0], theta))
        rows = np.arange(xf.shape[0])
        ii = np.broadcast_to(i, shape).reshape(-1).astype(np.intp)
        jj = np.broadcast_to(j, shape).reshape(-1).astype(np.intp)
        val = s[rows, ii] * s[rows, jj] * dens
        # far in a tail the density underflows to 0 where the score may not be finite
        return np.where(dens > 0, val, 0.0).reshape(shape)

    lo, hi = (float(v) for v in support)
    half = np.isfinite(lo) != np.isfinite(hi)
    if half:  # x = lo + e^t (or hi - e^t): a singularity at the finite end (a gamma shape
        # below 1) becomes a smooth, exponentially decaying tail that tanh-sinh integrates
        # to full precision
        end, sign = (lo, 1.0) if np.isfinite(lo) else (hi, -1.0)
        plain = integrand

        def integrand(t, i, j):
            e = np.exp(t)
            return plain(end + sign * e, i, j) * e

        lo, hi = -np.inf, np.inf
    info = np.empty((k, k))
    err = np.empty((k, k))
    # the diagonal to a relative tolerance; then each off-diagonal entry (often exactly
    # 0, where no relative tolerance is reached) to that tolerance of sqrt(I_ii I_jj)
    d = np.arange(k, dtype=float)
    res = integrate.tanhsinh(integrand, lo, hi, args=(d, d), rtol=QUAD_RTOL)
    ok = bool(np.all(np.isfinite(res.integral))
              and np.all(res.error <= QUAD_ACCEPT * np.abs(res.integral)))
    info[d.astype(int), d.astype(int)] = res.integral
    err[d.astype(int), d.astype(int)] = res.error
    for i, j in zip(*upper, strict=True):
        if i == j or not ok:
            continue
        tol = QUAD_RTOL * float(np.sqrt(abs(info[i, i] * info[j, j])))
        r = integrate.tanhsinh(integrand, lo, hi, args=(float(i), float(j)), atol=tol,
                               rtol=QUAD_RTOL)
        ok = bool(np.isfinite(r.integral)) and float(r.error) <= QUAD_ACCEPT / QUAD_RTOL * tol
        info[i, j] = info[j, i] = r.integral
        err[i, j] = err[j, i] = r.error
    if not ok:
        return None
    return Information(info, QUADRATURE, _relative(err, info), err)


def monte_carlo_information(family, theta: dict, draws: int = MC_DRAWS,
                            seed: int = MC_SEED) -> Information:
    """The mean of s s' over ``draws`` single observations at ``theta``, with its
    relative Monte Carlo standard error (the largest over the entries)."""
    rng = np.random.default_rng(seed)
    x = family.sample(rng, theta, (draws, 1))
    with np.errstate(all="ignore"):
        s = family.score(x, {k: np.full(draws, v) for k, v in theta.items()})
    if not np.all(np.isfinite(s)):
        raise NotImplementedError("the score is not finite at some draws")
    outer = s[:, :, None] * s[:, None, :]
    info = outer.mean(axis=0)
    se = outer.std(axis=0, ddof=1) / np.sqrt(draws)
    rel = _relative(se, info)
    return Information(info, f"Monte Carlo (±{100 * rel:.2g}%)", rel, se)


def _relative(err: np.ndarray, info: np.ndarray) -> float:
    d = np.sqrt(np.abs(np.diag(info)))
    return float(np.max(err / np.outer(d, d)))
