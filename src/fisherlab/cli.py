"""The ``fisherlab`` command: a few commands for people, and the workflow's stages.

People use ``run``, ``validate`` and ``families``; the Snakemake rules call the stage
commands (``chunk``, ``gather``, ...), each a thin wrapper of functions of
:mod:`fisherlab.stages`. Three take the next stage along, so that the workflow starts
fewer processes (each costs about a second of imports): ``check --provenance`` also
combines, ``summarise --md`` also writes report.md, ``html --tables`` also diagnoses.
Every stage command takes the study file and builds the study object from it once
(:func:`fisherlab.study.load_study`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import cost, stages
from .diagnostics.failures import FailureRateError
from .study import StudyError, StudyErrors, load_study

HELP = """\
usage: fisherlab [--version] [--help] COMMAND [ARGS]

fisherlab: simulation studies of statistical estimators.

commands:
  run STUDY             run one study in this process: every stage, report.html included
                        (STUDY is a name in studies/ or a path to a .yaml file)
  validate [STUDY ...]  check study files and print what each will cost, without running
                        anything (default: every file in studies/)
  families              the families, their parameters and estimators (Markdown)
  plan STUDY            run a pilot and print the replications each target MCSE needs
                        and their time (a fixed-R study: the MCSEs it will give)

  The usual way to run studies is Snakemake: `snakemake --cores 8` (see README.md).

