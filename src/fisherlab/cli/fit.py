"""``fisherlab fit DATA --family F``: a user's data fitted by every estimator that applies.

It prints what :mod:`fisherlab.run.fitdata` computes; ``--html`` writes the likelihood
explorer of the data (the likelihood table of
:func:`fisherlab.diagnostics.likelihood.data_table`, drawn by the study pages' explorer,
:func:`fisherlab.report.explorer.page`); ``--study`` writes a study whose truth is the
fit (:mod:`fisherlab.run.fitstudy`). Bad data and bad options raise the errors of
:mod:`fisherlab.core.errors`, which ``main`` turns into exit status 2.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..core import defaults, files
from ..core.errors import StudyError
from ..diagnostics.likelihood import data_table
from ..report.explorer import page
from ..run.fitdata import fit_data, parse_at, text
from ..run.fitstudy import COVERAGE_MCSE, write_study
from ..run.userdata import COMMAND_LINE, read_data
from ..spec.safeyaml import YamlProblem
from ..spec.safeyaml import load as load_yaml


def arguments(p: argparse.ArgumentParser) -> None:
    """The command's options (its parser entry is in :mod:`.app`)."""
    p.add_argument("data", nargs="+", help="a CSV or Parquet file, or the numbers themselves")
    p.add_argument("--family", required=True, help="a family name (fisherlab families)")
    p.add_argument("--column", help="the column to fit (default: the file's only column)")
    p.add_argument("--y", help="a regression's response column (default: y)")
    p.add_argument("--x", action="append", default=[], metavar="COLUMN",
                   help="a regression's covariate column(s), in order (beta1, beta2, ...): "
                   "--x income, or --x a,b")
    p.add_argument("--fixed", action="append", default=[], metavar="NAME=VALUE",
                   help="a design constant, e.g. --fixed trials=10 for the binomial")
    p.add_argument("--at", action="append", default=[], metavar="NAME=VALUE,...",
                   help="also print log L and L at these parameter values, e.g. --at p=0.5 "
                   "or --at beta0=-4,beta1=0.06 (repeatable)")
    p.add_argument("--prior", help="priors for the MAP, as in study files: "
                   "'{lam: {dist: Gamma, alpha: 3, beta: 1}}'")
    p.add_argument("--level", type=float, default=defaults.LEVEL,
                   help=f"the intervals' level (default {defaults.LEVEL})")
    p.add_argument("--html", metavar="OUT.html", help="write the likelihood explorer of the "
                   "data (the study pages' explorer) to this file")
    p.add_argument("--study", metavar="NAME", help="write a study whose truth is the MLE: "
                   "studies/NAME.yaml (in --studies-dir), or a path ending in .yaml")
    p.add_argument("--mcse", type=float, default=COVERAGE_MCSE,
                   help=f"the study's target MCSE of coverage (default {COVERAGE_MCSE})")


def _pairs(items: list[str], option: str) -> dict[str, float]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not math.isfinite(out[key.strip()]):
            raise StudyError(COMMAND_LINE, option, f"{item!r}: write NAME=NUMBER")
    return out


def _prior(value: str | None) -> dict | None:
    if value is None:
        return None
    try:
        doc = load_yaml(value)
    except YamlProblem as exc:
        raise StudyError(COMMAND_LINE, "--prior", exc.problem) from None
    if not isinstance(doc, dict):
        raise StudyError(COMMAND_LINE, "--prior", "must be a mapping, as in study files: "
                         "'{p: {dist: Beta, alpha: 2, beta: 2}}'")
    return doc


def cmd_fit(args) -> int:
    if not 0 < args.level < 1:
        raise StudyError(COMMAND_LINE, "--level", f"must be between 0 and 1, got {args.level}")
    covariates = tuple(c.strip() for item in args.x for c in item.split(",") if c.strip())
    data = read_data(args.data, args.family, column=args.column, y=args.y,
                     covariates=covariates, fixed=_pairs(args.fixed, "--fixed"))
    at = [parse_at(data.family, a) for a in args.at]
    fit = fit_data(data, args.level, _prior(args.prior), at)
    print(text(fit))
    if args.html:
        if fit.mle is None:
            raise StudyError(data.source, "--html", "no explorer: " + "; ".join(fit.notes))
        fam = data.family
        maps = {r.estimand: r.estimate for r in fit.rows
                if r.estimator == "map" and r.converged}
        t = data_table(fam, data.theta_fixed, data.x, fit.mle, fit.mle_se, fit.level, maps)
        values = ", ".join(f"{k} = {v:.6g}" for k, v in fit.mle.items())
        lede = (f"{fam.name} fitted to {data.source} (n = {data.n}): the MLE is {values}. "
                "The curve is the log-likelihood of these data (with several parameters, "
                "the profile: the others at their best for each value); the slider moves "
                "along it and reads off ℓ, the score and the observed information.")
        files.write_text(Path(args.html), page(t, f"The likelihood of {data.source}", lede))
        print(f"wrote {args.html}")
    if args.study:
        path = write_study(fit, args.study, args.studies_dir, args.mcse)
        print(f"wrote {path}: run it with `fisherlab run {path}`")
    return 0
