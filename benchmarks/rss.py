"""Peak resident memory of every process of a command (a Snakemake run), sampled; and a
scratch copy of the workflow to run it on, as a user's checkout holds it.

    from rss import run_sampled, print_peaks
    rc, wall, peaks = run_sampled([sys.executable, "-m", "snakemake", "--cores", "2"], cwd=...)

Every ``every`` seconds (0.25 s) the RSS of the command's process and of all its
descendants (psutil, recursively) is read; each process keeps its peak. A forked job is
named by the rule log it holds open (``results/<study>/logs/gather/<cond>.log`` ->
``gather``, ``logs/<cond>/<chunk>.log`` -> ``chunk``, ``logs/<step>.log`` -> the step);
steps that run in Snakemake's threads count in the Snakemake process, whose peak is
named with the logs it held open at that moment. RSS counts pages shared with a parent
(a job forked from the preloaded server shares its imports): each process's peak is what
it holds, not what it adds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: what a user's checkout needs to run the workflow (profiles/ sets its fast path)
CHECKOUT = ("Snakefile", "workflow", "config", "profiles")


def env() -> dict:
    """This environment with this interpreter's bin first (snakemake, fisherlab)."""
    e = dict(os.environ)
    e["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{e.get('PATH', '')}"
    return e


def scratch(where: Path, study: str, text: str) -> Path:
    """A copy of the workflow in ``where`` (:data:`CHECKOUT`) whose only study is
    ``study``, with the study file ``text``."""
    where.mkdir(parents=True, exist_ok=True)
    for item in CHECKOUT:
        dest = where / item
        if not dest.exists():
            (shutil.copytree if (ROOT / item).is_dir() else shutil.copy)(ROOT / item, dest)
    (where / "studies").mkdir(exist_ok=True)
    for old in (where / "studies").glob("*.yaml"):
        old.unlink()
    (where / "studies" / f"{study}.yaml").write_text(text)
    return where


@dataclass
class Peak:
    pid: int
    rss: int = 0
    name: str = ""
    logs: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """What ran in the process: snakemake, a rule's step (from its log), or its command."""
        if self.name == "snakemake":
            return "snakemake process (threaded steps included)"
        steps = {step_of(p) for p in self.logs}
        return "/".join(sorted(steps)) if steps else self.name


def step_of(log: str) -> str:
    """The workflow step a rule's log file belongs to."""
    parts = Path(log).parts
    if "logs" not in parts:
        return Path(log).stem
    rest = parts[parts.index("logs") + 1:]
    if len(rest) == 1:
        return Path(rest[0]).stem  # check.log, summarise.log, report_html.log, ...
    return "gather" if rest[0] == "gather" else "chunk"


def rule_logs(proc) -> list[str]:
    """The rule log files (``.../logs/...log``) a process holds open."""
    return [f.path for f in proc.open_files()
            if f.path.endswith(".log") and "/logs/" in f.path and "/.snakemake/" not in f.path]


def _name(proc) -> str:
    cmd = proc.cmdline()
    text = " ".join(cmd)
    if "forkserver" in text:  # fisherlab.cli.inprocess's preloaded server (jobs fork from it)
        return "preload server"
    if "snakemake" in " ".join(cmd[:3]):
        return "snakemake"
    return " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd[:4]))[:80]


def run_sampled(cmd: list[str], every: float = 0.25, **popen) -> tuple[int, float, dict]:
    """Run ``cmd`` (``popen``: subprocess.Popen's arguments) and sample its processes:
    (return code, wall seconds, {pid: Peak})."""
    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, **popen)
    root = psutil.Process(proc.pid)
    peaks: dict[int, Peak] = {}
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for p in procs:
            try:
                rss = p.memory_info().rss
                peak = peaks.get(p.pid)
                if peak is None:
                    peak = peaks[p.pid] = Peak(p.pid, name="snakemake" if p.pid == proc.pid
                                               else _name(p))
                logs = rule_logs(p)
                if p.pid != proc.pid and logs and not peak.logs:
                    peak.logs = logs  # a forked job: the log it writes
                if rss > peak.rss:
                    peak.rss = rss
                    if p.pid == proc.pid:
                        peak.logs = logs  # the threaded steps running at the peak
            except psutil.Error:
                continue
        time.sleep(every)
    proc.wait()
    return proc.returncode, time.perf_counter() - t0, peaks


def by_kind(peaks: dict) -> dict[str, Peak]:
    """The largest peak of each kind of process."""
    out: dict[str, Peak] = {}
    for p in peaks.values():
        if p.rss > out.get(p.kind, Peak(0)).rss:
            out[p.kind] = p
    return out


def print_peaks(peaks: dict, top: int = 10) -> None:
    """The largest peaks of each kind, and the overall ones (MB = 1e6 bytes)."""
    print(f"{len(peaks)} processes sampled; largest peak of each kind (1 MB = 1e6 bytes):")
    for kind, p in sorted(by_kind(peaks).items(), key=lambda kv: -kv[1].rss):
        extra = f"  (holding {', '.join(step_of(x) for x in p.logs)})" if (
            p.name == "snakemake" and p.logs) else ""
        print(f"  {p.rss / 1e6:8.0f} MB  {kind}{extra}")
    print(f"largest {top} processes:")
    for p in sorted(peaks.values(), key=lambda p: -p.rss)[:top]:
        where = " ".join(p.logs)[-90:] or p.name
        print(f"  {p.rss / 1e6:8.0f} MB  pid {p.pid:<7} {where}")
