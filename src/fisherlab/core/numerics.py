"""Generic numerical routines, vectorised over replicates: the bottom layer.

Families and estimators both build on these; this module imports nothing of fisherlab.

* :func:`safe_inv`, :func:`positive_definite`, :func:`positive_definite_sym`: stacks
  of small symmetric matrices (information matrices and their inverses);
* :func:`monotone_root`: an elementwise root of a monotone function (scipy's bracket
  and Chandrupatla search);
* :func:`newton_bracketed`: safeguarded Newton (or secant) for a decreasing function
  with a known bracket (Numerical Recipes' ``rtsafe``), vectorised;
* :func:`halley_bracketed`: the same safeguard around Halley's third-order steps;
* :func:`em_iterate`: a fixed-point iteration (EM) over a batch, each member stopping
  when its objective settles;
* :func:`damped_newton`: Newton's method with a line search over a batch of independent
  minimisations (the batched MAP, the optimisers' ``newton``);
* :func:`trigamma`: psi' by central differences of the digamma, for the observed
  information at a numeric MLE.
"""

from __future__ import annotations

import numpy as np
from scipy import special
from scipy.optimize import elementwise


def safe_inv(mat: np.ndarray) -> np.ndarray:
    """Inverse of a stack of square matrices; an infinite 1x1 information gives variance 0
    (a boundary estimate such as p_hat = 0), a singular matrix gives NaN."""
    if mat.shape[-1] == 1:
        with np.errstate(divide="ignore"):
            return 1.0 / mat
    if mat.shape[-1] == 2:  # [[a, b], [c, d]]^-1 = [[d, -b], [-c, a]] / (ad - bc): 4x faster
        a, b, c, d = mat[..., 0, 0], mat[..., 0, 1], mat[..., 1, 0], mat[..., 1, 1]
        out = np.empty(mat.shape, dtype=float)
        with np.errstate(all="ignore"):
            det = a * d - b * c
            ok = _finite_2x2(a, b, c, d) & (det != 0)
            out[..., 0, 0] = d / det
            out[..., 0, 1] = -b / det
            out[..., 1, 0] = -c / det
            out[..., 1, 1] = a / det
        if not ok.all():
            out[~ok] = np.nan
        return out
    ok = np.all(np.isfinite(mat), axis=(-2, -1))
    out = np.full_like(mat, np.nan, dtype=float)
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


#: the relative step of :func:`trigamma`'s central differences: their truncation
#: (~h^2 psi''' / (6 psi')) and rounding (~eps |psi| / (h psi')) errors keep it within
#: 2.5e-10 relative of scipy's zeta(2, .) for arguments from 1e-3 to 1e6 (tests)
TRIGAMMA_STEP = 1e-5


def trigamma(p) -> np.ndarray:
    """psi'(p) from central differences of scipy's digamma, to ~2.5e-10 relative.

    The exact psi' (scipy's ``zeta(2, p)``, which ``polygamma(1, p)`` calls) costs as
    much as twelve digammas a point: for the standard errors of a gamma or beta MLE,
    as much as reading the data. Two digammas a point give it to ~2.5e-10 relative, far
    below what a standard error is read to (its Monte Carlo error); where psi' is a
    quantity of its own (Fisher's information, the Cramer-Rao bound) the families keep
    the exact one."""
    p = np.asarray(p, dtype=float)
    h = TRIGAMMA_STEP * p
    h = (p + h) - p  # a step the sum represents exactly
    psi = special.digamma(np.stack([p + h, p - h]))
    return (psi[0] - psi[1]) / (h + h)


def _finite_2x2(a, b, c, d) -> np.ndarray:
    """Whether a, b, c and d are all finite: x - x is 0 for a finite x and NaN for an
    infinite or NaN one (3x faster than np.isfinite(mat).all over two axes)."""
    return np.isfinite((a - a) + (b - b) + (c - c) + (d - d))


