"""Plain-language readings of each diagnostic table, and a study's verdict line.

Each reading takes the :class:`~fisherlab.report.page.Results` of a study and returns a
sentence or a few (HTML) that a person reads before the figures. It only counts and
quotes the tables' own verdicts and values, with the thresholds of the diagnostics
that made them; numbers are rounded to their Monte Carlo standard errors.
"""

from __future__ import annotations

import numpy as np

from ..core.labels import condition_label
from ..diagnostics import bessel as bessel_diag
from ..diagnostics import calibration as calibration_diag
from ..diagnostics import consistency as consistency_diag
from ..diagnostics import coverage as coverage_diag
from ..diagnostics import efficiency as efficiency_diag
from ..diagnostics import information as information_diag
from ..diagnostics import normality as normality_diag
from ..diagnostics import optimiser as optimiser_diag
from ..diagnostics import score as score_diag
from .format import fmt, rate
from .html import cite, esc


def _names(items, limit: int = 6) -> str:
    items = list(dict.fromkeys(items))  # the same pair in several conditions: once
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _pair(r, row) -> str:
    """``mle of sigma2``, and the condition when the study has several."""
    text = f"{esc(r.label(row.estimator))} of {esc(row.estimand)}"
    if r.varying:
        values = {k: getattr(row, k) for k in r.varying}
        text += f" ({esc(condition_label(values, r.varying))})"
    return text


def consistency(r) -> str:
    t = r.tables["consistency"]
    if t.empty:
        return "No estimates to judge."
    rates = " or ".join(rate(s) for s in sorted(t["theory_slope"].unique()))
    ok = t["verdict"] == "as theory"
    lo, hi = t["slope"].min(), t["slope"].max()
    head = (f"{int(ok.sum())} of {len(t)} estimator–estimand pairs shrink at the "
            f"theoretical rate {rates} (fitted slopes {fmt(lo, 0.01)} to {fmt(hi, 0.01)}; "
            f"'as theory' within {consistency_diag.Z} SE or "
            f"{consistency_diag.SLOPE_MARGIN:g}).")
    bad = t[~ok]
    if bad.empty:
        return head + " Every estimator is consistent at the expected rate."
    text = head + " Off the rate: " + _names(
        f"{_pair(r, row)} ({cite('consistency', i, 'verdict', row.verdict)}, slope "
        f"{cite('consistency', i, 'slope', fmt(row.slope, row.slope_se))})"
        for i, row in bad.iterrows()) + "."
    if (bad["verdict"] == "faster").any():
        text += (" Faster than theory at these n usually means a bias of order 1/n still "
                 "adds to the RMSE: the rate is reached at larger n.")
    return text


