"""The workflow's view of a study with target MCSEs (issue 13): Snakemake's input
functions for the ``rounds`` checkpoint (workflow/rules/precision.smk).

Round k of a study is the checkpoint output ``results/<study>/rounds/r<k>.json``. Its
input is the statistics of every chunk of rounds 0..k, which the records of rounds
< k decide; the gather and combine jobs (through :meth:`fisherlab.workflow.Plan.chunks`)
wait for the first record that says ``done``. Snakemake re-evaluates the jobs after each
checkpoint, so the loop of rounds is Snakemake's own: this module only says, from the
records on disk, which files each round needs.
"""

from __future__ import annotations

import json
from pathlib import Path

from .dataset import stats_path
from .precision import ROUND_FILE, read_rounds, round_chunks, schedule_of


class Rounds:
    """Round state of every target study of a plan, read through Snakemake's
    checkpoints (``checkpoints`` None: from disk only, for tests and tools)."""

    def __init__(self, plan, checkpoints=None, results: str = "results"):
        self.plan, self.checkpoints, self.results = plan, checkpoints, results
        plan.rounds = self

    def folder(self, study: str) -> Path:
        return Path(self.results) / study

    def _record(self, study: str, k: int) -> dict:
        """Round k's record, once its checkpoint ran (else Snakemake's
        IncompleteCheckpointException, which schedules it)."""
        if self.checkpoints is not None:
            path = self.checkpoints.rounds.get(study=study, k=k).output[0]
        else:
            path = self.folder(study) / ROUND_FILE.format(k=k)
        return json.loads(Path(path).read_text(encoding="utf-8"))

    def final(self, study: str) -> int:
        """The last round of ``study``: the first whose record says done."""
        k = 0
        while not self._record(study, k)["done"]:
            k += 1
        return k

    def sync(self, study: str, final: bool) -> bool:
        """Give ``study`` the schedule of its records on disk (after waiting for the
        last round when ``final``); whether it changed."""
        s = self.plan.studies[study]
        upto = self.final(study) + 1 if final else None
        sched = schedule_of(s, read_rounds(self.folder(study), upto))
        changed = sched != s.schedule
        s.schedule = sched
        return changed

    # ---------------------------------------------------------------- input functions
    def stats(self, wildcards) -> list[str]:
        """The ``rounds`` checkpoint's input: the previous record, and the statistics
        files of every chunk of rounds 0..k."""
        from .precision import at_round
        from .workflow import CHUNK_PATH

        study, k = wildcards.study, int(wildcards.k)
        for j in range(k):  # every earlier round decided (raises until then)
            self._record(study, j)
        s = at_round(self.plan.studies[study], self.folder(study), k)
        files = [str(self.folder(study) / ROUND_FILE.format(k=k - 1))] if k else []
        for jobs in round_chunks(s, self.plan.chunk_size).values():
            files += [str(stats_path(CHUNK_PATH.format(study=study, cond=job.param_id,
                                                       chunk=job.name))) for job in jobs]
        return files

    def final_file(self, wildcards) -> str:
        study = wildcards.study
        return str(self.folder(study) / ROUND_FILE.format(k=self.final(study)))

    def precision_file(self, wildcards) -> list[str]:
        """precision.csv for a study with targets (none for a fixed-R study)."""
        s = self.plan.studies[wildcards.study]
        return [] if s.targets is None else [f"{self.results}/{wildcards.study}/precision.csv"]
