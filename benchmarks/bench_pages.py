"""Report pages: seconds (wall and CPU) of the page stage of every study of a results
folder, as the workflow runs it: a process per page, forked from a server that imported
the stack once (``fisherlab.cli.inprocess.PRELOAD``). Each study's folder is copied to a
scratch folder first, so the results are never written to.

Give one source tree, or two to compare (``--src before=/old/src after=src``): each gets
its own server, and the pages alternate between them study by study, so that both see
the same machine load; compare them by the CPU ratio. ``--job`` times the whole
``report_html`` job (diagnose, judge, report.md, page) instead of the page alone.
``--parts`` adds each study's CPU seconds by part: diagnostics, verdicts and report.md,
reading the tables (``load``), making the figures, fitting and saving them
(``figures.save``) and the rest of the page (its HTML, writing it).

    python benchmarks/bench_pages.py --results results --scratch /tmp/pages
    python benchmarks/bench_pages.py --results results --scratch /tmp/pages \\
        --src before=/tmp/old/src --src after=src normal_bessel coin_prior
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

STAGES = ("diagnose", "judge", "report_md", "html")
#: the page's own parts (functions of fisherlab.report.page and .figures)
PAGE = ("load", "draw", "save")


def _timed(fn, name: str, times: dict):
    """``fn``, adding its wall and CPU seconds to ``times`` (summed over its calls)."""
    def run(*a, **k):
        t, c = time.perf_counter(), time.process_time()
        try:
            return fn(*a, **k)
        finally:
            times[name] = times.get(name, 0.0) + time.perf_counter() - t
            times[name + "_cpu"] = times.get(name + "_cpu", 0.0) + time.process_time() - c
    return run


def serve(results: Path, scratch: Path, job: bool) -> None:
    """The server: preload, then for each study named on stdin fork its page and print
    one JSON line of seconds."""
    from fisherlab.cli.inprocess import PRELOAD

    # the fork server forks from a process with threads too (the stack's thread pools)
    warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
    for m in PRELOAD:
        importlib.import_module(m)
    from fisherlab.cli import app
    from fisherlab.pipeline import stages

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        study = line.strip()
        dst = scratch / study
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(results / study, dst, ignore=shutil.ignore_patterns(
            "chunks", "logs", "figures", "report.html", "report.md", "verdict.json"))
        r, w = os.pipe()
        if os.fork() == 0:  # the page, as cli.inprocess.process runs it
            os.close(r)
            times: dict = {}
            for name in STAGES:
                setattr(stages, name, _timed(getattr(stages, name), name, times))
            from fisherlab.report import figures, page
            for name in ("load", "draw"):
                setattr(page, name, _timed(getattr(page, name), name, times))
            figures.save = _timed(figures.save, "save", times)
            argv = ["html", "--study", str(Path("studies") / f"{study}.yaml"), "--dir",
                    str(dst), "--out", str(dst / "report.html"), "--figures",
                    str(dst / "figures"), "--verdict", str(dst / "verdict.json")]
            if job:
                argv += ["--diagnose", "--md", str(dst / "report.md")]
            fd = os.open(dst / "page.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            times["status"] = app.main(argv)
            os.write(w, json.dumps(times).encode())
            os._exit(0)
        os.close(w)
        data = b""
        while chunk := os.read(r, 1 << 16):
            data += chunk
        os.wait()
        print(json.dumps({"study": study, **json.loads(data or b"{}")}), flush=True)


def _parts(t: dict, job: bool) -> list[float]:
    """CPU seconds by part (see ``--parts``): the figures are ``draw`` less ``save``, the
    page's rest is ``html`` less ``load`` and ``draw``."""
    c = {k: t.get(k + "_cpu", 0.0) for k in (*STAGES, *PAGE)}
    page = [c["load"], c["draw"] - c["save"], c["save"], c["html"] - c["load"] - c["draw"]]
    return [c["diagnose"], c["judge"] + c["report_md"], *page] if job else page


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("studies", nargs="*", help="default: every study in --results")
    ap.add_argument("--results", type=Path, default=Path("results"))
    ap.add_argument("--scratch", type=Path, required=True)
    ap.add_argument("--src", action="append",
                    help="a source tree (label=path), timed by its own server; repeat to "
                    "compare (default: src)")
    ap.add_argument("--job", action="store_true", help="the whole report_html job")
    ap.add_argument("--parts", action="store_true",
                    help="also each study's CPU seconds by part of the job or page")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.serve:
        return serve(a.results, a.scratch, a.job)
    studies = a.studies or sorted(p.name for p in a.results.iterdir()
                                  if (p / "summary.csv").exists())
    servers = {}
    for spec in a.src or ["src"]:
        label, _, path = spec.rpartition("=")
        label = label or path
        env = dict(os.environ, PYTHONPATH=str(Path(path).resolve()))
        cmd = [sys.executable, __file__, "--serve", "--results", str(a.results.resolve()),
               "--scratch", str(a.scratch.resolve() / label.replace("/", "_"))]
        servers[label] = subprocess.Popen(cmd + (["--job"] if a.job else []), env=env,
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          text=True)
        json.loads(servers[label].stdout.readline())
    key = "html"
    totals = {label: [0.0, 0.0] for label in servers}
    head = ("diag", "judge+md", "load", "figures", "save", "rest") if a.job else \
        ("load", "figures", "save", "rest")
    print(f"{'study':26s} " + "  ".join(f"{label + ' wall/cpu s':>22s}" for label in servers)
          + ("  (CPU s by part: " + " ".join(head) + ")" if a.parts else ""))
    for study in studies:
        cells, parts = [], []
        for label, p in servers.items():
            p.stdin.write(study + "\n")
            p.stdin.flush()
            t = json.loads(p.stdout.readline())
            if t.get("status"):
                sys.exit(f"{study}: the page failed under {label} (see its page.log)")
            wall = sum(t[s] for s in STAGES if s in t) if a.job else t[key]
            cpu = sum(t[s + "_cpu"] for s in STAGES if s in t) if a.job else t[key + "_cpu"]
            totals[label][0] += wall
            totals[label][1] += cpu
            cells.append(f"{wall:10.2f} {cpu:10.2f}")
            parts.append(" ".join(f"{v:.2f}" for v in _parts(t, a.job)))
        print(f"{study:26s} " + "  ".join(f"{c:>22s}" for c in cells)
              + ("  | " + " | ".join(parts) if a.parts else ""), flush=True)
    print(f"{'total':26s} " + "  ".join(f"{w:10.1f} {c:10.1f}".rjust(22)
                                         for w, c in totals.values()))
    for p in servers.values():
        p.stdin.close()
        p.wait()


if __name__ == "__main__":
    main()
