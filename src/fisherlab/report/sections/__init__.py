"""The study page, declared: one module per section, each with its reading, its tables
and its figures beside its :class:`Section`.

A section module sets ``SECTION`` (what the page shows, and when) and ``ORDER`` (its
place on the page); the modules of this package are found and sorted when it is
imported, so adding a section is adding its module. A section that shows a diagnostic
reads that diagnostic's table (``r.tables[name]``) and nothing else: it counts and
quotes the table's values and verdicts, never computes a statistic. A caption that
quotes a table value cites it (:func:`~fisherlab.report.html.cite`).
"""

from __future__ import annotations

import importlib

from ...core.registry import import_submodules
from .section import Section


def _discover() -> list[Section]:
    """Every section module's SECTION, in page order (ORDER, then name)."""
    found = []
    for name in import_submodules(__name__, __path__):
        mod = importlib.import_module(f"{__name__}.{name}")  # imported: the module itself
        if hasattr(mod, "SECTION"):
            found.append((getattr(mod, "ORDER", 1000), name, mod.SECTION))
    return [s for _, _, s in sorted(found, key=lambda t: t[:2])]


#: the page's sections, in order
SECTIONS: list[Section] = _discover()