def positive_definite(mat: np.ndarray) -> np.ndarray:
    """Whether each symmetric matrix of a stack is positive definite (False if not finite):
    Sylvester's criterion in closed form for 1x1 and 2x2, eigenvalues otherwise."""
    k = mat.shape[-1]
    if k == 2:
        return positive_definite_2x2(mat[..., 0, 0], mat[..., 0, 1], mat[..., 1, 0],
                                     mat[..., 1, 1])
    finite = np.all(np.isfinite(mat), axis=(-2, -1))
    m = np.where(finite[..., None, None], mat, 0.0)
    if k == 1:
        return finite & (m[..., 0, 0] > 0)
    return finite & np.all(np.linalg.eigvalsh(0.5 * (m + np.swapaxes(m, -1, -2))) > 0, axis=-1)


def positive_definite_sym(mat: np.ndarray) -> np.ndarray:
    """``positive_definite(0.5 * (mat + mat'))``: whether the symmetric part of each
    matrix of a stack is positive definite. For 2x2 on the entries themselves, without
    the two passes over the stack that build the symmetric part (their off-diagonal
    entries are one number, b + c = c + b)."""
    if mat.shape[-1] != 2:
        return positive_definite(0.5 * (mat + np.swapaxes(mat, -1, -2)))
    a, b, c, d = mat[..., 0, 0], mat[..., 0, 1], mat[..., 1, 0], mat[..., 1, 1]
    with np.errstate(all="ignore"):
        off = 0.5 * (b + c)
        return positive_definite_2x2(0.5 * (a + a), off, off, 0.5 * (d + d))


def positive_definite_2x2(a, b, c, d) -> np.ndarray:
    """Sylvester's criterion on the entries of 2x2 matrices (False if not finite)."""
    with np.errstate(all="ignore"):
        return _finite_2x2(a, b, c, d) & (a > 0) & (a * d - b * c > 0)


def monotone_root(f, lo, hi, *, args=(), tol: float = 1e-12, maxiter: int = 100,
                  xmin=None, xmax=None):
    """Elementwise root of a monotone function, vectorised over replicates:
    ``scipy.optimize.elementwise.bracket_root`` widens ``[lo, hi]`` until it brackets a
    sign change, ``find_root`` (Chandrupatla) refines it. Returns
    ``(root, converged, iterations)``, arrays of the broadcast shape."""
    lo, hi = np.broadcast_arrays(np.asarray(lo, float), np.asarray(hi, float))
    br = elementwise.bracket_root(f, lo, hi, args=args, xmin=xmin, xmax=xmax, maxiter=200)
    ok = np.asarray(br.success)
    xl = np.where(ok, br.bracket[0], lo)
    xr = np.where(ok, br.bracket[1], hi)
    res = elementwise.find_root(f, (xl, xr), args=args, maxiter=maxiter,
                                tolerances={"xrtol": tol, "xatol": 0.0})
    conv = ok & np.asarray(res.success)
    nit = np.asarray(br.nit) + np.asarray(res.nit)
    return np.asarray(res.x, float), conv, nit.astype(np.int64)


