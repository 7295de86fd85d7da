"""The posterior estimator's samplers: every replicate of a chunk, raw draws out.

Each sampler is built ONCE per process and model (family, priors, fixed values, block
size, and n for the JAX sampler, whose shapes are static;
:meth:`fisherlab.estimators.bayes._Bayes.compiled`) from the study's
PyMC model, through PyMC/PyTensor's own backends, and returns :class:`Raw`: the
constrained parameter draws ``(R, chain, draw)`` with per-replicate divergence and
leapfrog-step counts. Diagnostics, estimates and intervals are computed from them for
all replicates at once (:mod:`fisherlab.estimators.posterior`).

* :class:`NutpieEach`: nutpie, the model compiled once (numba backend), each dataset
  sampled with ``with_data``; the raw Arrow trace is read directly (building an ArviZ
  object per replicate cost more than the sampling itself).
* :class:`NutpieJoint`: one PyMC model of ``block`` independent replicates (each
  parameter's prior has shape ``(block,)``, the likelihood sees ``theta[:, None]``
  against data ``(block, n)``), sampled by nutpie. The joint density is the product of
  the replicates' posteriors, so its marginals are exactly the per-replicate posteriors;
  nutpie's diagonal mass matrix adapts per coordinate, so each replicate keeps its own
  scale, but the step size is shared and a divergence belongs to the block.
* :class:`VmapNUTS`: BlackJAX window adaptation + NUTS on PyMC's JAX graph of ONE
  replicate (``pymc.sampling.jax.get_jaxified_graph``), ``jax.vmap``-ed over
  (replicate, chain) lanes: each lane keeps its own adaptation and its own divergences.
  JAX's persistent compilation cache (:func:`jax_cache`) serves later processes; on a
  GPU (``pip install -e '.[gpu]'``) the same code runs there.

Seeds: one per replicate (:func:`fisherlab.core.seeds.replicate_seeds`). A joint block
samples with a seed drawn from the SeedSequence of its replicates' seeds; blocks start
at multiples of ``block`` (a divisor of the seed block, 100), so a block holds the same
replicates whatever the chunking, and the draws are byte-identical.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..core.files import atomic_path
from ..families.base import Family
from ..families.point import blank_reasons
from .base import failure_reason
from .pymc_models import block_model, build_model, compile_nutpie, jax_cache, quiet

#: joint-model and vmap block sizes: divisors of the seed block (chunk invariance)
BLOCKS = (1, 2, 4, 5, 10, 20, 25, 50, 100)


@dataclass
class Raw:
    """Draws of R replicates: ``draws`` parameter -> ``(R, chain, draw)``,
    ``divergences`` and ``steps`` ``(R,)``; ``error`` (R,) '' or why sampling failed."""

    draws: dict[str, np.ndarray]
    divergences: np.ndarray
    steps: np.ndarray
    error: np.ndarray

    @classmethod
    def empty(cls, names, R: int, chains: int, draws: int) -> Raw:
        return cls({nm: np.full((R, chains, draws), np.nan) for nm in names},
                   np.zeros(R), np.zeros(R, np.int64), blank_reasons(R))

    def put(self, idx, other: Raw) -> None:
        """Replace replicates ``idx`` by ``other``'s (e.g. a retry)."""
        for nm, v in other.draws.items():
            self.draws[nm][idx] = v
        self.divergences[idx] = other.divergences
        self.steps[idx] = other.steps
        self.error[idx] = other.error


def seed_of(seeds) -> int:
    """One 64-bit seed from several (a joint block's replicates, or a seed and a retry
    number): the first word of their SeedSequence."""
    ss = np.random.SeedSequence([int(s) for s in np.atleast_1d(seeds)])
    return int(ss.generate_state(1, dtype=np.uint64)[0])


def _pad(x: np.ndarray, size: int) -> np.ndarray:
    """``x`` with rows repeated cyclically up to ``size`` rows (a fixed compiled shape)."""
    return x if len(x) == size else x[np.arange(size) % len(x)]


def _reason(exc: BaseException) -> str:
    """A sampler's exception as a failure reason, without nutpie's Rust backtrace."""
    return failure_reason(exc).split("  Stack backtrace:")[0].strip()


