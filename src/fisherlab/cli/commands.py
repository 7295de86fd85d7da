"""The ``fisherlab`` commands: each parses nothing, takes the parsed arguments, and
calls the package (the stages of :mod:`fisherlab.pipeline.stages` for the workflow's).

Every stage command takes the study file and builds the study object from it once
(:func:`fisherlab.spec.load.load_study`); a study with target MCSEs gets the rounds
decided so far (:func:`fisherlab.pipeline.rounds.with_schedule`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core import files
from ..core.defaults import STUDIES_DIR
from ..core.errors import InputError, StudyError, StudyErrors
from ..core.layout import StudyFiles
from ..core.seeds import SEED_BLOCK
from ..pipeline import stages
from ..pipeline.fromfile import summarise_file
from ..pipeline.rounds import round_stage, with_schedule, write_table
from ..plan import cost
from ..spec.external import Columns
from ..spec.load import load_study
from ..spec.study import spec_sha256


def resolve_study(arg: str | Path, studies_dir: str | Path = STUDIES_DIR) -> Path:
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
    """argparse type: replications per chunk, a positive multiple of the seed block."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < SEED_BLOCK or value % SEED_BLOCK:
        raise argparse.ArgumentTypeError(f"must be a multiple of {SEED_BLOCK} "
                                         f"(>= {SEED_BLOCK}), got {text!r}")
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
    from ..report.markdown import families_table  # start-up: the report's stack

    print(families_table())
    return 0


def cmd_claims(args) -> int:
    """Print a study's claims as its last run judged them; 1 when one fails (or, with
    --strict, cannot be told)."""
    import pandas as pd  # start-up: pandas only for this command

    study = load_study(resolve_study(args.study, args.studies_dir))
    folder = StudyFiles(Path(args.results) / study.name)
    if not study.claims:
        print(f"{study.name}: the study file states no claims (expect:)")
        return 0
    if not folder.table("verdicts").exists():
        raise StudyError(study.path, "expect", f"no verdicts in {folder.folder}/ yet: run the "
                         "study first (snakemake, or fisherlab run)")
    v = pd.read_csv(folder.table("verdicts"))
    judged = v[v["question"] == "claim"]
    texts = [c.text for c in study.claims]
    if list(judged["detail"]) != texts:
        raise StudyError(study.path, "expect", f"{folder.table('verdicts')} judged other "
                         "claims than the file states now: run the study again")
    width = max(map(len, judged["verdict"]))
    for _, row in judged.iterrows():
        print(f"{row['verdict']:<{width}}  {row['detail']}  (worst z {row['value']:+.2f}, "
              f"limit {row["threshold"]:.2f}, {int(row["used"])} cell{"s" * (row["used"] != 1)})")
    bad = judged["verdict"].isin(("fails", "cannot tell") if args.strict else ("fails",))
    hold = int((judged["verdict"] == "holds").sum())
    print(f"{study.name}: {hold} of {len(judged)} claims hold")
    return 1 if bad.any() else 0


def cmd_protocol(args) -> int:
    """The study's protocol (ADEMP) as Markdown, from the study file alone."""
    from ..report.protocol import markdown  # start-up: the report's stack

    study = load_study(resolve_study(args.study, args.studies_dir))
    text = markdown(study, level=1).replace("# Protocol (ADEMP)",
                                            f"# {study.name}: protocol (ADEMP)", 1)
    if args.out:
        files.write_text(args.out, text)
        print(args.out)
    else:
        print(text, end="")
    return 0


def _names(text: str | None) -> list[str] | None:
    """A comma-separated option's names (None when not given)."""
    return [x.strip() for x in text.split(",") if x.strip()] if text else None


