"""The ``posterior`` estimator: NUTS for every replicate of a chunk at once.

Samplers (option ``sampler``, :mod:`fisherlab.estimators.samplers`):

* ``joint`` (default): blocks of ``block`` replicates (20) as one PyMC model of
  independent replicates, sampled by nutpie: the fastest on a CPU (docs/bayes.md);
* ``vectorized``: BlackJAX NUTS ``jax.vmap``-ed over replicates and chains on PyMC's
  JAX graph, each lane with its own adaptation (blocks of 50); compiled once per model
  for every later process by JAX's persistent cache, and runs on a GPU where JAX has one;
* ``nutpie``: one dataset at a time, nutpie compiled once (for models the block model
  cannot take; ``joint`` and ``vectorized`` fall back to it when their model fails to
  build, and sample alone the replicates of a block whose sampling raised).

From the draws, for all replicates at once (ArviZ's array functions on
``(replicate, chain, draw)``): point estimate the posterior mean (option ``point:
median``), ``se`` the posterior SD, the equal-tailed or HDI interval (``interval``) at
the study's level; derived estimands are computed draw by draw. Per replicate:
rank-normalised R-hat (max over parameters), bulk and tail ESS (min over parameters;
Vehtari et al. 2021) and the number of divergent transitions.

Warnings are flags, not failures
--------------------------------
A replicate is *failed* (``converged=False``) only when there is no usable posterior:
sampling raised, or a draw is not finite. Divergences, R-hat above ``max_rhat`` (1.01)
and an ESS below ``min_ess`` (100 per chain) *flag* it (``flagged``, ``flag_reason``
naming the kinds, ``flags`` with the values); its estimate stays in the measures, and
the ``flags`` diagnostic shows the measures with and without the flagged replicates.
With ``retry_divergent`` (default), replicates with divergences (for ``joint``: every
replicate of a block whose joint trajectory diverged, since a divergence cannot be
attributed inside a block) are sampled again one by one by nutpie at
``retry_target_accept`` (0.99) before a flag is kept; their own divergences are then
the ones reported.

Seeds: the replicate's own seed (:func:`fisherlab.core.seeds.replicate_seeds`, from its seed
block and index, never the data). A joint block uses the SeedSequence of its
replicates' seeds; a retry uses the SeedSequence of (seed, 2^32 - 1, 1); a non-zero
option ``seed`` is mixed into every replicate's seed. Called without seeds (outside a
study), replicate i of the batch gets the i-th word of SeedSequence(option seed).
"""

from __future__ import annotations

import logging

import numpy as np

from ..families.base import Family, Point
from .base import Work
from .bayes import _PRIOR_SCHEMA, _Bayes
from .registry import register
from .samplers import BLOCKS, SAMPLERS, NutpieEach, Raw, seed_of

log = logging.getLogger(__name__)

#: default replicates per block, by sampler (docs/bayes.md: the measurements)
DEFAULT_BLOCK = {"joint": 20, "vectorized": 50, "nutpie": 1}
#: the smallest bulk and tail ESS per chain, when ``min_ess`` is not given
MIN_ESS_PER_CHAIN = 100
#: the kinds of sampler warning, as ``flag_reason`` names them
DIVERGENCES, RHAT, ESS = "divergences", "R-hat above max_rhat", "ESS below min_ess"


