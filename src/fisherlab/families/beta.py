"""Beta(alpha, beta) on (0, 1); no closed-form MLE.

Score per observation (Johnson, Kotz & Balakrishnan, ch. 25):
``ψ(a+b) - ψ(a) + mean(log x)`` and ``ψ(a+b) - ψ(b) + mean(log(1-x))``. The Beta is
a full-rank exponential family in (a, b), so the observed information equals n times
the expected one, ``[[ψ'(a) - ψ'(a+b), -ψ'(a+b)], [-ψ'(a+b), ψ'(b) - ψ'(a+b)]]``, and
the log-likelihood is strictly concave: Newton's method from Johnson and Kotz's
closed-form approximation (from ψ(a) ≈ log(a - 1/2)), corrected once by that
approximation's error at its first answer, with step halving to stay
inside the domain and to ascend, converges for every replicate; it runs on all
replicates at once, on the sufficient statistics mean(log x) and mean(log(1-x)) alone,
its trigammas from differences of the digamma (see :func:`_score_information`).
Method of moments:
c = m(1-m)/v - 1, a = m c, b = (1-m) c.
"""

import numpy as np
from scipy import special, stats

from ..core import densities
from ..core.numerics import solve_2x2_symmetric, trigamma
from .base import Family, Param, Point, Space
from .point import blank_reasons
from .registry import register


@register
class Beta(Family):
    name = "beta"
    space = Space(0.0, 1.0)
    doc = "proportions in (0, 1) with shapes `alpha` and `beta`"
    params = (
        Param("alpha", 0.0, typical=(0.5, 5.0), doc="first shape a"),
        Param("beta", 0.0, typical=(0.5, 5.0), doc="second shape b"),
    )
    min_n = 2
    mom_moments = 2
    exponential_family = True

    def sample(self, rng, theta, size):
        return rng.beta(theta["alpha"], theta["beta"], size=size)

    def logpdf(self, x, theta):
        # scipy's numbers without its per-call bookkeeping (the profile likelihood
        # evaluates thousands of small arrays)
        return densities.logpdf(stats.beta, x, theta["alpha"], theta["beta"])

    def score(self, x, theta):
        a, b = (np.asarray(theta[p], float) for p in ("alpha", "beta"))
        n = x.shape[-1]
        dab = special.digamma(a + b)
        return np.stack([n * (dab - special.digamma(a)) + np.log(x).sum(-1),
                         n * (dab - special.digamma(b)) + np.log1p(-x).sum(-1)], -1)

    def mom_from_moments(self, m, theta_fixed):
        v = m[..., 1] - m[..., 0] ** 2
        c = m[..., 0] * (1.0 - m[..., 0]) / v - 1.0
        return {"alpha": m[..., 0] * c, "beta": (1.0 - m[..., 0]) * c}

    def mom_jacobian(self, m, theta_fixed):
        m1 = m[..., 0]
        v = m[..., 1] - m1 ** 2  # d v / d m1 = -2 m1, d v / d m2 = 1
        c = m1 * (1.0 - m1) / v - 1.0
        dc1 = (1.0 - 2 * m1) / v + 2 * m1 ** 2 * (1.0 - m1) / v ** 2
        dc2 = -m1 * (1.0 - m1) / v ** 2
        return {"alpha": np.stack([c + m1 * dc1, m1 * dc2], -1),
                "beta": np.stack([-c + (1.0 - m1) * dc1, (1.0 - m1) * dc2], -1)}

    def mle_batched(self, x, theta_fixed, *, tol, maxiter, starts):
        R = x.shape[0]
        # the two log sums through one (R, n) buffer: a second temporary of the data's
        # size (log1p(-x) holds -x and its log at once) costs more than the log1p itself
        # where the allocator hands it fresh pages
        buf = np.log(x)
        la = buf.mean(axis=1)
        lb = np.log1p(np.negative(x, out=buf), out=buf).mean(axis=1)
        del buf
        fin = np.isfinite(la) & np.isfinite(lb)
        # start: Johnson & Kotz's closed form from psi(p) ~ log(p - 1/2), within ~10% for
        # shapes above 1 and free (the method of moments needs another pass over x)...
        with np.errstate(all="ignore"):
            a, b = _johnson_kotz(la, lb)
            bad = ~(np.isfinite(a) & np.isfinite(b) & (a > 0) & (b > 0))
            a[bad] = b[bad] = 1.0
            # ...then once more with the approximation's error r(p) = psi(p) - log(p - 1/2),
            # which varies slowly, taken at that start out of the statistics (one digamma
            # call): within ~0.3% for shapes above 1, which saves a Newton step
            p = np.stack([a, b, a + b])
            r = special.digamma(p) - np.log(p - 0.5)
            a2, b2 = _johnson_kotz(la - (r[0] - r[2]), lb - (r[1] - r[2]))
            better = ~bad & np.isfinite(a2) & np.isfinite(b2) & (a2 > 0.5) & (b2 > 0.5)
            a, b = np.where(better, a2, a), np.where(better, b2, b)

        def ll(a, b, la, lb):  # mean log-likelihood from the sufficient statistics
            return -special.betaln(a, b) + (a - 1) * la + (b - 1) * lb

        active = np.flatnonzero(fin)
        conv = np.zeros(R, bool)
        iters = np.zeros(R, np.int64)
        base = np.full(R, np.nan)  # the log-likelihood at (a, b), where known
        stop = np.sqrt(tol)
        for _ in range(maxiter or 100):
            if active.size == 0:
                break
            # the parameters one array each, and every replicate still active (the first
            # sweeps) as a slice: each operation on contiguous arrays, no index copies
            rows = slice(None) if active.size == R else active
            ta, tb, la_a, lb_a = a[rows], b[rows], la[rows], lb[rows]
            (sa, sb), (iaa, iab, ibb) = _score_information(ta, tb, la_a, lb_a)
            da, db = solve_2x2_symmetric(iaa, iab, ibb, sa, sb, iaa * ibb - iab ** 2)
            na, nb = ta + da, tb + db  # the Newton step I^-1 score
            # a step below ASCENT_STEP of the parameters ascends (the log-likelihood is
            # concave, and the cubic term of its expansion is ~1e-2 of the quadratic one):
            # only larger steps (or NaN ones) pay for a log-likelihood (a betaln)
            check = np.flatnonzero(~((np.abs(da) <= ASCENT_STEP * ta)
                                     & (np.abs(db) <= ASCENT_STEP * tb)))
            b0 = np.full(len(ta), np.nan)  # the log-likelihood there is not known...
            full = np.ones(len(ta), bool)
            if check.size:
                known = base[rows][check]  # ...but where a checked step left it
                stale = np.isnan(known)
                if stale.any():
                    st = check[stale]
                    known[stale] = ll(ta[st], tb[st], la_a[st], lb_a[st])
                scale = np.ones(check.size)
                todo = np.arange(check.size)
                for _ in range(60):  # halve until inside the domain and not descending
                    if todo.size == 0:
                        break
                    rt = check[todo]
                    with np.errstate(invalid="ignore"):
                        pa, pb = na[rt], nb[rt]
                        inside = (pa > 0) & (pb > 0)
                        val = ll(np.where(inside, pa, 1.0), np.where(inside, pb, 1.0),
                                 la_a[rt], lb_a[rt])
                        okk = inside & (val >= known[todo] - 1e-12 * np.abs(known[todo]))
                    known[todo[okk]] = val[okk]
                    todo = todo[~okk]
                    scale[todo] /= 2
                    rt = check[todo]
                    na[rt] = ta[rt] + scale[todo] * da[rt]
                    nb[rt] = tb[rt] + scale[todo] * db[rt]
                b0[check] = known
                full[check] = scale == 1.0
            a[rows], b[rows] = na, nb
            base[rows] = b0
            iters[rows] += 1
            # a full Newton step leaves a relative error of about its square (and the
            # trigammas' 1e-7 times its length): one below sqrt(tol) ends within ~tol of
            # the optimum, without the step that would only confirm it
            done = full & (np.abs(da) <= stop * np.abs(na)) & (np.abs(db) <= stop * np.abs(nb))
            conv[active[done]] = True
            active = active[~done]
        reason = blank_reasons(R)  # written only where some replicate failed
        if not conv.all():
            reason[~conv] = "Newton did not converge within maxiter"
            reason[~fin] = "observation at 0 or 1: no MLE"
        return Point({"alpha": a, "beta": b}, converged=conv,
                     reason=reason, iterations=iters)

    def fisher_information(self, theta):
        # psi' = zeta(2, .) (what polygamma(1, .) computes), exactly
        return _information(theta, lambda p: special.zeta(2.0, p))

    def information_at_mle(self, theta):
        # the standard errors' psi' from digamma differences (2.5e-10 relative), a
        # sixth of the exact one's cost: as much as reading the data, otherwise
        return _information(theta, trigamma)


