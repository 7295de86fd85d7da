"""A study's claims, judged: the values of each claim's cells (claims.csv), and one
verdict per claim (holds, fails, cannot tell).

A claim (:mod:`fisherlab.spec.claims`) names a measure of an estimator × estimand; its
cells are that measure's rows at the claim's n and condition (every one when it names
none). In each cell the measure's value, its MCSE and the target (a number, the
formula's value for the cell, or the same measure of another estimator, whose MCSE then
adds in quadrature) give z = (value - target) / MCSE. A formula is evaluated with the
condition's true parameters and the numbers of the model's design
(:func:`fisherlab.spec.claims.design_numbers`). A share (failure_rate, converged_share)
compared with a number or a formula p0 has the binomial MCSE sqrt(p0 (1 - p0) / R) at
p0, the score test's: at the observed share it would be 0 when no fit failed, and every
claimed share but 0 would then be contradicted exactly.

* ``equals``: holds when every cell's |z| is within the limit, else fails;
* ``below`` / ``above``: holds when every cell lies on the claimed side by more than the
  limit, fails when some cell lies on the other side by more than it, else cannot tell.

The limit is ``within`` when the claim gives one; else 3 MCSEs for one cell, and for m
cells the Bonferroni limit that keeps the chance of a true claim failing somewhere at
that of one cell (0.27% two-sided for an equality, 0.135% one-sided for an inequality):
a claim over 12 cells is judged at 3.69 MCSEs. A cell without an MCSE compares exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..core.labels import param_of, true_col
from ..spec.claims import MEASURES, design_numbers, measure_source
from .registry import CANNOT_TELL, rule
from .rows import finite, keys_of

#: the two-sided tail of one cell's equality at 3 MCSEs
TAIL = 2 * float(stats.norm.sf(3.0))
COLUMNS = ["claim", "text", "n", "estimator", "estimand", "measure", "value", "mcse",
           "target", "target_mcse", "z"]


def limit(claim, cells: int) -> float:
    """The MCSEs a cell may deviate (see the module docstring)."""
    if claim.within is not None:
        return float(claim.within)
    # one side's tail of one cell at 3 MCSEs, shared among the cells (both sides of an
    # equality count: its two-sided tail is twice that)
    return float(stats.norm.isf(TAIL / 2 / max(cells, 1)))


def _measure_table(tables: dict, measure: str) -> pd.DataFrame:
    name, value, mcse, _ = measure_source(measure)
    t = tables.get(name, pd.DataFrame())
    if t.empty:
        return t
    t = t.copy()
    if measure not in MEASURES:  # a study's own: its rows of measures.csv
        t = t[t["measure"] == measure].rename(columns={"param": "estimand"})
    if value == "failure_rate":
        t["failure_rate"] = t["n_failed"] / t["n_rep"]
    if mcse == "none":  # an exact value: compared exactly
        t["_mcse"] = 0.0
    elif mcse == "binomial":
        t["_reps"] = (t["n_rep"] if "n_rep" in t else t["replicates"] if "replicates" in t
                      else t["fits"])
        p = t[value]
        t["_mcse"] = np.sqrt(p * (1 - p) / t["_reps"])
    else:
        t["_mcse"] = t[mcse]
    return t.assign(_value=t[value])


def _select(t: pd.DataFrame, claim, estimator: str) -> pd.DataFrame:
    if t.empty:
        return t
    sel = t["estimator"] == estimator
    if claim.estimand and "estimand" in t:
        sel &= t["estimand"] == claim.estimand
    if claim.test and "test" in t:
        sel &= t["test"] == claim.test
    if claim.n is not None and "n" in t:
        sel &= t["n"].isin(claim.n)
    for k, v in claim.where.items():
        sel &= t[true_col(k)] == v
    return t[sel]


def values(study, tables: dict) -> pd.DataFrame:
    """claims.csv: one row per claim × cell with the value, its MCSE, the target and z."""
    keys = keys_of(tables["summary"])
    rows = []
    for i, claim in enumerate(study.claims):
        t = _measure_table(tables, claim.measure)
        mine = _select(t, claim, claim.estimator)
        other = (_select(t, claim, claim.target["estimator"])
                 if isinstance(claim.target, dict) else None)
        cell_keys = [k for k in (*keys, "n", "estimand") if k in t]
        for _, cell in mine.iterrows():
            target, target_mcse = _target(claim, cell, other, cell_keys, study)
            if "_reps" in cell and not isinstance(claim.target, dict) and 0 <= target <= 1:
                cell = cell.copy()  # a share against p0: its MCSE at p0
                cell["_mcse"] = float(np.sqrt(target * (1 - target) / cell["_reps"]))
            mcse = float(np.hypot(cell["_mcse"], target_mcse)) if finite(target_mcse) \
                else float(cell["_mcse"])
            diff = float(cell["_value"]) - target
            z = diff / mcse if finite(mcse) and mcse > 0 else (
                0.0 if diff == 0 else np.sign(diff) * np.inf)
            rows.append({**{k: cell[k] for k in keys if k in cell},
                         "claim": i, "text": claim.text, "n": cell.get("n", np.nan),
                         "estimator": claim.estimator, "estimand": claim.estimand,
                         "measure": claim.measure, "value": float(cell["_value"]),
                         "mcse": float(cell["_mcse"]), "target": target,
                         "target_mcse": target_mcse, "z": float(z)})
    return pd.DataFrame(rows, columns=[*keys, *COLUMNS])


def _target(claim, cell, other, cell_keys: list[str], study) -> tuple[float, float]:
    """The target of one cell and its MCSE (0 for a number or a formula)."""
    if isinstance(claim.target, dict):
        match = other
        for k in cell_keys:
            if k == "estimand" and claim.estimand:
                continue
            match = match[(match[k] == cell[k]) | (match[k].isna() & pd.isna(cell[k]))]
        if match.empty:
            return float("nan"), float("nan")
        return float(match["_value"].iloc[0]), float(match["_mcse"].iloc[0])
    if isinstance(claim.target, str):
        names = {param_of(k): float(cell[k]) for k in cell.index
                 if k.startswith("true_") and k != "true_value" and finite(cell[k])}
        names = {**design_numbers(getattr(study, "design", None)), **names}
        names.update(n=float(cell.get("n", np.nan)), level=study.level,
                     truth=float(cell.get("true_value", np.nan)))
        if claim.test:  # a test's cell: its exact rejection rate
            names["exact"] = float(cell.get("exact", np.nan))
        return claim.evaluate(names), 0.0
    return float(claim.target), 0.0


def judge(claim, z: np.ndarray) -> str:
    """holds, fails or cannot tell, from each cell's z (see the module docstring)."""
    if z.size == 0 or np.isnan(z).any():
        return CANNOT_TELL
    lim = limit(claim, z.size)
    if claim.op == "equals":
        return "holds" if np.all(np.abs(z) <= lim) else "fails"
    side = -z if claim.op == "below" else z  # how far on the claimed side, in MCSEs
    if np.all(side > lim):
        return "holds"
    return "fails" if np.any(side < -lim) else CANNOT_TELL


