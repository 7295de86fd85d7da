"""What a study claims to show (``expect:``): checked when the file is read, judged after
the run (:mod:`fisherlab.verdicts.claims`).

A claim is a measure of one estimator × estimand, at every n and condition or at those
given, compared with a number, a formula or the same measure of another estimator::

    expect:
      - {measure: bias, estimator: mle, estimand: sigma2, equals: "-sigma**2 / n"}
      - {measure: coverage, estimator: "mle[wald]", n: 592, below: 0.85}
      - {measure: empse, estimator: mom, estimand: p, above: {estimator: mle}}

A formula may use the condition's true parameters by name, the numbers of the model's
``design`` by their keys (``design: {p: 2}`` gives ``p``; a parameter of the same name
wins), ``n``, ``level`` and ``truth`` (the estimand's true value), the functions
``sqrt, log, exp, abs, min, max, lgamma, digamma, trigamma``, the distribution functions
``norm_cdf(x)``, ``norm_ppf(q)``, ``t_cdf(x, df)``, ``chi2_cdf(x, df)`` and
``chi2_ppf(q, df)`` (scipy.stats: exact coverages of pivotal intervals are formulas in
them) and ``pi``, and a claim on a test's ``rejection`` may use ``exact`` (its exact
rejection rate, where tests.csv has one); it is evaluated by simpleeval, never by
Python's ``eval``::

    - {measure: bias, estimator: mle, estimand: sigma2, equals: "-(p + 1) * sigma**2 / n"}
    - {measure: coverage, estimator: "mle[wald]", estimand: mu,
       equals: "2 * t_cdf(norm_ppf((1 + level) / 2) * sqrt((n - 1) / n), n - 1) - 1"}

Every name, estimator, estimand, n and condition a claim uses is checked here, so a claim
that cannot be judged stops the run before any job, like any other problem of the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scipy import special, stats
from simpleeval import SimpleEval

#: measure -> (table, value column, MCSE column or a rule for it, the table's cell keys)
#: The MCSE rules: "binomial" is sqrt(p (1 - p) / replicates) (at the target share, when
#: a claim compares with one); "none": an exact value, compared exactly.
MEASURES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "mean": ("summary", "mean", "bias_mcse", ("n", "estimator", "estimand")),
    "bias": ("summary", "bias", "bias_mcse", ("n", "estimator", "estimand")),
    "empse": ("summary", "empse", "empse_mcse", ("n", "estimator", "estimand")),
    "mse": ("summary", "mse", "mse_mcse", ("n", "estimator", "estimand")),
    "rmse": ("summary", "rmse", "rmse_mcse", ("n", "estimator", "estimand")),
    "modelse": ("summary", "modelse", "modelse_mcse", ("n", "estimator", "estimand")),
    "relerr_modelse": ("summary", "relerr_modelse", "relerr_modelse_mcse",
                       ("n", "estimator", "estimand")),
    "coverage": ("summary", "coverage", "coverage_mcse", ("n", "estimator", "estimand")),
    "becoverage": ("summary", "becoverage", "becoverage_mcse", ("n", "estimator", "estimand")),
    "width": ("summary", "width", "width_mcse", ("n", "estimator", "estimand")),
    "failure_rate": ("summary", "failure_rate", "binomial", ("n", "estimator", "estimand")),
    "var_ratio": ("efficiency", "var_ratio", "var_ratio_mcse", ("n", "estimator", "estimand")),
    "mse_ratio": ("efficiency", "mse_ratio", "mse_ratio_mcse", ("n", "estimator", "estimand")),
    "slope": ("consistency", "slope", "slope_se", ("estimator", "estimand")),
    "iterations": ("optimiser", "iterations_mean", "iterations_mcse", ("n", "estimator")),
    "converged_share": ("optimiser", "converged_share", "binomial", ("n", "estimator")),
    # paired comparisons with the reference estimator (compare:), rows of paired.csv
    # (the MSE ratio to the reference is paired_mse_ratio: mse_ratio is efficiency's)
    **{m: ("paired", m.removeprefix("paired_"), f"{m.removeprefix('paired_')}_mcse",
           ("n", "estimator", "estimand"))
       for m in ("relative_precision", "paired_mse_ratio", "bias_diff", "coverage_diff")},
    # a study's tests (tests:): the simulated rejection rate, and the exact one (no MCSE)
    "rejection": ("tests", "rate", "binomial", ("n", "estimator", "estimand")),
    "exact_rejection": ("tests", "exact", "none", ("n", "estimator", "estimand")),
}
#: the measures of paired.csv: a claim names the estimator compared with the reference
PAIRED = ("relative_precision", "paired_mse_ratio", "bias_diff", "coverage_diff")
#: the measures of tests.csv: a claim on one names its test (``test: score``), and a
#: formula may use ``exact``, the cell's exact rejection rate
TEST_MEASURES = ("rejection", "exact_rejection")
#: a study's own measures (``measures:``) are rows of measures.csv, named by ``measure``
CUSTOM = ("measures", "value", "mcse", ("n", "estimator", "estimand"))


def measure_source(measure: str) -> tuple[str, str, str, tuple[str, ...]]:
    """Where a claim's measure lives: a line of :data:`MEASURES`, else a study's own."""
    return MEASURES.get(measure, CUSTOM)
#: what a claim compares with
OPS = ("equals", "below", "above")
FUNCTIONS = {"sqrt": math.sqrt, "log": math.log, "exp": math.exp, "abs": abs, "min": min,
             "max": max, "lgamma": math.lgamma,
             "digamma": lambda x: float(special.digamma(x)),
             "trigamma": lambda x: float(special.polygamma(1, x)),
             "norm_cdf": lambda x: float(stats.norm.cdf(x)),
             "norm_ppf": lambda q: float(stats.norm.ppf(q)),
             "t_cdf": lambda x, df: float(stats.t.cdf(x, df)),
             "chi2_cdf": lambda x, df: float(stats.chi2.cdf(x, df)),
             "chi2_ppf": lambda q, df: float(stats.chi2.ppf(q, df))}
CONSTANTS = {"pi": math.pi}


@dataclass(frozen=True)
class Claim:
    """One claim of a study file (see the module docstring)."""

    measure: str
    estimator: str
    estimand: str
    op: str
    #: a number, a formula, or {"estimator": id}
    target: object
    n: tuple[int, ...] | None = None
    where: dict = field(default_factory=dict)
    within: float | None = None
    #: the estimators' labels, as every page spells them (``mle, interval wald``)
    label: str = ""
    target_label: str = ""
    #: a study's own measure (``measures:``) is named by its label (``median bias``)
    measure_label: str = ""
    #: the test a rejection claim is about (wald, score, lr)
    test: str = ""

    @property
    def text(self) -> str:
        """The claim in words: ``bias of mle (sigma2) equals -sigma**2 / n at every n``."""
        of = f"{self.label or self.estimator}" + (f" ({self.estimand})" if self.estimand
                                                  else "")
        if self.test:
            of = f"{of}, {self.test} test"
        target = (f"that of {self.target_label or self.target['estimator']}"
                  if isinstance(self.target, dict)
                  else str(self.target) if isinstance(self.target, str)
                  else f"{self.target:g}")
        verb = {"equals": "equals", "below": "is below", "above": "is above"}[self.op]
        at = ("at every n" if self.n is None else
              f"at n = {', '.join(map(str, self.n))}")
        where = "".join(f", {k} = {v:g}" for k, v in self.where.items())
        return f"{self.measure_label or self.measure} of {of} {verb} {target} {at}{where}"

    def evaluate(self, names: dict) -> float:
        """The target formula's value for a cell (``names``: parameters, n, level, truth)."""
        return formula_value(str(self.target), names)


