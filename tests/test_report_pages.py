"""Every bundled study's page says what its tables say, and nothing else.

Each bundled study runs through every stage (fewer replications: the page's wiring,
not the science, is under test here), then its report.html is read back: every cell
and quoted value bound to a table (``data-c`` cells, ``data-t`` spans) must equal the
table's value as printed; no p-value may appear that is not bound to a table; the
"Fisher information" statement must be what the tables give; every verdict word is
its row of verdicts.csv, with the replicates it rests on when it left some out; no
verdict word appears outside such a span; the verdict line, report.md and the index
agree with verdicts.csv, counted here independently of the report code.
"""

from __future__ import annotations

import html
import json
import math
import re
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fisherlab.core.labels import condition_columns, condition_label
from fisherlab.diagnostics.efficiency import information_statement
from fisherlab.pipeline import stages
from fisherlab.report.format import fmt_p
from fisherlab.spec.load import load_study
from fisherlab.stats.measures import summarise

from .conftest import assert_summaries_close

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted(p.stem for p in (ROOT / "studies").glob("*.yaml"))
REPS = 100
P_VALUE = re.compile(r"\bp\s*=\s*[-+0-9.]")


class BoundValues(HTMLParser):
    """The page's bound values (table, row, column, text), its facts, its verdict words
    with the subset note after each, every table cell's text, and the text bound to
    nothing (outside bound values, table cells and terms being defined, ``<b>``)."""

    def __init__(self):
        super().__init__()
        self.bound: list[tuple[str, int, str, str]] = []
        self.facts: dict[str, str] = {}
        self.free: list[str] = []
        self.verdict_words: list[list] = []  # [verdicts row, its subset note]
        self.tallies: list[tuple[list[int], str, str]] = []  # (rows, verdict, text)
        self.cells: list[str] = []
        self._table = ""
        self._row = -1
        self._stack: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        el = {"tag": tag, "kind": None, "text": ""}
        if tag == "table":
            self._table = a.get("data-table", "")
        if tag == "tr" and "data-r" in a:
            self._row = int(a["data-r"])
        if "data-rows" in a:  # a count of verdicts
            el.update(kind="tally", rec=[[int(i) for i in a["data-rows"].split(",") if i],
                                         a["data-good"]])
        elif "data-t" in a:
            el.update(kind="bound", rec=[a["data-t"], int(a["data-r"]), a["data-c"]])
            if a["data-t"] == "verdicts" and a["data-c"] == "verdict":
                self.verdict_words.append([int(a["data-r"]), ""])
        elif tag == "td" and "data-c" in a:
            el.update(kind="bound", rec=[self._table, self._row, a["data-c"]], cell=True)
        elif "data-fact" in a:
            el.update(kind="fact", name=a["data-fact"])
        elif tag == "td":
            el.update(kind="cell", cell=True)
        elif tag in ("b", "th", "script", "style") or a.get("class") in ("lede", "how"):
            el.update(kind="term")  # a term, a heading, the study's words, a rule's
        elif tag == "span" and a.get("class") == "subset":
            el.update(kind="subset")
        self._stack.append(el)

    def handle_endtag(self, tag):
        while self._stack:
            el = self._stack.pop()
            if el["kind"] == "bound":
                self.bound.append((*el["rec"], el["text"]))
            elif el["kind"] == "tally":
                self.tallies.append((*el["rec"], el["text"]))
            elif el["kind"] == "fact":
                self.facts[el["name"]] = el["text"]
            if el.get("cell"):
                self.cells.append(el["cell_text"] if "cell_text" in el else el["text"])
            if el["kind"] is not None:
                self.free.append(" ⟨bound⟩ ")
            if el["tag"] == tag:
                break

    def handle_data(self, data):
        open_kinds = [el["kind"] for el in self._stack]
        for el in self._stack:
            if el.get("cell"):
                el["cell_text"] = el.get("cell_text", "") + data
        if "subset" in open_kinds and self.verdict_words:
            self.verdict_words[-1][1] += data
        inner = next((el for el in reversed(self._stack) if el["kind"] is not None), None)
        if inner is None:
            self.free.append(data)
        elif inner["kind"] in ("bound", "fact", "tally"):
            inner["text"] += data


def _number(text: str) -> float:
    m = re.match(r"\s*([-+−]?[0-9.]+(?:e[-+]?\d+)?)", text.replace("−", "-"))
    return float(m.group(1)) if m else math.nan


