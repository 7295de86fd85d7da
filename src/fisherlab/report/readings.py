"""One-line plain-language readings of each diagnostic table, and a study's verdict.

Each function takes the table of :mod:`fisherlab.diagnostics` and returns a short
sentence (or a few) that a person reads before the figures; the numbers in it are
rounded to their Monte Carlo standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures import condition_columns
from .format import fmt


def _pairs(df: pd.DataFrame) -> list[tuple[str, str]]:
    return list(dict.fromkeys(zip(df["estimator"], df["estimand"], strict=True)))


def _names(items, limit: int = 6) -> str:
    items = list(dict.fromkeys(items))  # the same pair in several conditions: once
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def consistency(table: pd.DataFrame) -> str:
    if table.empty:
        return "No estimates to judge."
    rates = " or ".join(f"n^{t:g}" for t in sorted(table["theory_slope"].unique()))
    ok = table["verdict"] == "as theory"
    lo, hi = table["slope"].min(), table["slope"].max()
    head = (f"{int(ok.sum())} of {len(table)} estimator–estimand pairs shrink at the "
            f"theoretical rate {rates} (fitted slopes {fmt(lo, 0.01)} to {fmt(hi, 0.01)}).")
    bad = table[~ok]
    if bad.empty:
        return head + " Every estimator is consistent at the expected rate."
    text = head + " Off the rate: " + _names(
        f"{r.estimator} of {r.estimand} ({r.verdict}, slope {fmt(r.slope, r.slope_se)})"
        for r in bad.itertuples()) + "."
    if (bad["verdict"] == "faster").any():
        text += (" Faster than theory at these n usually means a bias of order 1/n still "
                 "adds to the RMSE: the rate is reached at larger n.")
    return text


def bessel(table: pd.DataFrame) -> str:
    if table.empty:
        return ("No estimand here has both an unbiased estimator and another one that "
                "differs from it, so there is no Bessel comparison.")
    found = {}  # (estimand, biases) -> [estimators, rows]: mle and mom may coincide
    for (estimand, est), g in table.groupby(["estimand", "estimator"], sort=False):
        if est == "unbiased":
            continue
        sig = (estimand, tuple(np.round(g["bias"].to_numpy(), 12)))
        found.setdefault(sig, [[], g])[0].append(est)
    out = []
    for (estimand, _), (names, g) in found.items():
        g = g.sort_values("n")
        small = g.iloc[0]
        theory_known = bool(g["theory_bias"].notna().all())
        biased = ((g["theory_bias"].abs() > 0).any() if theory_known
                  else (g["bias"].abs() > 3 * g["bias_mcse"]).any())
        if not biased:
            continue
        txt = (f"{' and '.join(names)} of {estimand}: biased (at n = {small.n}: "
               f"{fmt(small.bias, small.bias_mcse)}")
        if theory_known:
            agree = bool((g["bias_z"].abs() < 3).all())
            txt += (f", theory {fmt(small.theory_bias, small.bias_mcse)}; "
                    + ("within 3 MCSE of theory at every n" if agree
                       else "departs from theory at some n"))
        ratio = g["mse_ratio"].to_numpy()
        lower = int((ratio < 1).sum())
        if lower == len(ratio):
            mse = "yet lower MSE than the unbiased estimator at every n"
        elif lower == 0:
            mse = "and higher MSE than the unbiased estimator at every n"
        else:
            mse = (f"MSE lower than the unbiased estimator's in {lower} of {len(ratio)} "
                   "cells (condition × n)")
        out.append(f"{txt}), {mse} (MSE ratio {fmt(small.mse_ratio, 0.01)} at "
                   f"n = {small.n}).")
    unb = table[table["estimator"] == "unbiased"]
    if not unb.empty:
        z = (unb["bias"] / unb["bias_mcse"]).abs()
        out.append(f"The unbiased estimator's bias is within 3 MCSE of 0 in "
                   f"{int((z < 3).sum())} of {len(unb)} cells.")
    return " ".join(out)


def efficiency(table: pd.DataFrame) -> str:
    if table.empty:
        return ("No Fisher information is available here (the family is not regular, or "
                "its information depends on a design), so there is no Cramér–Rao bound to "
                "compare with.")
    nmax = table["n"].max()
    last = table[table["n"] == nmax]
    z = (last["var_ratio"] - 1) / last["var_ratio_mcse"]
    eff = last[z.abs() < 3]
    above = last[z >= 3]
    below = last[z <= -3]
    parts = [f"At n = {nmax}, n·Var·I(θ) is within 3 MCSE of the Cramér–Rao bound 1 for "
             f"{len(eff)} of {len(last)} estimator–estimand pairs."]
    if len(above):
        parts.append("Above the bound (less efficient): " + _names(
            f"{r.estimator} of {r.estimand} ({fmt(r.var_ratio, r.var_ratio_mcse)})"
            for r in above.itertuples()) + ".")
    if len(below):
        parts.append("Below 1 (possible only for a biased estimator): " + _names(
            f"{r.estimator} of {r.estimand} ({fmt(r.var_ratio, r.var_ratio_mcse)})"
            for r in below.itertuples()) + ".")
    return " ".join(parts)


def normality(table: pd.DataFrame, normal_from: pd.DataFrame) -> str:
    if table.empty:
        return "No standard errors or Fisher information to standardise with."
    kind = "se" if (normal_from["standardisation"] == "se").any() else "information"
    nf = normal_from[normal_from["standardisation"] == kind]
    never = nf[nf["normal_at"] == 0]
    late = nf[(nf["normal_at"] > 0) & nf["normal_from"].notna()]
    broken = nf[(nf["normal_at"] > 0) & nf["normal_from"].isna()]
    what = "z = (θ̂ − θ)/se" if kind == "se" else "z = (θ̂ − θ)·√(n I(θ))"
    parts = []
    if len(late):
        parts.append(f"{what} passes the KS test against N(0, 1) from " + _names(
            f"n = {int(r.normal_from)} for {r.estimator} of {r.estimand}"
            for r in late.itertuples()) + ".")
    if len(never):
        parts.append("Not normal at any n: " + _names(
            f"{r.estimator} of {r.estimand}" for r in never.itertuples()) + ".")
    if len(broken):
        parts.append("Normal at some n but not at the largest: " + _names(
            f"{r.estimator} of {r.estimand}" for r in broken.itertuples()) + ".")
    return " ".join(parts)


def coverage(table: pd.DataFrame) -> str:
    if table.empty:
        return "No estimator here reports intervals."
    level = table["nominal"].iloc[0]
    out = []
    nmax = table["n"].max()
    last = table[table["n"] == nmax]
    ok_all = table.groupby(["estimator", "estimand"])["verdict"].agg(
        lambda v: bool((v == "nominal").all()))
    always = [f"{e} of {m}" for (e, m), v in ok_all.items() if v]
    if always:
        out.append(f"Nominal {level:.0%} coverage at every n: {_names(always)}.")
    bad = last[last["verdict"] != "nominal"]
    if len(bad):
        out.append(f"Off nominal even at n = {nmax}: " + _names(
            f"{r.estimator} of {r.estimand} ({fmt(r.coverage, r.coverage_mcse)})"
            for r in bad.itertuples()) + ".")
    under = table[table["verdict"] == "under"]
    if len(under) and not len(bad):
        small = under.sort_values("n").iloc[0]
        out.append(f"Small samples under-cover (e.g. {small.estimator} of {small.estimand} "
                   f"at n = {small.n}: {fmt(small.coverage, small.coverage_mcse)}); "
                   f"by n = {nmax} every interval is nominal.")
    return " ".join(out)


def failures(table: pd.DataFrame, total_fits: int) -> str:
    if table.empty:
        return f"No fit failed ({total_fits} fits)."
    n = int(table["failed"].sum())
    top = table.groupby("reason")["failed"].sum().sort_values(ascending=False)
    return (f"{n} of {total_fits} fits failed; most common reason: "
            f"{top.index[0]!r} ({int(top.iloc[0])}).")


def verdict(tables: dict[str, pd.DataFrame], normal_from: pd.DataFrame,
            total_fits: int) -> str:
    """One line for the index: rates, normality and coverage at the largest n, failures."""
    parts = []
    c = tables["consistency"]
    if len(c):
        parts.append(f"rate as theory {int((c['verdict'] == 'as theory').sum())}/{len(c)}")
    if len(normal_from):
        kind = "se" if (normal_from["standardisation"] == "se").any() else "information"
        nf = normal_from[normal_from["standardisation"] == kind]
        parts.append(f"normal at largest n {int(nf['normal_from'].notna().sum())}/{len(nf)}")
    cov = tables["coverage"]
    if len(cov):
        last = cov[cov["n"] == cov["n"].max()]
        parts.append(f"coverage nominal at largest n "
                     f"{int((last['verdict'] == 'nominal').sum())}/{len(last)}")
    f = tables["failures"]
    nfail = int(f["failed"].sum()) if len(f) else 0
    parts.append(f"{nfail} failed fits of {total_fits}" if nfail else "no failed fits")
    return " · ".join(parts)


def count_fits(df: pd.DataFrame) -> int:
    """Fits = replicates × estimators × conditions (a fit covers all its estimands)."""
    keys = condition_columns(df)
    return int(len(df.drop_duplicates(keys + ["n", "replicate", "estimator"])))