@register
class Posterior(_Bayes):
    name = "posterior"
    doc = ("NUTS on every replicate of a chunk at once (nutpie on joint blocks of "
           "replicates, or BlackJAX vmapped, or nutpie per dataset): posterior mean (or "
           "median), posterior SD as se, equal-tailed or HDI credible interval; "
           "divergences, high R-hat and low ESS are flags, not failures")
    options_schema = {
        "prior": _PRIOR_SCHEMA,
        "draws": {"type": "integer", "minimum": 10, "default": 1000},
        "tune": {"type": "integer", "minimum": 10, "default": 1000},
        "chains": {"type": "integer", "minimum": 2, "maximum": 16, "default": 2},
        "interval": {"enum": ["eti", "hdi"], "default": "eti"},
        "point": {"enum": ["mean", "median"], "default": "mean"},
        "max_rhat": {"type": "number", "minimum": 1, "default": 1.01},
        "min_ess": {"type": "number", "minimum": 0,
                    "description": f"smallest bulk/tail ESS; default {MIN_ESS_PER_CHAIN} "
                                   "per chain"},
        "seed": {"type": "integer", "minimum": 0, "default": 0,
                 "description": "mixed into every replicate's own seed when not 0"},
        "sampler": {"enum": list(SAMPLERS), "default": "joint",
                    "description": "joint: nutpie on blocks of replicates as one model; "
                                   "vectorized: BlackJAX vmapped over replicates (JAX, GPU); "
                                   "nutpie: one dataset at a time"},
        "block": {"enum": list(BLOCKS),
                  "description": "replicates per joint model or vmapped batch (a divisor "
                                 "of 100); default 20 for joint, 50 for vectorized"},
        "target_accept": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1,
                          "default": 0.9},
        "retry_divergent": {"type": "boolean", "default": True,
                            "description": "sample replicates with divergences again, one "
                                           "by one, at retry_target_accept"},
        "retry_target_accept": {"type": "number", "exclusiveMinimum": 0,
                                "exclusiveMaximum": 1, "default": 0.99},
        "keep_draws": {"type": "boolean", "default": False,
                       "description": "also write the posterior draws to NetCDF beside "
                                      "the chunk file, one per cell (<job>.n<n>.draws.nc)"},
    }

    compiler = NutpieEach
    samples = True
    label_options = ("point", "interval")

    def thresholds(self) -> tuple[float, float]:
        """(max_rhat, min_ess) of this estimator's options (the flags diagnostic's too)."""
        return (float(self.option("max_rhat")),
                float(self.options.get("min_ess", MIN_ESS_PER_CHAIN * self.option("chains"))))

    def work(self) -> Work:
        """Sampling time grows with (draws + tune) × chains against the defaults', and
        draws × chains are kept per replicate and estimand."""
        draws, tune, chains = (int(self.option(k)) for k in ("draws", "tune", "chains"))
        default = {k: self.options_schema[k]["default"] for k in ("draws", "tune", "chains")}
        return Work((draws + tune) * chains
                    / ((default["draws"] + default["tune"]) * default["chains"]),
                    draws * chains)

    def seeds_for(self, R: int, seeds) -> np.ndarray:
        """Each replicate's sampler seed (see the module docstring)."""
        extra = int(self.option("seed"))
        if seeds is None:
            return np.random.SeedSequence(extra).generate_state(R, dtype=np.uint64)
        seeds = np.asarray(seeds, dtype=np.uint64)
        if len(seeds) != R:
            raise ValueError(f"{len(seeds)} seeds for {R} replicates")
        return seeds if not extra else np.array([seed_of([s, extra]) for s in seeds],
                                                dtype=np.uint64)

    def sampler(self, family: Family, theta_fixed, x0):
        """The compiled sampler of the option ``sampler``; nutpie per dataset when the
        joint or vectorised model cannot be built for this family."""
        kind = self.option("sampler")
        block = int(self.options.get("block") or DEFAULT_BLOCK[kind])
        try:
            return self.compiled(family, theta_fixed, x0, SAMPLERS[kind], block=block)
        except Exception as exc:  # noqa: BLE001 - the per-dataset path takes any model
            if kind == "nutpie":
                raise
            log.warning("posterior: the %s sampler cannot take this model (%s: %s); "
                        "sampling one dataset at a time", kind, type(exc).__name__, exc)
            return self.compiled(family, theta_fixed, x0, NutpieEach, block=1)

    def point(self, family, x, theta_fixed, level, seeds=None):
        x = family.pymc_data(x)
        R = x.shape[0]
        seeds = self.seeds_for(R, seeds)
        kw = {k: int(self.option(k)) for k in ("draws", "tune", "chains")}
        fn = self.sampler(family, theta_fixed, x[0])
        target = float(self.option("target_accept"))
        raw = fn.sample(x, seeds, target_accept=target, **kw)
        alone = np.flatnonzero(raw.error != "")
        if alone.size and not isinstance(fn, NutpieEach):
            # a joint block or vmapped batch that raised (e.g. no valid initial point for
            # all its replicates at once): its replicates one by one, with their own seeds
            each = self.compiled(family, theta_fixed, x[0], NutpieEach, block=1)
            raw.put(alone, each.sample(x[alone], seeds[alone], target_accept=target, **kw))
        if self.option("retry_divergent"):
            again = np.flatnonzero((raw.divergences > 0) & (raw.error == ""))
            if again.size:
                each = self.compiled(family, theta_fixed, x[0], NutpieEach, block=1)
                retry_seeds = [seed_of([s, 0xFFFFFFFF, 1]) for s in seeds[again]]
                raw.put(again, each.sample(
                    x[again], retry_seeds,
                    target_accept=float(self.option("retry_target_accept")), **kw))
        return self.summarise(family, theta_fixed, raw, level)

    def summarise(self, family: Family, theta_fixed, raw: Raw, level: float) -> Point:
        """Estimates, intervals, diagnostics and flags of every replicate, from the draws
        ``(R, chain, draw)``, with ArviZ's array functions over all replicates at once."""
        from arviz_stats.base import array_stats  # (start-up: imported when used)

        names = list(raw.draws)
        R = len(raw.error)
        finite = np.ones(R, bool)
        for v in raw.draws.values():
            finite &= np.all(np.isfinite(v), axis=(1, 2))
        ok = (raw.error == "") & finite
        reason = np.where(raw.error != "", raw.error,
                          np.where(finite, "", "non-finite posterior draws")).astype(object)
        idx = np.flatnonzero(ok)
        theta = {**theta_fixed, **{nm: v[idx] for nm, v in raw.draws.items()}}
        shape = (idx.size, *raw.draws[names[0]].shape[1:])
        median = self.option("point") == "median"
        hdi = self.option("interval") == "hdi"
        est, se, ci, kept = {}, {}, {}, {}
        for e in family.estimands():
            ary = np.broadcast_to(np.asarray(family.truth(theta, e), float), shape)
            kept[e] = np.full((R, *shape[1:]), np.nan)
            kept[e][idx] = ary
            est[e], se[e] = np.full(R, np.nan), np.full(R, np.nan)
            lo, hi = np.full(R, np.nan), np.full(R, np.nan)
            if idx.size:
                flat = ary.reshape(idx.size, -1)
                est[e][idx] = np.median(flat, axis=1) if median else flat.mean(axis=1)
                se[e][idx] = flat.std(axis=1, ddof=1)
                bounds = (array_stats.hdi if hdi else array_stats.eti)(flat, level, axis=-1)
                lo[idx], hi[idx] = bounds[..., 0], bounds[..., 1]
            ci[e] = (lo, hi)
        flags = {k: np.full(R, np.nan) for k in ("rhat", "ess_bulk", "ess_tail")}
        if idx.size:  # diagnostics on the parameters themselves, max/min over them
            per = [convergence(raw.draws[nm][idx]) for nm in names]
            flags["rhat"][idx] = np.max([d[0] for d in per], axis=0)
            flags["ess_bulk"][idx] = np.min([d[1] for d in per], axis=0)
            flags["ess_tail"][idx] = np.min([d[2] for d in per], axis=0)
        flags["divergences"] = np.asarray(raw.divergences, float)
        flagged, why = self.flag(flags, ok)
        return Point(est, se=se, interval=ci, converged=ok, reason=reason,
                     iterations=np.asarray(raw.steps, np.int64), draws=kept,
                     flagged=flagged, flag_reason=why, flags=flags)

    def flag(self, flags: dict, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``flagged`` and ``flag_reason`` (the kinds, joined by '; ') per replicate."""
        max_rhat, min_ess = self.thresholds()
        ess = np.fmin(flags["ess_bulk"], flags["ess_tail"])
        kinds = [(flags["divergences"] > 0, DIVERGENCES),
                 (~(flags["rhat"] <= max_rhat), RHAT),  # NaN R-hat (stuck chains) too
                 (~(ess >= min_ess), ESS)]
        why = np.array(["; ".join(k for hit, k in kinds if hit[i]) if ok[i] else ""
                        for i in range(len(ok))], dtype=object)
        return ok & (why != ""), why


def convergence(draws: np.ndarray, tail: float = 0.05) -> tuple[np.ndarray, ...]:
    """Rank-normalised split R-hat, bulk ESS and tail ESS (the smaller of the ESS of the
    ``tail`` and ``1 - tail`` quantiles) of every replicate of ``draws`` ``(R, chain,
    draw)``, all replicates at once (Vehtari et al. 2021).

    ArviZ's computations: those of ``arviz_stats.numba.diagnostics``, which work on a
    DataArray with any further dimensions (here the replicate) in one pass: ranks,
    normal scores, autocovariances by FFT, Geyer's truncation as a numba gufunc.
    ``arviz_stats.base.array_stats.rhat``/``ess`` give the same numbers (tested to
    1e-12) but loop over the replicates in Python, rank-transforming each one three
    times: 2.4 ms per replicate and parameter, a third of the joint sampler's time.
    Here the bulk normal scores serve both R-hat and bulk ESS. A replicate whose draws
    are constant gets R-hat NaN and ESS chain x draw, as ArviZ's array functions give."""
    import xarray as xr  # (start-up: imported when used)

    nd = _arviz_numba()
    draws = np.asarray(draws, float)
    R, chains, n_draw = draws.shape
    size = float(chains * n_draw)

    def arr(a):
        return xr.DataArray(a, dims=("replicate", "chain", "draw"))

    def ess(a):  # ArviZ's ESS; chain x draw where the values do not vary, as ArviZ's
        out = np.full(len(a), size)
        vary = np.ptp(a.reshape(len(a), -1), axis=1) >= np.finfo(float).resolution
        if vary.any():
            out[vary] = nd._ess(arr(a[vary])).values
        return out

    split = nd._split_chains(arr(draws))
    z = nd._z_scale(split)
    bulk, fold = nd._rhat(z).values, nd._rhat(nd._z_fold(split)).values
    rhat = np.where(bulk > fold, bulk, fold)
    ess_bulk = ess(z.values)
    # ArviZ's tail ESS: the ESS of the indicators draw <= quantile, split, at both tails
    q = np.quantile(draws.reshape(R, -1), [tail, 1 - tail], axis=1)
    low, high = (ess(nd._split_chains(arr((draws <= qi[:, None, None]).astype(float)))
                     .values) for qi in q)
    return rhat, ess_bulk, np.fmin(low, high)


def _arviz_numba():
    """``arviz_stats.numba.diagnostics``, imported under an exclusive file lock.

    Importing it compiles numba gufuncs with ``cache=True`` (``geyer``). Processes that
    compile and write the same cache entry at once corrupt it: the default run's
    Bayesian jobs, started together on an empty cache, died with "LLVM ERROR: Symbol not
    found: __gufunc__..._quantile_ufunc". Under the lock the first process compiles and
    writes the cache, the others then load it.

    The module is loaded from its file, without running its package's ``__init__``
    (``arviz_stats.numba.array``), which compiles ``_quantile_ufunc``, a gufunc
    :func:`convergence` never calls: 5 of the 6 CPU-s of the import on an empty numba
    cache (the first Bayesian job of a cold run), and 0.45 s of each later job's, which
    loads it from the cache. The same module and functions, so the same numbers; where
    the file is not there (another layout of ArviZ), the ordinary import."""
    import sys

    name = "arviz_stats.numba.diagnostics"
    if name in sys.modules:
        return sys.modules[name]
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        fcntl = None
    import os
    import tempfile
    from importlib import import_module
    from importlib.util import find_spec, module_from_spec, spec_from_file_location
    from pathlib import Path

    user = getattr(os, "getuid", lambda: 0)()
    lock = Path(tempfile.gettempdir()) / f"fisherlab-numba-{user}.lock"
    with open(lock, "a") as fh:
        if fcntl is not None:
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            path = Path(find_spec("arviz_stats").origin).parent / "numba" / "diagnostics.py"
            if not path.is_file():
                return import_module(name)
            spec = spec_from_file_location(name, path)
            module = module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
            return module
        finally:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_UN)