def formula_value(text: str, names: dict) -> float:
    """A formula's value, by simpleeval with the allowed functions and names only."""
    evaluator = SimpleEval(functions=FUNCTIONS, names={**CONSTANTS, **names})
    return float(evaluator.eval(text))


def design_numbers(design) -> dict[str, float]:
    """The numbers of a model's ``design`` by their keys, for formulas (``{p: 2}``: p = 2;
    nested values such as a covariate list are not numbers)."""
    if not isinstance(design, dict):
        return {}
    return {str(k): float(v) for k, v in design.items()
            if isinstance(v, int | float) and not isinstance(v, bool)}


def check_claims(items: list, study_params: dict, sample_sizes: list, estimators: list,
                 estimands: list, problems, design=None,
                 labels: dict | None = None, extra: dict | None = None,
                 tests=()) -> tuple[Claim, ...] | None:
    """The claims of ``expect:`` (the schema accepted their shape), checked against the
    study (``design``: the model's, whose numbers formulas may use): every problem to
    ``problems`` with its key; None when there was one. ``labels``: estimator id -> the
    label its text uses; ``extra``: the study's own measures, name -> label."""
    before = len(problems.items)
    extra = extra or {}
    known = [*design_numbers(design), *study_params, "n", "level", "truth"]
    ids = [e.id if hasattr(e, "id") else e for e in estimators]
    out = []
    for i, item in enumerate(items):
        key = f"expect[{i}]"
        measure = item["measure"]
        if measure not in MEASURES and measure not in extra:
            problems.add(f"{key}.measure", f"unknown measure {measure!r}; allowed: "
                         f"{', '.join([*MEASURES, *extra])} (a study's own measure is listed "
                         "under measures:)")
            continue
        ops = [op for op in OPS if op in item]
        if len(ops) != 1:
            problems.add(key, "give exactly one of equals, below and above")
            continue
        op = ops[0]
        table_keys = measure_source(measure)[3]
        if item["estimator"] not in ids:
            problems.add(f"{key}.estimator", f"no estimator {item['estimator']!r} in this "
                         f"study; its estimators: {', '.join(ids)}")
        estimand = item.get("estimand", "")
        if "estimand" in table_keys:
            if not estimand and len(estimands) == 1:
                estimand = estimands[0]
            if estimand not in estimands:
                problems.add(f"{key}.estimand", f"give one of the study's estimands: "
                             f"{', '.join(estimands)}")
        n = item.get("n")
        n = None if n is None else tuple([n] if isinstance(n, int) else n)
        if n is not None and "n" not in table_keys:
            problems.add(f"{key}.n", f"{measure} is one value over every n: no n here")
        for v in n or ():
            if v not in sample_sizes:
                problems.add(f"{key}.n", f"{v} is not one of the study's sample sizes")
        where = dict(item.get("where") or {})
        for k, v in where.items():
            values = study_params.get(k)
            if values is None or not isinstance(values, list) or v not in values:
                problems.add(f"{key}.where.{k}", f"{k} = {v:g} is not a condition of this "
                             "study" if values is not None else f"{k} is not a parameter")
        test = item.get("test", "")
        if measure in TEST_MEASURES:
            offered = sorted({h.test for h in tests if h.estimand == estimand})
            if not test or test not in offered:
                problems.add(f"{key}.test", f"a {measure} claim names its test, one of the "
                             f"study's tests of {estimand or 'its estimand'} (tests:): "
                             f"{', '.join(offered) or 'none'}")
        elif test:
            problems.add(f"{key}.test", "only a rejection or exact_rejection claim names "
                         "a test")
        target = item[op]
        if isinstance(target, dict) and target["estimator"] not in ids:
            problems.add(f"{key}.{op}.estimator", f"no estimator {target['estimator']!r}")
        if isinstance(target, str):
            names = dict.fromkeys(known, 1.0) | {"n": 10.0, "level": 0.95, "truth": 1.0}
            if measure in TEST_MEASURES:
                names["exact"] = 0.05
            try:
                formula_value(target, names)
            except Exception as exc:  # noqa: BLE001 - any failure to evaluate is a problem
                problems.add(f"{key}.{op}", f"cannot evaluate {target!r}: {exc}; a formula may "
                             f"use {', '.join(dict.fromkeys(known))}, "
                             f"{', '.join(FUNCTIONS)} and pi")
        labels = labels or {}
        out.append(Claim(measure, item["estimator"], estimand, op, target, n, where,
                         item.get("within"), labels.get(item["estimator"], ""),
                         labels.get(target["estimator"], "") if isinstance(target, dict)
                         else "",
                         extra.get(measure, "") if measure not in MEASURES else "", test))
    return None if len(problems.items) > before else tuple(out)