def _read_nutpie(trace, names, draws: int, chains: int, shape=()) -> tuple:
    """Post-warmup draws ``(chain, draw, *shape)`` per name, divergences and leapfrog
    steps per coordinate of ``shape`` (the block) from nutpie's raw Arrow trace."""
    draw_batches, stat_batches = trace.get_arrow_trace()
    size = int(np.prod(shape))
    out = {nm: np.empty((chains, draws, *shape)) for nm in names}
    div = steps = 0
    order = [int(pa.array(s.column("chain")).to_numpy()[0]) for s in stat_batches]
    for d, s, c in zip(draw_batches, stat_batches, order, strict=True):
        tuning = pa.array(s.column("tuning")).to_numpy(zero_copy_only=False)
        keep = ~tuning
        for nm in names:
            col = pa.array(d.column(nm))
            vals = col.flatten().to_numpy() if size and shape else col.to_numpy()
            out[nm][c] = np.asarray(vals, float).reshape(len(tuning), *shape)[keep][-draws:]
        diverging = pa.array(s.column("diverging")).to_numpy(zero_copy_only=False)
        div += int(np.sum(diverging & keep))
        steps += int(np.sum(pa.array(s.column("n_steps")).to_numpy()))
    return out, div, steps


class NutpieEach:
    """One condition's model compiled once by nutpie; each dataset sampled on its own."""

    #: the numba-compiled model takes ``pm.Data`` of any shape: one build for every n
    any_n = True

    def __init__(self, family: Family, priors: dict, theta_fixed, x0: np.ndarray, block=1):

        quiet()
        model, _, data = build_model(family, priors, theta_fixed, x0)
        self.names = list(priors)
        self.dtype = data.type.dtype
        self.compiled = compile_nutpie(model)

    def sample(self, x, seeds, *, draws, tune, chains, target_accept) -> Raw:
        import nutpie  # (start-up: imported when used)

        out = Raw.empty(self.names, len(x), chains, draws)
        for i, xi in enumerate(np.asarray(x, dtype=self.dtype)):
            try:
                tr = nutpie.sample(self.compiled.with_data(x=xi), draws=draws, tune=tune,
                                   chains=chains, cores=1, seed=int(seeds[i]),
                                   progress_bar=False, save_warmup=False,
                                   return_raw_trace=True, target_accept=target_accept)
                got, div, steps = _read_nutpie(tr, self.names, draws, chains)
            except Exception as exc:  # noqa: BLE001 - one replicate's failure is recorded
                out.error[i] = _reason(exc)
                continue
            for nm in self.names:
                out.draws[nm][i] = got[nm]
            out.divergences[i], out.steps[i] = div, steps
        return out


