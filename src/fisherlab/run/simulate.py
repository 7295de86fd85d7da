"""Run one chunk: draw its datasets, fit every estimator, return the replicate rows.

This is SimDesign's *generate* and *analyse* for one job. A chunk is a pure function
of the study object and the chunk (its identity is :meth:`fisherlab.spec.study.Study.spec`);
its rows follow the ``estimates.parquet`` contract (README, "Outputs").

Truths drawn from a prior (simulation-based calibration)
--------------------------------------------------------
A parameter whose true value in the spec is a prior mapping (``{dist: Beta, alpha: 2,
beta: 2}``, see :mod:`fisherlab.core.priors`) gets a truth per replicate: in each seed block
the block's generator first draws the block's truths (scipy, parameters in sorted
order), then the datasets, so the same seed gives bit-identical truths and data. The
block's seed hashes the prior itself in place of a value (:mod:`fisherlab.core.seeds`).
``true_<param>`` and ``true_value`` then vary per row, and a column ``prior_<param>``
(the prior, described) marks the parameter as drawn, for
:func:`fisherlab.stats.measures.summarise`.

For an estimator whose fits carry posterior draws (``posterior``), the rows also get
``pit``: the posterior CDF at the true value, estimated by the share of draws below it
(the normalised SBC rank statistic of Talts et al. 2018, arXiv:1804.06788); uniform on
(0, 1) when truths come from the estimator's own prior and the sampler is right.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.files import atomic_path
from ..core.labels import group_columns, prior_col, true_col
from ..core.priors import describe as describe_prior
from ..core.priors import draw as draw_prior
from ..core.seeds import block_rng, blocks, replicate_seeds
from ..estimators.base import fit_timeout
from ..families.point import blank_reasons
from ..spec.study import Chunk, Study

#: columns of estimates.parquet after the ``true_<param>`` columns
COLUMNS = ["n", "replicate", "estimator", "estimand", "true_value", "estimate", "se",
           "ci_low", "ci_high", "converged", "reason", "iterations", "chunk"]


def drawn_params(params: Mapping) -> list[str]:
    """The parameters whose truth each replicate draws from a prior, sorted."""
    return sorted(k for k, v in params.items() if isinstance(v, Mapping))


def draw_with_truth(study: Study, chunk: Chunk) -> tuple[dict, np.ndarray]:
    """The chunk's true parameters and datasets ``(stop - start, n)``, block by block.

    ``theta`` holds a float per fixed truth and an array ``(R,)`` per drawn one; in each
    block the truths are drawn before the data, from the block's generator.
    """
    fam = study.family
    params, n = chunk.condition.params, chunk.condition.n
    drawn = drawn_params(params)
    truths: dict[str, list] = {k: [] for k in drawn}
    parts = []
    for b, size in blocks(chunk.start, chunk.stop):
        rng = block_rng(study.seed, fam.name, params, n, b)
        theta = dict(params)
        for k in drawn:
            truths[k].append(draw_prior(params[k], rng, size))
            theta[k] = truths[k][-1][:, None]  # one truth per dataset (row)
        parts.append(fam.sample(rng, theta, (size, n)))
    theta = {**params, **{k: np.concatenate(v) for k, v in truths.items()}}
    return theta, np.concatenate(parts, axis=0)


def draw(study: Study, chunk: Chunk) -> np.ndarray:
    """The chunk's datasets, shape ``(stop - start, n)``, block by block."""
    return draw_with_truth(study, chunk)[1]


def pit(draws: np.ndarray, truth) -> np.ndarray:
    """Per replicate, the share of posterior draws below the truth: draws ``(R, ...)``,
    truth a float or ``(R,)``; NaN where a replicate has no draws."""
    flat = draws.reshape(draws.shape[0], -1)
    t = np.broadcast_to(np.asarray(truth, float), (flat.shape[0],))[:, None]
    with np.errstate(invalid="ignore"):
        out = np.mean(flat < t, axis=1)
    return np.where(np.all(np.isfinite(flat), axis=1), out, np.nan)


