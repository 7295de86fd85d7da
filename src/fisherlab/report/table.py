"""Tables for papers: chosen measures × conditions of a study, as LaTeX, Markdown and HTML.

The numbers are the results folder's (``summary.csv``, and ``measures.csv`` where a
study declares measures of its own); each is printed as ``value (MCSE)``, both rounded
to what the MCSE supports (:func:`fisherlab.report.format.fmt_pm`, as on the page).
Rows are the conditions (the parameters that vary, then n; the estimand first when
there are several), column spanners the estimators, columns the measures. Parameters
every condition shares, the replications and what the brackets mean go to the caption.

great_tables lays the table out (:meth:`great_tables.GT.as_latex`,
:meth:`~great_tables.GT.as_raw_html`); Markdown, which great_tables does not write, is a
pipe table of the same cells. great_tables' LaTeX needs booktabs and caption, which a
bare TeX Live (Debian's texlive-latex-base) lacks: the caption becomes a numbered
``\\caption`` and, unless ``booktabs`` is asked for, the rules ``\\hline``/``\\cline``,
so the fragment compiles with LaTeX's own packages and graphicx (which shrinks a table
wider than the text); text is made pdflatex-safe (σ², −, ∈).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core.labels import column_label, condition_columns, number, params_label
from ..core.layout import StudyFiles
from ..spec.study import Study
from .format import fmt_pm
from .protocol import MEASURE_TEXT, replications_text

#: what a table shows when no measures are asked for
DEFAULT_MEASURES = ("bias", "empse", "coverage")
#: the file a study's own measures are written to (one row per cell × measure)
MEASURES_CSV = "measures.csv"
FORMATS = ("latex", "markdown", "html")
SUFFIX = {"latex": ".tex", "markdown": ".md", "html": ".html"}
#: the HTML table's id, which its CSS is scoped to
HTML_ID = "fisherlab-table"


@dataclass(frozen=True)
class Layout:
    """A table's cells as text, before any format: ``frame`` has the row-label columns
    (``rows``, repeated labels blanked) then one column per estimator × measure, whose
    spanner and heading ``columns`` give; ``caption`` is plain text."""

    frame: pd.DataFrame
    rows: list[str]
    columns: dict[str, tuple[str, str]]
    title: str
    caption: str


def long_measures(study: Study, folder: Path) -> pd.DataFrame:
    """Every measure of the results folder as rows: condition columns, n, estimator,
    estimand, measure, value, mcse. The built-in measures come from summary.csv, a
    study's own (``measures:``) from measures.csv when the run wrote it."""
    sf = StudyFiles(folder)
    summary = pd.read_csv(sf.summary)
    keys = condition_columns(summary) + ["n", "estimator", "estimand"]
    parts = []
    for m in MEASURE_TEXT:
        if m in summary.columns and f"{m}_mcse" in summary.columns:
            part = summary[keys].copy()
            part["measure"], part["value"] = m, summary[m]
            part["mcse"] = summary[f"{m}_mcse"]
            parts.append(part)
    own = Path(folder) / MEASURES_CSV
    if getattr(study, "measures", ()) and own.exists():
        extra = pd.read_csv(own).rename(columns={"param": "estimand"})
        parts.append(extra[[*keys, "measure", "value", "mcse"]])
    return pd.concat(parts, ignore_index=True)


def measure_labels(study: Study) -> dict[str, str]:
    """Measure name -> its column heading: the built-in ones', and each of the study's
    own measures' label."""
    labels = {m: t[0] for m, t in MEASURE_TEXT.items()}
    for m in getattr(study, "measures", ()):
        labels[m.name] = getattr(m, "label", "") or m.name
    return labels


