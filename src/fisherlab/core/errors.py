"""Every error fisherlab reports to people, and the exit status each gives.

One module, on the ground floor, so that any floor can raise them and the command
line maps them to exit codes without importing the floors that raise them.

* :class:`StudyError` (and :class:`StudyErrors`, several files): an invalid study or
  config file, or a cost past a limit; the message names the file, the key and what
  is allowed. Exit status 2.
* :class:`DataError`: a user's data set that ``fisherlab fit`` cannot use; the message
  names the file, the column and the row. A StudyError, so exit status 2.
* :class:`PriorError`: a bad prior in a study file, keyed relative to the prior; the
  loader turns it into a StudyError naming the file.
* :class:`InputError`: a file of estimates (``fisherlab summarise --from``) that cannot
  be read as one; the message names the file, the column and the row. Exit status 2.
* :class:`FailureRateError`: more fits failed than a study's ``max_failure_rate``
  allows. Exit status 3.
* :class:`ChunkError`: chunk files that are corrupt or stale (removed, to be
  regenerated). Exit status 4.
"""

from __future__ import annotations

from pathlib import Path


class StudyError(ValueError):
    """An invalid study (or config) file: the message names the file, key and what is
    allowed. ``errors`` lists every problem found as ``(key, problem)``; ``key`` and
    ``problem`` are the first."""

    def __init__(self, file: str | Path, key: str, problem: str,
                 more: list[tuple[str, str]] | tuple = ()):
        self.file, self.key, self.problem = str(file), key, problem
        self.errors = [(key, problem), *more]
        super().__init__(self._message())

    def _message(self) -> str:
        def one(k, p):
            return (f"key '{k}': " if k else "") + p

        if len(self.errors) == 1:
            return f"{self.file}: " + one(self.key, self.problem)
        return (f"{self.file}: {len(self.errors)} problems:\n"
                + "\n".join(f"  {one(k, p)}" for k, p in self.errors))


class StudyErrors(StudyError):
    """Problems in several files at once: ``each`` holds one StudyError per file."""

    def __init__(self, errors: list[StudyError]):
        self.each = list(errors)
        first = self.each[0]
        self.file, self.key, self.problem = first.file, first.key, first.problem
        self.errors = [e for err in self.each for e in err.errors]
        ValueError.__init__(self, "\n".join(str(e) for e in self.each))


class DataError(StudyError):
    """Data that cannot be fitted: ``file`` (or ``command line``), ``column`` and ``row``
    (1-based, as a spreadsheet counts data rows; None for the whole column or file)."""

    def __init__(self, file: str | Path, column: str | None, row: int | None, problem: str):
        self.column, self.row = column, row
        where = ", ".join(part for part in (
            f"column {column!r}" if column is not None else "",
            f"row {row}" if row is not None else "") if part)
        super().__init__(file, where, problem)

    def _message(self) -> str:
        return f"{self.file}: " + (f"{self.key}: " if self.key else "") + self.problem


class PriorError(ValueError):
    """A bad prior: ``key`` is relative to the prior mapping ('' for the whole prior)."""

    def __init__(self, key: str, problem: str):
        self.key, self.problem = key, problem
        super().__init__(f"{key}: {problem}" if key else problem)


class InputError(ValueError):
    """A file of estimates that cannot be summarised: the message names the file, the
    column (and the option that named it) and, where one row is at fault, the row."""

    def __init__(self, file: str | Path, problem: str):
        self.file, self.problem = str(file), problem
        super().__init__(f"{self.file}: {problem}")


class FailureRateError(RuntimeError):
    """Too many fits failed in some condition: the study is broken, not unlucky."""


class ChunkError(RuntimeError):
    """Chunks that are corrupt or stale: named, removed, to be regenerated."""


#: the command line's exit status for each error (0 is success; 1 is ``validate``
#: finding a problem); README, "The fisherlab command"
EXIT_CODES: dict[type[Exception], int] = {StudyError: 2, InputError: 2, FailureRateError: 3,
                                          ChunkError: 4}


def exit_code(exc: BaseException) -> int | None:
    """The exit status of a fisherlab error (None for any other exception)."""
    for cls, code in EXIT_CODES.items():
        if isinstance(exc, cls):
            return code
    return None