def bessel(r) -> str:
    t = r.tables["bessel"]
    if t.empty:
        return ("No estimand here has both a classically unbiased estimator and another "
                "one that differs from it, so there is no Bessel comparison.")
    out = []
    found = {}  # estimators with identical biases (mle and mom often coincide): once
    for (estimand, est), g in t[~t["unbiased"]].groupby(["estimand", "estimator"],
                                                      sort=False):
        sig = (estimand, tuple(np.round(g["bias"].to_numpy(), 12)))
        found.setdefault(sig, [[], g])[0].append(est)
    for (estimand, _), (names, g) in found.items():
        g = g.sort_values("n")
        small = g.iloc[0]
        known = bool(g["theory_bias"].notna().all())
        biased = ((g["theory_bias"].abs() > 0).any() if known
                  else (g["bias"].abs() > bessel_diag.Z * g["bias_mcse"]).any())
        if not biased:
            continue
        txt = (f"{' and '.join(esc(r.label(e)) for e in names)} of {esc(estimand)}: "
               f"biased (at n = {small.n}: "
               f"{cite('bessel', small.name, 'bias', fmt(small.bias, small.bias_mcse))}")
        if known:
            agree = bool((g["verdict"] == "as theory").all())
            txt += (f", theory {fmt(small.theory_bias, small.bias_mcse)}; "
                    + (f"within {bessel_diag.Z} MCSE of theory at every n" if agree
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
    unb = t[t["unbiased"]]
    z = (unb["bias"] / unb["bias_mcse"]).abs()
    out.append(f"The unbiased estimator's bias is within {bessel_diag.Z} MCSE of 0 in "
               f"{int((z < bessel_diag.Z).sum())} of {len(unb)} cells.")
    return " ".join(out)


def efficiency(r) -> str:
    t = efficiency_diag.with_bound(r.tables["efficiency"])
    if t.empty:
        return ("Fisher information: "
                + esc(efficiency_diag.information_statement(r.tables["efficiency"])) + ".")
    nmax = t["n"].max()
    last = t[t["n"] == nmax]
    parts = [f"At n = {nmax}, n·Var·I(θ) is within {efficiency_diag.Z} MCSE of the "
             f"Cramér–Rao bound 1 for {int((last['verdict'] == 'at the bound').sum())} of "
             f"{len(last)} estimator–estimand pairs."]
    for verdict, what in (("above", "Above the bound (less efficient)"),
                          ("below", "Below 1 (possible only for a biased estimator)")):
        sel = last[last["verdict"] == verdict]
        if len(sel):
            parts.append(f"{what}: " + _names(
                f"{_pair(r, row)} ("
                f"{cite('efficiency', i, 'var_ratio', fmt(row.var_ratio, row.var_ratio_mcse))})"
                for i, row in sel.iterrows()) + ".")
    return " ".join(parts)


def normality(r) -> str:
    t = r.tables["normality"]
    if t.empty:
        return "No standard errors or Fisher information to standardise with."
    nf = normality_diag.normal_from(t)
    kind = "se" if (nf["standardisation"] == "se").any() else "information"
    nf = nf[nf["standardisation"] == kind]
    never = nf[nf["normal_at"] == 0]
    late = nf[(nf["normal_at"] > 0) & nf["normal_from"].notna()]
    broken = nf[(nf["normal_at"] > 0) & nf["normal_from"].isna()]
    what = "z = (θ̂ − θ)/se" if kind == "se" else "z = (θ̂ − θ)·√(n I(θ))"
    parts = []
    if len(late):
        parts.append(f"{what} is judged normal (p ≥ {normality_diag.ALPHA:g}) from " + _names(
            f"n = {int(row.normal_from)} on for {_pair(r, row)}"
            for row in late.itertuples()) + ".")
    if len(never):
        parts.append("Not normal at any n: " + _names(
            _pair(r, row) for row in never.itertuples()) + ".")
    if len(broken):
        parts.append("Normal at some n but not at the largest: " + _names(
            _pair(r, row) for row in broken.itertuples()) + ".")
    return " ".join(parts) or "Too few finite standardised estimates to test."


def coverage(r) -> str:
    t = r.tables["coverage"]
    if t.empty:
        return "No estimator here reports intervals."
    level = t["nominal"].iloc[0]
    out = []
    nmax = t["n"].max()
    last = t[t["n"] == nmax]
    ok_all = t.groupby(["estimator", "estimand"], sort=False)["verdict"].agg(
        lambda v: bool((v == "nominal").all()))
    always = [f"{esc(r.label(e))} of {esc(m)}" for (e, m), v in ok_all.items() if v]
    if always:
        out.append(f"Nominal {level:.0%} coverage at every n (exact binomial test at "
                   f"{coverage_diag.ALPHA:g}): {_names(always)}.")
    bad = last[last["verdict"] != "nominal"]
    if len(bad):
        out.append(f"Off nominal even at n = {nmax}: " + _names(
            f"{_pair(r, row)} ({_coverage(i, row)}, {cite('coverage', i, 'verdict', row.verdict)})"
            for i, row in bad.iterrows()) + ".")
    off = t[(t["verdict"] != "nominal") & (t["n"] < nmax)]
    if len(off) and not len(bad):
        i = off.sort_values("n").index[0]
        row = t.loc[i]
        how = {"under": "under-cover", "over": "over-cover"}.get(row.verdict, "are off")
        out.append(f"Smaller samples {how} (e.g. {_pair(r, row)} at n = {row.n}: "
                   f"{_coverage(i, row)}, {cite('coverage', i, 'verdict', row.verdict)}); "
                   f"by n = {nmax} every interval is nominal.")
    exact = t[t["exact"].astype(bool) & (t["verdict"] != "nominal")]
    if len(exact):
        out.append("Exact intervals off nominal (these should hold at every n): " + _names(
            f"{_pair(r, row)} at n = {row.n}" for row in exact.itertuples()) + ".")
    return " ".join(out)


def _coverage(i, row) -> str:
    return cite("coverage", i, "coverage", fmt(row.coverage, row.coverage_mcse))


def calibration(r) -> str:
    t = r.tables["calibration"]
    bad = t[t["verdict"] != "calibrated"]
    if bad.empty:
        return (f"Every estimator's PIT values look uniform (KS p ≥ "
                f"{calibration_diag.ALPHA:g}): its intervals are calibrated for truths "
                "drawn from the prior.")
    return f"Not calibrated (KS p < {calibration_diag.ALPHA:g}): " + "; ".join(
        f"{_pair(r, row)} at n = {row.n}" for row in bad.itertuples()) + "."


def failures(r) -> str:
    t = r.tables["failures"]
    total = r.fits
    if t.empty:
        return f"No fit failed ({total} fits)."
    per = t.groupby(["kind"])["failed"].sum().sort_values(ascending=False)
    n = r.failed_fits
    return (f"{n} of {total} fits failed; the commonest kind of reason: "
            f"“{esc(per.index[0])}” ({int(per.iloc[0])}).")


def verdict(r) -> str:
    """One line for the index: rates, normality and coverage at the largest n, failures,
    counted from the tables' verdict columns."""
    parts = []
    c = r.tables["consistency"]
    if len(c):
        parts.append(f"rate as theory {int((c['verdict'] == 'as theory').sum())}/{len(c)}")
    nf = normality_diag.normal_from(r.tables["normality"])
    if len(nf):
        kind = "se" if (nf["standardisation"] == "se").any() else "information"
        nf = nf[nf["standardisation"] == kind]
        parts.append(f"normal at largest n {int(nf['normal_from'].notna().sum())}/{len(nf)}")
    cov = r.tables["coverage"]
    if len(cov):
        last = cov[cov["n"] == cov["n"].max()]
        parts.append(f"coverage nominal at largest n "
                     f"{int((last['verdict'] == 'nominal').sum())}/{len(last)}")
    nfail = r.failed_fits
    parts.append(f"{nfail} failed fits of {r.fits}" if nfail else "no failed fits")
    return " · ".join(parts)


# --------------------------------------------------------------------------- the likelihood
def likelihood(r) -> str:
    """The explorer's reading: the curvature at the MLE across n, from the table."""
    t = r.tables["likelihood"]
    if t.empty:
        return ("This family is not regular: its likelihood has no smooth peak to explore "
                "(the estimate sits on the edge of the data).")
    first = t.groupby(["parameter", "n", "replicate"], sort=False).head(1)
    parts = []
    for name, g in first.groupby("parameter", sort=False):
        g = g[g["replicate"] == g["replicate"].iloc[0]].sort_values("n")
        lo, hi = g.iloc[0], g.iloc[-1]
        what = "profile log-likelihood" if bool(lo.profile) else "log-likelihood"
        text = (f"The {what} of {esc(name)} peaks at the MLE, where the score is zero; its "
                f"curvature there, the observed information, is "
                f"{cite('likelihood', lo.name, 'mle_information', fmt(lo.mle_information))} "
                f"at n = {lo.n}")
        if len(g) > 1:
            top = cite("likelihood", hi.name, "mle_information", fmt(hi.mle_information))
            text += f" and {top} at n = {hi.n}"
            text += (": the curve narrows as n grows, and with it both intervals"
                     if hi.mle_information > lo.mle_information else
                     " (these sizes are too close for n to show: the curvature also depends "
                     "on the estimate itself)")
        parts.append(text + ".")
    return " ".join(parts) + (
        " The intervals are where the curve stays above the dashed cutoff (likelihood "
        "ratio) and the estimate ± z standard errors (Wald); they differ where the curve "
        "is not symmetric.")


def score(r) -> str:
    t = r.tables["score"]
    if t.empty:
        return ("No score identities here: the family is not regular (its likelihood has no "
                "smooth maximum).")
    zero = int((t["mean_verdict"] == "zero").sum())
    judged = t[t["var_verdict"].fillna("") != ""]
    var_ok = int((judged["var_verdict"] == "n·I(θ)").sum())
    how = ("the family's analytic score" if t["score_source"].iloc[0] == score_diag.ANALYTIC
           else "the score, a numerical derivative of ℓ (scipy.differentiate),")
    text = (f"At the true θ, {how} averages zero within "
            f"{score_diag.Z} MCSE in {zero} of {len(t)} cells (condition × n × parameter)")
    if len(judged):
        last = judged.sort_values("n").iloc[-1]
        ratio = cite("score", last.name, "var_ratio", fmt(last.var_ratio, last.var_ratio_mcse))
        text += (f", and its variance equals n·I(θ) within {score_diag.Z} MCSE in {var_ok} "
                 f"of {len(judged)} (at n = {last.n}, {esc(last.parameter)}: Var(score) / "
                 f"(n I(θ)) = {ratio})")
    bad = t[(t["mean_verdict"] == "not zero") | (t["var_verdict"] == "differs")]
    if len(bad):
        text += ". Off theory: " + _names(
            f"{esc(row.parameter)} at n = {row.n}" for row in bad.itertuples())
    return text + "."


def information(r) -> str:
    t = r.tables["information"]
    have = t[t["information"].notna()] if "information" in t else t.iloc[0:0]
    if have.empty:
        why = t["source"].dropna().iloc[0] if len(t) and "source" in t else "none"
        return f"No Fisher information here ({esc(why.removeprefix('none: '))})."
    src = have["source"].iloc[0]
    agree = int((have["verdict"] == "agrees").sum())
    row = have.iloc[0]
    what = ("the family's closed form" if src == "closed form" else f"computed by {src}")
    return (f"The Fisher information of one observation is {esc(what)}; e.g. "
            f"I({esc(row.parameter)}, {esc(row.parameter2)}) = "
            f"{cite('information', row.name, 'information', fmt(row.information))}. "
            f"{agree} of {len(have)} entries agree with an independent Monte Carlo check "
            f"within {information_diag.Z} standard errors.")


def intervals(r) -> str:
    t = r.tables["intervals"]
    parts = []
    for (estimand, est), g in t.groupby(["estimand", "estimator"], sort=False):
        lo, hi = g.loc[g["coverage"].idxmin()], g.loc[g["coverage"].idxmax()]
        kind = g["kind"].iloc[0]
        span = (f"{cite('intervals', lo.name, 'coverage', fmt(lo.coverage, lo.coverage_mcse))}"
                f" (n = {lo.n}) to "
                f"{cite('intervals', hi.name, 'coverage', fmt(hi.coverage, hi.coverage_mcse))}"
                f" (n = {hi.n})")
        side = ("mostly below the truth" if g["miss_below"].sum() > 2 * g["miss_above"].sum()
                else "mostly above the truth" if g["miss_above"].sum() > 2 * g["miss_below"].sum()
                else "on both sides")
        lab = r.label(est) if kind in r.label(est) else f"{r.label(est)} ({kind})"
        parts.append(f"{esc(lab)}, {esc(estimand)}: coverage from "
                     f"{span}, inside the nominal band at {int(g['in_band'].sum())} of "
                     f"{len(g)} sample sizes; its misses fall {side}.")
    return " ".join(parts)


def optimiser(r) -> str:
    t = r.tables["optimiser"]
    nmax = t["n"].max()
    last = t[t["n"] == nmax]
    ref = last[last["reference"].astype(bool)]
    parts = [f"At n = {nmax} (share of fits converged, mean iterations per fit): " + "; ".join(
        f"{esc(r.label(row.estimator))} "
        f"{cite('optimiser', i, 'converged_share', f'{row.converged_share:.0%}')}, "
        f"{cite('optimiser', i, 'iterations_mean', fmt(row.iterations_mean))}"
        for i, row in last.iterrows()) + "."]
    if len(ref):
        judged = t[t["verdict"].fillna("") != ""]
        agree = judged[judged["verdict"] == "agrees"]
        parts.append(f"Where they converged, {len(agree)} of {len(judged)} method × n cells "
                     f"agree with the reference ({esc(r.label(ref['estimator'].iloc[0]))}) "
                     f"within {optimiser_diag.AGREE:g} of its standard errors.")
        off = judged[judged["verdict"] == "differs"]
        if len(off):
            parts.append("They differ: " + _names(
                f"{esc(r.label(row.estimator))} at n = {row.n} ("
                f"{cite('optimiser', i, 'max_diff_se', fmt(row.max_diff_se))} SE)"
                for i, row in off.iterrows()) + ".")
    never = last[last["converged_share"] == 0]
    if len(never):
        parts.append("Never converged within the iteration limit at this n: " + _names(
            esc(r.label(e)) for e in never["estimator"]) + " (a learning rate that suits "
            "the steepest direction of the log-likelihood crawls along the flattest).")
    return " ".join(parts)
