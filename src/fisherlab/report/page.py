"""``report.html``: one self-contained page per study, rendered from its results folder.

:func:`write_report` reads the study's tables once into a :class:`Results` (with the
first condition's replicate rows, read from the estimates dataset), draws every
figure that :data:`~fisherlab.report.sections.SECTIONS` declares, and renders the
sections in order. Figures are embedded as base64 PNG, so the page opens straight
from disk and can be mailed as one file. The page computes no statistic: it prints
the tables' values, rounded to what their Monte Carlo standard errors support.
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from ..core import files
from ..core.labels import condition_label
from ..core.layout import StudyFiles
from ..diagnostics import TABLES
from ..run.dataset import Estimates
from ..spec.study import Study
from ..verdicts import CLAIMS
from ..verdicts import TABLE as VERDICTS
from . import figures
from .html import CSS, details, esc, figure
from .prose import fitted_to
from .sections import SECTIONS, Section
from .verdicts import Verdicts, count, headline, tally, word

#: the estimate columns the figures draw (no reasons, iterations or sampler flags)
FIGURE_COLUMNS = ("n", "replicate", "estimator", "estimand", "true_value", "estimate", "se",
                  "ci_low", "ci_high", "converged", "pit")
#: figures of the replicates themselves (distributions, zip plot, forest) draw at most
#: this many of each cell, the first ones; the normality and calibration ECDFs use every
#: replicate (their bands are the tables' tests)
DRAWN_REPLICATES = 5000


@dataclass
class Results:
    """Everything a study's page shows: the study, its summary and diagnostic tables,
    and its estimates dataset, from which only the first condition's rows are read
    (figures show the first condition; counts come from the cells' statistics)."""

    study: Study
    source: Estimates
    summary: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    #: verdicts.csv, every judgement the page prints (:mod:`fisherlab.verdicts`)
    verdicts: Verdicts = field(default_factory=lambda: Verdicts(pd.DataFrame()))
    labels: dict[str, str] = field(default_factory=dict)
    #: provenance.json (package versions, each estimator's wall time per condition × n)
    provenance: dict = field(default_factory=dict)

    def __post_init__(self):
        self.labels = self.labels or self.study.labels()

    def verdict(self, question: str, row, detail: str = "", **override) -> str:
        """The verdict on ``question`` about the cell of ``row`` (a row of a table the
        page shows), as the page prints it (:func:`fisherlab.report.verdicts.word`)."""
        return word(self.verdicts, self.verdicts.find(question, row, detail, **override))

    def tally(self, question: str, rows: pd.DataFrame, good: str, unit: str,
              detail: str = "", **override) -> str:
        """How many of the verdicts on ``question`` about the cells of ``rows`` say
        ``good``, as the page prints it (:func:`fisherlab.report.verdicts.tally`)."""
        found = [self.verdicts.find(question, row, detail, **override)
                 for _, row in rows.iterrows()]
        return tally(self.verdicts, found, good, unit)

    def words(self, question: str, rows: pd.DataFrame, detail: str = "",
              **override) -> dict:
        """Row of ``rows`` -> its verdict on ``question`` (rows without one left out)."""
        out = {}
        for i, row in rows.iterrows():
            j = self.verdicts.find(question, row, detail, **override)
            if j is not None:
                out[i] = self.verdicts.row(j)["verdict"]
        return out

    def label(self, estimator: str) -> str:
        return self.labels.get(estimator, estimator)

    @property
    def left_out(self) -> dict:
        """Diagnostic -> why it was not computed: estimates read from a file
        (``fisherlab summarise --from``) have no model for some; {} for a study."""
        return self.provenance.get("from", {}).get("left_out", {})

    def shows(self, sec: Section) -> bool:
        """Whether the page has section ``sec``: not when its diagnostic was left out."""
        return sec.id not in self.left_out and sec.when(self)

    @cached_property
    def sizes(self) -> list[int]:
        """The sample sizes of the first condition."""
        c = self.source.cells
        return sorted(int(v) for v in c.loc[c["cond"] == self._cond, "n"].unique())

    @cached_property
    def _cond(self) -> str:
        return self.source.conditions()["cond"].iloc[0]

    def rows(self, sizes, columns=FIGURE_COLUMNS, capped: bool = True) -> pd.DataFrame:
        """The first condition's replicate rows at ``sizes``: ``columns`` only and, when
        ``capped``, the first :data:`DRAWN_REPLICATES` of each cell.

        Each n is read once for every figure (:data:`FIGURE_COLUMNS`, capped), so the
        page holds at most :data:`DRAWN_REPLICATES` rows of each cell it draws; a figure
        that asks for every replicate gets those rows when they are all of them, and
        otherwise reads its own (the normality and calibration ECDFs of large cells)."""
        return pd.concat([self._cell(int(n), columns, capped) for n in sizes],
                         ignore_index=True)

    @cached_property
    def _drawn_rows(self) -> dict[int, pd.DataFrame]:
        return {}

    def _cell(self, n: int, columns, capped: bool) -> pd.DataFrame:
        if not set(columns) <= set(FIGURE_COLUMNS):
            return self.source.read(self._cond, n, columns,
                                    replicates_below=DRAWN_REPLICATES if capped else None)
        if n not in self._drawn_rows:
            self._drawn_rows[n] = self.source.read(self._cond, n, FIGURE_COLUMNS,
                                                   replicates_below=DRAWN_REPLICATES)
        df = self._drawn_rows[n]
        c = self.source.cells
        if not capped and len(df) < int(c.loc[(c["cond"] == self._cond) & (c["n"] == n),
                                               "n_rep"].sum()):
            return self.source.read(self._cond, n, columns)  # more rows than are drawn
        # the columns a read of ``columns`` returns: the condition's, then those asked for
        lead = [k for k in df.columns if k not in FIGURE_COLUMNS]
        return df[[*lead, *(k for k in columns if k in df.columns)]]

    @property
    def drawn(self) -> str:
        """A caption's note when figures draw fewer replicates than there are."""
        if int(self.source.cells["n_rep"].max()) <= DRAWN_REPLICATES:
            return ""
        return f" Drawn: the first {DRAWN_REPLICATES:,} replicates of each cell."

    @cached_property
    def params(self) -> list[str]:
        return self.source.keys

    @cached_property
    def varying(self) -> list[str]:
        """The condition columns that take more than one value: what tells conditions
        apart in a sentence."""
        conds = self.source.conditions()
        return [k for k in self.params if conds[k].nunique(dropna=False) > 1]

    @cached_property
    def conditions(self) -> int:
        return len(self.source.conditions())

    @cached_property
    def fits(self) -> int:
        return self.source.fits()[0]

    @cached_property
    def failed_fits(self) -> int:
        return self.source.fits()[1]

    @cached_property
    def _first(self) -> dict:
        if not self.params:
            return {}
        return self.source.conditions()[self.params].iloc[0].to_dict()

    @property
    def shown(self) -> str:
        """A caption's note on which condition a one-condition figure shows."""
        if self.conditions < 2:
            return ""
        return f" Figures show the first condition ({condition_label(self._first, self.params)})."


def load(study: Study, folder: Path) -> Results:
    folder = Path(folder)
    sf = StudyFiles(folder)
    prov = sf.provenance
    tables = {name: files.read_table(sf.table(name)) for name in (*TABLES, CLAIMS)}
    if sf.precision.exists():  # a study with target MCSEs
        tables["precision"] = files.read_table(sf.precision)
    if study.measures and sf.measures.exists():  # a study with measures of its own
        tables["measures"] = files.read_table(sf.measures)
    if study.compare is not None and sf.paired.exists():  # paired comparisons
        tables["paired"] = files.read_table(sf.paired)
    return Results(study, Estimates(folder), pd.read_csv(sf.summary), tables,
                   Verdicts(files.read_table(sf.table(VERDICTS))),
                   provenance=json.loads(prov.read_text()) if prov.exists() else {})


def draw(r: Results, outdir: Path | None = None) -> dict[str, list[tuple[str, bytes, str]]]:
    """Every figure of the page, per section id: (name, PNG bytes, caption HTML); also
    written to ``outdir`` as ``<name>.png`` when given. A figure that cannot be drawn is
    reported on stderr and left out, never sinking the page."""
    out: dict[str, list] = {}
    if outdir is not None:  # the folder holds this page's figures only, none of a past run
        Path(outdir).mkdir(parents=True, exist_ok=True)
        for old in [*Path(outdir).glob("*.png"), *Path(outdir).glob("*.csv")]:
            old.unlink()
    for sec in SECTIONS:
        if not r.shows(sec):
            continue
        out[sec.id] = []
        for make in sec.figures:
            try:
                made = list(make(r))
            except Exception as exc:  # noqa: BLE001 - a figure must not sink the page
                print(f"fisherlab html: a figure of {sec.id!r} skipped: "
                      f"{type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            for name, fig, caption in made:
                if fig is None:
                    continue
                buf = io.BytesIO()
                figures.save(fig, buf)
                out[sec.id].append((name, buf.getvalue(), caption))
                if outdir is not None:
                    (Path(outdir) / f"{name}.png").write_bytes(buf.getvalue())
                    # a figure that carries its data (a table of summary.csv's values,
                    # rearranged) gets it beside it, for people to draw it their way
                    data = getattr(fig, "fisherlab_data", None)
                    if data is not None:
                        files.write_csv(data, Path(outdir) / f"{name}.csv")
    return out


def section_html(sec: Section, r: Results, figs: list[tuple[str, bytes, str]]) -> str:
    parts = []
    if sec.body is not None:
        parts.append(sec.body(r))
    if sec.reading is not None:
        parts.append(f"<p class='reading'>{sec.reading(r)}</p>")
    inner = sec.table(r) if sec.table is not None else ""
    how = sec.how(r) if callable(sec.how) else sec.how
    if how and (figs or inner):  # how to read what is shown; nothing shown: no how
        parts.append(f"<p class='how'>{how}</p>")
    parts += [figure(png, caption, name) for name, png, caption in figs]
    if inner:
        parts.append(details(sec.table_note, inner) if sec.folded else inner)
    return "".join(parts)


def render(r: Results, figs: dict[str, list]) -> tuple[str, str]:
    """The page's HTML and the study's one-line verdict (for the index)."""
    verdict = headline(r.verdicts.table, r.fits, r.failed_fits)
    shown = [s for s in SECTIONS if r.shows(s)]
    nav = "".join(f'<a href="#{s.id}">{esc(s.title)}</a>' for s in shown)
    body = "".join(f'<section id="{s.id}"><h2>{esc(s.title)}</h2>'
                   f"{section_html(s, r, figs.get(s.id, []))}</section>" for s in shown)
    study = r.study
    page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>{esc(study.name)} · fisherlab</title><style>{CSS}</style></head><body>"
            f"<p><a href='../index.html'>← all studies</a></p>"
            f"<h1>{esc(study.name)}</h1><p class='lede'>{esc(study.description)}</p>"
            + (f"<p class='lede fitted'>{esc(fitted_to(study))}</p>"
               if study.fitted_to else "") +
            f"<p class='verdict'><b>Verdict:</b> <span data-fact='verdict'>{esc(verdict)}"
            f"</span></p><nav>{nav}</nav>{body}</body></html>")
    return page, verdict


def write_report(study: Study, folder: Path, out: Path, figures_dir: Path | None = None,
                 verdict_file: Path | None = None) -> str:
    """Read a study's results folder, render its page, write it; return the verdict."""
    r = load(study, folder)
    figs = draw(r, figures_dir)
    page, verdict = render(r, figs)
    files.write_text(out, page)
    if verdict_file is not None:
        files.write_text(verdict_file, json.dumps(
            {"study": study.name, "description": study.description,
             "family": study.family.name, "verdict": verdict,
             "claims": dict(zip(("hold", "of"), count(r.verdicts, "claim", "holds"),
                                strict=True)),
             "report": f"{study.name}/report.html"}, indent=1))
    return verdict
