"""The ``fisherlab`` command: a few commands for people, and the workflow's stages.

People use ``run``, ``validate``, ``families``, ``plan``, ``claims``, ``protocol`` and
``table``; the Snakemake rules call the stage commands (``chunk``, ``gather``, ...), each
a thin wrapper of functions of
:mod:`fisherlab.pipeline.stages` (:mod:`.commands`). Two take other stages along, so
that the workflow starts fewer processes (each costs about a second of imports):
``check --provenance`` also combines; ``html --diagnose --md report.md`` diagnoses,
judges and writes report.md before the page.
Every stage command takes the study file and builds the study object from it once
(:func:`fisherlab.spec.load.load_study`). Each error fisherlab reports has its exit
status (:data:`fisherlab.core.errors.EXIT_CODES`).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from importlib import metadata

from threadpoolctl import threadpool_limits

from ..core.defaults import CHUNK_SIZE, LEVEL, STUDIES_DIR
from ..core.errors import exit_code
from ..core.layout import RESULTS
from .commands import (
    _chunk_size,
    chunk_size,
    cmd_check,
    cmd_chunk,
    cmd_claims,
    cmd_combine,
    cmd_diagnose,
    cmd_export,
    cmd_families,
    cmd_gather,
    cmd_html,
    cmd_index,
    cmd_judge,
    cmd_measures,
    cmd_paired,
    cmd_plan,
    cmd_precision,
    cmd_protocol,
    cmd_report,
    cmd_round,
    cmd_run,
    cmd_summarise,
    cmd_table,
    cmd_validate,
)
from .fit import arguments as fit_arguments
from .fit import cmd_fit

HELP = """\
usage: fisherlab [--version] [--help] COMMAND [ARGS]

fisherlab: simulation studies of statistical estimators.

commands:
  run STUDY             run one study in this process: every stage, report.html included
                        (STUDY is a name in studies/ or a path to a .yaml file)
  summarise --from FILE summarise anyone's estimates (CSV or Parquet; rsimsum's column
                        names): the same tables, verdicts and page as a study
  validate [STUDY ...]  check study files and print what each will cost, without running
                        anything (default: every file in studies/)
  families              the families, their parameters and estimators (Markdown)
  plan STUDY            run a pilot and print the replications each target MCSE needs
                        and their time (a fixed-R study: the MCSEs it will give)
  claims STUDY          the study's claims (expect:) as its last run judged them; exit 1
                        when one fails
  fit DATA --family F   fit your own data (a CSV or Parquet file, or numbers): every
                        estimator that applies, standard errors, intervals, AIC/BIC;
                        --html the likelihood explorer, --study a study at the fit
  protocol STUDY        the study's protocol (ADEMP) as Markdown, from the study file
                        alone: write it before a run to pre-register the study
  table STUDY           measures × conditions of a study's results as a table for a
                        paper: LaTeX, Markdown or HTML, each value with its MCSE

  The usual way to run studies is Snakemake: `snakemake --cores 8` (see README.md).