def newton_bracketed(f, fprime, lo, hi, *, x0=None, tol: float = 1e-12, maxiter: int = 100):
    """Safeguarded Newton for a decreasing function with a known bracket
    ``f(lo) > 0 > f(hi)``, vectorised over replicates (Press et al., Numerical Recipes,
    ``rtsafe``): a Newton step that leaves the current bracket is replaced by
    bisection, and the bracket shrinks on every evaluation. Returns
    ``(root, converged, iterations)``; ``x0`` is the start (default the midpoint).
    ``f(x, rows)`` and ``fprime(x, rows)`` evaluate the replicates ``rows`` (an index
    array, or ``slice(None)`` for all of them) at ``x``.

    ``fprime=None``: the secant method instead, the slope through the last two
    iterates (the first through x0 and x0 (1 + 1e-4)), with the same safeguard: one
    evaluation of f per iteration and none of its derivative, for an f whose derivative
    costs many times f itself (a trigamma against a digamma); superlinear (order 1.6),
    so from a start within 1% of the root it needs one or two iterations more."""
    lo, hi = (np.array(v, dtype=float, copy=True) for v in np.broadcast_arrays(lo, hi))
    x = 0.5 * (lo + hi) if x0 is None else np.clip(np.asarray(x0, float), lo, hi)
    conv = np.zeros(x.shape, bool)
    nit = np.zeros(x.shape, np.int64)
    active = np.flatnonzero(np.isfinite(x))
    secant = fprime is None
    if secant:
        x_prev = x * (1.0 + 1e-4)
        f_prev = np.full(x.shape, np.nan)
    for it in range(maxiter):
        if active.size == 0:
            break
        # every replicate still active (the first sweeps, usually): a slice, which
        # indexes without the copies of an index array
        rows = slice(None) if active.size == x.size else active
        xa = x[rows].copy()
        if secant and it == 0:
            f_prev[rows] = f(x_prev[rows], rows)
        fx = f(xa, rows)
        above = fx > 0  # decreasing: the root is above x
        lo_a = np.where(above, xa, lo[rows])
        hi_a = np.where(above, hi[rows], xa)
        lo[rows], hi[rows] = lo_a, hi_a
        with np.errstate(all="ignore"):  # secant: an equal pair has no slope (bisect)
            if secant:
                slope = (fx - f_prev[rows]) / (xa - x_prev[rows])
                x_prev[rows], f_prev[rows] = xa, fx
            else:
                slope = fprime(xa, rows)
            new = xa - fx / slope
        # an exact root (f = 0) is where it is, though it closed the bracket on itself
        inside = ((new > lo_a) & (new < hi_a)) | (fx == 0)
        if not inside.all():
            new = np.where(inside, new, 0.5 * (lo_a + hi_a))
        x[rows] = new
        nit[rows] += 1
        done = (np.abs(new - xa) <= tol * np.abs(new)) | (fx == 0)
        if done.any():
            idx = active[done]
            conv[idx] = True
            active = active[~done]
    return x, conv, nit


def halley_bracketed(fun, lo, hi, *, x0, tol: float = 1e-12, maxiter: int = 100):
    """Safeguarded Halley iteration for a decreasing function with a known bracket
    ``f(lo) > 0 > f(hi)``, vectorised over replicates: the step
    ``-(f/f') / (1 - f f'' / (2 f'^2))`` (Halley's method, cubic convergence), replaced
    by bisection where it leaves the current bracket, which shrinks on every
    evaluation (as in :func:`newton_bracketed`). ``fun(x, rows) -> (f, f', f'')``
    evaluates the replicates ``rows`` (an index array, or ``slice(None)`` for all of
    them) at ``x``; the derivatives may be approximate (differences, to ~1e-6 for f'
    and coarser for f''), which only slows the convergence by that factor.

    A replicate is done after a Halley step (not a bisection) below ``sqrt(tol)``
    relative to the new iterate, or at an exact root: the error a Halley step leaves
    is of the order of its length cubed (plus the derivative's relative error times
    the length), far below ``tol``, so the evaluation that would only confirm it is
    saved. The iterations count the evaluations of ``fun``. Returns
    ``(root, converged, iterations)``; ``x0`` is the start, clipped into the bracket."""
    lo, hi = (np.asarray(v, dtype=float) for v in (lo, hi))
    if lo.shape != hi.shape:
        lo, hi = np.broadcast_arrays(lo, hi)
    # (np.clip's, without its Python wrapper: a tenth of a sweep's cost)
    x = np.minimum(np.maximum(np.asarray(x0, float), lo), hi)
    conv = np.zeros(x.shape, bool)
    nit = np.zeros(x.shape, np.int64)
    active = np.flatnonzero(np.isfinite(x))
    stop = np.sqrt(tol)
    owned = False  # lo and hi are copied before the first write into them
    for _ in range(maxiter):
        if active.size == 0:
            break
        # every replicate still active (the first sweeps, usually): a slice, which
        # indexes without the copies of an index array
        every = active.size == x.size
        rows = slice(None) if every else active
        xa = x[rows]  # a view when every replicate is active: x is rebound, not written
        f, f1, f2 = fun(xa, rows)
        above = f > 0  # decreasing: the root is above x
        lo_a = np.where(above, xa, lo[rows])
        hi_a = np.where(above, hi[rows], xa)
        with np.errstate(all="ignore"):  # f' = 0 or a NaN: outside, so bisect
            q = f / f1
            new = xa - q / (1.0 - 0.5 * q * (f2 / f1))
        # an exact root (f = 0) is where it is, though it closed the bracket on itself
        exact = f == 0
        any_exact = exact.any()
        inside = (new > lo_a) & (new < hi_a)
        if any_exact:
            inside |= exact
        if not inside.all():
            new = np.where(inside, new, 0.5 * (lo_a + hi_a))
        done = np.abs(new - xa) <= stop * np.abs(new)
        done &= inside
        if any_exact:
            done |= exact
        if every:
            x, lo, hi = new, lo_a, hi_a
            owned = True  # (new arrays of where's)
        else:
            if not owned:
                x, lo, hi, owned = x.copy(), lo.copy(), hi.copy(), True
            x[rows], lo[rows], hi[rows] = new, lo_a, hi_a
        nit[rows] += 1
        if done.any():
            conv[active[done]] = True
            active = active[~done]
    return x, conv, nit