class NutpieJoint:
    """``block`` replicates in one PyMC model (independent parameters per replicate),
    compiled once by nutpie and sampled block by block with ``with_data``.

    Where the family declares ``pymc_sufficient_likelihood``, the block's model observes
    the replicates' sufficient statistics (``family.sufficient``), not their n values
    each: the same posterior, and a log-density and gradient in O(1) per replicate. A
    block with values outside the support is not sampled jointly (its replicates go one
    by one to the full model, :class:`NutpieEach`)."""

    any_n = True  # as NutpieEach (n is data in the sufficient statistics too)

    def __init__(self, family: Family, priors: dict, theta_fixed, x0: np.ndarray, block=10):
        quiet()
        self.block, self.names = int(block), list(priors)
        #: the family whose statistics the model observes, or None: the datasets
        self.stats = family if family.has("pymc_sufficient_likelihood") else None
        self.fixed = theta_fixed
        x0 = _pad(np.asarray(x0)[None], self.block)
        model, _, data = block_model(family, priors, theta_fixed, x0,
                                     sufficient=self.stats is not None)
        self.data = data.name
        self.dtype = data.type.dtype if self.stats is None else x0.dtype
        self.compiled = compile_nutpie(model)

    def sample(self, x, seeds, *, draws, tune, chains, target_accept) -> Raw:
        import nutpie  # (start-up: imported when used)

        x = np.asarray(x, dtype=self.dtype)
        R, B = len(x), self.block
        # what the model's pm.Data takes, for every replicate at once: the datasets, or
        # their statistics (never of a dataset with values outside the support)
        feed, outside = x, np.zeros(R, bool)
        if self.stats is not None:
            feed = self.stats.sufficient(x, self.fixed)
            outside = self.stats.outside_support(feed) > 0
        out = Raw.empty(self.names, R, chains, draws)
        for a in range(0, R, B):
            b = min(a + B, R)
            try:
                if outside[a:b].any():
                    raise ValueError("values outside the family's support")
                data = {self.data: _pad(feed[a:b], B)}
                tr = nutpie.sample(self.compiled.with_data(**data), draws=draws,
                                   tune=tune, chains=chains, cores=1,
                                   seed=seed_of(seeds[a:b]), progress_bar=False,
                                   save_warmup=False, return_raw_trace=True,
                                   target_accept=target_accept)
                got, div, steps = _read_nutpie(tr, self.names, draws, chains, (B,))
            except Exception as exc:  # noqa: BLE001 - the block's failure is recorded
                out.error[a:b] = _reason(exc)
                continue
            for nm in self.names:  # (chain, draw, B) -> (B, chain, draw)
                out.draws[nm][a:b] = np.moveaxis(got[nm], -1, 0)[: b - a]
            # a divergence of the joint trajectory belongs to the whole block
            out.divergences[a:b] = div
            out.steps[a:b] = steps // B
        return out


