"""The ``fisherlab`` command: what the workflow's rules call, one sub-command per stage.

    fisherlab validate [STUDY.yaml ...]        check study files (default: studies/*.yaml)
    fisherlab families                          the families, their parameters and estimators
    fisherlab chunk --spec JSON --out FILE      draw and fit one chunk
    fisherlab combine --out FILE [--study YAML --provenance JSON] CHUNK ...
                                                concatenate chunks into estimates.parquet
    fisherlab summarise ESTIMATES --out CSV [--study YAML]
                                                performance measures with MCSEs (stops when
                                                the study's max_failure_rate is exceeded)
    fisherlab report --study YAML --summary CSV --out MD
    fisherlab diagnose ESTIMATES --study YAML --out-dir DIR
                                                consistency.csv, bessel.csv, ... (diagnostics)
    fisherlab html --study YAML --dir DIR --out HTML [--figures DIR --verdict JSON]
                                                the self-contained report page of a study
    fisherlab index --out HTML VERDICT.json ... results/index.html linking every study
    fisherlab run STUDY.yaml [--results DIR]    everything above in one process (no Snakemake)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import io, provenance
from .diagnostics.failures import FailureRateError
from .study import StudyError, load_study


def cmd_validate(args) -> int:
    files = args.files or sorted(Path("studies").glob("*.yaml"))
    bad = 0
    for f in files:
        try:
            s = load_study(f)
            n_cond = len(s.conditions())
            print(f"ok   {f}: {s.family}, {n_cond} conditions × {s.replications} replications, "
                  f"estimators {', '.join(e.name for e in s.estimators)}")
        except StudyError as exc:
            bad += 1
            print(f"FAIL {exc}", file=sys.stderr)
    return 1 if bad else 0


def cmd_chunk(args) -> int:
    from .simulate import timed_chunk

    spec = json.loads(args.spec)
    # posterior draws, when an estimator keeps them (keep_draws), go beside the chunk file
    df, seconds = timed_chunk(spec, draws_path=Path(args.out).with_suffix(".draws.nc"))
    io.write_parquet(df, args.out, meta={"spec": spec, "seconds": round(seconds, 4),
                                         "versions": provenance.versions()})
    print(f"{args.out}: {len(df)} rows in {seconds:.2f} s")
    return 0


def cmd_combine(args) -> int:
    import pandas as pd

    from .simulate import combine

    df = combine([pd.read_parquet(p) for p in args.chunks])
    # the study file's hash, seed, versions and every chunk's spec hash and time: in the
    # table's metadata and, for people, in provenance.json
    meta = provenance.study_provenance(args.study, args.chunks)
    io.write_parquet(df, args.out, meta=meta)
    if args.provenance:
        io.write_text(args.provenance, json.dumps(meta, indent=1, default=str))
    print(f"{args.out}: {len(df)} rows from {len(args.chunks)} chunks")
    return 0


def cmd_summarise(args) -> int:
    import pandas as pd

    from .diagnostics.failures import check_failure_rate
    from .measures import summarise

    df = pd.read_parquet(args.estimates)
    if args.study:
        study = load_study(args.study)
        check_failure_rate(df, study.max_failure_rate, study.name)
    io.write_csv(summarise(df), args.out)
    return 0


def cmd_report(args) -> int:
    import pandas as pd

    from .report.markdown import render

    study = load_study(args.study)
    io.write_text(args.out, render(study, pd.read_csv(args.summary)))
    return 0


def cmd_run(args) -> int:
    """Run a whole study in this process (handy for notebooks and quick checks)."""
    from .diagnostics.failures import check_failure_rate
    from .measures import summarise
    from .report.markdown import render
    from .simulate import combine, run_chunk

    study = load_study(args.study)
    out = Path(args.results) / study.name
    t0 = time.perf_counter()
    df = combine([run_chunk(study.spec(ch)) for ch in study.chunks(args.chunk_size)])
    io.write_parquet(df, out / "estimates.parquet")
    check_failure_rate(df, study.max_failure_rate, study.name)
    summary = summarise(df)
    io.write_csv(summary, out / "summary.csv")
    io.write_text(out / "report.md", render(study, summary))
    if args.html:
        from .report.html import write_report
        from .report.index import write_index
        from .report.pipeline import diagnose

        diagnose(study, out / "estimates.parquet", out)
        write_report(study, out, out / "report.html", out / "figures", out / "verdict.json")
        write_index(sorted(Path(args.results).glob("*/verdict.json")),
                    Path(args.results) / "index.html")
    print(f"{study.name}: {len(df)} rows in {time.perf_counter() - t0:.1f} s -> {out}/")
    return 0


def cmd_diagnose(args) -> int:
    from .report.pipeline import diagnose

    diagnose(load_study(args.study), args.estimates, args.out_dir)
    return 0


def cmd_html(args) -> int:
    from .report.html import write_report

    study = load_study(args.study)
    t0 = time.perf_counter()
    verdict = write_report(study, Path(args.dir), Path(args.out), args.figures, args.verdict)
    print(f"{args.out}: {verdict} ({time.perf_counter() - t0:.1f} s)")
    return 0


def cmd_index(args) -> int:
    from .report.index import write_index

    write_index(args.verdicts, args.out)
    return 0


def families_table() -> str:
    """A Markdown table of every registered family: what a study file may use."""
    from .estimators import estimator_class, estimators_for
    from .families import family_names, get_family

    lines = ["| family | parameters (domain) | estimands | estimators | smallest n |",
             "|---|---|---|---|---|"]
    for name in family_names():
        fam = get_family(name)
        params = "; ".join(f"`{p.name}`: {p.describe().removeprefix('a number in ')}"
                           + ("" if p.estimated else " (fixed)") for p in fam.params)
        ests = estimators_for(fam)
        mins = sorted({estimator_class(e).min_n(fam) for e in ests})
        smallest = ", ".join(
            f"{m} ({', '.join(e for e in ests if estimator_class(e).min_n(fam) == m)})"
            for m in mins) if len(mins) > 1 else str(mins[0] if mins else fam.min_n)
        lines.append(f"| `{name}` | {params} | {', '.join(fam.estimands())} "
                     f"| {', '.join(ests)} | {smallest} |")
    return "\n".join(lines)


def cmd_families(args) -> int:
    print(families_table())
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="fisherlab", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("validate", help="check study files")
    p.add_argument("files", nargs="*", type=Path)
    p.set_defaults(fn=cmd_validate)
    p = sub.add_parser("families", help="print the families table (Markdown)")
    p.set_defaults(fn=cmd_families)
    p = sub.add_parser("chunk", help="draw and fit one chunk")
    p.add_argument("--spec", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(fn=cmd_chunk)
    p = sub.add_parser("combine", help="concatenate chunk files")
    p.add_argument("--out", required=True)
    p.add_argument("--study", required=True, help="the study file (for provenance)")
    p.add_argument("--provenance", help="also write the provenance as JSON here")
    p.add_argument("chunks", nargs="+")
    p.set_defaults(fn=cmd_combine)
    p = sub.add_parser("summarise", help="performance measures")
    p.add_argument("estimates")
    p.add_argument("--out", required=True)
    p.add_argument("--study", help="the study file: check its max_failure_rate")
    p.set_defaults(fn=cmd_summarise)
    p = sub.add_parser("report", help="report.md")
    p.add_argument("--study", required=True)
    p.add_argument("--summary", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(fn=cmd_report)
    p = sub.add_parser("run", help="run one study in-process")
    p.add_argument("study", type=Path)
    p.add_argument("--results", default="results")
    p.add_argument("--chunk-size", type=int, default=1000)
    p.add_argument("--html", action="store_true",
                   help="also write the diagnostics, report.html and the results index")
    p.set_defaults(fn=cmd_run)
    p = sub.add_parser("diagnose", help="diagnostic tables (consistency.csv, ...)")
    p.add_argument("estimates")
    p.add_argument("--study", required=True)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(fn=cmd_diagnose)
    p = sub.add_parser("html", help="report.html of one study")
    p.add_argument("--study", required=True)
    p.add_argument("--dir", required=True, help="the study's results folder")
    p.add_argument("--out", required=True)
    p.add_argument("--figures", help="also write each figure as PNG here")
    p.add_argument("--verdict", help="write the one-line verdict as JSON here")
    p.set_defaults(fn=cmd_html)
    p = sub.add_parser("index", help="results/index.html")
    p.add_argument("--out", required=True)
    p.add_argument("verdicts", nargs="+")
    p.set_defaults(fn=cmd_index)
    args = ap.parse_args(argv)
    try:
        return args.fn(args)
    except StudyError as exc:
        print(f"fisherlab: {exc}", file=sys.stderr)
        return 2
    except FailureRateError as exc:
        print(f"fisherlab: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