def _worst(claim, z: np.ndarray) -> float:
    """The z of the cell nearest to failing: the largest |z| of an equality, the least
    margin on the claimed side of an inequality."""
    z = z[~np.isnan(z)]
    if not z.size:
        return float("nan")
    if claim.op == "equals":
        return float(z[np.argmax(np.abs(z))])
    return float(z.max() if claim.op == "below" else z.min())


@rule("claim", table="claims", empty=True)
def claims(table, study) -> list[dict]:
    """Each claim of the study file, over its cells."""
    t, keys = table.rows, table.keys
    out = []
    for i, claim in enumerate(study.claims):
        cells = t[t["claim"] == i] if len(t) else t
        z = cells["z"].to_numpy(float) if len(cells) else np.array([])
        verdict = judge(claim, z)
        worst = _worst(claim, z)
        lim = limit(claim, z.size)
        how = {"equals": f"every cell within {lim:.2f} MCSEs of the target",
               "below": f"every cell below the target by more than {lim:.2f} MCSEs",
               "above": f"every cell above the target by more than {lim:.2f} MCSEs"}
        row = dict.fromkeys(keys, np.nan)
        row.update(question="claim", n=np.nan, estimator=claim.estimator,
                   estimand=claim.estimand, detail=claim.text, verdict=verdict,
                   value=worst, threshold=lim, used=int(z.size), left_out=0,
                   rule=f"{how[claim.op]} ({z.size} cell{'s' * (z.size != 1)}); the limit "
                        "keeps the chance that a true claim fails at that of one cell at "
                        "3 MCSEs" if claim.within is None else how[claim.op],
                   note="" if z.size else "no cell of the study matches the claim")
        out.append(row)
    return out
