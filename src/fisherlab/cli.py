"""The ``fisherlab`` command: what the workflow's rules call, one sub-command per stage.

    fisherlab validate [STUDY.yaml ...]        check study files (default: studies/*.yaml)
    fisherlab families                          the families, their parameters and estimators
    fisherlab chunk --spec JSON --out FILE      draw and fit one chunk
    fisherlab combine --out FILE CHUNK ...      concatenate chunks into estimates.parquet
    fisherlab summarise ESTIMATES --out CSV     performance measures with MCSEs
    fisherlab report --study YAML --summary CSV --out MD
    fisherlab run STUDY.yaml [--results DIR]    everything above in one process (no Snakemake)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import io, provenance
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
    df, seconds = timed_chunk(spec)
    io.write_parquet(df, args.out, meta={"spec": spec, "seconds": round(seconds, 4),
                                         "versions": provenance.versions()})
    print(f"{args.out}: {len(df)} rows in {seconds:.2f} s")
    return 0


def combine(paths: list[str]):
    import pandas as pd

    from .measures import group_columns

    df = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    return df.sort_values(group_columns(df) + ["replicate"], kind="stable", ignore_index=True)


def cmd_combine(args) -> int:
    df = combine(args.chunks)
    chunks = [{"file": str(p), **io.read_meta(p)} for p in args.chunks]
    meta = {"chunks": [{"file": c["file"], "seconds": c.get("seconds"),
                        "seed": c.get("spec", {}).get("seed")} for c in chunks],
            "versions": provenance.versions()}
    io.write_parquet(df, args.out, meta=meta)
    print(f"{args.out}: {len(df)} rows from {len(args.chunks)} chunks")
    return 0


def cmd_summarise(args) -> int:
    import pandas as pd

    from .measures import summarise

    io.write_csv(summarise(pd.read_parquet(args.estimates)), args.out)
    return 0


def cmd_report(args) -> int:
    import pandas as pd

    from .report.markdown import render

    study = load_study(args.study)
    io.write_text(args.out, render(study, pd.read_csv(args.summary)))
    return 0


def cmd_run(args) -> int:
    """Run a whole study in this process (handy for notebooks and quick checks)."""
    from .measures import summarise
    from .report.markdown import render
    from .simulate import run_chunk

    study = load_study(args.study)
    out = Path(args.results) / study.name
    t0 = time.perf_counter()
    import pandas as pd

    df = pd.concat([run_chunk(study.spec(ch)) for ch in study.chunks(args.chunk_size)],
                   ignore_index=True)
    from .measures import group_columns

    df = df.sort_values(group_columns(df) + ["replicate"], kind="stable", ignore_index=True)
    io.write_parquet(df, out / "estimates.parquet")
    summary = summarise(df)
    io.write_csv(summary, out / "summary.csv")
    io.write_text(out / "report.md", render(study, summary))
    print(f"{study.name}: {len(df)} rows in {time.perf_counter() - t0:.1f} s -> {out}/")
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
    p.add_argument("chunks", nargs="+")
    p.set_defaults(fn=cmd_combine)
    p = sub.add_parser("summarise", help="performance measures")
    p.add_argument("estimates")
    p.add_argument("--out", required=True)
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
    p.set_defaults(fn=cmd_run)
    args = ap.parse_args(argv)
    try:
        return args.fn(args)
    except StudyError as exc:
        print(f"fisherlab: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
