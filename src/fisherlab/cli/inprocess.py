"""How the workflow's jobs run: no new interpreter, and no imports, per job.

Every job of a ``shell:`` rule starts Python and imports the scientific stack again:
about 1.5 s of CPU before any work for the light steps (gather, export, check,
summarise, index, rounds, precision), whose work takes a tenth of that, and 2 to 2.5 s
for a report page or a PyMC job. Every rule is a ``run:`` rule instead, and calls one of:

* :func:`cli`: the same ``fisherlab`` command line (:func:`fisherlab.cli.main`) in the
  Snakemake process, whose interpreter has fisherlab imported already (the Snakefile's
  plan): the light steps and cheap chunk jobs. The workflow profile
  ``profiles/default`` sets ``force-use-threads: true`` so that Snakemake runs such jobs
  in its worker threads (by default it starts a new Snakemake process for each ``run:``
  job). The command's output goes to the rule's log file, as a ``shell:`` rule's
  redirection would: ``sys.stdout`` and ``sys.stderr`` are replaced once by proxies that
  write to the calling thread's log while :func:`cli` runs and to the real streams
  otherwise, so concurrent jobs never mix their logs.
* :func:`process`: the command line in a process of its own, forked from a server that
  imported the stack once (:data:`PRELOAD`): report pages and costly chunk jobs, which
  compute for seconds and must not hold a thread of Snakemake's.

A command that fails raises, so the job fails, with the end of its log in the message.
On a cluster each job still runs where the executor puts it.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import sys
import threading
import traceback
from multiprocessing import spawn
from pathlib import Path

from .app import main

_local = threading.local()
_install = threading.Lock()


class _ThreadStream:
    """A ``sys.stdout``/``sys.stderr`` stand-in: the calling thread's log, if set."""

    def __init__(self, real):
        self.real = real

    def _target(self):
        return getattr(_local, "log", None) or self.real

    def write(self, s):
        return self._target().write(s)

    def flush(self):
        self._target().flush()

    def __getattr__(self, name):  # encoding, isatty, fileno, ... of the real stream
        return getattr(self.real, name)


def _ensure_proxies() -> None:
    with _install:
        for name in ("stdout", "stderr"):
            if not isinstance(getattr(sys, name), _ThreadStream):
                setattr(sys, name, _ThreadStream(getattr(sys, name)))


def cli(log: str | Path, *argv) -> None:
    """Run ``fisherlab <argv>`` in this process with its output in ``log``; raise
    ``RuntimeError`` (the job fails) when it exits with a non-zero status."""
    argv = [str(a) for a in argv]
    _ensure_proxies()
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        _local.log = fh
        try:
            try:
                status = _status(argv)
            except Exception:  # a bug, not a refused input: its traceback in the log too
                traceback.print_exc(file=fh)
                raise
        finally:
            _local.log = None
    if status:
        _failed(log, argv[0], f"exited with status {status}")


def _status(argv: list[str]) -> int:
    """``fisherlab <argv>``'s exit status (argparse's usage errors included)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2


def _failed(log: str | Path, command: str, how: str) -> None:
    """The job fails: ``RuntimeError`` naming the command and its log, with the log's end."""
    tail = Path(log).read_text(errors="replace")[-2000:].strip()
    raise RuntimeError(f"fisherlab {command} {how} (log: {log}):\n{tail}")


#: what the fork server imports once, before it forks any job: fisherlab's command line,
#: the report page's stack (matplotlib, ArviZ; ``report.warm`` draws a figure of each
#: kind, so that their first-use set-up is inherited by every page) and the samplers'
#: (PyMC, nutpie); last, ``cli.warm`` builds what every command builds first (its parser,
#: the study schema, BLAS's limit once every library is loaded)
PRELOAD = ["fisherlab.cli", "fisherlab.pipeline.stages", "fisherlab.report.page",
           "matplotlib.pyplot", "arviz_plots", "fisherlab.report.warm", "pymc", "nutpie",
           "fisherlab.cli.warm"]
_server_lock = threading.Lock()
_server = None
_start_lock = threading.Lock()
_JOB = "fisherlab job: "  # the name of a forked job's Process