#: sampler warnings as columns (estimators that ``samples``): flag name -> column
FLAG_COLUMNS = {"rhat": "rhat", "ess_bulk": "ess_bulk", "ess_tail": "ess_tail",
                "divergences": "divergences"}
#: an optimiser's evaluations of the log-likelihood, gradient and Hessian per fit: columns
#: of a study with a named ``mle`` method (``reports_evaluations``); 0 where not counted
EVALUATION_COLUMNS = ("fevals", "gevals", "hevals")


def run_chunk(study: Study, chunk: Chunk, draws_path: str | Path | None = None
              ) -> pd.DataFrame:
    """Fit every estimator of the study to the chunk's datasets: one row per replicate ×
    estimator × estimand.

    ``draws_path``: where an estimator with ``keep_draws: true`` writes the chunk's
    posterior draws (NetCDF, :func:`write_draws`); without it nothing is written.
    """
    seconds: dict = {}
    columns: dict[str, list] = {}
    for _, parts in fitted_parts(study, chunk, draws_path, seconds):
        for _, part in parts:
            for col, v in part.items():
                columns.setdefault(col, []).append(v)
    df = pd.DataFrame({col: np.concatenate(v) for col, v in columns.items()})
    # seconds per estimator and the fits they cover: pandas keeps ``attrs`` in the chunk
    # file's metadata, where provenance.json collects them (timings per fit)
    df.attrs["fit_seconds"] = seconds
    return df


def fitted_parts(study: Study, chunk: Chunk, draws_path: str | Path | None = None,
                 seconds: dict | None = None) -> Iterator[tuple[str, list]]:
    """The rows of :func:`run_chunk` an estimator at a time, as they are fitted: per
    estimator of the study, ``(its id, [(estimand, columns), ...])``, the columns (numpy
    arrays of the chunk's R replicates, in the order of :func:`run_chunk`'s columns) one
    set per estimand. ``seconds`` (a dict) gets ``replicates`` and, per estimator, the
    wall time of its fit."""
    fam = study.analysis  # what the estimators fit (the data's own family, or fit_model's)
    theta, x = draw_with_truth(study, chunk)
    R = x.shape[0]
    estimands = tuple(study.estimands)
    truth = {}
    if study.fit_model is not None:  # the truth is the pseudo-true value (or target: data)
        fixed = dict(study.fit_model.params)
        truth = study.fit_truths(chunk.condition.params)
    else:
        fixed = fam.fixed_values(theta)
    for e in estimands if study.fit_model is None else ():
        t = np.asarray(fam.truth(theta, e), dtype=float)
        truth[e] = float(t) if t.ndim == 0 else np.broadcast_to(t, (R,)).copy()
    replicate = np.arange(chunk.start, chunk.stop)
    cond = chunk.condition
    # the condition's columns first: true values (a drawn one varies per replicate), then
    # the priors they were drawn from
    head = {true_col(k): v if isinstance(v, np.ndarray) else np.full(R, float(v))
            for k, v in sorted(theta.items())}
    head.update({prior_col(k): np.full(R, describe_prior(cond.params[k]), dtype=object)
                 for k in drawn_params(cond.params)})
    # a study with a sampler gets its columns on every row (one dtype per column), and
    # per-replicate seeds (200 us each: only computed where an estimator samples)
    sampling = any(s.estimator.samples for s in study.estimators)
    counting = any(s.estimator.reports_evaluations() for s in study.estimators)
    seeds = (replicate_seeds(study.seed, study.family.name, cond.params, cond.n, chunk.start,
                             chunk.stop) if sampling else None)
    # the rows column by column, one array per estimator × estimand: a DataFrame per
    # estimator × estimand costs ~0.5 ms, more than drawing the data of a cheap cell
    seconds = {} if seconds is None else seconds
    seconds.update({"replicates": R, "seconds": {}})
    for spec in study.estimators:
        estimator = spec.estimator
        t0 = time.perf_counter()
        with fit_timeout(study.fit_timeout):
            fits = estimator.fit(fam, x, fixed, estimands, study.level, seeds=seeds)
        seconds["seconds"][spec.id] = round(time.perf_counter() - t0, 6)
        kept, parts = {}, []
        for e in estimands:
            f = fits[e]
            part = {
                **head,
                "n": np.full(R, cond.n, dtype=np.int64), "replicate": replicate,
                "estimator": _repeat(spec.id, R), "estimand": _repeat(e, R),
                "true_value": np.broadcast_to(np.asarray(truth[e], dtype=float), (R,)),
                "estimate": f.estimate, "se": f.se, "ci_low": f.ci_low, "ci_high": f.ci_high,
                "converged": f.converged, "reason": _strings(f.reason),
                "iterations": f.iterations.astype(np.int64),
                "chunk": np.full(R, chunk.index, dtype=np.int64)}
            if sampling:
                part["pit"] = (pit(f.draws, truth[e]) if f.draws is not None
                               else np.full(R, np.nan))
                part["flagged"] = (np.zeros(R, bool) if f.flagged is None
                                   else np.asarray(f.flagged, bool))
                part["flag_reason"] = (blank_reasons(R) if f.flag_reason is None
                                       else np.asarray(f.flag_reason, object).astype(str)
                                       .astype(object))
                for k, col in FLAG_COLUMNS.items():
                    part[col] = np.asarray((f.flags or {}).get(k, np.full(R, np.nan)), float)
                if f.draws is not None:
                    kept[e] = f.draws
            for col in EVALUATION_COLUMNS if counting else ():
                part[col] = np.asarray((f.evaluations or {}).get(col, np.zeros(R)), np.int64)
            parts.append((e, {col: np.asarray(v) for col, v in part.items()}))
        if kept and draws_path is not None and spec.options.get("keep_draws"):
            write_draws(draws_path, kept, replicate, theta, spec.id, study, chunk)
        yield spec.id, parts


