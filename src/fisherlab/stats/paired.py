"""Paired comparisons of an estimator with a reference on the same datasets.

Morris, White & Crowther (2019), Table 6. With S replicates where both fits gave an
estimate, errors e_i = theta_hat_i - theta_i of the estimator and r_i of the reference,
empirical variances v = s^2(e), v_ref = s^2(r) and rho their correlation:

* relative precision of the estimator over the reference: RP = 100 (v_ref / v - 1);
  normal-theory MCSE 200 (v_ref / v) sqrt((1 - rho^2) / (S - 1)) (Morris et al.);
  robust MCSE by the delta method on the paired variances (influence functions, no
  normality): Var(log(v_ref / v)) = Var(r_c^2 / v_ref - e_c^2 / v) / S with r_c, e_c
  the centred errors, MCSE = 100 (v_ref / v) sqrt(that)
  (:func:`fisherlab.stats.measures.relative_precision`). For bivariate normal errors
  Var(r_c^2 / v_ref - e_c^2 / v) = 4 (1 - rho^2), so the two agree; for heavy-tailed
  errors the normal-theory one understates it (the fourth moments enter).
* MSE ratio = MSE / MSE_ref, MSE = mean e_i^2. Delta method: with
  u_i = e_i^2 / MSE - r_i^2 / MSE_ref, MCSE = ratio sqrt(Var(u) / S) (robust, sample
  moments). Normal theory: e, r bivariate normal with means b, b_r, SDs s, s_r and
  correlation rho have Var(e^2) = 2 s^4 + 4 b^2 s^2 and
  Cov(e^2, r^2) = 2 rho^2 s^2 s_r^2 + 4 b b_r rho s s_r (Isserlis), put in the same
  Var(u), with S - 1 as in Morris et al.'s relative precision; unbiased errors give
  2 ratio sqrt((1 - rho^2) / (S - 1)).
* bias difference mean(d_i), d_i = e_i - r_i, and coverage difference mean(d_i),
  d_i = 1{covered_i} - 1{covered_ref,i}: MCSE sqrt(Var(d) / S), Var with S - 1, for
  either method (a mean of paired differences: only the pairs' spread matters).
"""

from __future__ import annotations

import numpy as np

from .measures import relative_precision

#: the MCSE methods of a paired comparison (``compare: {mcse: ...}``)
NORMAL, ROBUST = "normal", "robust"
METHODS = (NORMAL, ROBUST)
#: what each method's MCSE is, as the page and the table say it
METHOD_TEXT = {NORMAL: "normal theory (Morris et al. 2019, Table 6)",
               ROBUST: "delta method on the paired variances (no normality assumed)"}
#: the value columns of paired.csv, each followed by its ``_mcse``
VALUES = ("relative_precision", "mse_ratio", "bias_diff", "coverage_diff")

NAN = float("nan")


def rp_normal(err, ref) -> tuple[float, float]:
    """Relative precision of ``err`` over ``ref`` (paired errors) and Morris et al.'s
    normal-theory MCSE 200 (v_ref / v) sqrt((1 - rho^2) / (S - 1))."""
    e, r = np.asarray(err, float), np.asarray(ref, float)
    S = e.size
    if S < 3:
        return NAN, NAN
    ratio = r.var(ddof=1) / e.var(ddof=1)
    rho = float(np.corrcoef(e, r)[0, 1])
    return float(100 * (ratio - 1)), 200 * float(ratio) * float(np.sqrt((1 - rho**2) / (S - 1)))


def rp_robust(err, ref) -> tuple[float, float]:
    """Relative precision with its delta-method MCSE (module docstring)."""
    e, r = np.asarray(err, float), np.asarray(ref, float)
    if e.size < 3:
        return NAN, NAN
    return relative_precision(r, e)


def mse_ratio(err, ref, method: str = NORMAL) -> tuple[float, float]:
    """MSE(err) / MSE(ref) and its MCSE by ``method`` (module docstring)."""
    e, r = np.asarray(err, float), np.asarray(ref, float)
    S = e.size
    if S < 3:
        return NAN, NAN
    m, m_ref = float(np.mean(e**2)), float(np.mean(r**2))
    ratio = m / m_ref
    if method == ROBUST:
        u = e**2 / m - r**2 / m_ref
        return ratio, ratio * float(np.sqrt(u.var(ddof=1) / S))
    b, b_r = e.mean(), r.mean()
    s, s_r = e.std(ddof=1), r.std(ddof=1)
    rho = float(np.corrcoef(e, r)[0, 1])
    var_e = 2 * s**4 + 4 * b**2 * s**2
    var_r = 2 * s_r**4 + 4 * b_r**2 * s_r**2
    cov = 2 * rho**2 * s**2 * s_r**2 + 4 * b * b_r * rho * s * s_r
    var_u = var_e / m**2 + var_r / m_ref**2 - 2 * cov / (m * m_ref)
    return ratio, ratio * float(np.sqrt(max(var_u, 0.0) / (S - 1)))


def mean_diff(x, y) -> tuple[float, float]:
    """mean(x - y) of paired values and its MCSE sqrt(Var(x - y) / S)."""
    d = np.asarray(x, float) - np.asarray(y, float)
    S = d.size
    if S == 0:
        return NAN, NAN
    if S < 2:
        return float(d.mean()), NAN
    return float(d.mean()), float(np.sqrt(d.var(ddof=1) / S))


def compare(err, ref, covered=None, covered_ref=None,
            method: str = NORMAL) -> dict[str, float]:
    """Every paired measure of one cell: ``err`` and ``ref`` the paired errors
    (estimate - truth) of the estimator and the reference, ``covered`` and
    ``covered_ref`` their intervals' coverage indicators on the pairs that have both
    intervals (None: no coverage difference). Keys: :data:`VALUES` and their ``_mcse``,
    and ``rho``, the correlation of the paired errors."""
    e, r = np.asarray(err, float), np.asarray(ref, float)
    rp = (rp_robust if method == ROBUST else rp_normal)(e, r)
    out = {"rho": float(np.corrcoef(e, r)[0, 1]) if e.size > 2 else NAN}
    pairs = {"relative_precision": rp, "mse_ratio": mse_ratio(e, r, method),
             "bias_diff": mean_diff(e, r),
             "coverage_diff": (mean_diff(covered, covered_ref) if covered is not None
                               else (NAN, NAN))}
    for name in VALUES:
        out[name], out[f"{name}_mcse"] = pairs[name]
    return out
