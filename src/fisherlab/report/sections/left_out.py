"""What a page of estimates read from a file leaves out, and why (no model to ask)."""

from __future__ import annotations

from ..html import esc
from .section import Section

ORDER = 11


def body(r) -> str:
    source = r.provenance.get("from", {}).get("file", "")
    items = "".join(f"<li><b>{esc(name)}</b>: {esc(why)}</li>"
                    for name, why in r.left_out.items())
    return (f"<p>The estimates were read from <code>{esc(source)}</code>; no data were "
            "simulated, so what needs the model that made them is left out:</p>"
            f"<ul>{items}</ul>")


SECTION = Section("left_out", "Read from a file", body=body, when=lambda r: bool(r.left_out))
