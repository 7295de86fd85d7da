"""Likelihood-ratio and score intervals, and the profile log-likelihood they rest on.

A study chooses them with ``interval: {level: 0.95, method: [wald, likelihood_ratio,
score]}`` (each method a row of its own: ``mle[likelihood_ratio]``, ...).

* **Profile log-likelihood** of one estimated parameter psi, the others (lambda)
  maximised: ``l_p(psi) = max_lambda l(psi, lambda)`` (:func:`profile`). One parameter:
  l itself. One nuisance parameter: ``scipy.optimize.elementwise.bracket_minimum`` and
  ``find_minimum`` on every replicate at once, in lambda's unconstrained coordinate.
  More: ``scipy.optimize.minimize`` per replicate, started at the MLE, with the
  family's analytic score as its gradient where declared (BFGS).
* **Likelihood-ratio interval** ``{psi: 2 (l(theta_hat) - l_p(psi)) <= chi2_1(level)}``
  (:func:`lr_intervals`): each endpoint is a root of that difference minus the
  quantile, found by ``scipy.optimize.elementwise.find_root`` (Chandrupatla) for every
  parameter, side and replicate at once, in psi's unconstrained coordinate, between the
  MLE and a far point (:data:`FAR` standard errors, at most :data:`FAR_U` on that
  scale). A side on which the likelihood never drops that far ends at the domain's
  bound (p_hat = 0 gives [0, upper]).
* **Score intervals** invert the score test; where that is a closed form the family
  declares it (:meth:`~fisherlab.families.base.Family.score_interval`: Wilson for a
  proportion, the Poisson rate).
* **Agresti–Coull, Jeffreys and Clopper–Pearson** intervals of a proportion, for a
  family that declares its successes in trials
  (:meth:`~fisherlab.families.base.Family.successes`;
  :mod:`fisherlab.families.proportion`).
* A derived estimand that is a function of one parameter (sigma2 = sigma^2, mean =
  1/rate, prob_zero = e^-lam) gets that parameter's endpoints mapped through it (a
  monotone map keeps the likelihood-ratio and score sets); any other keeps its Wald
  interval (:func:`one_parameter`).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats
from scipy.optimize import elementwise

from ..families import proportion
from ..families.base import Family, Theta

#: the interval methods of a proportion (a family that declares ``successes``)
PROPORTION = tuple(proportion.METHODS)
#: the interval methods an MLE can report
METHODS = ("wald", "likelihood_ratio", "score", *PROPORTION)
#: how the coverage table names an interval method's kind (else its name, spaced)
KINDS = {"agresti_coull": "Agresti–Coull", "jeffreys": "Jeffreys",
         "clopper_pearson": "Clopper–Pearson"}
#: the far point of the endpoint search: FAR Wald standard errors from the MLE, on the
#: unconstrained scale, at most FAR_U there for a log or logit (e^40: the boundary)
FAR = 40.0
FAR_U = 40.0
#: an MLE on its boundary (p_hat = 0) starts the search from this unconstrained value
#: (a bounded parameter's only: a parameter on the real line has no boundary)
EDGE_U = 30.0


class Datasets:
    """The datasets ``(R, n)`` of an interval search, with the family's sufficient
    statistics (:meth:`~fisherlab.families.base.Family.sufficient`) computed once where
    it declares them: each of the search's many log-likelihood evaluations is then
    O(1) per dataset instead of O(n)."""

    def __init__(self, family: Family, x, theta_fixed: Theta):
        self.x = np.asarray(x)
        self.shape = self.x.shape
        self.t = family.sufficient(self.x, theta_fixed) if family.has("sufficient") else None


def loglik_at(family: Family, x, theta_fixed: Theta, values: dict, rows) -> np.ndarray:
    """l(theta) of the datasets ``x[rows]`` at parameter ``values`` shaped like ``rows``;
    ``x`` an array or :class:`Datasets`."""
    rows = np.asarray(rows).astype(np.intp)
    th = {k: np.asarray(v, float) for k, v in theta_fixed.items()}
    if isinstance(x, Datasets) and x.t is not None:
        th.update({k: np.asarray(v, float) for k, v in values.items()})
        with np.errstate(all="ignore"):
            return family.loglik_sufficient(x.t[rows], th)
    th.update({k: np.asarray(v, float)[..., None] for k, v in values.items()})
    x = x.x if isinstance(x, Datasets) else x
    with np.errstate(all="ignore"):
        return family.logpdf(x[rows], th).sum(axis=-1)


def profile(family: Family, x, theta_fixed: Theta, theta_hat: dict, name: str, psi,
            rows) -> tuple[np.ndarray, dict]:
    """``l_p(psi)`` at ``psi`` for the datasets ``x[rows]`` (arrays of one shape), and
    the maximising nuisance values; ``theta_hat`` ``(R,)`` per parameter starts them."""
    rows = np.asarray(rows).astype(np.intp)
    psi = np.asarray(psi, float)
    others = [p for p in family.estimated() if p.name != name]
    if not others:
        return loglik_at(family, x, theta_fixed, {name: psi}, rows), {}
    if len(others) == 1:
        q = others[0]
        with np.errstate(all="ignore"):
            v0 = q.to_unconstrained(np.asarray(theta_hat[q.name], float)[rows])

        def neg(v, ps, r):
            ll = loglik_at(family, x, theta_fixed, {name: ps, q.name: q.from_unconstrained(v)},
                           r)
            return np.where(np.isfinite(ll), -ll, np.inf)

        ok = np.isfinite(v0) & np.isfinite(psi)
        v0 = np.where(ok, v0, 0.0)
        args = (psi, rows.astype(float))
        br = elementwise.bracket_minimum(neg, v0, args=args)
        res = elementwise.find_minimum(neg, br.bracket, args=args)
        good = ok & np.asarray(br.success) & np.isfinite(res.f_x)
        v = np.where(good, res.x, np.nan)
        return np.where(good, -res.f_x, np.nan), {q.name: q.from_unconstrained(v)}
    return _profile_each(family, x, theta_fixed, theta_hat, name, others, psi, rows)


def _profile_each(family, x, theta_fixed, theta_hat, name, others, psi, rows):
    """More than one nuisance parameter: scipy.optimize.minimize per element."""
    lp = np.full(psi.shape, np.nan)
    nuis = {q.name: np.full(psi.shape, np.nan) for q in others}
    # BFGS with the family's analytic score where declared (else finite differences)
    analytic = family.has("score")
    # the log-likelihood and score in one pass where the family shares their work, and
    # its log-likelihood is the one of loglik_at (no sufficient statistics)
    both = family.has("loglik_score") and getattr(x, "t", None) is None
    xs = x.x if isinstance(x, Datasets) else np.asarray(x)
    t = x.t if isinstance(x, Datasets) else None
    names = [p.name for p in family.estimated()]
    idx = np.array([names.index(q.name) for q in others])
    # the optimiser calls these closures tens of thousands of times: what does not
    # change from call to call (the fixed values' arrays, a dataset's rows) is built once
    # per element, and the warnings of a likelihood evaluated far out are silenced once,
    # around each minimisation, rather than per call
    fixed = {k: np.asarray(v, float) for k, v in theta_fixed.items()}
    if t is None:
        fixed_cols = {k: v[..., None] for k, v in fixed.items()}
    for pos in np.ndindex(psi.shape):
        r = int(rows[pos])
        with np.errstate(all="ignore"):
            u0 = np.array([q.to_unconstrained(theta_hat[q.name][r]) for q in others])
        if not (np.isfinite(psi[pos]) and np.all(np.isfinite(u0))):
            continue
        ps = psi[pos]

        if t is not None:  # as loglik_at from sufficient statistics
            tr = t[np.array(r)]
            th0 = {**fixed, name: np.asarray(np.array(ps), float)}

            def neg(u, tr=tr, th0=th0):
                th = th0.copy()
                for j, q in enumerate(others):
                    th[q.name] = np.asarray(q.from_unconstrained(u[j]), float)
                ll = float(family.loglik_sufficient(tr, th))
                return -ll if np.isfinite(ll) else np.inf
        else:  # as loglik_at from the data
            xr = xs[np.array(r)]
            th0 = {**fixed_cols, name: np.asarray(np.array(ps), float)[..., None]}

            def neg(u, xr=xr, th0=th0):
                th = th0.copy()
                for j, q in enumerate(others):  # (1,) each, as loglik_at's [..., None]
                    th[q.name] = q.from_unconstrained(u[j:j + 1])
                ll = float(family.logpdf(xr, th).sum(axis=-1))
                return -ll if np.isfinite(ll) else np.inf

        # theta of one dataset, as the score takes it
        one0 = {**theta_fixed, name: np.array([ps])}
        x1 = xs[r:r + 1]

        def one(u, one0=one0):  # (the transforms on u's one-element slices: (1,) each)
            th = one0.copy()
            for j, q in enumerate(others):
                th[q.name] = q.from_unconstrained(u[j:j + 1])
            return th

        def chain(g, u):  # d/du of -l from the score g in theta (the chain rule)
            return -g * np.concatenate([q.jacobian(u[j:j + 1]) for j, q in enumerate(others)])

        def grad(u, x1=x1):  # the family's score
            return chain(family.score(x1, one(u))[0][idx], u)

        def neg_grad(u, x1=x1):  # both from one pass (BFGS asks for both)
            ll, g = family.loglik_score(x1, one(u))
            ll = float(ll[0])
            return (-ll if np.isfinite(ll) else np.inf), chain(g[0][idx], u)

        gradient_free = len(u0) > 6
        with np.errstate(all="ignore"):
            if gradient_free or not analytic:
                res = optimize.minimize(neg, u0,
                                        method="Nelder-Mead" if gradient_free else "BFGS")
            else:
                res = optimize.minimize(*((neg_grad, u0) if both else (neg, u0)),
                                        method="BFGS", jac=True if both else grad)
        if np.isfinite(res.fun):
            lp[pos] = -res.fun
            for j, q in enumerate(others):
                nuis[q.name][pos] = q.from_unconstrained(res.x[j])
    return lp, nuis


def lr_intervals(family: Family, x, theta_fixed: Theta, theta_hat: dict, level: float,
                 se: dict | None = None, names=None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The likelihood-ratio interval of every estimated parameter (or of ``names``),
    ``(low, high)`` ``(R,)`` each (NaN where the MLE is missing). ``se``: Wald standard
    errors per parameter, which scale the search."""
    R = x.shape[0]
    rows = np.arange(R)
    q = float(stats.chi2.ppf(level, 1))
    # every l(theta) below from sufficient statistics, if declared
    x = Datasets(family, x, theta_fixed)
    l_hat = loglik_at(family, x, theta_fixed, theta_hat, rows)
    params = [p for p in family.estimated() if names is None or p.name in names]
    # the search's elements: every parameter x side x replicate whose MLE is finite, all
    # searched at once (each element's search is its own, so the numbers are those of one
    # search at a time; the elementwise solvers' cost is mostly per call, not per element)
    which, side, row, u_start, far = [], [], [], [], []
    for a, p in enumerate(params):
        with np.errstate(all="ignore"):
            u_hat = p.to_unconstrained(theta_hat[p.name])
            if p.kind() != "identity":  # a boundary MLE (p_hat = 0) starts just inside;
                # a value on the real line is never on a boundary (mu = 255 stays 255)
                u_hat = np.clip(u_hat, -EDGE_U, EDGE_U)
            s = (np.asarray(se[p.name], float) / p.jacobian(u_hat) if se and p.name in se
                 else np.full(R, np.nan))
        # FAR_U caps a log or logit scale (e^40 is the boundary); a parameter on the real
        # line is measured in its own units, so only its standard errors scale the search
        step = np.where(np.isfinite(s) & (s > 0),
                        FAR * s if p.kind() == "identity" else np.minimum(FAR * s, FAR_U),
                        FAR_U)
        idx = np.flatnonzero(np.isfinite(u_hat) & np.isfinite(l_hat))
        for sign in (-1.0, 1.0):
            which.append(np.full(idx.size, a))
            side.append(np.full(idx.size, sign))
            row.append(idx)
            u_start.append(u_hat[idx])
            far.append(u_hat[idx] + sign * step[idx])
    which, side, row, u_start, far = (np.concatenate(v) if v else np.zeros(0)
                                      for v in (which, side, row, u_start, far))
    which, row = which.astype(np.intp), row.astype(np.intp)

    # find_root evaluates its bracket's ends again (the MLE on both sides, the far
    # point just computed); where each profile value is an optimisation of its own
    # (more than one nuisance parameter, :func:`_profile_each`) those are looked up,
    # by parameter, row and the exact u, instead of optimised again: the same numbers
    memo = {} if len(family.estimated()) > 2 else None

    def profile_at(p, u, r):
        psi = p.from_unconstrained(u)
        if memo is None:
            return profile(family, x, theta_fixed, theta_hat, p.name, psi, r)[0]
        keys = list(zip([p.name] * r.size, r.tolist(), u.view(np.int64).tolist(),
                        strict=True))
        new = np.array([k not in memo for k in keys], bool)
        found, _ = profile(family, x, theta_fixed, theta_hat, p.name, psi[new], r[new])
        memo.update(zip([k for k, n in zip(keys, new, strict=True) if n], found.tolist(),
                        strict=True))
        return np.array([memo[k] for k in keys], float)

    def f(u, e):
        e = e.astype(np.intp)
        lp = np.empty(np.shape(u))
        for a in np.unique(which[e]):
            m = which[e] == a
            lp[m] = profile_at(params[a], u[m], row[e[m]])
        d = 2.0 * (l_hat[row[e]] - lp) - q
        # beyond the support (or numerically so) the likelihood is 0: far above
        return np.minimum(np.where(np.isfinite(d), d, np.inf), 1e6)

    ends = np.full(which.size, np.nan)
    if which.size:
        e = np.arange(which.size)
        cross = f(far, e.astype(float)) > 0
        bound = np.array([(p.low, p.high) for p in params])[which, (side > 0).astype(int)]
        ends[~cross] = bound[~cross]  # the likelihood never drops far enough
        j = e[cross]
        if j.size:
            lo = np.where(side[j] > 0, u_start[j], far[j])
            hi = np.where(side[j] > 0, far[j], u_start[j])
            res = elementwise.find_root(f, (lo, hi), args=(j.astype(float),))
            for a, p in enumerate(params):
                m = which[j] == a
                ends[j[m]] = np.where(res.success[m], p.from_unconstrained(res.x[m]), np.nan)
    out = {}
    for a, p in enumerate(params):
        low, high = np.full(R, np.nan), np.full(R, np.nan)
        for sign, end in ((-1.0, low), (1.0, high)):
            m = (which == a) & (side == sign)
            end[row[m]] = ends[m]
        out[p.name] = (low, high)
    return out


