"""Fitting a user's own data set: every estimator that applies, as a study fits a dataset.

:func:`fit_data` runs the registered estimators that apply to the family (the registry's
:func:`~fisherlab.estimators.estimators_for`) on the one dataset, through the same
``Estimator.fit`` a study's chunk calls, so the numbers are the study's: the MLE once per
interval method it offers (Wald, likelihood ratio, score), the method of moments, the
classical unbiased estimator, and the MAP when a prior is given (a sampler, such as the
posterior, is left to a study). Besides what the estimators report it adds

* the sandwich (Huber–White) standard error of the MLE: with the observed information
  J = n Â at the MLE and the outer product of the per-observation scores S = n B̂,
  Cov = Â⁻¹ B̂ Â⁻¹ / n = J⁻¹ S J⁻¹, mapped to a derived estimand by the delta method;
  it stays right when the family is wrong, where the model-based J⁻¹ does not;
* the maximised log-likelihood ℓ(θ̂), AIC = 2k − 2ℓ(θ̂) and BIC = k log n − 2ℓ(θ̂),
  with k the estimated parameters and n the observations;
* ℓ(θ) and L(θ) = exp ℓ(θ) at any parameter values asked for (``--at``);
* why an MLE does not exist, when it does not: the estimator's reason (logistic
  separation, from the family's linear programs), an estimate on the boundary of the
  parameter space, a flat likelihood (an observed information that is not positive
  definite).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..core.errors import PriorError, StudyError
from ..core.numerics import positive_definite, safe_inv
from ..estimators import estimator_class, estimators_for, make_estimator
from ..estimators.numeric import observed_information
from .userdata import COMMAND_LINE, UserData


@dataclass
class Row:
    """One estimator × estimand: its estimate, standard errors and intervals."""

    estimator: str
    label: str
    estimand: str
    estimate: float
    se: float
    sandwich: float
    #: interval kind ('wald', 'likelihood ratio', 'score', 'exact', 'Laplace') -> ends
    intervals: dict[str, tuple[float, float]]
    converged: bool
    reason: str


@dataclass
class Fit:
    data: UserData
    level: float
    rows: list[Row]
    #: the MLE of every estimated parameter (None when it does not exist)
    mle: dict[str, float] | None
    loglik: float = math.nan
    k: int = 0
    #: why the MLE does not exist, or where it is not regular
    notes: list[str] = field(default_factory=list)
    #: (parameter values, log-likelihood) for each ``--at``
    at: list[tuple[dict, float]] = field(default_factory=list)
    #: estimators that apply but were not run, with why
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: the estimator items that ran, as a study file lists them
    items: list = field(default_factory=list)
    #: the MLE's interval methods
    methods: list[str] = field(default_factory=list)
    #: the MLE's standard errors per estimated parameter
    mle_se: dict[str, float] = field(default_factory=dict)

    @property
    def aic(self) -> float:
        return 2 * self.k - 2 * self.loglik

    @property
    def bic(self) -> float:
        return self.k * math.log(self.data.n) - 2 * self.loglik


def fit_data(data: UserData, level: float = 0.95, prior: dict | None = None,
             at: list[dict[str, float]] = ()) -> Fit:
    """Fit ``data`` with every estimator that applies; see the module's docstring."""
    fam, x, fixed = data.family, data.x, data.theta_fixed
    names = [p.name for p in fam.estimated()]
    out = Fit(data, level, [], None, k=len(names))
    for name in estimators_for(fam):
        cls = estimator_class(name)
        if cls.samples:
            out.skipped.append((name, "a sampler: run it in a study (--study)"))
            continue
        options = {}
        if cls.bayesian:
            if prior is None:
                out.skipped.append((name, "needs a prior: --prior, as in study files"))
                continue
            options = {"prior": prior}
            try:
                cls.check_options(fam, options)
            except PriorError as exc:
                raise StudyError(COMMAND_LINE, f"--prior.{exc.key.removeprefix('prior.')}",
                                 exc.problem) from None
        if data.n < cls.min_n(fam):
            out.skipped.append((name, f"needs n >= {cls.min_n(fam)}"))
            continue
        estimands = tuple(e for e in cls.estimands_for(fam) if e in fam.estimands())
        if cls.maximum_likelihood:
            _mle(out, name, cls, options, estimands)
        else:
            est = make_estimator(name, options)
            fits = est.fit(fam, x, fixed, estimands, level)
            out.rows += [_row(name, est.label(fam), e, f, est.interval_kind(fam, e))
                         for e, f in fits.items()]
        out.items.append({name: options} if options else name)
    for values in at:
        theta = {**fixed, **{k: np.array([v]) for k, v in values.items()}}
        with np.errstate(all="ignore"):
            out.at.append((values, float(fam.loglik(x, theta)[0])))
    return out


