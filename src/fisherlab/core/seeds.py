"""Where every random number comes from.

Replicates are drawn in blocks of :data:`SEED_BLOCK`. Block ``b`` of a condition draws
from ``SeedSequence(seed, spawn_key=(*condition_words, b))``; the condition words hash
the family, the true parameter values and n, never a position in a list. So results do
not depend on ``--cores``, on the chunk size (a multiple of the block), on the order of
sample sizes or parameter values in the file, or on what else the study contains.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import numpy as np

#: replicates per seed block; chunk sizes are multiples of it
SEED_BLOCK = 100


def condition_words(family: str, params: Mapping, n: int) -> tuple[int, ...]:
    """Eight 32-bit words hashing (family, true parameter values, n). A parameter whose
    truth each replicate draws from a prior (a mapping, see :mod:`fisherlab.core.priors`) is
    hashed by its prior."""
    ident = json.dumps({"family": family, "n": int(n),
                        "params": {k: dict(v) if isinstance(v, Mapping) else float(v)
                                   for k, v in sorted(params.items())}},
                       sort_keys=True)
    digest = hashlib.sha256(ident.encode()).digest()
    return tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 32, 4))


def block_rng(seed: int, family: str, params: Mapping, n: int,
              block: int) -> np.random.Generator:
    """The generator of one seed block of one condition."""
    ss = np.random.SeedSequence(seed, spawn_key=(*condition_words(family, params, n), block))
    return np.random.default_rng(ss)


def replicate_seeds(seed: int, family: str, params: Mapping, n: int, start: int,
                    stop: int) -> np.ndarray:
    """One 64-bit seed per replicate in [start, stop), for estimators that draw random
    numbers themselves (a posterior sampler).

    Replicate ``r`` of block ``b`` gets ``SeedSequence(seed, spawn_key=(*words, b, i))``
    with ``i = r - 100 b``: a stream of its own, independent of the block's data stream
    (a longer spawn key) and of every other replicate's, and fixed by the replicate's
    identity alone, so it does not depend on the data, the chunking or ``--cores``.
    """
    words = condition_words(family, params, n)
    out = np.empty(stop - start, dtype=np.uint64)
    for r in range(start, stop):
        b, i = divmod(r, SEED_BLOCK)
        ss = np.random.SeedSequence(seed, spawn_key=(*words, b, i))
        out[r - start] = ss.generate_state(1, dtype=np.uint64)[0]
    return out


def blocks(start: int, stop: int) -> list[tuple[int, int]]:
    """(block index, replicates in it) covering replicates [start, stop); start is aligned."""
    if start % SEED_BLOCK:
        raise ValueError(f"a chunk must start at a multiple of {SEED_BLOCK}, not {start}")
    return [(b, min(SEED_BLOCK, stop - b * SEED_BLOCK))
            for b in range(start // SEED_BLOCK, -(-stop // SEED_BLOCK))]


def measure_rng(seed: int, family: str, params: Mapping, n: int,
                *names: str) -> np.random.Generator:
    """The generator of a bootstrap MCSE of one cell: the study seed, the condition's
    words and eight words hashing ``names`` (estimator, estimand, measure and its
    arguments). Its spawn key is longer than a data block's or a replicate's, so the
    stream is none of theirs, and it depends on the cell's identity alone."""
    digest = hashlib.sha256(json.dumps(list(names)).encode()).digest()
    words = tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 32, 4))
    return np.random.default_rng(np.random.SeedSequence(
        seed, spawn_key=(*condition_words(family, params, n), *words)))
