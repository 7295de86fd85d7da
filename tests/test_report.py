"""The study page and the index: every section present, every image embedded and valid,
every link resolving, the readings saying what the tables say."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fisherlab.cli import main
from fisherlab.diagnostics import TABLES
from fisherlab.report.sections import SECTIONS

PNG = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """Collects ids, image sources and links of a page."""

    def __init__(self):
        super().__init__()
        self.ids, self.imgs, self.links = set(), [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag == "a" and "href" in a:
            self.links.append(a["href"])


def parse(path: Path) -> Page:
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    (root / "normal_small.yaml").write_text("""description: Bessel, small
model: {family: normal, params: {mu: 0.0, sigma: [1.0, 3.0]}}
sample_sizes: [5, 20, 100]
replications: 300
seed: 5
estimators: [mle, unbiased, mom]
estimands: [mu, sigma2]
""")
    (root / "uniform_small.yaml").write_text("""description: German tanks, small
model: {family: uniform, params: {lower: 0.0, upper: 1.0}}
sample_sizes: [5, 20, 100]
replications: 300
seed: 6
estimators: [mle, unbiased]
""")
    out = root / "results"
    for name in ("normal_small", "uniform_small"):
        assert main(["run", str(root / f"{name}.yaml"), "--results", str(out)]) == 0
    return out


@pytest.mark.parametrize("study", ["normal_small", "uniform_small"])
def test_page_has_every_section_and_only_embedded_images(results, study):
    folder = results / study
    page = parse(folder / "report.html")
    # every section; calibration only where truths were drawn from a prior, interval
    # methods and optimisers only where a study compares them, the score where the
    # family is regular, claims where the study file states some, far-out estimates
    # where there are some; more measures, paired comparisons and hypothesis tests where
    # the study file lists measures:, sets compare: or lists tests:; what a file of
    # estimates leaves out only on such a page; the nested-loop plot where two parameters
    # vary (here sigma alone, and n)
    assert {s.id for s in SECTIONS} - {"calibration", "claims", "flags", "intervals",
                                       "measures", "optimiser", "paired", "score",
                                       "tails", "tests", "left_out", "nested_loop"} <= page.ids
    assert "left_out" not in page.ids and "nested_loop" not in page.ids
    assert "calibration" not in page.ids and "optimiser" not in page.ids
    assert "measures" not in page.ids and "paired" not in page.ids
    assert ("score" in page.ids) == (study == "normal_small")
    assert len(page.imgs) >= 5
    for src in page.imgs:
        assert src.startswith("data:image/png;base64,"), src[:60]
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG)
    for href in page.links:  # in-page anchors, or files that exist beside the page
        if href.startswith("#"):
            assert href[1:] in page.ids
        else:
            assert (folder / href).resolve().exists(), href
    for name in TABLES:
        assert (folder / f"{name}.csv").exists()
    assert sorted(p.name for p in (folder / "figures").glob("*.png"))


def test_page_reads_the_science(results):
    text = (results / "uniform_small" / "report.html").read_text(encoding="utf-8")
    # the efficiency section and the study box say the same about Fisher information
    assert text.count("no Cramér–Rao bound here (a non-regular family has no Fisher "
                      "information)") == 2
    never = text.split("Rejected at every n: ", 1)[1].split(".", 1)[0]
    assert "mle of upper" in never and "unbiased of lower" in never
    text = (results / "normal_small" / "report.html").read_text(encoding="utf-8")
    assert "mle and mom of sigma2: bias" in text  # identical estimators read once


def test_index_links_every_study_with_a_verdict(results):
    page = parse(results / "index.html")
    assert sorted(page.links) == ["normal_small/report.html", "uniform_small/report.html"]
    for href in page.links:
        assert (results / href).exists()
    v = json.loads((results / "uniform_small" / "verdict.json").read_text())
    index = (results / "index.html").read_text(encoding="utf-8")
    assert all(part in index for part in v["verdict"].split(" · "))  # a line each
    assert v["verdict"].startswith("rate as theory")


def test_prior_drawn_truths_get_a_calibration_section(tmp_path):
    study = tmp_path / "drawn.yaml"
    study.write_text("""description: truths from a prior