def layout(study: Study, long: pd.DataFrame, measures=DEFAULT_MEASURES,
           estimators=None, estimands=None) -> Layout:
    """The table of ``measures`` (names) for ``estimators`` and ``estimands`` (ids;
    default all), from :func:`long_measures`' rows."""
    labels = measure_labels(study)
    unknown = [m for m in measures if m not in set(long["measure"])]
    if unknown:
        raise ValueError(f"no measure {', '.join(unknown)} in the results; these are: "
                         f"{', '.join(dict.fromkeys(long['measure']))}")
    ests = [e for e in study.estimators if estimators is None or e.id in estimators]
    if not ests:
        raise ValueError(f"none of the estimators {', '.join(estimators)} is in the study; "
                         f"its estimators: {', '.join(e.id for e in study.estimators)}")
    wanted = [e for e in study.estimands if estimands is None or e in estimands]
    if not wanted:
        raise ValueError(f"none of the estimands {', '.join(estimands)} is in the study; "
                         f"its estimands: {', '.join(study.estimands)}")
    t = long[long["measure"].isin(measures) & long["estimator"].isin([e.id for e in ests])
             & long["estimand"].isin(wanted)].copy()
    keys = condition_columns(t)
    varying = [k for k in keys if t[k].nunique(dropna=False) > 1]
    t["cell"] = [fmt_pm(v, s) for v, s in zip(t["value"], t["mcse"], strict=True)]
    index = (["estimand"] if len(wanted) > 1 else []) + varying + ["n"]
    # file order: estimands as the study lists them, conditions as its grid, n ascending
    t["estimand"] = pd.Categorical(t["estimand"], wanted, ordered=True)
    wide = t.pivot_table(index=index, columns=["estimator", "measure"], values="cell",
                         aggfunc="first", observed=True, sort=True)
    columns, frame = {}, pd.DataFrame(index=range(len(wide)))
    rows = [("estimand" if k == "estimand" else column_label(k)) for k in index]
    for k, label in zip(index, rows, strict=True):
        values = [number(v) if not isinstance(v, str) else v
                  for v in wide.index.get_level_values(k)]
        frame[label] = values
    _blank_repeats(frame, rows[:-1])
    for e in ests:
        for m in measures:
            if (e.id, m) in wide.columns:
                cid = f"c{len(columns)}"
                frame[cid] = wide[(e.id, m)].fillna("–").to_numpy()
                columns[cid] = (e.label, labels.get(m, m))
    return Layout(frame, rows, columns, study.name, caption(study, measures, labels))


def _blank_repeats(frame: pd.DataFrame, cols: list[str]) -> None:
    """A row label printed where it changes only (within the labels left of it)."""
    full = frame[cols].astype(str)  # compared as printed, before any is blanked
    for i, col in enumerate(cols):
        prefix = full[cols[: i + 1]].agg("\x1f".join, axis=1)
        frame.loc[prefix.eq(prefix.shift()), col] = ""


def caption(study: Study, measures, labels: dict[str, str]) -> str:
    """What the table is, from the study file: its description, true values, sample
    sizes, replications and what a cell holds."""
    names = [labels.get(m, m) for m in measures]
    shown = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    text = study.description.strip().rstrip(".")
    return (f"{text}. True values: {params_label(study.params)}; n = "
            f"{', '.join(map(str, study.sample_sizes))}; "
            f"{replications_text(study)}. "
            f"{shown[:1].upper() + shown[1:]} of each estimator, as value (Monte Carlo SE), "
            "each rounded to what its Monte Carlo SE supports (Morris, White & Crowther 2019).")


def gt_table(lay: Layout):
    """The great_tables table of a layout: a spanner per estimator."""
    from great_tables import GT  # start-up: great_tables only for tables

    g = (GT(lay.frame, id=HTML_ID).tab_header(title=lay.title).tab_source_note(lay.caption)
         # a value and its MCSE stay on one line, digits in columns
         .opt_css(f"#{HTML_ID} .gt_row {{white-space: nowrap; "
                  "font-variant-numeric: tabular-nums}"))
    spans: dict[str, list[str]] = {}
    for cid, (est, _) in lay.columns.items():
        spans.setdefault(est, []).append(cid)
    for i, (est, cids) in enumerate(spans.items()):
        g = g.tab_spanner(label=est, columns=cids, id=f"s{i}")
    g = g.cols_label(**{cid: m for cid, (_, m) in lay.columns.items()})
    return g.cols_align("left", columns=lay.rows[:-1]).cols_align(
        "right", columns=[lay.rows[-1], *lay.columns])


def to_html(lay: Layout) -> str:
    return gt_table(lay).as_raw_html()


def to_latex(lay: Layout, booktabs: bool = False) -> str:
    """A LaTeX fragment (a ``table`` float) that needs ``\\usepackage{graphicx}`` (a
    table wider than the text is shrunk to fit) and, with ``booktabs``, the booktabs
    package for great_tables' rules; else LaTeX's ``\\hline`` and ``\\cline``."""
    # a minus sign, not a hyphen, before a number (typeset by latex_unicode)
    cells = lay.frame.replace(to_replace=r"^-(?=\d)", value="−", regex=True)
    lay = Layout(cells, lay.rows, lay.columns, lay.title, lay.caption)
    g = gt_table(lay).rm_header().rm_source_notes().tab_options(table_font_size="9pt")
    tex = g.as_latex(tbl_pos="!htbp")
    cap = f"\\caption{{{_latex_escape(lay.title + ': ' + lay.caption)}}}\n"
    tex = tex.replace("\\begin{table}[!htbp]\n", "\\begin{table}[!htbp]\n" + cap, 1)
    # a table wider than the text is shrunk to its width, never widened (graphicx)
    tex = re.sub(r"\\begin\{tabular\*\}\{\\linewidth\}\{@\{\\extracolsep\{\\fill\}\}",
                 lambda _: "\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else"
                 "\\width\\fi}{!}{%\n\\begin{tabular}{", tex, count=1)
    tex = tex.replace("\\end{tabular*}", "\\end{tabular}}", 1)
    if not booktabs:
        tex = re.sub(r"\\cmidrule\(lr\)\{(\d+-\d+)\}", r"\\cline{\1}", tex)
        tex = re.sub(r"\\addlinespace\[[^]]*\]", "", tex)
        for rule in ("toprule", "midrule", "bottomrule"):
            tex = tex.replace(f"\\{rule}", "\\hline")
    return latex_unicode(tex)