def em_iterate(step, theta: dict, *, tol: float, maxiter: int, degenerate=None):
    """Iterate ``step(theta_rows, rows) -> (new theta_rows, objective at theta_rows)``
    for a batch (``theta``: name -> ``(R,)``), each member until its objective changes by
    at most ``tol`` relative (EM: the log-likelihood, which never decreases). A member
    whose new values are not finite, or ``degenerate(new, rows)``, stops as bad.
    Returns ``(theta, converged, iterations, bad, objective)``."""
    theta = {k: np.array(v, dtype=float, copy=True) for k, v in theta.items()}
    R = len(next(iter(theta.values())))
    obj = np.full(R, -np.inf)
    iters = np.zeros(R, np.int64)
    conv = np.zeros(R, bool)
    bad = np.zeros(R, bool)
    active = np.flatnonzero(np.all([np.isfinite(v) for v in theta.values()], axis=0))
    bad[np.setdiff1d(np.arange(R), active)] = True
    for _ in range(maxiter):
        if active.size == 0:
            break
        new, value = step({k: v[active] for k, v in theta.items()}, active)
        for k, v in new.items():
            theta[k][active] = v
        iters[active] += 1
        done = np.abs(value - obj[active]) <= tol * (1.0 + np.abs(value))
        obj[active] = value
        broken = ~np.all([np.isfinite(v) for v in new.values()], axis=0)
        if degenerate is not None:
            broken |= degenerate(new, active)
        bad[active[broken]] = True
        conv[active[done & ~broken]] = True
        active = active[~done & ~broken]
    return theta, conv, iters, bad, obj


def _newton_step_small(h: np.ndarray, g: np.ndarray):
    """For 1x1 or 2x2 symmetric H (its lower triangle): whether it is positive definite,
    and H^-1 g, in closed form."""
    a = h[:, 0, 0]
    if h.shape[1] == 1:
        with np.errstate(all="ignore"):
            return a > 0, g / a[:, None]
    b, c = h[:, 1, 0], h[:, 1, 1]
    with np.errstate(all="ignore"):
        det = a * c - b * b
        pd = (a > 0) & (det > 0)
        d = np.stack(solve_2x2_symmetric(a, b, c, g[:, 0], g[:, 1], det), -1)
    return pd, d


def solve_2x2_symmetric(a, b, c, g0, g1, det):
    """``[[a, b], [b, c]]^-1 (g0, g1)`` by Cramer's rule, elementwise over a stack, given
    ``det = a c - b b`` (the caller decides where it is too small): several times faster
    than LAPACK on many 2x2 systems."""
    return (c * g0 - b * g1) / det, (a * g1 - b * g0) / det