def cmd_table(args) -> int:
    """A table for a paper: measures × conditions of a study's results."""
    from ..report import table  # start-up: the report's stack and great_tables

    study = load_study(resolve_study(args.study, args.studies_dir))
    folder = Path(args.results) / study.name
    if not StudyFiles(folder).summary.exists():
        raise StudyError(study.path, "", f"no {StudyFiles(folder).summary} yet: run the study "
                         "first (snakemake, or fisherlab run), or give --results")
    try:
        lay = table.layout(study, table.long_measures(study, folder),
                           _names(args.measures) or table.DEFAULT_MEASURES,
                           _names(args.estimators), _names(args.estimands))
    except ValueError as exc:
        raise StudyError(study.path, "", str(exc)) from None
    formats = table.FORMATS if args.format == "all" else (args.format,)
    if args.out is None and len(formats) == 1:
        print(table.render(lay, formats[0], args.booktabs), end="")
        return 0
    base = Path(args.out) if args.out else folder / "table"
    for f in formats:
        out = base.with_suffix(table.SUFFIX[f]) if len(formats) > 1 else base
        files.write_text(out, table.render(lay, f, args.booktabs))
        print(out)
    return 0


# --------------------------------------------------------------------------- stages
def _load(args):
    """The stage's study; a study with target MCSEs with the rounds decided so far
    (read from the results folder of --dir, or of the file the stage writes or reads)."""
    where = next((getattr(args, a) for a in ("dir", "out", "provenance", "summary")
                  if getattr(args, a, None)), None)
    return with_schedule(load_study(args.study), where)


def cmd_round(args) -> int:
    rec = round_stage(_load(args), args.dir, args.round, args.chunk_size, args.out)
    print(f"{args.out}: " + ("done" if rec["done"] else "another round"))
    return 0


def cmd_precision(args) -> int:
    write_table(_load(args), args.dir, args.out)
    return 0


def cmd_plan(args) -> int:
    from ..run.pilot import plan, plan_text  # start-up: the pilot's stack, only when asked

    study = load_study(resolve_study(args.study, args.studies_dir))
    print(plan_text(study, plan(study, args.pilot)))
    return 0


def cmd_chunk(args) -> int:
    study = _load(args)
    cond, name = args.chunk.rsplit("/", 1)
    job = study.job(cond, name, args.chunk_size)
    if args.spec_sha256 and spec_sha256(study.spec(job)) != args.spec_sha256:
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
    if args.from_file is None:  # the workflow's stage
        missing = [o for o in ("study", "dir", "out") if getattr(args, o) is None]
        if missing:
            raise StudyError("summarise", "", "needs --from FILE, or the stage's --study, "
                             "--dir and --out (missing: --" + ", --".join(missing) + ")")
        stages.summarise(_load(args), args.dir, args.out)
        return 0
    roles = {"estvarname": "--estvarname (the estimate's column)",
             "true": "--true (the truth: a column or a number)"}
    missing = [text for o, text in roles.items() if getattr(args, o) is None]
    if missing:
        raise InputError(args.from_file, "--from needs " + " and ".join(missing))
    columns = Columns(estvarname=args.estvarname, true=args.true, methodvar=args.methodvar,
                      se=args.se, by=tuple(args.by), ci_limits=args.ci_limits, n=args.n,
                      param=args.param, level=args.level)
    summarise_file(args.from_file, columns, args.out, echo=lambda m: print(m, file=sys.stderr))
    return 0


def cmd_measures(args) -> int:
    table = stages.measures(_load(args), args.dir, args.out)
    print(f"{args.out}: {len(table)} rows")
    return 0


def cmd_paired(args) -> int:
    table = stages.paired(_load(args), args.dir, args.out)
    print(f"{args.out}: {len(table)} rows")
    return 0


def cmd_report(args) -> int:
    stages.report_md(_load(args), args.dir, args.out)
    return 0


def cmd_diagnose(args) -> int:
    stages.diagnose(_load(args), args.dir, args.dir)
    return 0


def cmd_judge(args) -> int:
    verdicts, _ = stages.judge(_load(args), args.dir)
    print(f"{args.dir}: {len(verdicts)} verdicts")
    return 0


def cmd_html(args) -> int:
    study = _load(args)
    if args.diagnose:
        stages.diagnose(study, args.dir, args.dir)
        stages.judge(study, args.dir)
    if args.md:
        stages.report_md(study, args.dir, args.md)
    verdict = stages.html(study, args.dir, args.out, args.figures, args.verdict)
    print(f"{args.out}: {verdict}")
    return 0


def cmd_index(args) -> int:
    print(stages.index(args.results, args.out))
    return 0


def _chunk_size(v: str) -> int | str:
    """argparse type: ``auto``, or a multiple of 100 (:func:`chunk_size`)."""
    return "auto" if v == "auto" else chunk_size(v)


