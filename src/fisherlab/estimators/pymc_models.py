"""The PyMC plumbing the Bayesian estimators share: models, compilers and caches.

* :func:`build_model`: one condition's model, priors then the family's likelihood with
  the data as ``pm.Data``; :func:`block_model`: R independent replicates in one model
  (the batched MAP, the joint posterior sampler);
* :func:`jax_function`: ``pytensor.function`` through PyTensor's JAX backend (the MAP);
  :func:`jax_cache`: JAX's persistent compilation cache and 64-bit floats;
* :func:`compile_nutpie`: nutpie's compiled model (the posterior samplers).

PyMC, PyTensor, JAX and nutpie are imported inside these functions: each costs seconds
to import, and most jobs fit no Bayesian estimator.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np

from ..core import priors as priors_mod
from ..families.base import Family


def quiet() -> None:
    """PyMC's own log lines (a sampler per replicate would print one each), off."""
    logging.getLogger("pymc").setLevel(logging.ERROR)


def build_model(family: Family, priors: dict, theta_fixed, x0: np.ndarray):
    """The PyMC model of one condition: priors, then the family's likelihood with the
    data as ``pm.Data("x")`` initialised to ``x0``. Returns (model, theta rvs, data)."""
    import pymc as pm  # (start-up: PyMC costs seconds to import)

    with pm.Model() as model:
        theta = {nm: priors_mod.pymc_rv(nm, spec) for nm, spec in priors.items()}
        data = family.pymc_likelihood(theta, x0, theta_fixed)
    return model, theta, data


def block_model(family: Family, priors: dict, theta_fixed, x: np.ndarray, *,
                sufficient: bool = False, check_bounds: bool = True):
    """The PyMC model of ``len(x)`` independent replicates: each parameter's prior has
    shape ``(R,)`` and the family's likelihood sees ``theta[:, None]`` against the data
    ``(R, n)``, or (``sufficient``) the replicates' sufficient statistics
    (:meth:`~fisherlab.families.base.Family.pymc_sufficient_likelihood`). Returns
    (model, theta rvs, data). ``check_bounds=False``: a value outside a parameter's
    support gives a NaN log-density instead of raising for the whole block."""
    import pymc as pm  # (start-up: PyMC costs seconds to import)

    R = len(x)
    with pm.Model(check_bounds=check_bounds) as model:
        theta = {nm: priors_mod.pymc_rv(nm, spec, shape=(R,)) for nm, spec in priors.items()}
        if sufficient:
            data = family.pymc_sufficient_likelihood(theta, family.sufficient(x, theta_fixed),
                                                     theta_fixed)
        else:
            data = family.pymc_likelihood({nm: v[:, None] for nm, v in theta.items()},
                                          x, theta_fixed)
    return model, theta, data


def jax_function(inputs, outputs):
    """``pytensor.function`` through PyTensor's JAX backend, returning NumPy arrays.

    JAX, not PyTensor's default (C or numba) linker: on an empty cache, the C linker
    spends ~30 s compiling the MAP's functions in every new process and numba as long,
    where XLA takes ~5 s for the first sample size and ~0.7 s for each further one
    (measured on normal_mean_prior's model, docs/bayes.md); JAX's persistent cache
    (:func:`jax_cache`) serves later processes.
    """
    import pytensor  # (start-up: PyTensor and PyMC cost seconds to import)

    jax_cache()  # 64-bit floats, as PyMC's graphs; the persistent compilation cache
    with warnings.catch_warnings():
        # a parameter's support check (p in [0, 1]) is dropped by JAX: outside it the
        # loss is NaN, which the line search and L-BFGS-B reject, as with check_bounds=False
        warnings.filterwarnings("ignore", "Skipping Check", UserWarning)
        fn = pytensor.function(inputs, outputs, mode="JAX")
    if isinstance(outputs, list):
        return lambda *a: [np.asarray(o) for o in fn(*a)]
    return lambda *a: np.asarray(fn(*a))


def jax_cache() -> str:
    """Turn on JAX's persistent compilation cache (``FISHERLAB_JAX_CACHE``, default
    ``~/.cache/fisherlab/jax``) and 64-bit floats (PyMC's graphs are float64)."""
    import jax  # (start-up: JAX costs seconds to import)

    path = os.environ.get("FISHERLAB_JAX_CACHE",
                          str(Path.home() / ".cache" / "fisherlab" / "jax"))
    jax.config.update("jax_enable_x64", True)
    # start JAX's backend now: importing pymc.sampling.jax later sets XLA_FLAGS to 100
    # host devices, which would change the compiled programs' cache keys in the first
    # process only (later processes load the exported program without importing it)
    jax.devices()
    if jax.config.jax_compilation_cache_dir != path:
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    return path


def compile_nutpie(model):
    """nutpie's compiled model (PyTensor's numba backend), compiled afresh in every
    process: not from PyTensor's numba cache. With numba's fastmath (PyTensor's default)
    a function compiled afresh and the same function loaded from the cache round
    differently, and NUTS trajectories amplify one ulp into other draws: the same study
    and seed gave posterior estimates up to 0.14 apart on a cold and on a warm cache.
    Without fastmath the two agree, but sampling took 65% longer (12.9 against 7.8 ms per
    replicate, docs/bayes.md); without the cache a later job compiles ~6 s longer."""
    import nutpie  # (start-up: nutpie, PyTensor and numba cost seconds to import)
    import pytensor  # (start-up: imported when used)

    with pytensor.config.change_flags(numba__cache=False):
        return nutpie.compile_pymc_model(model)