def _repeat(value: str, R: int) -> np.ndarray:
    """``np.full(R, value, dtype=object)``: filled, not cast element by element (which
    took 60 us for 2000 rows, per column and estimand)."""
    out = np.empty(R, dtype=object)
    out.fill(value)
    return out


def _strings(values: np.ndarray) -> np.ndarray:
    """``values.astype(str).astype(object)``; a column of one string (a closed form's
    reasons, all "") is filled at once, not converted value by value."""
    if (len(values) and values.dtype == object and isinstance(values[0], str)
            and (values == values[0]).all()):
        return _repeat(values[0], len(values))
    return values.astype(str).astype(object)


def combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Chunks' rows as one estimates table, in a fixed order (condition, n, estimator,
    estimand, replicate) that does not depend on how the study was chunked; without the
    ``chunk`` column (which chunk held a replicate is in provenance.json)."""
    df = pd.concat(frames, ignore_index=True).drop(columns="chunk", errors="ignore")
    df = df.sort_values(group_columns(df) + ["replicate"], kind="stable", ignore_index=True)
    df.attrs = {}  # chunk timings stay in provenance.json: the estimates are the same bytes
    return df


def write_draws(path: str | Path, draws: Mapping[str, np.ndarray], replicate, theta,
                estimator: str, study: Study, chunk: Chunk) -> None:
    """The chunk's posterior draws as one NetCDF file (an xarray Dataset, NetCDF-3 by
    scipy, no extra dependency): per estimand a variable (replicate, chain, draw), the
    true values as ``true_<param>`` (replicate,), the condition in the attributes.
    Written atomically (:func:`fisherlab.core.files.atomic_path`)."""
    import xarray as xr  # (start-up: xarray costs half a second to import)

    R = len(replicate)
    data = {e: (("replicate", "chain", "draw"), np.asarray(v, float)) for e, v in draws.items()}
    for k, v in sorted(theta.items()):
        data[f"true_{k}"] = (("replicate",), np.broadcast_to(np.asarray(v, float), (R,)))
    ds = xr.Dataset(data, coords={"replicate": np.asarray(replicate, np.int32)},
                    attrs={"estimator": estimator, "study": study.name,
                           "n": int(chunk.condition.n), "chunk": int(chunk.index),
                           "seed": str(study.seed),
                           "spec": json.dumps(study.spec(chunk), sort_keys=True, default=str)})
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="scipy")