def _modified_step(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """V |Lambda|^-1 V' g for symmetric H = V Lambda V' (lower triangle), each |lambda|
    floored at 1e-8 of the largest; the gradient itself where H is not finite."""
    out = g.copy()
    ok = np.all(np.isfinite(h), axis=(1, 2))
    if ok.any():
        lam, vec = np.linalg.eigh(h[ok])
        a = np.abs(lam)
        a = np.maximum(a, 1e-8 * np.max(a, axis=1, keepdims=True) + 1e-300)
        out[ok] = np.einsum("rij,rj->ri", vec,
                            np.einsum("rji,rj->ri", vec, g[ok]) / a)
    return out


def damped_newton(value, derivatives, u0, *, gtol: float, maxiter: int,
                  max_step: float = 5.0, halvings: int = 30, tiny: float = 1e-10,
                  closed_form_2x2: bool = False, modified: bool = False):
    """Minimise R independent smooth functions f_r of u in R^k at once, by a damped
    Newton's method (Nocedal & Wright, Numerical Optimization, 2006, ch. 3 and 6.1).

    ``derivatives(U, rows) -> (f, g, H)`` and ``value(U, rows) -> f`` evaluate the rows
    ``rows`` at ``U`` ``(R, k)`` (the other rows of U hold their current values, so a
    caller whose compiled functions take every row at once can evaluate them all).

    Each iteration, per row: the step is d = H^{-1} g where H is positive definite, else
    the gradient g itself (steepest descent); it is scaled down to at most ``max_step``
    in every coordinate, then halved until f does not rise (a rise within 1e-12 of f's
    size is rounding). A row is done when max |g| < ``gtol``, or when H is positive
    definite and the full Newton step is below ``tiny`` in every coordinate (the
    rounding floor of a large f). A row stops, not done, where f or g is not finite, or
    where ``halvings`` halvings found no step that does not raise f.

    ``modified``: where H is not positive definite, the step is H's eigen-decomposition
    with each eigenvalue replaced by its absolute value (floored at 1e-8 of the
    largest), not the gradient: a modified Newton step (Nocedal & Wright, 3.4) that
    leaves a saddle or a concave stretch along its negative curvature at the scale of
    that curvature, where the raw gradient crawls.

    ``closed_form_2x2``: for k <= 2, test H by Sylvester's criterion and solve by
    Cramer's rule on H's lower triangle (what ``eigvalsh`` reads) instead of LAPACK,
    several times faster on many small systems; equal up to rounding, so callers whose
    numbers must not move by an ulp keep the default.

    Returns ``(u, done, iterations, stalled)``: ``stalled`` marks the rows stopped by a
    failed line search.
    """
    u = np.array(u0, dtype=float, copy=True)
    R = len(u)
    iters = np.zeros(R, np.int64)
    done = np.zeros(R, bool)
    stop = np.zeros(R, bool)
    stalled = np.zeros(R, bool)
    f, g, h = (np.asarray(v, float) for v in derivatives(u, np.arange(R)))
    for _ in range(maxiter):
        act = ~done & ~stop & np.isfinite(f) & np.all(np.isfinite(g), axis=1)
        stop |= ~done & ~act
        done[act] = np.max(np.abs(g[act]), axis=1) < gtol
        act &= ~done
        if not act.any():
            break
        d = g[act].copy()
        if closed_form_2x2 and u.shape[1] <= 2:
            pd, newton_d = _newton_step_small(h[act], g[act])
            d[pd] = newton_d[pd]
        else:
            with np.errstate(all="ignore"):
                pd = np.all(np.linalg.eigvalsh(h[act]) > 0, axis=1)
            if pd.any():
                d[pd] = np.linalg.solve(h[act][pd], g[act][pd][..., None])[..., 0]
        if modified and not pd.all():
            d[~pd] = _modified_step(h[act][~pd], g[act][~pd])
        d *= np.minimum(1.0, max_step / np.maximum(np.max(np.abs(d), axis=1), 1e-300))[:, None]
        small = pd & (np.max(np.abs(d), axis=1) < tiny)
        idx = np.flatnonzero(act)
        done[idx[small]] = True
        idx, d = idx[~small], d[~small]
        if idx.size == 0:
            break
        iters[idx] += 1
        step = np.ones(idx.size)
        u_act, f_act = u[idx], f[idx]
        trial = u.copy()
        todo = np.arange(idx.size)
        for _ in range(halvings):
            trial[idx[todo]] = u_act[todo] - step[todo, None] * d[todo]
            new = np.asarray(value(trial, idx[todo]), float)
            worse = ~(new <= f_act[todo] + 1e-12 * (1.0 + np.abs(f_act[todo])))
            todo = todo[worse]
            if todo.size == 0:
                break
            step[todo] *= 0.5
        moved = np.ones(idx.size, bool)
        moved[todo] = False
        stalled[idx[~moved]] = True
        stop[idx[~moved]] = True
        idx = idx[moved]
        u[idx] = u_act[moved] - step[moved, None] * d[moved]
        if idx.size:
            f[idx], g[idx], h[idx] = derivatives(u, idx)
    return u, done, iters, stalled
