"""measures.csv: a study's own measures (``measures:``), one row per cell × measure.

The measures need the replicate rows themselves (a median is not mergeable), so each
cell (condition × n × estimator × estimand) is read alone from its partition
(:meth:`fisherlab.run.dataset.Estimates.read`, one row group), its failed fits left
out, and every measure of the study evaluated on it with its MCSE
(:func:`fisherlab.stats.plugins.evaluate`): memory holds one cell, never the study. A
bootstrap draws from :func:`fisherlab.core.seeds.measure_rng`, fixed by the study seed
and the cell's identity, so the table is the same on every run.

Columns: the condition columns as summary.csv has them, then
:data:`fisherlab.stats.plugins.COLUMNS` (``n, estimator, param, measure, label, value,
mcse, mcse_method, replicates``), ``replicates`` being the S fits that gave an estimate.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..core.labels import param_columns
from ..core.seeds import measure_rng
from ..run.dataset import Estimates
from ..spec.study import Study
from ..stats.plugins import BOOTSTRAP, COLUMNS, Cell, evaluate

#: what each cell's rows are read for
READ = ("true_value", "estimate", "se", "ci_low", "ci_high", "converged")


def measures_table(study: Study, source: Estimates) -> pd.DataFrame:
    """Every measure of ``study`` on every cell of ``source`` (module docstring)."""
    cells = source.cells
    keys = source.keys
    params = {c.param_id: c.params for c in study.conditions()}
    head = param_columns(cells) + [k for k in keys if k not in param_columns(cells)]
    rows = []
    for _, c in cells.iterrows():
        d = source.read(c["cond"], c["n"], READ, estimator=c["estimator"],
                        estimand=c["estimand"])
        d = d[d["converged"].to_numpy(bool)]
        cell = Cell.of(d["estimate"], d["true_value"],
                       *(d[k] if k in d else None for k in ("se", "ci_low", "ci_high")),
                       level=study.level)
        for spec in study.measures:
            rng = None
            if spec.mcse == BOOTSTRAP:
                rng = measure_rng(study.seed, study.family.name, params[c["cond"]],
                                  int(c["n"]), c["estimator"], c["estimand"],
                                  json.dumps(spec.to_json(), sort_keys=True))
            try:
                value, mcse = evaluate(spec, cell, rng)
            except Exception as exc:  # a user's measure: say which one, on which cell
                raise RuntimeError(
                    f"measure {spec.name!r} failed on {c['cond']}/n{int(c['n'])} "
                    f"{c['estimator']} {c['estimand']}: {type(exc).__name__}: {exc}") from exc
            rows.append({**{k: c[k] for k in head}, "n": int(c["n"]),
                         "estimator": c["estimator"], "param": c["estimand"],
                         "measure": spec.name, "label": spec.label, "value": value,
                         "mcse": mcse if np.isfinite(mcse) else np.nan,
                         "mcse_method": spec.mcse, "replicates": cell.size})
    return pd.DataFrame(rows, columns=[*head, *COLUMNS])
