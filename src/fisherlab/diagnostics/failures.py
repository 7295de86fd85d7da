"""Failed fits: how many, and why, per condition and estimator, grouped by kind.

:func:`failures` is the report's table (one row per kind of reason); :func:`failure_rates`
and :func:`check_failure_rate` are the study's stop rule (``max_failure_rate``), which
counts a replicate once per estimator whatever its reasons.

A reason's *kind* is its text with the numbers taken out (``"R-hat 1.020 > 1.02"`` and
``"R-hat 1.031 > 1.02"`` are one kind, ``"R-hat … > …"``), so a table lists a handful
of kinds with a count, the range of the first number and one example, not a row per
value. A reason that joins several problems with ``"; "`` counts under each.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..core.errors import FailureRateError
from ..core.labels import condition_columns
from ._common import condition_keys
from .registry import diagnostic

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|\bnan\b|\binf\b")


def reason_kind(reason: str) -> tuple[str, float]:
    """``(kind, first number or NaN)`` of one failure reason."""
    nums = _NUMBER.findall(reason)
    kind = _NUMBER.sub("…", reason).strip() or "unspecified"
    try:
        value = float(nums[0]) if nums else np.nan
    except ValueError:
        value = np.nan
    return kind, value


@diagnostic("failures", by=("n", "estimator"),
            columns=("n", "replicate", "estimator", "estimand", "converged", "reason"))
def failures(df: pd.DataFrame, study=None) -> pd.DataFrame:
    """One row per condition × n × estimator × kind of reason with at least one failed
    fit: ``failed`` (replicates), ``of`` (replicates run), ``rate``, the range of the
    reason's first number (``low``, ``high``; NaN when it has none), ``example`` (the
    commonest full reason) and ``estimands``.

    A replicate counts once per estimator and kind even when several estimands failed.
    """
    keys = condition_keys(df)
    head = keys + ["n", "estimator"]
    cols = head + ["kind", "failed", "of", "rate", "low", "high", "example", "estimands"]
    total = df.groupby(head, dropna=False)["replicate"].nunique().rename("of")
    bad = df.loc[~df["converged"].to_numpy(bool), head + ["replicate", "estimand", "reason"]]
    if bad.empty:
        return pd.DataFrame(columns=cols)
    bad = bad.assign(reason=bad["reason"].fillna("").replace("", "unspecified")
                     .str.split("; ")).explode("reason")
    kinds = [reason_kind(r) for r in bad["reason"]]
    bad = bad.assign(kind=[k for k, _ in kinds], value=[v for _, v in kinds])
    agg = bad.groupby(head + ["kind"], dropna=False).agg(
        failed=("replicate", "nunique"), low=("value", "min"), high=("value", "max"),
        example=("reason", lambda r: r.value_counts().index[0]),
        estimands=("estimand", lambda s: ", ".join(sorted(set(s)))))
    out = agg.reset_index().merge(total.reset_index(), on=head, how="left")
    out["rate"] = out["failed"] / out["of"]
    return out[cols].sort_values(head + ["kind"], ignore_index=True)


def failure_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Share of failed replicates per condition × estimator, with the commonest reason.

    A replicate fails for an estimator when any of its estimands did not converge.
    """
    keys = condition_columns(df) + ["n", "estimator"]
    per_rep = (df.assign(failed=~df["converged"].astype(bool))
               .groupby(keys + ["replicate"], sort=True)["failed"].any())
    out = per_rep.groupby(level=keys).agg(failures="sum", replicates="size").reset_index()
    out["rate"] = out["failures"] / out["replicates"]
    bad = df[~df["converged"].astype(bool)]
    top = (bad.groupby(keys)["reason"].agg(lambda r: r.value_counts().index[0])
           if len(bad) else pd.Series(dtype=object))
    out["reason"] = [top.get(tuple(row), "") if len(keys) > 1 else top.get(row[0], "")
                     for row in out[keys].itertuples(index=False)]
    return out


def check_failure_rate(df: pd.DataFrame, max_rate: float | None, study: str = "") -> None:
    """Raise :class:`FailureRateError` naming every condition × estimator whose share of
    failed replicates exceeds ``max_rate`` (the study's ``max_failure_rate``)."""
    if max_rate is None:
        return
    _raise_over(failure_rates(df), max_rate, study)


def check_failure_rate_of(source, max_rate: float | None, study: str = "") -> None:
    """:func:`check_failure_rate` from a study's dataset (:class:`fisherlab.run.dataset.
    Estimates`): rates from the cells' counts; the commonest reason read only for the
    condition × estimator units over the limit."""
    if max_rate is None:
        return
    cells = source.cells
    keys = condition_columns(cells) + ["n", "estimator"]
    per = cells.drop_duplicates(["cond", "n", "estimator"])
    rates = per[["cond", *keys]].assign(failures=per["rep_failed"].to_numpy(),
                                        replicates=per["n_rep"].to_numpy())
    rates["rate"] = rates["failures"] / rates["replicates"]
    reasons = []
    for _, row in rates.iterrows():
        reason = ""
        if row["rate"] > max_rate:
            d = source.read(row["cond"], row["n"], ["reason", "converged"],
                            estimator=row["estimator"])
            bad = d.loc[~d["converged"].to_numpy(bool), "reason"]
            reason = bad.value_counts().index[0] if len(bad) else ""
        reasons.append(reason)
    _raise_over(rates.drop(columns="cond").assign(reason=reasons), max_rate, study)


def _raise_over(rates: pd.DataFrame, max_rate: float, study: str) -> None:
    over = rates[rates["rate"] > max_rate].sort_values("rate", ascending=False)
    if over.empty:
        return
    keys = condition_columns(rates) + ["n"]
    lines = [f"  {', '.join(f'{k}={row[k]}' for k in keys)}, {row['estimator']}: "
             f"{int(row['failures'])}/{int(row['replicates'])} failed ({row['rate']:.1%})"
             + (f"; commonest reason: {row['reason']}" if row["reason"] else "")
             for _, row in over.head(10).iterrows()]
    more = f"\n  ... and {len(over) - 10} more" if len(over) > 10 else ""
    raise FailureRateError(
        f"study {study!r}: {len(over)} condition(s) × estimator have more failed fits than "
        f"max_failure_rate = {max_rate:g}; the study stops here (the estimates dataset "
        "keeps every failed row with its reason):\n" + "\n".join(lines) + more)
