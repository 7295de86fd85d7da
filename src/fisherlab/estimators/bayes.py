"""Bayesian estimators with PyMC: what they share, and the posterior mode (``map``).

Priors come from the study file (:mod:`fisherlab.core.priors`); a family takes part when it
declares its PyMC form (:meth:`fisherlab.families.base.Family.pymc_likelihood`).

Compile once, feed every replicate
----------------------------------
The PyMC model is built ONCE per condition and job (per family, priors, design
constants and n, cached for the life of the process), with the data as ``pm.Data``:

* ``map`` compiles one fused PyTensor function returning the negative log-posterior
  and its gradient on the unconstrained (transformed) parameter vector, with the
  dataset as a function input, and drives ``scipy.optimize.minimize`` (L-BFGS-B) per
  replicate. The log-posterior omits the Jacobian of the transforms
  (``model.logp(jacobian=False)``, as ``pm.find_MAP`` does), so the optimum is the mode
  of the posterior density of the parameters themselves.
* ``posterior`` (:mod:`fisherlab.estimators.posterior`) builds its samplers the same
  way (:mod:`fisherlab.estimators.samplers`).

Standard errors and intervals
-----------------------------
``map``: the Laplace approximation. At the mode the gradient in u vanishes, so the
Hessian of the negative log-posterior in u is H_u = J' H_theta J with J = d theta/du,
and Cov(theta) = H_theta^{-1} = J H_u^{-1} J'. The shared completion
(:func:`fisherlab.estimators.base.complete`) turns it into standard errors (delta
method for derived estimands, which are plug-in g(theta_MAP)) and Wald intervals.

``posterior``: see :mod:`fisherlab.estimators.posterior`.
"""

from __future__ import annotations

import json

import numpy as np
from scipy import optimize

from ..core import priors as prior_mod
from ..core.numerics import damped_newton, safe_inv
from ..families.base import Family, Point
from ..families.point import blank_reasons
from .base import Estimator, OneFit, fit_each
from .pymc_models import block_model, build_model, jax_function
from .registry import register

_PRIOR_SCHEMA = {
    "type": "object",
    "description": "per parameter, a PyMC distribution: {p: {dist: Beta, alpha: 2, beta: 2}}",
    "additionalProperties": {"type": "object"},
}

#: compiled models of this process, by (kind, family, priors, constants, n)
_CACHE: dict[str, object] = {}


def _key(kind: str, family: Family, priors: dict, theta_fixed, n: int) -> str:
    ident = {"kind": kind, "family": family.name, "priors": priors, "n": int(n),
             "fixed": {k: float(v) for k, v in theta_fixed.items()},
             "state": {k: repr(v) for k, v in sorted(vars(family).items())}}
    return json.dumps(ident, sort_keys=True, default=repr)


class _Bayes(Estimator):
    options_schema = {"prior": _PRIOR_SCHEMA}
    bayesian = True

    @classmethod
    def applies_to(cls, family: Family) -> bool:
        return family.has("pymc_likelihood")

    @classmethod
    def check_options(cls, family: Family, options: dict) -> None:
        """Semantic checks beyond the JSON Schema; PriorError with a key relative to the
        estimator's options (e.g. ``prior.p.alpha``)."""
        try:
            prior_mod.priors_for(family, options.get("prior"))
        except prior_mod.PriorError as exc:
            raise prior_mod.PriorError(f"prior.{exc.key}", exc.problem) from None

    def compiled(self, family: Family, theta_fixed, x0: np.ndarray, compiler=None, **kw):
        """The compiled model for this family, priors, fixed values and n: built once per
        process. ``compiler`` (default the subclass's, e.g. CompiledMAP) is called as
        ``compiler(family, priors, theta_fixed, x0, **kw)``; ``kw`` is part of the key."""
        compiler = compiler or self.compiler
        pri = self.priors(family)
        # a compiler whose model takes data of any n (``any_n``) is built once for all n
        n = -1 if getattr(compiler, "any_n", False) else len(x0)
        key = _key(compiler.__name__, family, pri, theta_fixed, n) + repr(sorted(kw.items()))
        if key not in _CACHE:
            _CACHE[key] = compiler(family, pri, theta_fixed, x0, **kw)
        return _CACHE[key]

    def priors(self, family: Family) -> dict:
        return prior_mod.priors_for(family, self.options.get("prior"))