def one_parameter(family: Family, estimand: str) -> str | None:
    """The one estimated parameter a derived estimand depends on (None for several)."""
    names = [p.name for p in family.estimated()]
    if estimand in names:
        return estimand
    theta = family.example_theta()
    g = np.asarray(family.estimand_gradient(theta, estimand), float)
    used = np.flatnonzero(np.abs(g) > 0)
    return names[int(used[0])] if used.size == 1 else None


def map_derived(family: Family, found: dict, theta_hat: dict,
                estimands) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``found`` (parameter intervals) with the derived estimands that depend on one
    parameter added: that parameter's endpoints mapped through the derived function."""
    out = dict(found)
    for e in estimands:
        base = one_parameter(family, e)
        if e in out or base is None or base not in found:
            continue
        lo, hi = found[base]
        with np.errstate(all="ignore"):
            a = np.asarray(family.truth({**theta_hat, base: lo}, e), float)
            b = np.asarray(family.truth({**theta_hat, base: hi}, e), float)
        out[e] = (np.fmin(a, b), np.fmax(a, b))
    return out


def intervals(family: Family, x, theta_fixed: Theta, estimate: dict, se: dict,
              method: str, level: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The ``method`` intervals ('likelihood_ratio' or 'score') of every estimand they
    cover, around the MLE ``estimate`` (every estimated parameter, ``(R,)`` each)."""
    theta_hat = {p.name: np.asarray(estimate[p.name], float) for p in family.estimated()}
    if method == "score":
        found = family.score_interval(x, theta_fixed, level)
    elif method in PROPORTION:
        k, N = family.successes(x, theta_fixed)
        found = {"p": proportion.METHODS[method](k, N, level)}
    else:
        found = lr_intervals(family, x, theta_fixed, theta_hat, level, se)
    return map_derived(family, found, {**theta_fixed, **theta_hat}, family.estimands())
