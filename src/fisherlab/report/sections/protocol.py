"""The protocol (ADEMP) at the top of the page: what the study set out to do, as the
study file states it before any run (:mod:`fisherlab.report.protocol`)."""

from __future__ import annotations

from .. import protocol
from .section import Section

ORDER = 5

HOW = ("Aims, data-generating mechanisms, estimands, methods and performance measures "
       "(Morris, White &amp; Crowther 2019), from the study file alone: "
       "<code>fisherlab protocol</code> writes the same before a run.")


def body(r) -> str:
    return f"<p class='how'>{HOW}</p>{protocol.html(r.study)}"


SECTION = Section("protocol", "Protocol (ADEMP)", body=body)