def _context():
    """The fork-server context of this process (started on first use, then reused)."""
    global _server
    with _server_lock:
        if _server is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            # a forked job must not re-run this process's main script (Snakemake's
            # entry point), as multiprocessing does to rebuild ``__main__`` for pickled
            # objects: ours (_child) live in fisherlab, so the job's preparation data
            # leaves ``__main__`` out
            prepare = spawn.get_preparation_data

            def preparation_data(name):
                data = prepare(name)
                if name.startswith(_JOB):
                    data.pop("init_main_from_path", None)
                    data.pop("init_main_from_name", None)
                return data

            spawn.get_preparation_data = preparation_data
            _server = ctx
    return _server


def _keep_freed_memory() -> None:
    """glibc's malloc: serve arrays up to 1 GiB from the heap and keep freed memory for
    reuse (up to 2 GiB free, 64 MiB of padding). By default every array over its
    (adaptive) threshold is a fresh mmap, and every use of it a page fault: a numeric-MLE
    job that builds and drops large arrays in a loop spent a third of its CPU in the
    kernel (gaussian_mixture's chunk: 15.7 s, of which 6.9 s system, against 7.8 s
    with these settings; gumbel_maxima's 27 s against 22 s; peak memory within 10%).
    Elsewhere (not glibc) nothing changes."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, (1 << 31) - 1)  # M_TRIM_THRESHOLD
        libc.mallopt(-2, 64 << 20)  # M_TOP_PAD
    except (OSError, AttributeError):
        pass


def _child(log: str, argv: list[str], keep_freed: bool) -> None:
    """A forked job: its output (file descriptors 1 and 2) in ``log``, then ``fisherlab
    <argv>``; its exit status is the command's. ``keep_freed``: :func:`_keep_freed_memory`
    first."""
    if keep_freed:
        _keep_freed_memory()

    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", closefd=False)
    try:
        status = _status(argv)
    except BaseException:  # a bug: its traceback in the log
        traceback.print_exc()
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(status or 0)


def process(log: str | Path, *argv, keep_freed: bool = False) -> None:
    """Run ``fisherlab <argv>`` in a process of its own, forked from a server process
    that imported the scientific stack once (:data:`PRELOAD`; Python's
    ``multiprocessing`` fork server): a job that computes for seconds needs a core of
    its own, not a Snakemake thread, but not 2 s of imports each (23 report pages and
    the heavy chunk jobs of the default run). Its output goes to ``log``; a non-zero
    exit raises ``RuntimeError`` with the end of the log. ``keep_freed``: the job keeps
    freed memory for reuse (:func:`_keep_freed_memory`; a chunk job, whose fits build
    and drop large arrays in loops; not a page, whose working set, a condition's rows at
    a time, is freed as it goes: kept, a page of a million rows a cell held 50 MB more
    at its peak)."""
    argv = [str(a) for a in argv]
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    job = _context().Process(target=_child, args=(str(log), argv, keep_freed),
                             name=_JOB + argv[0])
    start(job)
    job.join()
    if job.exitcode:
        _failed(log, argv[0], f"was killed by signal {-job.exitcode}" if job.exitcode < 0
                else f"exited with status {job.exitcode}")


def start(job) -> None:
    """``job.start()``, and ``job`` out of multiprocessing's set of running children.

    Every ``Process.start`` first polls every process in that set (``_cleanup``). A
    fork-server child's exit status is 8 bytes on a pipe, read by whichever poll comes
    first: polled by another thread's start while its own thread's ``join`` polls it,
    one read gets the status and the other the end of the pipe, which CPython records
    as exit status 255, a job that succeeded reported failed (seen under Snakemake's
    threads: one chunk job of a 200-job study failed so, its log complete; CPython
    issue gh-130895). A job here is joined by the thread that started it, so it leaves
    the set at once; the lock keeps every other start's poll out until it has."""
    with _start_lock:
        job.start()
        children = getattr(multiprocessing.process, "_children", None)
        if children is not None:  # (a private set: absent, nothing to undo)
            children.discard(job)


def chunk(log: str | Path, here: bool, *argv) -> None:
    """``fisherlab chunk <argv>``: in this process when ``here`` (a cheap job: a process
    would cost more than its fits, :func:`fisherlab.plan.chunking.in_process`), else in a
    process of its own (fitting that compiles models, or takes long, holds no thread of
    Snakemake's: :func:`process`); its output in ``log`` either way."""
    if here:
        return cli(log, "chunk", *argv)
    return process(log, "chunk", *argv, keep_freed=True)
