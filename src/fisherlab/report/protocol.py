"""A study's protocol in ADEMP form, from the study file alone: Aims, Data-generating
mechanisms, Estimands, Methods, Performance measures (Morris, White & Crowther 2019,
Section 3; the ADEMP-PreReg template of Siepe et al. 2024).

:func:`protocol` builds the content once; :func:`markdown` (``fisherlab protocol``,
report.md) and :func:`html` (the top of report.html) only render it. Nothing here reads
results, so a protocol can be written and registered before any run; the only number
it computes is a design one (the Monte Carlo SE a coverage near its nominal level will
have at the study's replications), marked as such on the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.labels import number, options_label, params_label
from ..core.priors import Prior
from ..spec.study import Study
from .format import fmt_beside
from .html import esc
from .targets import targets_text

#: measure -> (heading, definition, Monte Carlo SE), as summary.csv computes them
#: (fisherlab.stats.measures); R counts the replicates with a usable fit
MEASURE_TEXT = {
    "mean": ("mean", "mean of the estimates θ̂ᵢ", "as the bias's"),
    "bias": ("bias", "mean of θ̂ᵢ − θ", "√(Σ(θ̂ᵢ − mean)² / (R(R − 1)))"),
    "empse": ("emp. SE", "standard deviation of the estimates",
              "emp. SE × √(2/(R − 1) + κ/R) / 2, κ the estimates' excess kurtosis"),
    "mse": ("MSE", "mean of (θ̂ᵢ − θ)²", "√(Σ((θ̂ᵢ − θ)² − MSE)² / (R(R − 1)))"),
    "rmse": ("RMSE", "√MSE", "MCSE(MSE) / (2 RMSE)"),
    "modelse": ("model SE", "√(mean of the estimated variances SEᵢ²)",
                "√(Var(SEᵢ²) / (4R model SE²))"),
    "relerr_modelse": ("rel. err. model SE %", "100 (model SE / emp. SE − 1)",
                       "by the delta method from the MCSEs of model SE and emp. SE"),
    "coverage": ("coverage", "share of intervals that hold θ",
                 "√(coverage (1 − coverage) / R)"),
    "becoverage": ("bias-elim. coverage", "share of intervals that hold the mean estimate",
                   "√(coverage (1 − coverage) / R)"),
    "width": ("width", "mean interval width", "standard deviation of the widths / √R"),
}
#: an interval kind (Estimator.interval_kind) as people write it
KIND = {"wald": "Wald"}
HEADINGS = ("Aims", "Data-generating mechanisms", "Estimands", "Methods",
            "Performance measures")


@dataclass(frozen=True)
class Item:
    """One line of a heading: a term and its text; ``design`` is a design number that
    follows the text (the page marks it), ``tail`` what follows the number."""

    term: str
    text: str
    design: str = ""
    tail: str = ""
    #: the study file's own words (its description), quoted as written
    quoted: bool = False

    @property
    def plain(self) -> str:
        return self.text + self.design + self.tail


def replications_text(study: Study) -> str:
    """How many replications each condition × n gets, and what decides it."""
    if study.targets is not None:
        return targets_text(study)
    return (f"{study.replications:,} replications per condition × n, a fixed number set in "
            f"the study file (seed {study.seed})")


def design_mcse(study: Study) -> float | None:
    """The Monte Carlo SE a coverage at its nominal level has at the study's fixed
    replications: √(L(1 − L)/R) (Morris et al. 2019, Section 5.3); None with targets."""
    if study.targets is not None:
        return None
    return math.sqrt(study.level * (1 - study.level) / study.replications)


def _aims(study: Study) -> list[Item]:
    out = [Item("aim", study.description.strip(), quoted=True)]
    out += [Item("claim", c.text) for c in study.claims]
    if study.claims:
        out.append(Item("how claims are judged", "after the run, each against its cells' "
                        "values in Monte Carlo SEs, with a Bonferroni limit over its cells"))
    else:
        out.append(Item("claims", "none stated (no expect: in the study file): the study "
                        "reports its measures and diagnostics without a claim to check"))
    return out


def _mechanisms(study: Study) -> list[Item]:
    fam = study.family
    grid = study.param_grid()
    fit = study.fit_model
    out = [*([Item("model", f"{fam.name}: {fam.doc}")] if fit is None else
             [Item("data drawn from", f"{fam.name}: {fam.doc}"),
              Item("model fitted", f"{fit.family.name}: {fit.family.doc}")]),
           Item("true values", params_label(study.params)),
           Item("sample sizes n", ", ".join(map(str, study.sample_sizes))),
           Item("conditions", f"{len(grid)} parameter setting{'s' * (len(grid) != 1)} × "
                f"{len(study.sample_sizes)} sample sizes = "
                f"{len(grid) * len(study.sample_sizes)} cells, every combination of the "
                "values above")]
    if study.design:
        out.append(Item("design", design_text(study.design)))
    mcse = design_mcse(study)
    if mcse is None:
        out.append(Item("replications", replications_text(study)))
    else:
        out.append(Item("replications", replications_text(study) + "; a coverage near "
                        f"{study.level:.0%} then has a Monte Carlo SE of about ",
                        fmt_beside(mcse, None, 2)))
    return out


def design_text(design: dict) -> str:
    """A family's ``model.design`` in words: ``covariates: income ~ norm(loc 50, scale
    15)``; other keys as ``key value``."""
    parts = []
    for k, v in design.items():
        if isinstance(v, list) and all(isinstance(x, dict) for x in v):
            v = ", ".join(
                f"{x.get('name', '')} ~ {x.get('distribution', '')}("
                + ", ".join(f"{a} {number(b)}" for a, b in x.items()
                            if a not in ("name", "distribution")) + ")" for x in v)
        elif isinstance(v, dict | list):
            v = options_label(v if isinstance(v, dict) else {"": v}).strip()
        else:
            v = number(v)
        parts.append(f"{k}: {v}")
    return "; ".join(parts)


def truths(study: Study, estimand: str) -> str:
    """An estimand's true values over the grid: ``1 (sigma = 1), 4 (sigma = 2)``, or the
    prior each replicate draws it from; under a ``fit_model``, the pseudo-true values
    (or the data model's, where the study targets those)."""
    fam = study.family
    drawn = [k for k, vs in study.params.items() if isinstance(vs[0], Prior)]
    vals = []
    for theta in study.param_grid():
        fixed = {k: (np.nan if k in drawn else v) for k, v in theta.items()}
        try:
            t = float(np.asarray(study.fit_truths(fixed)[estimand] if study.fit_model
                                 else fam.truth(fixed, estimand), float).ravel()[0])
        except (KeyError, TypeError, ValueError):
            t = math.nan
        vals.append((t, {k: v for k, v in theta.items() if len(study.params[k]) > 1}))
    if any(math.isnan(t) for t, _ in vals):
        priors = "; ".join(f"{k} ~ {study.params[k][0]}" for k in drawn)
        return f"each replicate's own truth, drawn from {priors}"
    what = "true value"
    if study.fit_model:
        what = ("value under the data model" if study.fit_model.target_of(estimand) == "data"
                else f"pseudo-true value (the {study.analysis.name} fit closest to the data "
                "model in Kullback–Leibler divergence)")
    shown = list(dict.fromkeys(number(t) for t, _ in vals))
    if len(shown) == 1:
        return f"{what} {shown[0]} in every condition"
    return f"{what} " + ", ".join(
        f"{number(t)} ({', '.join(f'{k} = {number(v)}' for k, v in where.items())})"
        for t, where in vals)


def _estimands(study: Study) -> list[Item]:
    fam = study.analysis
    docs = {p.name: p.doc for p in fam.params} | {d.name: d.doc for d in fam.derived}
    return [Item(e, (f"{docs[e]}; " if docs.get(e) else "") + truths(study, e))
            for e in study.estimands]


def _kind(est) -> str:
    """What an estimator is, from its declared traits."""
    if est.bayesian:
        return "Bayesian: posterior by MCMC" if est.samples else "Bayesian: posterior mode"
    if est.maximum_likelihood:
        return "maximum likelihood"
    if est.moment_based:
        return "method of moments"
    if est.classically_unbiased:
        return "the classically unbiased estimator of the family"
    return est.name


def _methods(study: Study) -> list[Item]:
    out = []
    for e in study.estimators:
        est = e.estimator
        kinds = list(dict.fromkeys(KIND.get(k, k) for k in (
            est.interval_kind(study.analysis, m) for m in study.estimands)))
        out.append(Item(e.label, f"{_kind(est)}; {study.level:.0%} intervals: "
                        f"{', '.join(kinds)}"))
    return out


def _measures(study: Study) -> list[Item]:
    out = [Item(label, f"{what}; Monte Carlo SE {mcse}")
           for label, what, mcse in MEASURE_TEXT.values()]
    for m in getattr(study, "measures", ()):
        args = options_label(getattr(m, "args", {}) or {})
        out.append(Item(getattr(m, "label", "") or m.name,
                        f"the study's own measure {m.name}" + (f" ({args})" if args else "")
                        + "; Monte Carlo SE as the measure defines it"))
    out.append(Item("replicates used", "R counts the replicates whose fit gave a usable "
                    "estimate; failed fits are counted and reported, not imputed"))
    return out


def protocol(study: Study) -> tuple[tuple[str, list[Item]], ...]:
    """The ADEMP headings, each with its items, for ``study``."""
    parts = (_aims(study), _mechanisms(study), _estimands(study), _methods(study),
             _measures(study))
    return tuple(zip(HEADINGS, parts, strict=True))


def markdown(study: Study, level: int = 2) -> str:
    """The protocol as Markdown, headed at ``level``."""
    h = "#" * level
    out = [f"{h} Protocol (ADEMP)", ""]
    for heading, items in protocol(study):
        out += [f"{h}# {heading}", ""]
        out += [f"- **{i.term}**: {i.plain}" for i in items]
        out.append("")
    return "\n".join(out)


def html(study: Study) -> str:
    """The protocol as a definition list, a heading a term; a design number is a
    ``data-fact="design"`` span (not a result: tables do not print it). The page prints
    the description under its title, so the aim points there rather than repeat it."""
    parts = []
    for heading, items in protocol(study):
        lis = "".join(
            f"<li><i>{esc(i.term)}</i>: "
            + ("the study's description, under its title" if i.quoted else esc(i.text))
            + (f'<span data-fact="design">{esc(i.design)}</span>' if i.design else "")
            + f"{esc(i.tail)}</li>" for i in items)
        parts.append(f"<dt>{esc(heading)}</dt><dd><ul class='ademp'>{lis}</ul></dd>")
    return f"<dl class='protocol'>{''.join(parts)}</dl>"