# --------------------------------------------------------------------------- JAX
class VmapNUTS:
    """BlackJAX window adaptation + NUTS, ``jax.vmap``-ed over ``block`` replicates ×
    chains lanes; one replicate's log-density is PyMC's JAX graph with the dataset as an
    input.

    Compiled once per model for every process: the traced program is exported
    (``jax.export``, StableHLO) to ``<jax cache>/exported/<key>.bin``, keyed by the model
    (family, priors, fixed values, data shape and dtype, block, draws, tune, chains,
    target_accept) and the versions of jax, jaxlib, blackjax, pymc, pytensor and this
    file; a later process deserialises it (no PyMC model, no tracing) and JAX's
    persistent cache serves the compiled executable.
    """

    def __init__(self, family: Family, priors: dict, theta_fixed, x0: np.ndarray, block=50):
        jax_cache()
        self.args = (family, priors, theta_fixed, x0)
        self.block, self.names, self.k = int(block), list(priors), len(priors)
        self.dtype = np.asarray(family.pymc_data(x0[None]))[0].dtype
        self._graph = None
        self._runs: dict = {}

    def _key(self, settings: tuple) -> str:

        family, priors, theta_fixed, x0 = self.args
        ident = {"family": family.name, "state": {k: repr(v) for k, v in
                                                  sorted(vars(family).items())},
                 "priors": priors, "fixed": {k: float(v) for k, v in theta_fixed.items()},
                 "shape": list(np.shape(x0)), "block": self.block, "settings": settings,
                 "versions": [version(p) for p in ("jax", "jaxlib", "blackjax", "pymc",
                                                   "pytensor")],
                 "source": hashlib.sha256(Path(__file__).read_bytes()).hexdigest()}
        text = json.dumps(ident, sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _build(self):
        """PyMC's JAX graphs of one replicate: log-density (with the Jacobians of the
        transforms) and the constrained parameters, both of (values..., data)."""
        from pymc.sampling.jax import get_jaxified_graph  # (start-up: imported when used)
        from pytensor.graph.replace import graph_replace  # (start-up: imported when used)

        quiet()
        family, priors, theta_fixed, x0 = self.args
        model, theta, data = build_model(family, priors, theta_fixed, x0)
        self.dtype = np.dtype(data.type.dtype)
        values = [model.rvs_to_values[theta[nm]] for nm in self.names]
        xin = data.type("x_in")
        logp = graph_replace(model.logp(), {data: xin}, strict=False)
        cons = graph_replace(model.replace_rvs_by_values([theta[nm] for nm in self.names]),
                             {data: xin}, strict=False)
        return (get_jaxified_graph(inputs=[*values, xin], outputs=[logp]),
                get_jaxified_graph(inputs=[*values, xin], outputs=cons))

    def _lane(self, draws, tune, target_accept):
        import blackjax  # (start-up: imported when used)
        import jax  # (start-up: imported when used)

        k = self.k
        logp_fn, cons_fn = self._graph

        def lane(key_data, xr):
            def logdensity(u):
                return logp_fn(*[u[j] for j in range(k)], xr)[0]

            rng = jax.random.wrap_key_data(key_data)
            k_init, k_warm, k_draw = jax.random.split(rng, 3)
            u0 = jax.random.uniform(k_init, (k,), minval=-1.0, maxval=1.0)  # PyMC's jitter
            warm = blackjax.window_adaptation(blackjax.nuts, logdensity,
                                              target_acceptance_rate=target_accept)
            (state, params), _ = warm.run(k_warm, u0, num_steps=tune)
            step = blackjax.nuts(logdensity, **params).step

            def body(st, kk):
                st, info = step(kk, st)
                return st, (st.position, info.is_divergent, info.num_integration_steps)

            _, (pos, div, steps) = jax.lax.scan(body, state, jax.random.split(k_draw, draws))
            theta = jax.vmap(lambda u: jax.numpy.stack(
                cons_fn(*[u[j] for j in range(k)], xr)))(pos)
            return theta, div.sum(), steps.sum()

        return lane

    def _run(self, draws, tune, chains, target_accept):
        settings = (draws, tune, chains, target_accept)
        if settings in self._runs:
            return self._runs[settings]
        import jax  # (start-up: imported when used)
        from jax import export  # (start-up: imported when used)

        path = Path(jax_cache()) / "exported" / f"{self._key(settings)}.bin"
        if path.exists():
            exp = export.deserialize(bytearray(path.read_bytes()))
        else:
            if self._graph is None:
                self._graph = self._build()
            lanes = self.block * chains
            x0 = np.asarray(self.args[3])
            spec = (jax.ShapeDtypeStruct((lanes, 2), np.uint32),
                    jax.ShapeDtypeStruct((lanes, *x0.shape), self.dtype))
            exp = export.export(jax.jit(jax.vmap(self._lane(draws, tune, target_accept))))(
                *spec)
            blob = exp.serialize()
            with atomic_path(path) as tmp:
                Path(tmp).write_bytes(blob)
            # run what later processes will load, so that they find its compiled form
            # in JAX's cache (the fresh export and the loaded one key differently)
            exp = export.deserialize(bytearray(blob))
        self.dtype = np.dtype(exp.in_avals[1].dtype)  # the data's dtype in the model
        self._runs[settings] = jax.jit(exp.call)
        return self._runs[settings]

    def sample(self, x, seeds, *, draws, tune, chains, target_accept) -> Raw:
        import jax  # (start-up: imported when used)

        run = self._run(draws, tune, chains, float(target_accept))
        x = np.asarray(x, dtype=self.dtype)
        R, B = len(x), self.block
        out = Raw.empty(self.names, R, chains, draws)
        for a in range(0, R, B):
            b = min(a + B, R)
            xs = np.repeat(_pad(x[a:b], B), chains, axis=0)  # lanes: replicate-major
            keys = np.concatenate([np.asarray(jax.random.key_data(jax.random.split(
                jax.random.fold_in(jax.random.key(np.uint32(s & 0xFFFFFFFF)),  # all 64 bits
                                   np.uint32(s >> 32)), chains)))
                for s in (int(v) for v in _pad(np.asarray(seeds[a:b]), B))])
            theta, div, steps = run(keys, xs)
            theta = np.asarray(theta).reshape(B, chains, draws, self.k)[: b - a]
            for j, nm in enumerate(self.names):
                out.draws[nm][a:b] = theta[..., j]
            out.divergences[a:b] = np.asarray(div).reshape(B, chains).sum(axis=1)[: b - a]
            out.steps[a:b] = np.asarray(steps).reshape(B, chains).sum(axis=1)[: b - a]
        return out


SAMPLERS = {"joint": NutpieJoint, "vectorized": VmapNUTS, "nutpie": NutpieEach}