def _information(theta, psi1):
    """Fisher information per observation in (alpha, beta), psi' computed by ``psi1``
    in one call for a, b and a + b."""
    a, b = np.broadcast_arrays(np.asarray(theta["alpha"], float),
                               np.asarray(theta["beta"], float))
    ta, tb, tab = psi1(np.stack([a, b, a + b]))
    info = np.empty(a.shape + (2, 2))
    info[..., 0, 0] = ta - tab
    info[..., 1, 1] = tb - tab
    info[..., 0, 1] = info[..., 1, 0] = -tab
    return info


#: the relative step of the forward differences of the digamma that give the
#: trigammas in the Newton iterations: truncation (h psi''/psi' ~ h/p) and rounding
#: (eps |psi| / (h psi')) errors both near 1e-7 relative for shapes from 0.1 to 1000,
#: which slows Newton's quadratic convergence by no iteration
PSI_STEP = 1e-7
#: see Beta.mle_batched
ASCENT_STEP = 1e-2


def _johnson_kotz(la, lb):
    """(a, b) solving psi(a) - psi(a + b) = la, psi(b) - psi(a + b) = lb with
    psi(p) ~ log(p - 1/2): a - 1/2 = c e^la, b - 1/2 = c e^lb with c = a + b - 1/2, so
    c = 1 / (2 (1 - e^la - e^lb)) (positive for the statistics of data in (0, 1): their
    geometric means sum to less than 1 by the AM-GM inequality)."""
    ga, gb = np.exp(la), np.exp(lb)
    c = 0.5 / (1.0 - ga - gb)
    return 0.5 + ga * c, 0.5 + gb * c


def _score_information(a, b, la, lb):
    """Score and information per observation at ``(a, b)`` from the sufficient
    statistics: the score exactly; the trigammas of the information by forward
    differences of the digamma, one call for all six points (a trigamma, scipy's
    zeta(2, .), costs as much as 20 digammas; a Newton step needs them only to 1e-7).
    Returns ``(g_a, g_b)`` and the information's ``(I_aa, I_ab, I_bb)``."""
    p = np.stack([a, b, a + b])
    h = PSI_STEP * p
    h = (p + h) - p  # a step the sums represent exactly
    psi = special.digamma(np.stack([p, p + h]))
    tri = (psi[1] - psi[0]) / h
    g = (psi[0, 2] - psi[0, 0] + la, psi[0, 2] - psi[0, 1] + lb)
    return g, (tri[0] - tri[2], -tri[2], tri[1] - tri[2])
