"""Tables for papers (fisherlab.report.table, ``fisherlab table``): every cell of the
LaTeX, Markdown and HTML outputs, read back, is its summary.csv value and MCSE rounded
at the MCSE's second significant digit; the LaTeX compiles with pdflatex."""

from __future__ import annotations

import copy
import math
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from fisherlab.cli.app import main
from fisherlab.core.labels import prior_col, true_col
from fisherlab.core.priors import Prior
from fisherlab.pipeline import stages
from fisherlab.report import table
from fisherlab.spec.load import load_study

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "studies" / "normal_bessel.yaml"
MEASURES = ("bias", "empse", "coverage")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """normal_bessel at 100 replications: two conditions (sigma), three estimands."""
    study = load_study(STUDY)
    study.replications = 100
    out = tmp_path_factory.mktemp("table")
    stages.run(study, out, chunk_size=100, html_page=False, echo=lambda *_: None)
    return study, out / study.name


def decimals(mcse: float) -> int:
    """The decimal places of a cell, worked out here: those of the MCSE rounded to two
    significant digits (0.009996 -> 0.010: three), the value to the same place."""
    two = float(f"{mcse:.2g}")
    return max(0, 1 - math.floor(math.log10(two)))


def check_cell(text: str, value: float, mcse: float) -> None:
    m = re.fullmatch(r"(-?\d+(?:\.(\d+))?) \((\d+(?:\.(\d+))?)\)", text.strip())
    assert m, text
    d = decimals(mcse)
    assert len(m.group(2) or "") == d and len(m.group(4) or "") == d, (text, value, mcse)
    # two significant digits in the MCSE (a trailing zero counts)
    assert len(m.group(3).replace(".", "").lstrip("0")) == 2, (text, mcse)
    for shown, true in ((float(m.group(1)), value), (float(m.group(3)), mcse)):
        assert abs(shown - true) <= 0.5 * 10.0 ** -d + 1e-12, (text, value, mcse)


def check_grid(rows: list[list[str]], heads: list[tuple[str, str]], summary, study,
               row_keys: list[str]) -> int:
    """``rows``: the body's cells (row labels first, blank where repeated); ``heads``:
    (estimator label, measure heading) of each value column. Returns cells checked."""
    by_label = {e.label: e.id for e in study.estimators}
    by_heading = {table.MEASURE_TEXT[m][0]: m for m in MEASURES}
    last, checked = [""] * len(row_keys), 0
    for cells in rows:
        labels = [c or last[i] for i, c in enumerate(cells[: len(row_keys)])]
        last = labels
        sel = summary
        for key, lab in zip(row_keys, labels, strict=True):
            sel = sel[sel[key].astype(str).str.replace(r"\.0$", "", regex=True) == lab]
        for (est, heading), text in zip(heads, cells[len(row_keys):], strict=True):
            row = sel[sel["estimator"] == by_label[est]]
            assert len(row) == 1, (labels, est)
            m = by_heading[heading]
            check_cell(text, row[m].iloc[0], row[f"{m}_mcse"].iloc[0])
            checked += 1
    return checked


KEYS = ["estimand", "true_sigma", "n"]


def test_latex_cells_and_compile(results, tmp_path):
    study, folder = results
    summary = pd.read_csv(folder / "summary.csv")
    lay = table.layout(study, table.long_measures(study, folder), MEASURES)
    tex = table.to_latex(lay)
    assert "toprule" not in tex and "caption*" not in tex  # no booktabs, no caption pkg
    body = tex.split("\\hline")
    spanners, header = body[1].split("\\\\")[:2]  # two heading rows
    spans = re.findall(r"\\multicolumn\{(\d+)\}\{c\}\{([^}]*)\}", spanners)
    ests = [lab for k, lab in spans for _ in range(int(k))]
    header = re.sub(r"\\cline\{[^}]*\}", "", header)
    header = [c.strip() for c in header.split("&")]
    heads = list(zip(ests, header[len(KEYS):], strict=True))
    rows = [[c.strip().replace("\\ensuremath{-}", "-") for c in line.split("&")]
            for line in body[2].strip().split("\\\\") if line.strip()]
    n = check_grid(rows, heads, summary, study, KEYS)
    assert n == len(summary) * len(MEASURES)
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed: the LaTeX was read back, not compiled")
    compile_latex(tmp_path, tex)


def compile_latex(folder: Path, body: str) -> None:
    """pdflatex on a minimal document around ``body``: LaTeX's own packages only."""
    doc = folder / "doc.tex"
    doc.write_text("\\documentclass{article}\n\\usepackage{graphicx}\n\\begin{document}\n"
                   f"{body}\n\\end{{document}}\n", encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                          doc.name], cwd=folder, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (folder / "doc.pdf").stat().st_size > 0


def test_markdown_cells(results):
    study, folder = results
    summary = pd.read_csv(folder / "summary.csv")
    md = table.to_markdown(table.layout(study, table.long_measures(study, folder), MEASURES))
    lines = [ln for ln in md.splitlines() if ln.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    assert head[: len(KEYS)] == ["estimand", "sigma", "n"]
    heads = [tuple(h.split(": ", 1)) for h in head[len(KEYS):]]
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines[2:]]
    assert check_grid(rows, heads, summary, study, KEYS) == len(summary) * len(MEASURES)