internal commands (the workflow's stages; the Snakemake rules call them):
  chunk, gather, combine, export, check, summarise, report, diagnose, html, index,
  round, precision

options:
  -h, --help            show this help and exit
  --version             show the version and exit

`fisherlab COMMAND --help` describes each command. Exit codes: 0 done, 1 validate found
a problem, 2 an invalid study file or a limit of the cost plan, 3 a study stopped by
max_failure_rate, 4 corrupt or stale chunks (removed; run again).
"""


class _Parser(argparse.ArgumentParser):
    """The top-level parser: its help lists the commands people use first."""

    def format_help(self) -> str:
        return HELP

    def format_usage(self) -> str:
        return HELP.splitlines()[0] + "\n"


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("fisherlab")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree, not installed
        return "unknown"


def resolve_study(arg: str | Path, studies_dir: str | Path = "studies") -> Path:
    """A study given by name (``coin_flips``, found in ``studies_dir``) or by path."""
    p = Path(arg)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    named = Path(studies_dir) / f"{arg}.yaml"
    if named.exists():
        return named
    raise StudyError(str(arg), "", f"no study file {arg!r} and no {named}; give a path to a "
                     f".yaml file or the name of one in {studies_dir}/")


# --------------------------------------------------------------------------- for people
def chunk_size(text: str) -> int:
    """argparse type: replications per chunk, a positive multiple of 100 (the seed block)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 100 or value % 100:
        raise argparse.ArgumentTypeError(f"must be a multiple of 100 (>= 100), got {text!r}")
    return value


def cmd_run(args) -> int:
    study = load_study(resolve_study(args.study, args.studies_dir))
    plan = cost.study_cost(study, args.chunk_size)
    print(cost.plan_text([plan]), file=sys.stderr)
    cost.check_limits([plan], args.allow_large, "--chunk-size")
    stages.run(study, args.results, args.chunk_size, html_page=not args.no_html)
    return 0


def cmd_validate(args) -> int:
    files = args.files or sorted(Path(args.studies_dir).glob("*.yaml"))
    if not files:
        print(f"fisherlab validate: no study files in {args.studies_dir}/ "
              "(give paths, or run it in a project folder)", file=sys.stderr)
        return 1
    bad, plans = 0, []
    for f in files:
        try:
            s = load_study(resolve_study(f, args.studies_dir))
        except StudyError as exc:
            bad += 1
            print(f"FAIL {exc}", file=sys.stderr)
            continue
        plans.append(cost.study_cost(s, args.chunk_size))
        print(f"ok   {f}: {s.family.name}, {plans[-1].conditions:,} conditions × "
              + (f"{s.replications:,} replications" if s.targets is None else
                 f"up to {s.replications:,} replications (target MCSEs)")
              + ", estimators "
              f"{', '.join(e.id for e in s.estimators)}\n     cost: {plans[-1].line()}")
    if plans:
        print(cost.plan_text(plans, cost.machine_cpus(), per_study=False))
        try:
            cost.check_limits(plans, args.allow_large)
        except StudyErrors as exc:
            bad += len(exc.each)
            for e in exc.each:
                print(f"FAIL {e}", file=sys.stderr)
        except StudyError as exc:
            bad += 1
            print(f"FAIL {exc}", file=sys.stderr)
    return 1 if bad else 0


def cmd_families(args) -> int:
    from .report.markdown import families_table

    print(families_table())
    return 0


# --------------------------------------------------------------------------- stages
def _load(args):
    """The stage's study; a study with target MCSEs with the rounds decided so far
    (issue 13: :func:`fisherlab.precision.attach`, from the results folder of --dir or
    of the file the stage writes or reads)."""
    from .precision import attach

    where = next((getattr(args, a) for a in ("dir", "out", "provenance", "summary")
                  if getattr(args, a, None)), None)
    return attach(load_study(args.study), where)


def cmd_round(args) -> int:
    from .precision import round_stage

    rec = round_stage(_load(args), args.dir, args.round, args.chunk_size, args.out)
    print(f"{args.out}: " + ("done" if rec["done"] else "another round"))
    return 0


def cmd_precision(args) -> int:
    from .precision import write_table

    write_table(_load(args), args.dir, args.out)
    return 0


def cmd_plan(args) -> int:
    from .planner import plan, plan_text

    study = load_study(resolve_study(args.study, args.studies_dir))
    print(plan_text(study, plan(study, args.pilot)))
    return 0


def cmd_chunk(args) -> int:
    study = _load(args)
    cond, name = args.chunk.rsplit("/", 1)
    job = study.job(cond, name, args.chunk_size)
    if args.spec_sha256 and stages.spec_sha256(study.spec(job)) != args.spec_sha256:
        raise StudyError(args.study, "", "the study file changed after the workflow planned "
                         "this chunk; run snakemake again to re-plan")
    rows, seconds = stages.chunk(study, job, args.out)
    print(f"{args.out}: {rows} rows in {seconds:.2f} s")
    return 0


def cmd_gather(args) -> int:
    rows = stages.gather(_load(args), args.cond, args.chunks, args.dir,
                         args.chunk_size)
    print(f"{args.cond}: {rows} rows from {len(args.chunks)} chunks")
    return 0


def cmd_export(args) -> int:
    print(f"{args.out}: {stages.export(_load(args), args.dir, args.out)} rows")
    return 0


def cmd_combine(args) -> int:
    stages.combine(_load(args), args.chunks, args.provenance)
    print(f"{args.provenance}: {len(args.chunks)} chunks")
    return 0


def cmd_check(args) -> int:
    study = _load(args)
    if args.provenance:
        stages.combine(study, args.chunks, args.provenance)
    status = stages.check(study, args.dir, args.out)
    print(f"{args.out}: " + ("stopped: " + status["message"] if status["stopped"] else "ok"))
    return 0


def cmd_summarise(args) -> int:
    study = _load(args)
    stages.summarise(study, args.dir, args.out)
    if args.md:
        stages.report_md(study, args.out, args.md)
    return 0


def cmd_report(args) -> int:
    stages.report_md(_load(args), args.summary, args.out)
    return 0


def cmd_diagnose(args) -> int:
    stages.diagnose(_load(args), args.dir, args.out_dir)
    return 0


def cmd_html(args) -> int:
    study = _load(args)
    if args.tables:
        stages.diagnose(study, args.dir, args.tables)
    verdict = stages.html(study, args.dir, args.out, args.figures, args.verdict)
    print(f"{args.out}: {verdict}")
    return 0


def cmd_index(args) -> int:
    print(stages.index(args.results, args.out))
    return 0


def _chunk_size(v: str) -> int | str:
    """argparse type: ``auto``, or a multiple of 100 (:func:`chunk_size`)."""
    return "auto" if v == "auto" else chunk_size(v)


def parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="fisherlab")
    ap.add_argument("--version", action="version", version=f"fisherlab {_version()}")
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=argparse.ArgumentParser)

    def cmd(name, fn, text, studies_dir=False):
        p = sub.add_parser(name, prog=f"fisherlab {name}", help=text, description=text)
        p.set_defaults(fn=fn)
        if studies_dir:  # the commands people give study names to
            p.add_argument("--studies-dir", default="studies",
                           help="where study names are looked up (default: studies)")
        return p

    p = cmd("run", cmd_run, "run one study in this process, every stage, with the "
            "workflow's files under RESULTS/<study>/", studies_dir=True)
    p.add_argument("study", help="a study name (a file in --studies-dir) or a path to a "
                   ".yaml file")
    p.add_argument("--results", default="results", help="results folder (default: results)")
    p.add_argument("--chunk-size", type=_chunk_size, default="auto",
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
    p.add_argument("--chunk-size", type=_chunk_size, default="auto",
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
    p = stage("summarise", cmd_summarise, "summary.csv (stops when the study's "
              "max_failure_rate is exceeded)")
    p.add_argument("--dir", required=True, help="the study's results folder")
    p.add_argument("--out", required=True, help="summary.csv")
    p.add_argument("--md", help="also write report.md (the report command) from it")
    p = stage("report", cmd_report, "report.md")
    p.add_argument("--summary", required=True, help="summary.csv")
    p.add_argument("--out", required=True, help="report.md")
    p = stage("diagnose", cmd_diagnose, "the diagnostic tables")
    p.add_argument("--dir", required=True, help="the study's results folder")
    p.add_argument("--out-dir", required=True, help="where <diagnostic>.csv go")
    p = stage("html", cmd_html, "report.html of one study")
    p.add_argument("--dir", required=True, help="the study's results folder")
    p.add_argument("--out", required=True, help="report.html")
    p.add_argument("--figures", help="also write each figure as PNG here")
    p.add_argument("--verdict", help="write the one-line verdict as JSON here")
    p.add_argument("--tables", help="first write every diagnostic table here (the diagnose "
                   "command)")
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
    p.add_argument("--results", default="results", help="default: results")
    p.add_argument("--out", help="default: RESULTS/index.html")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    if not getattr(args, "fn", None):
        ap.print_help()
        return 0
    try:
        return args.fn(args)
    except StudyError as exc:
        print(f"fisherlab: {exc}", file=sys.stderr)
        return 2
    except FailureRateError as exc:
        print(f"fisherlab: {exc}", file=sys.stderr)
        return 3
    except stages.ChunkError as exc:
        print(f"fisherlab: {exc}", file=sys.stderr)
        return 4


if __name__ == "__main__":
    sys.exit(main())