def _row(name, label, estimand, f, kind) -> Row:
    return Row(name, label, estimand, float(f.estimate[0]), float(f.se[0]), math.nan,
               {kind: (float(f.ci_low[0]), float(f.ci_high[0]))}, bool(f.converged[0]),
               str(f.reason[0]))


def _mle(out: Fit, name: str, cls, options: dict, estimands: tuple[str, ...]) -> None:
    """The MLE once per interval method, its sandwich standard errors, ℓ(θ̂) and notes."""
    fam, x, fixed = out.data.family, out.data.x, out.data.theta_fixed
    out.methods = list(cls.interval_methods(fam)) or ["wald"]
    rows: dict[str, Row] = {}
    for method in out.methods:
        est = make_estimator(name, {**options, "interval": method} if method != "wald"
                             else options)
        fits = est.fit(fam, x, fixed, estimands, out.level)
        for e, f in fits.items():
            r = _row(name, est.label(fam).split(",")[0], e, f, est.interval_kind(fam, e))
            if e in rows:
                rows[e].intervals.update(r.intervals)
            else:
                rows[e] = r
    out.rows += rows.values()
    params = [p.name for p in fam.estimated()]
    failed = [r for r in rows.values() if not r.converged]
    if failed:
        why = failed[0].reason
        # a singular information (collinear covariates) is a likelihood flat along a line
        out.notes.append(f"the likelihood is flat, no unique MLE: {why}" if "singular" in why
                         else f"the MLE does not exist: {why}")
        return
    hat = {p: np.array([rows[p].estimate]) for p in params}
    out.mle = {p: float(v[0]) for p, v in hat.items()}
    out.mle_se = {p: rows[p].se for p in params}
    theta = {**fixed, **hat}
    with np.errstate(all="ignore"):
        out.loglik = float(fam.loglik(x, theta)[0])
    for p in fam.estimated():
        v = out.mle[p.name]
        if v in (p.low, p.high):
            out.notes.append(f"the MLE of {p.name} = {v:g} is on the boundary of the "
                             "parameter space: the likelihood has no peak there, so the "
                             "Wald interval (zero width) and the standard errors say nothing")
    if out.notes:  # on the boundary the information is 0 or infinite: nothing to add
        return
    info = observed_information(fam, x, fixed, hat)
    sym = 0.5 * (info + np.swapaxes(info, -1, -2))
    if not (np.all(np.isfinite(sym)) and positive_definite(sym)[0]):
        out.notes.append("the likelihood is flat at the estimate (the observed information "
                         "is not positive definite): the MLE is not a unique peak")
        return
    cov = _sandwich(fam, x, theta, info)
    for e, r in rows.items():
        g = fam.estimand_gradient({**fixed, **{k: v for k, v in hat.items()}}, e)
        r.sandwich = float(np.sqrt(np.einsum("...i,...ij,...j->...", g, cov, g))[0])


def _sandwich(fam, x, theta: dict, info: np.ndarray) -> np.ndarray:
    """J⁻¹ S J⁻¹ ``(1, k, k)``: J the observed information, S = Σᵢ sᵢ sᵢ' over the
    observations' scores (each observation a dataset of one). NaN for n < 2: one
    observation's score at the MLE is 0."""
    n = x.shape[1]
    if n < 2:
        return np.full(info.shape, np.nan)
    one = {k: np.broadcast_to(np.asarray(v, float), (1,)).repeat(n) for k, v in theta.items()}
    with np.errstate(all="ignore"):
        s = fam.score(x.reshape(n, 1), one)  # (n, k)
    meat = np.einsum("ni,nj->ij", s, s)[None]
    bread = safe_inv(info)
    return bread @ meat @ bread