internal commands (the workflow's stages; the Snakemake rules call them):
  chunk, gather, combine, export, check, summarise, measures, paired, diagnose, judge,
  report, html, index, round, precision

options:
  -h, --help            show this help and exit
  --version             show the version and exit

`fisherlab COMMAND --help` describes each command. Exit codes: 0 done, 1 validate found
a problem or a claim fails, 2 an invalid study file, a limit of the cost plan or data
that fit cannot use, 3 a study
stopped by max_failure_rate, 4 corrupt or stale chunks (removed; run again).
"""


class _Parser(argparse.ArgumentParser):
    """The top-level parser: its help lists the commands people use first."""

    def format_help(self) -> str:
        return HELP

    def format_usage(self) -> str:
        return HELP.splitlines()[0] + "\n"


def _version() -> str:

    try:
        return metadata.version("fisherlab")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree, not installed
        return "unknown"


def _true(text: str):
    """--true: a number for every row, else a column's name."""
    try:
        return float(text)
    except ValueError:
        return text


def _n(text: str):
    """--n: a whole number for every row, else a column's name."""
    try:
        return int(text)
    except ValueError:
        return text


def _limits(text: str) -> tuple[str, str]:
    parts = [t.strip() for t in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError(f"give two columns, LOWER,UPPER; got {text!r}")
    return parts[0], parts[1]


def from_file_options(p) -> None:
    """The options of ``summarise --from``: each column's role, as rsimsum names them."""
    g = p.add_argument_group("a file of estimates (--from)")
    g.add_argument("--from", dest="from_file", metavar="FILE",
                   help="CSV or Parquet, one row per replicate × method × condition")
    g.add_argument("--estvarname", help="the estimate's column (required with --from)")
    g.add_argument("--se", help="the standard error's column")
    g.add_argument("--true", type=_true, help="the truth: a column, or a number for every "
                   "row (required with --from)")
    g.add_argument("--methodvar", help="the method's column (default: one method)")
    g.add_argument("--by", nargs="+", default=[], metavar="COLUMN",
                   help="the condition factors' columns")
    g.add_argument("--ci-limits", type=_limits, metavar="LOWER,UPPER",
                   help="the interval's columns")
    g.add_argument("--n", type=_n, help="the sample size: a column, or a number")
    g.add_argument("--param", help="the estimand's column, when there are several")
    g.add_argument("--level", type=float, default=LEVEL,
                   help=f"the intervals' nominal level (default: {LEVEL})")


def parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="fisherlab")
    ap.add_argument("--version", action="version", version=f"fisherlab {_version()}")
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=argparse.ArgumentParser)

    def cmd(name, fn, text, studies_dir=False):
        p = sub.add_parser(name, prog=f"fisherlab {name}", help=text, description=text)
        p.set_defaults(fn=fn)
        if studies_dir:  # the commands people give study names to
            p.add_argument("--studies-dir", default=STUDIES_DIR,
                           help=f"where study names are looked up (default: {STUDIES_DIR})")
        return p

    p = cmd("run", cmd_run, "run one study in this process, every stage, with the "
            "workflow's files under RESULTS/<study>/", studies_dir=True)
    p.add_argument("study", help="a study name (a file in --studies-dir) or a path to a "
                   ".yaml file")
    p.add_argument("--results", default=RESULTS, help=f"results folder (default: {RESULTS})")
    p.add_argument("--chunk-size", type=_chunk_size, default=CHUNK_SIZE,
                   help="replications per chunk, a multiple of 100, or auto (default: from "
                   "the measured per-fit cost); the numbers do not depend on it")
    p.add_argument("--no-html", action="store_true",
                   help="stop after the diagnostics: no report.html, figures or index")
    p.add_argument("--allow-large", action="store_true",
                   help="run even past the cost plan's limits (jobs, memory per job and "
                   "per summary step; README, 'Limits')")
    p = cmd("validate", cmd_validate, "check study files and print what each will cost "
            "(jobs, datasets, rows, memory, time), without running anything", studies_dir=True)
    p.add_argument("files", nargs="*", help="study names or paths (default: every .yaml "
                   "file in --studies-dir)")
    p.add_argument("--chunk-size", type=_chunk_size, default=CHUNK_SIZE,
                   help="replications per job the cost is planned for: a multiple of 100, or "
                   "auto (default, as the workflow plans them)")
    p.add_argument("--allow-large", action="store_true",
                   help="do not count a cost past the limits as a problem")
    cmd("families", cmd_families, "print the families table (Markdown)")
    p = cmd("plan", cmd_plan, "run a pilot of a study and print, per condition × n × "
            "estimator × estimand, the replications each target MCSE needs and their time; "
            "for a fixed-R study, the MCSEs it will give", studies_dir=True)
    p.add_argument("study", help="a study name (a file in --studies-dir) or a path")
    p.add_argument("--pilot", type=chunk_size, help="pilot replications per condition × n, "
                   "a multiple of 100 (default: the targets' min, or 200)")

    p = cmd("claims", cmd_claims, "print the study's claims (expect:) with the verdicts "
            "of its last run; exit 1 when one fails", studies_dir=True)
    p.add_argument("study", help="a study name (a file in --studies-dir) or a path")
    p.add_argument("--results", default=RESULTS, help=f"results folder (default: {RESULTS})")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 also when a claim cannot be told (too few replicates)")

    p = cmd("fit", cmd_fit, "fit your own data with every estimator that applies; "
            "optionally write its likelihood explorer (--html) and a study whose truth is "
            "the fit (--study)", studies_dir=True)
    fit_arguments(p)
    p = cmd("protocol", cmd_protocol, "write the study's protocol (ADEMP: aims, "
            "data-generating mechanisms, estimands, methods, performance measures) as "
            "Markdown, from the study file alone", studies_dir=True)
    p.add_argument("study", help="a study name (a file in --studies-dir) or a path")
    p.add_argument("--out", help="write it to this file (default: standard output)")
    p = cmd("table", cmd_table, "a table of measures × conditions from a study's results, "
            "each value with its Monte Carlo SE, as LaTeX, Markdown or HTML",
            studies_dir=True)
    p.add_argument("study", help="a study name (a file in --studies-dir) or a path")
    p.add_argument("--results", default=RESULTS, help=f"results folder (default: {RESULTS})")
    p.add_argument("--measures", help="comma-separated measures, as summary.csv names them "
                   "(bias, empse, mse, rmse, modelse, relerr_modelse, coverage, becoverage, "
                   "width, mean) or the study's own (default: bias,empse,coverage)")
    p.add_argument("--estimators", help="comma-separated estimator ids (default: all)")
    p.add_argument("--estimands", help="comma-separated estimands (default: all)")
    p.add_argument("--format", choices=("latex", "markdown", "html", "all"), default="latex",
                   help="default: latex; all writes the three beside --out (default "
                   "RESULTS/<study>/table.tex, .md, .html)")
    p.add_argument("--booktabs", action="store_true", help="LaTeX with booktabs rules "
                   "(\\toprule, \\cmidrule; needs the booktabs package)")
    p.add_argument("--out", help="write to this file (default: standard output)")

    def stage(name, fn, text):  # the workflow's stages: each takes the study file
        p = cmd(name, fn, f"internal: {text}")
        p.add_argument("--study", required=True, help="the study file")
        return p

    p = stage("chunk", cmd_chunk, "draw and fit one chunk")
    p.add_argument("--chunk", required=True, help="<cond>/c<k> or <cond>/n<n>.c<k>, as in the "
                   "chunk's path")
    p.add_argument("--chunk-size", type=int, required=True,
                   help="replications per chunk (of the condition)")
    p.add_argument("--spec-sha256", help="refuse to run if the chunk's spec hash differs "
                   "(the study file changed after planning)")
    p.add_argument("--out", required=True, help="the chunk's parquet file")
    p = stage("gather", cmd_gather, "one condition's rows and cell statistics (checks each "
              "chunk; removes and names corrupt or stale ones)")
    p.add_argument("--cond", required=True, help="the condition id, as in the chunk paths")
    p.add_argument("--dir", required=True, help="the study's results folder")
    p.add_argument("--chunk-size", type=_chunk_size, help="the chunk size the chunks were "
                   "planned with (a multiple of 100, or auto): also check each chunk's spec hash")
    p.add_argument("chunks", nargs="+", help="the condition's chunk files, in order")
    p = stage("combine", cmd_combine, "provenance.json of a study")
    p.add_argument("--provenance", required=True, help="provenance.json")
    p.add_argument("chunks", nargs="+", help="the chunk files")
    p = stage("export", cmd_export, "every row of a study in one estimates.parquet")
    p.add_argument("--dir", required=True, help="the study's results folder")
    p.add_argument("--out", required=True, help="estimates.parquet")
    p = stage("check", cmd_check, "status.json, ok or stopped by max_failure_rate "
              "(and, with --provenance, provenance.json first)")
    p.add_argument("--dir", required=True, help="the study's results folder")
    p.add_argument("--out", required=True, help="status.json")
    p.add_argument("--provenance", help="also write provenance.json (combine) from CHUNKS")
    p.add_argument("chunks", nargs="*", help="the chunk files (with --provenance)")
    p = cmd("summarise", cmd_summarise, "summary.csv of a study's results folder (a "
            "stage: --study, --dir, --out); or, with --from FILE, every table and the page "
            "of anyone's estimates, one row per replicate × method × condition (CSV or "
            "Parquet; options named as rsimsum's simsum())")
    p.add_argument("--study", help="the study file (the workflow's stage)")
    p.add_argument("--dir", help="the study's results folder (the workflow's stage)")
    p.add_argument("--out", help="summary.csv (the stage); with --from, the results "
                   "folder to write (default: results/<file name>)")
    from_file_options(p)
    p = stage("measures", cmd_measures, "measures.csv: the study's own measures "
              "(measures:), a cell at a time")
    p.add_argument("--dir", required=True, help="the study's results folder")
    p.add_argument("--out", required=True, help="measures.csv")
    p = stage("paired", cmd_paired, "paired.csv: every estimator against the study's "
              "reference (compare:) on the same datasets")
    p.add_argument("--dir", required=True, help="the study's results folder")
    p.add_argument("--out", required=True, help="paired.csv")
    p = stage("diagnose", cmd_diagnose, "every diagnostic table, <diagnostic>.csv in --dir")
    p.add_argument("--dir", required=True, help="the study's results folder")
    p = stage("judge", cmd_judge, "verdicts.csv and claims.csv in --dir, from its tables")
    p.add_argument("--dir", required=True, help="the study's results folder")
    p = stage("report", cmd_report, "report.md, from the tables and verdicts in --dir")
    p.add_argument("--dir", required=True, help="the study's results folder")
    p.add_argument("--out", required=True, help="report.md")
    p = stage("html", cmd_html, "report.html of one study")
    p.add_argument("--dir", required=True, help="the study's results folder")
    p.add_argument("--out", required=True, help="report.html")
    p.add_argument("--figures", help="also write each figure as PNG here")
    p.add_argument("--verdict", help="write the one-line verdict as JSON here")
    p.add_argument("--diagnose", action="store_true", help="first write every diagnostic "
                   "table and the verdicts into --dir (the diagnose and judge commands)")
    p.add_argument("--md", help="also write report.md here (the report command)")
    p = stage("round", cmd_round, "rounds/r<k>.json: the targets after round k of a "
              "study with target MCSEs, and the next round")
    p.add_argument("--dir", required=True, help="the study's results folder")
    p.add_argument("--round", type=int, required=True, help="the round k")
    p.add_argument("--chunk-size", type=_chunk_size, required=True,
                   help="the chunk size the chunks were planned with")
    p.add_argument("--out", required=True, help="rounds/r<k>.json")
    p = stage("precision", cmd_precision, "precision.csv: each target, met or not")
    p.add_argument("--dir", required=True, help="the study's results folder")
    p.add_argument("--out", required=True, help="precision.csv")
    p = cmd("index", cmd_index, "internal: the index of every study under a results folder")
    p.add_argument("--results", default=RESULTS, help=f"default: {RESULTS}")
    p.add_argument("--out", help="default: RESULTS/index.html")
    return ap