# --------------------------------------------------------------------------- MAP
class CompiledMAP:
    """One condition's log-posterior, compiled once per process: ``fit(x)`` per dataset.

    The data is ``pm.Data`` of no fixed length, so the compiled functions (and the
    batched ones, :class:`BatchedMAP`, per number of replicates) take datasets of any n:
    a job spanning a condition's sample sizes compiles once, not once per n (PyTensor's
    graph rewriting, a few seconds per function, is not cached across processes).
    """

    any_n = True

    def __init__(self, family: Family, priors: dict, theta_fixed, x0: np.ndarray):
        import pytensor.tensor as pt  # (start-up: imported when used)
        from pytensor.gradient import hessian, jacobian  # (start-up: imported when used)
        from pytensor.graph.replace import graph_replace  # (start-up: imported when used)

        model, theta, data = build_model(family, priors, theta_fixed, x0)
        self.names = list(priors)
        self._args, self._batched = (family, priors, theta_fixed), {}
        rvs = [theta[nm] for nm in self.names]
        values = [model.rvs_to_values[rv] for rv in rvs]
        start = model.initial_point()
        u = pt.dvector("u")
        xin = data.type("x_in")
        repl, offset = {data: xin}, 0
        for v in values:  # scalar (or array) parameters sliced out of one flat vector
            shape = np.shape(start[v.name])
            size = int(np.prod(shape))
            repl[v] = u[offset:offset + size].reshape(shape).astype(v.dtype)
            offset += size
        self.u0 = np.concatenate([np.ravel(start[v.name]) for v in values]).astype(float)
        loss0 = -model.logp(jacobian=False)  # the posterior mode of theta itself (see module)
        constrained = model.replace_rvs_by_values(rvs)  # theta as functions of the values
        loss, *cons = graph_replace([loss0, *constrained], replace=repl, strict=False)
        flat = pt.concatenate([pt.atleast_1d(c).ravel() for c in cons])
        # compiled on the first per-dataset fit: with the default method (newton) these
        # serve only the replicates the batched Newton leaves, none in most jobs, and
        # PyTensor's rewriting of the two graphs costs ~1 s of CPU per process
        self._graphs = ([u, xin], [loss, pt.grad(loss, u)],
                        [flat, hessian(loss, u), jacobian(flat, u)])
        self._functions = None
        self.dtype = data.type.dtype

    def fit(self, x: np.ndarray) -> OneFit:
        if self._functions is None:
            inputs, fg, laplace = self._graphs
            self._functions = (jax_function(inputs, fg), jax_function(inputs, laplace))
        fg, laplace = self._functions
        x = np.asarray(x, dtype=self.dtype)
        res = optimize.minimize(fg, self.u0, args=(x,), jac=True, method="L-BFGS-B",
                                options={"gtol": 1e-10, "ftol": 1e-14, "maxiter": 1000})
        theta, h_u, jac = laplace(res.x, x)
        # Cov(theta) = J H_u^{-1} J' (Laplace approximation, see the module docstring)
        cov = jac @ np.linalg.inv(h_u) @ jac.T
        # with tolerances this tight L-BFGS-B may end "ABNORMAL" at the optimum: accept
        # a stationary point whatever the message
        stationary = bool(np.all(np.abs(res.jac) < 1e-6))
        ok = (bool(res.success) or stationary) and np.all(np.isfinite(theta))
        reason = "" if ok else f"L-BFGS-B: {res.message}"
        return OneFit({nm: float(theta[i]) for i, nm in enumerate(self.names)}, cov=cov,
                      converged=ok, reason=reason, iterations=int(res.nit))

    def fit_all(self, x: np.ndarray, gtol: float = 1e-8, maxiter: int = 50) -> Point:
        """Every replicate at once: damped Newton on the batched model
        (:class:`BatchedMAP`); replicates it does not bring to a stationary point fall back
        to :meth:`fit` (L-BFGS-B), one by one through ``fit_each``.

        :func:`fisherlab.core.numerics.damped_newton` on the negative log-posterior: a
        replicate is done when max|g| < gtol, or when H is positive definite and the full
        Newton step is below 1e-10 in every coordinate (the rounding floor of a large
        log-density).
        """
        x = np.asarray(x, dtype=self.dtype)
        R, k = x.shape[0], len(self.u0)
        if R not in self._batched:
            self._batched[R] = BatchedMAP(*self._args, x, self.u0)
        bm = self._batched[R]

        # the compiled functions take every replicate at once; rows are independent
        def derivatives(u, rows):
            loss, g, h = bm.newton(u, x)
            return loss[rows], g[rows], h[rows]

        def value(u, rows):  # the loss of the same compiled function (see BatchedMAP)
            return bm.newton(u, x)[0][rows]

        # at most 5 units per coordinate per step in u (e^5 in a log-scaled parameter)
        u, done, iters, _ = damped_newton(value, derivatives, np.tile(self.u0, (R, 1)),
                                          gtol=gtol, maxiter=maxiter, max_step=5.0)
        theta, h, jac = bm.laplace(u, x)
        cov = jac @ safe_inv(h) @ np.swapaxes(jac, 1, 2)  # J H_u^{-1} J' (module docstring)
        est = {nm: theta[:, i].copy() for i, nm in enumerate(self.names)}
        conv = done & np.all(np.isfinite(theta), axis=1)
        reason = blank_reasons(R)
        if not conv.all():  # the general path for the rest
            rest = np.flatnonzero(~conv)
            pt_rest = fit_each(self.fit, x[rest], self.names, k=k)
            for nm in self.names:
                est[nm][rest] = pt_rest.estimate[nm]
            cov[rest] = pt_rest.cov
            conv[rest], reason[rest] = pt_rest.converged, pt_rest.reason
            iters[rest] += pt_rest.iterations
        return Point(est, cov=cov, converged=conv, reason=reason, iterations=iters)


