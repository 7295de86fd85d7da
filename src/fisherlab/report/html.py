"""HTML pieces of the report pages: escaping, tables bound to their CSV rows, figures.

A table drawn from a results table marks each row with its row number in the CSV
(``data-r``) and each cell that shows one column with that column (``data-c``); a
number quoted in running text is a :func:`cite` span carrying table, row and column.
So a page can be checked against its tables mechanically (tests/test_report_pages.py):
every p-value and verdict on it is one that a table holds.
"""

from __future__ import annotations

import base64
import html
import struct
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

#: the width of the page's text column in CSS pixels (figures are drawn this wide)
COLUMN_PX = 1180
#: device pixels per CSS pixel of an embedded figure: a PNG is shown at 1/SCALE of its
#: pixel size, so it stays sharp on high-density screens
SCALE = 2

CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;max-width:COLUMNpx;
margin:0 auto;padding:1.2em 2em 4em}
h1{margin:.2em 0 .1em;font-size:1.8em}h2{margin-top:2em;border-bottom:2px solid #e4e4e4;
padding-bottom:.2em}h3{font-size:1.02em;margin:1.4em 0 .4em}
.lede{color:#555;margin:0 0 1em}.reading{background:#f3f7fc;border-left:4px solid #3b78c2;
padding:.55em .9em;margin:.6em 0 1em}.verdict{background:#f6f6f2;border:1px solid #e2e2d6;
padding:.6em .9em;border-radius:6px}nav{display:flex;flex-wrap:wrap;gap:.2em 1.2em}
table{border-collapse:collapse;font-size:13px;margin:.4em 0 1em;font-variant-numeric:tabular-nums}
th,td{padding:3px 7px;border-bottom:1px solid #e6e6e6;text-align:right}
td{white-space:nowrap}td.l{white-space:normal}
th{background:#fafafa;position:sticky;top:0}td.l,th.l{text-align:left}
tr.sep td{border-top:2px solid #ccc}.bad{color:#b3261e;font-weight:600}.ok{color:#1d7a3a}
figure{margin:.8em 0 1.2em}figure img{display:block;max-width:100%;height:auto}
figcaption{color:#555;font-size:13px}details{margin:.4em 0}summary{cursor:pointer;color:#3b78c2}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1.2em}
dt{font-weight:600}dd{margin:0}
dl.protocol ul{margin:0;padding-left:1.1em}dl.protocol li{margin:.1em 0}
dl.protocol .lede{color:inherit}
@media (max-width:800px){dl.protocol{display:block}dl.protocol dd{margin:0 0 .6em}}
.how{color:#555;font-size:13.5px}
""".replace("COLUMN", str(COLUMN_PX))


def esc(x) -> str:
    return html.escape(str(x))


def text(v) -> str:
    """A table's text value, escaped; an empty cell (read back as NaN) prints nothing."""
    return "" if not isinstance(v, str) and pd.isna(v) else esc(v)


def cite(table: str, row: int, col: str, text: str) -> str:
    """``text`` (a value of ``table``'s row ``row``, column ``col``) as a span that says so."""
    return (f'<span data-t="{esc(table)}" data-r="{int(row)}" data-c="{esc(col)}">'
            f"{esc(text)}</span>")


@dataclass(frozen=True)
class Col:
    """One column of an HTML table: its heading, the cell's HTML from a row, and the
    results-table column the cell shows (``source``), when it shows exactly one."""

    header: str
    cell: Callable[[object], str]
    source: str | None = None
    left: bool = False


def table(df: pd.DataFrame, cols: list[Col], name: str = "", group: str | None = None) -> str:
    """An HTML table of ``df`` (its index is the row number in the CSV ``name``); a rule
    separates rows where column ``group`` changes. Empty for no rows."""
    if df.empty:
        return ""
    head = "".join(f'<th class="{"l" if c.left else ""}">{esc(c.header)}</th>' for c in cols)
    body, prev = [], None
    for idx, r in zip(df.index, df.itertuples(index=False), strict=True):
        sep = group is not None and prev is not None and getattr(r, group) != prev
        prev = getattr(r, group) if group else None
        cells = "".join(
            f'<td class="{"l" if c.left else ""}"'
            + (f' data-c="{esc(c.source)}"' if c.source else "") + f">{c.cell(r)}</td>"
            for c in cols)
        body.append(f'<tr class="{"sep" if sep else ""}" data-r="{idx}">{cells}</tr>')
    return (f'<table data-table="{esc(name)}"><tr>{head}</tr>{"".join(body)}</table>')


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels of a PNG (its IHDR chunk, which comes first)."""
    return struct.unpack(">II", png[16:24])


def figure(png: bytes | None, caption: str, alt: str) -> str:
    """A figure as an embedded PNG (the page stays one self-contained file), shown at
    1/:data:`SCALE` of its pixel size (narrower where the window is); ``caption`` is
    HTML."""
    if png is None:
        return ""
    data = base64.b64encode(png).decode("ascii")
    w, h = png_size(png)
    return (f'<figure><img alt="{esc(alt)}" width="{w // SCALE}" height="{h // SCALE}" '
            f'src="data:image/png;base64,{data}"><figcaption>{caption}</figcaption></figure>')


def details(summary: str, inner: str) -> str:
    return f"<details><summary>{esc(summary)}</summary>{inner}</details>"