class Cells(HTMLParser):
    """great_tables' HTML: spanners (text, colspan), column headings by id, body rows."""

    def __init__(self):
        super().__init__()
        self.spans, self.labels, self.rows = [], {}, []
        self._in, self._attrs, self._text = None, {}, ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and self._in is None and self.labels:
            self.rows.append([])
        if tag in ("th", "td"):
            self._in, self._attrs, self._text = tag, a, ""

    def handle_data(self, data):
        if self._in:
            self._text += data

    def handle_endtag(self, tag):
        if tag != self._in:
            return
        a, text = self._attrs, self._text.strip()
        if tag == "th" and "column_spanner" in a.get("class", ""):
            self.spans.append((text, int(a["colspan"])))
        elif tag == "th" and re.fullmatch(r"(?:.*-)?c\d+", a.get("id", "")):
            self.labels[a["id"]] = text
        elif tag == "td" and "headers" in a:
            self.rows[-1].append(text)
        self._in = None


def test_html_cells(results):
    study, folder = results
    summary = pd.read_csv(folder / "summary.csv")
    page = Cells()
    page.feed(table.to_html(table.layout(study, table.long_measures(study, folder),
                                         MEASURES)))
    ests = [lab for lab, k in page.spans for _ in range(k)]
    heads = list(zip(ests, page.labels.values(), strict=True))
    rows = [r for r in page.rows if r]
    assert check_grid(rows, heads, summary, study, KEYS) == len(summary) * len(MEASURES)


def synthetic_long(study) -> pd.DataFrame:
    """A long table shaped as summary.csv would give it for ``study`` (every condition ×
    n × estimator × estimand), with made-up numbers: for the layout and the text."""
    rows = []
    for theta in study.param_grid():
        cond = {(prior_col(k) if isinstance(v, Prior) else true_col(k)):
                (str(v) if isinstance(v, Prior) else v) for k, v in theta.items()}
        for n in study.sample_sizes:
            for e in study.estimators:
                for est in study.estimands:
                    for m in MEASURES:
                        rows.append({**cond, "n": n, "estimator": e.id, "estimand": est,
                                     "measure": m, "value": -0.01234, "mcse": 0.0045})
    return pd.DataFrame(rows)


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="pdflatex is not installed (Debian: texlive-latex-base)")
def test_every_bundled_study_typesets(tmp_path, monkeypatch):
    """Every bundled study's labels and caption (Greek, superscripts, ∈, priors) come
    through pdflatex, one table each."""
    monkeypatch.chdir(ROOT)  # python: families are imported from the project folder
    monkeypatch.syspath_prepend(str(ROOT))
    parts = []
    for path in sorted((ROOT / "studies").glob("*.yaml")):
        study = load_study(path)
        parts.append(table.to_latex(table.layout(study, synthetic_long(study), MEASURES)))
        parts.append("\\clearpage")
    body = "\n".join(parts)
    # what is left beyond ASCII is accented Latin letters, which LaTeX's utf8 knows
    assert {c for c in body if ord(c) >= 128} <= set("éèáàóöüäñçÉ"), body
    compile_latex(tmp_path, body)


def test_every_character_of_the_study_files_has_latex():
    """No character of a bundled study file falls back to '?' in LaTeX."""
    chars = {c for p in (ROOT / "studies").rglob("*.yaml")
             for c in p.read_text(encoding="utf-8") if ord(c) > 127}
    assert chars, "the study files have no non-ASCII text to check"
    assert {c for c in chars if "?" in table.latex_unicode("x" + c)} == set()


def test_booktabs_keeps_great_tables_rules(results):
    study, folder = results
    lay = table.layout(study, table.long_measures(study, folder), ("bias",))
    tex = table.to_latex(lay, booktabs=True)
    assert "\\toprule" in tex and "\\cmidrule" in tex and "\\hline" not in tex


def test_own_measures_from_measures_csv(results, tmp_path):
    """A study's own measures (``measures:``) come from measures.csv with their label."""
    study, folder = results
    own = tmp_path / study.name
    shutil.copytree(folder, own)
    summary = pd.read_csv(own / "summary.csv")
    extra = summary[["true_mu", "true_sigma", "n", "estimator", "estimand"]].rename(
        columns={"estimand": "param"})
    extra = extra.assign(measure="mad", label="median abs. error", value=0.123456,
                         mcse=0.00321, mcse_method="bootstrap", replicates=100)
    extra.to_csv(own / table.MEASURES_CSV, index=False)
    mine = copy.copy(study)
    mine.measures = (SimpleNamespace(name="mad", label="median abs. error", args={}),)
    md = table.to_markdown(table.layout(mine, table.long_measures(mine, own), ("mad",)))
    assert "mle: median abs. error" in md and "0.1235 (0.0032)" in md
    # without a measures: key the file is not read
    none = copy.copy(study)
    none.measures = ()
    with pytest.raises(ValueError, match="no measure mad"):
        table.layout(none, table.long_measures(none, own), ("mad",))


def test_table_command(results, tmp_path, capsys):
    study, folder = results
    res = str(folder.parent)
    assert main(["table", str(STUDY), "--results", res, "--format", "markdown",
                 "--measures", "bias,rmse", "--estimators", "mle"]) == 0
    out = capsys.readouterr().out
    assert "| mle: bias | mle: RMSE |" in out and "unbiased" not in out.split("\n\n")[1]
    assert main(["table", str(STUDY), "--results", res, "--format", "all",
                 "--out", str(tmp_path / "t")]) == 0
    assert {p.suffix for p in tmp_path.glob("t.*")} == {".tex", ".md", ".html"}
    assert main(["table", str(STUDY), "--results", res, "--measures", "nope"]) == 2
    assert "no measure nope" in capsys.readouterr().err
    assert main(["table", str(STUDY), "--results", res, "--estimands", "nope"]) == 2
    assert "its estimands: mu, sigma, sigma2" in capsys.readouterr().err
    assert main(["table", str(STUDY), "--results", str(tmp_path)]) == 2