# --------------------------------------------------------------------------- text
def _num(v: float) -> str:
    """Six significant digits, no trailing zeros; '–' for a missing value."""
    if v is None or not np.isfinite(v):
        return "–" if v is None or np.isnan(v) else ("∞" if v > 0 else "−∞").replace("−", "-")
    return f"{v:.6g}"


def _interval(iv: tuple[float, float] | None) -> str:
    if iv is None or not (np.isfinite(iv[0]) or np.isfinite(iv[1])):
        return "–"
    return f"[{_num(iv[0])}, {_num(iv[1])}]"


def text(fit: Fit) -> str:
    """What ``fisherlab fit`` prints."""
    d = fit.data
    fam = d.family
    cols = ", ".join(f"{k} {v if isinstance(v, str) else ', '.join(v)}"
                     for k, v in d.columns.items() if k != "value")
    fixed = ", ".join(f"{k} = {v:g}" for k, v in d.theta_fixed.items())
    head = (f"{fam.name}" + (f" ({fixed})" if fixed else "") + f" fitted to {d.source}"
            + (f" (column {d.columns['value']})" if "value" in d.columns and
               d.source != COMMAND_LINE else (f" ({cols})" if cols else ""))
            + f": n = {d.n}, level {fit.level:g}")
    kinds = []
    for r in fit.rows:
        kinds += [k for k in r.intervals if k not in kinds]
    table = [["estimator", "estimand", "estimate", "se", "sandwich se", *kinds, "note"]]
    for r in fit.rows:
        ok = r.converged
        table.append([r.label, r.estimand, _num(r.estimate) if ok else "–",
                      _num(r.se) if ok else "–", _num(r.sandwich) if ok else "–",
                      *(_interval(r.intervals.get(k)) if ok else "–" for k in kinds),
                      "" if ok else r.reason])
    width = [max(len(row[j]) for row in table) for j in range(len(table[0]))]
    lines = [head, ""] + ["  ".join(c.ljust(w) for c, w in zip(row, width, strict=True)).rstrip()
                          for row in table]
    lines.append("")
    if fit.mle is not None:
        lines.append(f"maximised log-likelihood {_num(fit.loglik)} (k = {fit.k} "
                     f"parameter{'s' * (fit.k != 1)}, "
                     f"n = {d.n}): AIC {_num(fit.aic)}, BIC {_num(fit.bic)}")
    lines += [f"note: {note}" for note in fit.notes]
    for values, ll in fit.at:
        at = ", ".join(f"{k} = {v:g}" for k, v in values.items())
        lines.append(f"at {at}: log L = {_num(ll)}, L = {_num(math.exp(ll))}")
    lines += [f"not run: {nm}: {why}" for nm, why in fit.skipped]
    return "\n".join(lines)


def parse_at(fam, text_value: str) -> dict[str, float]:
    """``p=0.5`` or ``beta0=-4,beta1=0.06``: a value for every estimated parameter, each
    in its domain."""
    names = [p.name for p in fam.estimated()]
    values: dict[str, float] = {}
    for part in filter(None, (s.strip() for s in text_value.split(","))):
        key, sep, val = part.partition("=")
        key = key.strip()
        try:
            values[key] = float(val) if sep else math.nan
        except ValueError:
            values[key] = math.nan
        if key not in names:
            raise StudyError(COMMAND_LINE, "--at", f"{key!r} is not a parameter of "
                             f"{fam.name}; give {', '.join(f'{n}=...' for n in names)}")
        if not np.isfinite(values[key]):
            raise StudyError(COMMAND_LINE, "--at", f"{part!r}: write {key}=<number>")
        p = fam.param(key)
        v = values[key]
        if v < p.low or v > p.high or (v == p.low and p.low_open) or (
                v == p.high and p.high_open):
            raise StudyError(COMMAND_LINE, "--at", f"{key} = {v:g} is outside its domain "
                             f"({p.doc})")
    missing = [n for n in names if n not in values]
    if missing:
        raise StudyError(COMMAND_LINE, "--at", f"{text_value!r} gives no value of "
                         f"{', '.join(missing)}; give {', '.join(f'{n}=...' for n in names)}")
    return {n: values[n] for n in names}