model: {family: poisson, params: {lam: {dist: Gamma, alpha: 4, beta: 1}}}
sample_sizes: [10, 40]
replications: 200
seed: 9
estimators: [mle]
""")
    assert main(["run", str(study), "--results", str(tmp_path / "results")]) == 0
    page = parse(tmp_path / "results" / "drawn" / "report.html")
    assert "calibration" in page.ids
    text = (tmp_path / "results" / "drawn" / "report.html").read_text(encoding="utf-8")
    assert 'alt="sbc_lam"' in text and "PIT" in text
    md = (tmp_path / "results" / "drawn" / "report.md").read_text(encoding="utf-8")
    assert "lam (drawn per replicate) — lam ~ Gamma(alpha=4, beta=1)" in md


def test_a_number_beside_its_threshold_shows_the_side_it_is_on():
    """0.01027 against a target of 0.01 is over it: '0.01 > 0.01' would say otherwise."""
    from fisherlab.report.format import fmt_beside, fmt_p
    from fisherlab.report.targets import per_condition

    assert fmt_beside(0.01027, 0.01) == "0.0103" and fmt_beside(0.0099, 0.01) == "0.0099"
    assert fmt_p(0.01019, 0.01) == "0.0102" and fmt_p(0.3) == "0.3"
    table = pd.DataFrame({"true_p": 0.2, "n": 10, "measure": "bias", "mcse": 0.01027,
                          "target_mcse": 0.01, "met": False, "hit_max": True,
                          "replications": 40000}, index=[0])
    assert per_condition(table) == [
        "n = 10: 40,000 replications (stopped at max); bias MCSE 0.0103 > 0.01 not met"]


def test_a_value_is_rounded_where_its_mcse_rounds_to_two_digits():
    """An MCSE that rounds up to a new digit (0.009996 -> 0.010) keeps two digits, and
    the value its decimal place: '0.012 (0.010)', not '0.0120 (0.0100)'."""
    from fisherlab.report.format import fmt_pm

    assert fmt_pm(-0.01196, 0.009996) == "-0.012 (0.010)"
    assert fmt_pm(-0.01196, 0.0095) == "-0.0120 (0.0095)"
    assert fmt_pm(0.5, 0.0999) == "0.50 (0.10)" and fmt_pm(0.5, 0.0123) == "0.500 (0.012)"


def test_an_mcse_of_rounding_alone_is_zero():
    """A value every replicate gives alike (the MAP's model SE at n = 1 of coin_prior,
    the same for k = 0 and 1) has an MCSE of rounding, 2.5e-18, not 0: shown as
    '0.2722 (0)', as an MCSE of exactly 0 is, not rounded to 12 decimals."""
    from fisherlab.report.format import fmt, fmt_pm

    assert fmt_pm(0.2721655270737731, 2.5430985377921735e-18) == "0.2722 (0)"
    assert fmt_pm(0.2721655270737731, 0.0) == "0.2722 (0)"
    assert fmt(0.2721655270737731, 2.5e-18) == "0.2722"
    # a small MCSE that is Monte Carlo's still rounds the value
    assert fmt_pm(0.2721655270737731, 2.5e-7) == "0.27216553 (0.00000025)"


def test_the_forest_marks_the_mean_error_its_caption_names():
    """The forest's point is the mean error (the bias), as its caption says, not the
    median: on errors 0, 0, 0, 0, 10 the point sits at 2."""
    import matplotlib.pyplot as plt

    from fisherlab.report import azplots

    errors = np.array([0.0, 0.0, 0.0, 0.0, 10.0])
    rows = pd.DataFrame({"n": 5, "replicate": np.arange(5), "estimator": "a",
                         "estimand": "p", "true_value": 1.0, "estimate": 1.0 + errors,
                         "se": 0.1, "ci_low": 0.0, "ci_high": 2.0, "converged": True})
    summary = pd.DataFrame({"n": [5], "estimator": ["a"], "estimand": ["p"],
                            "n_failed": [0], "n_rep": [5]})
    fig = azplots.forest_plot(rows, summary, {}, "p")
    points = [np.asarray(c.get_offsets(), float)[0, 0] for c in fig.axes[-1].collections
              if len(c.get_offsets()) == 1]
    plt.close(fig)
    assert azplots.FOREST_POINT == "mean" and points == [errors.mean()]
