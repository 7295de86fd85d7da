"""Light workflow steps run inside the Snakemake process: no new interpreter per job.

Every job of a ``shell:`` rule starts Python and imports the scientific stack again:
about 1.5 s of CPU before any work, for steps (gather, export, check, summarise, index,
rounds, precision) whose work takes a tenth of that. Their rules use ``run:`` and call
:func:`cli`, which runs the same ``fisherlab`` command line (:func:`fisherlab.cli.main`)
in the Snakemake process, whose interpreter has fisherlab imported already (the
Snakefile's plan). The workflow profile ``profiles/default`` sets
``force-use-threads: true`` so that Snakemake runs such jobs in its worker threads (by
default it starts a new Snakemake process for each ``run:`` job, which costs more).
On a cluster each job still runs where the executor puts it.

The command's output goes to the rule's log file, as a ``shell:`` rule's redirection
would: ``sys.stdout`` and ``sys.stderr`` are replaced once by proxies that write to the
calling thread's log while :func:`cli` runs and to the real streams otherwise, so
concurrent jobs never mix their logs. A command that fails raises, so the job fails,
with the end of its log in the message.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

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
    from .cli import main

    argv = [str(a) for a in argv]
    _ensure_proxies()
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        _local.log = fh
        try:
            try:
                status = main(argv)
            except SystemExit as exc:  # argparse: a usage error
                status = exc.code if isinstance(exc.code, int) else 2
            except Exception:  # a bug, not a refused input: its traceback in the log too
                import traceback

                traceback.print_exc(file=fh)
                raise
        finally:
            _local.log = None
    if status:
        tail = Path(log).read_text()[-2000:].strip()
        raise RuntimeError(f"fisherlab {argv[0]} exited with status {status} "
                           f"(log: {log}):\n{tail}")


def chunk(log: str | Path, here: bool, *argv) -> None:
    """``fisherlab chunk <argv>``: in this process when ``here`` (a cheap job: a process
    would cost more than its fits, :func:`fisherlab.chunking.in_process`), else in a
    process of its own (fitting that compiles models, or takes long, holds no thread of
    Snakemake's), with the same interpreter; its output in ``log`` either way."""
    if here:
        return cli(log, "chunk", *argv)
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        status = subprocess.run([sys.executable, "-m", "fisherlab", "chunk",
                                 *map(str, argv)], stdout=fh, stderr=subprocess.STDOUT).returncode
    if status:
        tail = Path(log).read_text()[-2000:].strip()
        raise RuntimeError(f"fisherlab chunk exited with status {status} (log: {log}):\n{tail}")