def _latex_escape(s: str) -> str:
    """Plain text for LaTeX (the caption, which great_tables' LaTeX leaves out)."""
    out = re.sub(r"([&%$#_{}])", r"\\\1", s.replace("\\", "\\textbackslash{}"))
    return out.replace("~", "\\textasciitilde{}").replace("^", "\\textasciicircum{}")


#: characters of the study files' prose that pdflatex's utf8 does not know, in LaTeX
SYMBOLS = {"−": "\\ensuremath{-}", "∈": "\\ensuremath{\\in}", "≤": "\\ensuremath{\\le}",
           "≥": "\\ensuremath{\\ge}", "×": "\\ensuremath{\\times}", "·": "\\ensuremath{\\cdot}",
           "≈": "\\ensuremath{\\approx}", "√": "\\ensuremath{\\surd}", "∞": "\\ensuremath{\\infty}",
           "±": "\\ensuremath{\\pm}", "→": "\\ensuremath{\\to}", "–": "--", "—": "---",
           "’": "'", "‘": "`", "“": "``", "”": "''", "…": "\\ldots{}", "≠": "\\ensuremath{\\neq}",
           "∑": "\\ensuremath{\\sum}", "ε": "\\ensuremath{\\varepsilon}",
           "∼": "\\ensuremath{\\sim}", "½": "\\ensuremath{1/2}", "ς": "\\ensuremath{\\varsigma}",
           "′": "\\ensuremath{'}"}
SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ⁿ", "0123456789-+n", strict=True))
#: combining accents (x̄, θ̂) and the math accent each becomes
ACCENTS = {"\u0304": "bar", "\u0302": "hat", "\u0303": "tilde", "\u0307": "dot"}
SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉", "0123456789", strict=True))


def latex_unicode(tex: str) -> str:
    """``tex`` with each character pdflatex cannot typeset from UTF-8 written in LaTeX:
    Greek letters and sub-/superscripts in math, symbols by :data:`SYMBOLS`, accented
    Latin letters kept (LaTeX's utf8 knows them), anything else spelled in ASCII."""
    out = []
    for ch in tex:
        if ord(ch) < 128:
            out.append(ch)
        elif ch in SYMBOLS:
            out.append(SYMBOLS[ch])
        elif ch in SUPERSCRIPTS:
            out.append(f"\\textsuperscript{{{SUPERSCRIPTS[ch]}}}")
        elif ch in SUBSCRIPTS:
            out.append(f"\\ensuremath{{_{SUBSCRIPTS[ch]}}}")
        elif ch in ACCENTS and out:  # a combining accent on the character before it
            out[-1] = f"\\ensuremath{{\\{ACCENTS[ch]}{{{out[-1]}}}}}"
        elif unicodedata.name(ch, "").startswith("GREEK"):
            name = unicodedata.name(ch).split()[-1].lower()
            name = {"lamda": "lambda", "omicron": "o"}.get(name, name)
            upper = "CAPITAL" in unicodedata.name(ch) and name != "o"
            out.append(f"\\ensuremath{{\\{name.capitalize() if upper else name}}}")
        elif unicodedata.category(ch).startswith("L") and ord(ch) < 0x180:
            out.append(ch)
        else:
            ascii_ = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(ascii_ or "?")
    return "".join(out)


def to_markdown(lay: Layout) -> str:
    """A pipe table of the layout's cells: 'estimator: measure' headings, the caption
    under it."""
    heads = [*lay.rows, *(f"{e}: {m}" for e, m in lay.columns.values())]
    align = [":---"] * (len(lay.rows) - 1) + ["---:"] * (1 + len(lay.columns))
    lines = [f"**{lay.title}**", "", "| " + " | ".join(map(_md, heads)) + " |",
             "|" + "|".join(align) + "|"]
    for row in lay.frame.itertuples(index=False):
        lines.append("| " + " | ".join(_md(str(v)) for v in row) + " |")
    return "\n".join([*lines, "", _md(lay.caption), ""])


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("*", "\\*")


def render(lay: Layout, fmt: str, booktabs: bool = False) -> str:
    if fmt == "latex":
        return to_latex(lay, booktabs)
    return to_markdown(lay) if fmt == "markdown" else to_html(lay)
