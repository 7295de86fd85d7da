"""The protocol (ADEMP) of every bundled study, from its file alone: each heading
answered with what the file says (fisherlab.report.protocol, ``fisherlab protocol``)."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from fisherlab.cli.app import main
from fisherlab.core.priors import Prior
from fisherlab.report import protocol
from fisherlab.spec.load import load_study

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted(p.stem for p in (ROOT / "studies").glob("*.yaml"))


@pytest.fixture
def in_project(monkeypatch):
    monkeypatch.chdir(ROOT)  # python: families are imported from the project folder
    monkeypatch.syspath_prepend(str(ROOT))


def sections(md: str) -> dict[str, str]:
    """``### heading`` -> its text, from the Markdown."""
    parts = re.split(r"^#{2,3} (.+)$", md, flags=re.M)
    return {h.strip(): body.strip() for h, body in zip(parts[1::2], parts[2::2], strict=True)}


@pytest.mark.parametrize("name", BUNDLED)
def test_every_heading_is_answered_from_the_study_file(name, in_project, tmp_path):
    study = load_study(ROOT / "studies" / f"{name}.yaml")
    out = tmp_path / "protocol.md"  # no results folder anywhere: the file alone
    assert main(["protocol", name, "--out", str(out)]) == 0
    md = out.read_text(encoding="utf-8")
    got = sections(md)
    assert md.startswith(f"# {study.name}: protocol (ADEMP)\n")
    assert list(got) == list(protocol.HEADINGS), list(got)
    for heading in protocol.HEADINGS:
        assert got[heading].count("- **") >= 1, (heading, got[heading])
    aims, dgm, estimands, methods, measures = (got[h] for h in protocol.HEADINGS)
    assert study.description.strip() in aims
    for c in study.claims:
        assert c.text in aims
    assert ", ".join(map(str, study.sample_sizes)) in dgm
    if study.targets is None:
        assert f"{study.replications:,} replications per condition × n" in dgm
        # why that many: the MCSE of a coverage at the nominal level, √(L(1 − L)/R)
        mcse = math.sqrt(study.level * (1 - study.level) / study.replications)
        assert f"Monte Carlo SE of about {mcse:.2g}" in dgm
    else:
        for m, v in study.targets.mcse.items():
            assert f"{m} ≤ {v:g}" in dgm
        assert f"at most {study.targets.max:,}" in dgm
    for k, values in study.params.items():
        for v in values:
            assert (str(v) if isinstance(v, Prior) else f"{v:g}") in dgm, (k, v)
    for e in study.estimands:
        line = next(ln for ln in estimands.splitlines() if ln.startswith(f"- **{e}**"))
        assert "true value" in line or "drawn from" in line, line
    for e in study.estimators:
        line = next(ln for ln in methods.splitlines() if ln.startswith(f"- **{e.label}**"))
        assert f"{study.level:.0%} intervals: " in line, line
    for label in ("bias", "emp. SE", "coverage", "model SE"):
        assert re.search(rf"^- \*\*{re.escape(label)}\*\*: .+; Monte Carlo SE \S", measures,
                         flags=re.M), label
    # no JSON or Python dicts in the words people read
    assert not re.search(r"[{\[]['\"]|': |\"\w+\":", md), md


def test_true_values_are_the_family_s(in_project):
    """A derived estimand's truth per condition: sigma2 = sigma² for each sigma."""
    study = load_study(ROOT / "studies" / "normal_bessel.yaml")
    text = protocol.truths(study, "sigma2")
    for s in study.params["sigma"]:
        assert f"{s**2:g} (sigma = {s:g})" in text
    assert protocol.truths(study, "mu") == f"true value {study.params['mu'][0]:g} in every " \
                                           "condition"


def test_drawn_truths_say_their_prior(in_project):
    study = next(s for s in (load_study(p) for p in sorted((ROOT / "studies").glob("*.yaml")))
                 if any(isinstance(v[0], Prior) for v in s.params.values()))
    drawn = next(k for k, v in study.params.items() if isinstance(v[0], Prior))
    assert f"drawn from {drawn} ~ {study.params[drawn][0]}" in protocol.truths(study, drawn)


def test_the_study_s_own_measures_are_listed(in_project):
    study = load_study(ROOT / "studies" / "normal_bessel.yaml")
    study.measures = (SimpleNamespace(name="mad", label="median abs. error",
                                      args={"scale": 1.4826}),)
    items = dict(protocol.protocol(study))["Performance measures"]
    own = next(i for i in items if i.term == "median abs. error")
    assert "mad (scale 1.4826)" in own.text and "Monte Carlo SE" in own.text


class Page(HTMLParser):
    """The page fragment's terms (dt), design facts and quoted study words."""

    def __init__(self):
        super().__init__()
        self.dt, self.design, self.quoted, self._in = [], [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self._in = ("dt" if tag == "dt" else "design" if a.get("data-fact") == "design"
                    else "quoted" if a.get("class") == "lede" else None)

    def handle_data(self, data):
        if self._in:
            getattr(self, self._in).append(data)

    def handle_endtag(self, tag):
        self._in = None


def test_page_fragment_renders_the_same_content(in_project):
    study = load_study(ROOT / "studies" / "normal_bessel.yaml")
    page = Page()
    page.feed(protocol.html(study))
    assert page.dt == list(protocol.HEADINGS)
    mcse = math.sqrt(study.level * (1 - study.level) / study.replications)
    assert page.design == [f"{mcse:.2g}"]  # the one number it computes, marked
    # the page prints the description under its title: the aim points there, once
    assert page.quoted == []
    assert "the study's description, under its title" in protocol.html(study)
    assert study.description.strip() in protocol.markdown(study)


def test_a_fitted_model_gives_pseudo_true_values_and_both_models(in_project):
    """Under fit_model the estimand is the fitted family's pseudo-true value (a Poisson
    fitted to negative-binomial counts: lambda* = E[X] = r (1 - p) / p = 10)."""
    study = load_study(ROOT / "studies" / "poisson_overdispersed.yaml")
    text = protocol.markdown(study)
    assert "**data drawn from**: negative_binomial" in text
    assert "**model fitted**: poisson" in text
    lam = dict(protocol.protocol(study))["Estimands"][0]
    assert lam.term == "lam" and "pseudo-true value" in lam.text
    assert " 10 in every condition" in lam.text and "drawn from" not in lam.text