def _matches(text: str, value, col: str, labels: dict, row: pd.Series) -> bool:
    if col == "pvalue":  # printed with the digits that put it on its side of the rule
        alphas = {None, 0.001, 0.01, 0.05}
        if isinstance(row.get("threshold"), float) and math.isfinite(row["threshold"]):
            alphas.add(float(row["threshold"]))
        return text in {fmt_p(float(value), a) for a in alphas}
    if col == "estimator":
        return text == labels.get(value, value)
    if isinstance(value, str) or isinstance(value, bool | np.bool_):
        return text in (str(value), "exact", "asymptotic") if col == "exact" else \
            text == str(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return text in ("", "–", "drawn")
    if isinstance(value, float) and math.isinf(value):  # an information at a boundary
        return text == ("∞" if value > 0 else "−∞")
    if text.endswith("%"):  # a share printed as a percentage
        text, value = text[:-1], 100 * float(value)
    got = _number(text)
    digits = text.split("(")[0].split("/")[0].strip()
    if "e" in digits:
        return math.isclose(got, value, rel_tol=1e-2)
    dec = len(digits.split(".")[1]) if "." in digits else 0
    return abs(got - float(value)) <= 0.51 * 10.0 ** (-dec) + 1e-12 * abs(float(value))


def headline_from(verdicts: pd.DataFrame, est: pd.DataFrame) -> str:
    """The verdict line, counted from verdicts.csv and the estimates here (independently
    of the report code)."""
    by = {q: t for q, t in verdicts.groupby("question")} if len(verdicts) else {}
    parts = []

    def share(t, good):
        return f"{int((t.verdict == good).sum())}/{len(t)}"

    if "claim" in by:
        parts.append(f"claims hold {share(by['claim'], 'holds')}")
    if "rate" in by:
        t = by["rate"]
        undecided = int((t.verdict == "cannot tell").sum())
        parts.append(f"rate as theory {share(t, 'as theory')}"
                     + (f" ({undecided} cannot tell)" if undecided else ""))
    if "normality" in by:
        t = by["normality"]
        t = t[t.detail == ("se" if (t.detail == "se").any() else "information")]
        parts.append(f"normal at largest n {share(t[t.n == t.n.max()], 'normal')}")
    if "coverage" in by:
        t = by["coverage"]
        parts.append(f"coverage nominal at largest n {share(t[t.n == t.n.max()], 'nominal')}")
    cond = [k for k in est.columns if k.startswith("prior_")] or [
        k for k in est.columns if k.startswith("true_") and k != "true_value"]
    keys = cond + ["n", "replicate", "estimator"]
    fits = len(est[keys].drop_duplicates())
    failed = len(est.loc[~est.converged, keys].drop_duplicates())
    parts.append(f"{failed} failed fits of {fits}" if failed else "no failed fits")
    return " · ".join(parts)


#: verdict words that mean nothing else in a page's prose: only a bound span may say them
JUDGING = re.compile(r"\b(calibrated|as theory|at the bound|(?<!classically )unbiased|"
                     r"biased|not normal|agrees|holds|fails|cannot tell|departs|"
                     r"(?:is|are|not|be) nominal|nominal (?:at|in|for))\b", re.I)
DECIMAL = re.compile(r"(?<![\w.])[-−]?\d+\.\d+(?![\w.])")


@pytest.mark.slow
@pytest.mark.parametrize("name", BUNDLED)
def test_page_equals_its_tables(name, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # python: families are imported from the project folder
    monkeypatch.syspath_prepend(str(ROOT))
    study = load_study(ROOT / "studies" / f"{name}.yaml")
    study.replications = min(study.replications, REPS)
    folder = stages.run(study, tmp_path, chunk_size=100, echo=lambda *_: None)
    # summary.csv, merged from the chunks' statistics, equals the whole-table computation
    whole = summarise(pd.read_parquet(folder / "estimates.parquet"))
    # (a study with target MCSEs adds hit_max, from its rounds)
    assert_summaries_close(pd.read_csv(folder / "summary.csv").drop(columns="hit_max",
                                                                    errors="ignore"),
                           pd.read_csv(StringIO(whole.to_csv(index=False))))
    page = BoundValues()
    page.feed((folder / "report.html").read_text(encoding="utf-8"))
    tables = {"summary": pd.read_csv(folder / "summary.csv")}
    labels = study.labels()
    checked = 0
    for table, row, col, text in page.bound:
        if table not in tables:
            tables[table] = pd.read_csv(folder / f"{table}.csv")
        value = tables[table].loc[row, col]
        assert _matches(text.strip(), value, col, labels, tables[table].loc[row]), (
            table, row, col, text, value)
        checked += 1
    assert checked > 0
    verdicts = pd.read_csv(folder / "verdicts.csv")
    # every verdict word is its row's (checked above), and says when it rests on a subset
    assert page.verdict_words, "the page shows no verdict"
    for row, note in page.verdict_words:
        left, used = verdicts.loc[row, "left_out"], verdicts.loc[row, "used"]
        expect = f" on {int(used):,} of {int(used + left):,}" if left > 0 else ""
        assert note == expect, (verdicts.loc[row].to_dict(), note)
    for rows, good, text in page.tallies:  # "nominal in 3 of 6 cells": count again
        k = int((verdicts.loc[rows, "verdict"] == good).sum())
        assert f"{k:,} of {len(rows):,} " in text, (text, rows)
        # and says how many of them rest on a subset of the replicates
        subset = int((pd.to_numeric(verdicts.loc[rows, "left_out"], errors="coerce") > 0).sum())
        assert (f", {subset:,} of them on fewer replicates than were run" in text) == (
            subset > 0), (text, rows)
    free = "".join(page.free)
    # a parameter called p (the Bernoulli's) is no p-value: conditions' labels go first
    est = pd.read_parquet(folder / "estimates.parquet")
    keys = condition_columns(est)
    for cond in est[keys].drop_duplicates().to_dict("records") if keys else []:
        free = free.replace(condition_label(cond, keys), "⟨condition⟩")
        for k in keys:  # a reading names only the parameters that vary
            free = free.replace(condition_label(cond, [k]), "⟨condition⟩")
    for label in sorted(labels.values(), key=len, reverse=True):  # "unbiased" names one
        free = free.replace(label, "⟨estimator⟩")
    assert not P_VALUE.search(free), free[max(0, P_VALUE.search(free).start() - 80):][:160]
    # prose judges nothing: a verdict word outside its bound span is a second rule
    hit = JUDGING.search(free)
    assert hit is None, free[max(0, hit.start() - 80):][:160]
    # and every number with decimals in prose is one the page's tables print
    shown = " ".join([*page.cells, *(t for *_, t in page.bound),
                      *(t for *_, t in page.tallies)])
    for number in DECIMAL.findall(free):
        assert number in shown or number in study.description, (number, free)
    eff = pd.read_csv(folder / "efficiency.csv")
    assert page.facts["information"] == information_statement(eff)
    # the protocol's one computed number is a design one: a coverage's MCSE at R fixed
    # replications, √(L(1 − L)/R), worked out here
    if study.targets is None:
        design = math.sqrt(study.level * (1 - study.level) / study.replications)
        assert page.facts["design"] == f"{design:.2g}"
    else:
        assert "design" not in page.facts
    line = headline_from(verdicts, est)
    assert page.facts["verdict"] == line
    # report.md and the index say the same: the headline, and each claim's verdict
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert f"- **verdict**: {line}" in md
    claims = verdicts[verdicts.question == "claim"]
    for _, c in claims.iterrows():
        assert f"- {c.detail}: **{c.verdict}**" in md
    card = json.loads((folder / "verdict.json").read_text(encoding="utf-8"))
    assert card["verdict"] == line
    assert card["claims"] == {"hold": int((claims.verdict == "holds").sum()),
                              "of": len(claims)}
    index = (tmp_path / "index.html").read_text(encoding="utf-8").replace("<br>", " · ")
    assert html.escape(line) in index
    if any(e.estimator.bayesian for e in study.estimators):
        drawn, expected = forest_points(study, folder)
        assert drawn == expected


BAYESIAN = [n for n in BUNDLED if "prior" in n or "sbc" in n]


def test_bayesian_studies_are_bundled():
    for name in BAYESIAN:
        study = load_study(ROOT / "studies" / f"{name}.yaml")
        assert any(e.estimator.bayesian for e in study.estimators), name


def forest_points(study, folder: Path) -> tuple[int, int]:
    """(points the forest draws, points it should draw): every estimand × estimator × n
    shown, failed fits or not (ArviZ skips a failed fit's NaN instead of the row)."""
    import matplotlib.pyplot as plt

    from fisherlab.report import azplots

    df = pd.read_parquet(folder / "estimates.parquet")
    summary = pd.read_csv(folder / "summary.csv")
    drawn = 0
    for estimand in study.estimands:
        fig = azplots.forest_plot(df, summary, study.labels(), estimand)
        drawn += len([c for c in fig.axes[-1].collections if len(c.get_offsets()) == 1
                      and np.all(np.isfinite(np.asarray(c.get_offsets(), float)))])
        plt.close(fig)
    sizes = azplots.pick_sizes(df["n"].unique(), 3)
    return drawn, len(study.estimands) * len(study.estimators) * len(sizes)
