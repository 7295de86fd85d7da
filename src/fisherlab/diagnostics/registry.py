"""The diagnostics by name: :func:`diagnostic` (a decorator) and what it records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

Fn = Callable[[pd.DataFrame, "object"], pd.DataFrame]


#: the columns that identify a cell beyond its condition
CELL = ("n", "estimator", "estimand")
#: ``by`` of a diagnostic computed once per study, from the study itself (it draws what
#: it needs); it gets the first condition's rows (e.g. for its MAP estimates)
ONCE = ("<study>",)


@dataclass(frozen=True)
class Diagnostic:
    name: str
    fn: Fn
    doc: str
    #: the finest unit it may be called on: one condition × these columns' values (the
    #: stage calls one with n on a condition × n, :func:`fisherlab.diagnostics.stream_all`)
    by: tuple[str, ...] = ()
    #: the estimate columns it reads (condition columns come too); None: all
    columns: tuple[str, ...] | None = None


#: name -> diagnostic, in the order of their modules' names (the page's order is the
#: sections')
REGISTRY: dict[str, Diagnostic] = {}


def diagnostic(name: str, by: tuple[str, ...] = (),
               columns: tuple[str, ...] | None = None) -> Callable[[Fn], Fn]:
    """Decorator: register ``fn(estimates, study) -> DataFrame`` as table ``name``;
    ``by`` and ``columns`` say what unit of rows it needs (:func:`stream_all`)."""

    def wrap(fn: Fn) -> Fn:
        if name in REGISTRY and REGISTRY[name].fn is not fn:
            raise ValueError(f"diagnostic {name!r} is registered twice")
        REGISTRY[name] = Diagnostic(name, fn, (fn.__doc__ or "").strip().split("\n")[0],
                                    tuple(by), None if columns is None else tuple(columns))
        return fn

    return wrap