class BatchedMAP:
    """All R replicates of a chunk in ONE model: each parameter's prior has shape (R,)
    and the family's likelihood sees ``theta[:, None]`` against data ``(R, n)``.

    The replicates are independent, so the gradient of the total loss with respect to
    column j of U (R, k) is each replicate's own gradient, and the gradient of the sum of
    one column of that gradient gives one row of every replicate's Hessian: loss (R,),
    gradient (R, k), Hessians (R, k, k), theta (R, k) and d theta/du (R, k, k) come from
    two compiled functions, with no per-replicate Python loop.
    """

    def __init__(self, family, priors, theta_fixed, x, u0):
        import pytensor.tensor as pt  # (start-up: PyTensor costs seconds to import)
        from pytensor.graph.replace import graph_replace  # (start-up: imported when used)

        k = len(priors)
        # check_bounds=False: a trial step outside a parameter's support gives a NaN loss
        # (rejected by the line search) instead of raising for the whole batch
        model, theta, data = block_model(family, priors, theta_fixed, x, check_bounds=False)
        rvs = list(theta.values())
        values = [model.rvs_to_values[rv] for rv in rvs]
        big_u = pt.dmatrix("U")
        big_x = data.type("X")
        repl = {data: big_x, **{v: big_u[:, j].astype(v.dtype) for j, v in enumerate(values)}}
        terms = model.logp(jacobian=False, sum=False)  # per variable: (R,) or (R, n)
        loss = -sum(t.sum(axis=tuple(range(1, t.ndim))) if t.ndim > 1 else t for t in terms)
        constrained = model.replace_rvs_by_values(rvs)
        loss, *cons = graph_replace([loss, *constrained], replace=repl, strict=False)
        tb = pt.stack(cons, axis=1)
        gb = pt.grad(loss.sum(), big_u)
        hb = pt.stack([pt.grad(gb[:, j].sum(), big_u) for j in range(k)], axis=1)
        jb = pt.stack([pt.grad(tb[:, j].sum(), big_u) for j in range(k)], axis=1)
        # no function of the loss alone for the line search's trial points: JAX compiles
        # each function anew for every shape of the data, i.e. every n of the job, and
        # this one would cost as much to compile (0.2-0.4 s a sample size) as all its
        # evaluations with the derivatives, which these small models get nearly free
        self.newton = jax_function([big_u, big_x], [loss, gb, hb])
        self.laplace = jax_function([big_u, big_x], [tb, hb, jb])


@register
class MAP(_Bayes):
    name = "map"
    doc = ("posterior mode with PyMC (priors per parameter in the study file); se from the "
           "Hessian of the log-posterior at the mode (Laplace), Wald interval")

    options_schema = {
        "prior": _PRIOR_SCHEMA,
        "method": {"enum": ["newton", "lbfgs"], "default": "newton",
                   "description": "newton: all replicates at once (L-BFGS-B fallback); "
                                  "lbfgs: scipy L-BFGS-B one replicate at a time"},
    }

    compiler = CompiledMAP

    def point(self, family, x, theta_fixed, level):
        x = family.pymc_data(x)
        fn = self.compiled(family, theta_fixed, x[0])
        if self.option("method") == "lbfgs":
            return fit_each(fn.fit, x, fn.names, k=len(fn.names))
        return fn.fit_all(x)