#: how many modules this process had imported when it last limited BLAS
_limited_at: int | None = None


def one_blas_thread() -> None:
    """Limit BLAS (OpenBLAS, MKL) to one thread in this process and the libraries it loads
    later. A job computes on one CPU (the workflow runs one job per CPU) and its linear
    algebra is many tiny problems: BLAS threads only wait for each other and for the
    other jobs. With two threads on a loaded 2-CPU machine, scipy's L-BFGS-B took 30 ms a
    fit against 0.5 ms with one. The numbers do not depend on it.

    threadpoolctl scans the loaded libraries (7-60 ms), and the workflow runs hundreds of
    commands in one process: the scan is repeated only when an import may have loaded a
    library since (a forked job inherits its parent's limit)."""
    global _limited_at
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if _limited_at != len(sys.modules):
        threadpool_limits(1, user_api="blas")
        _limited_at = len(sys.modules)


@functools.cache
def main_parser() -> argparse.ArgumentParser:
    """:func:`parser`, built once per process: building it costs 20-40 ms, and the
    workflow runs hundreds of commands in Snakemake's process and its fork server's
    children (parsing does not change it)."""
    return parser()


def main(argv: list[str] | None = None) -> int:
    one_blas_thread()
    ap = main_parser()
    args = ap.parse_args(argv)
    if not getattr(args, "fn", None):
        ap.print_help()
        return 0
    try:
        return args.fn(args)
    except BrokenPipeError:  # `fisherlab families | head`: the reader stopped reading
        _quiet_stdout()
        return 0
    except Exception as exc:
        code = exit_code(exc)
        if code is None:
            raise
        print(f"fisherlab: {exc}", file=sys.stderr)
        return code


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises no second
    BrokenPipeError (the Python documentation's recipe for SIGPIPE)."""

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file behind stdout (a test's capture)
        pass


if __name__ == "__main__":
    sys.exit(main())
