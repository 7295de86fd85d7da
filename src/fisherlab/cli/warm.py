"""Imported by the workflow's fork server (:data:`fisherlab.cli.inprocess.PRELOAD`): what
every ``fisherlab`` command computes once per process before its work, computed once in
the server and inherited by every forked job (report pages, costly chunk jobs) instead of
once per job: BLAS limited to one thread, the command-line parser, the study schema (a
YAML file parsed), the package versions a chunk file records. About 0.3 s of a forked
job's CPU on the development machine; the numbers do not depend on it."""

from __future__ import annotations

from ..run import provenance
from ..spec.schema import schema
from .app import main_parser, one_blas_thread

one_blas_thread()
main_parser()
schema("study")
provenance.versions()
