"""The score at the truth (Bartlett identities), the likelihood explorer's table, and the
efficiency of a scipy.<name> family against its numerically integrated information."""

import numpy as np
import pandas as pd
import pytest

from fisherlab.diagnostics._data import datasets
from fisherlab.diagnostics.efficiency import efficiency
from fisherlab.diagnostics.likelihood import likelihood
from fisherlab.diagnostics.score import ANALYTIC, NUMERICAL, score
from fisherlab.run.simulate import run_chunk
from fisherlab.spec.load import load_study
from fisherlab.spec.study import Condition

from .conftest import judged


def _run(write_study, text, chunk=500):
    study = load_study(write_study(text))
    return study, pd.concat([run_chunk(study, ch) for ch in study.chunks(chunk)],
                            ignore_index=True)


NORMAL = """description: the normal mean and sd
model: {family: normal, params: {mu: 5.0, sigma: 2.0}}
sample_sizes: [10, 100]
replications: 2000
seed: 3
estimators: [mle]
interval: {method: [wald, likelihood_ratio]}
"""


@pytest.fixture(scope="module")
def normal(tmp_path_factory):
    path = tmp_path_factory.mktemp("normal") / "normal.yaml"
    path.write_text(NORMAL)
    study = load_study(path)
    return study, pd.concat([run_chunk(study, ch) for ch in study.chunks(500)],
                            ignore_index=True)


def test_the_diagnostics_redraw_exactly_the_estimators_datasets(normal):
    study, df = normal
    cond = Condition({"mu": 5.0, "sigma": 2.0}, 10)
    xbar = np.concatenate([x.mean(axis=1) for _, _, x in datasets(study, cond, batch=300)])
    fit = df[(df.n == 10) & (df.estimator == "mle[wald]") & (df.estimand == "mu")]
    assert np.array_equal(fit.sort_values("replicate")["estimate"].to_numpy(), xbar)


def test_score_at_the_truth_has_mean_zero_and_variance_n_information(normal):
    study, df = normal
    t = score(df, study)
    assert len(t) == 4  # n × parameter
    assert (np.abs(t["mean_score"]) < 4 * t["mean_score_mcse"]).all()
    assert (np.abs(t["var_ratio"] - 1) < 4 * t["var_ratio_mcse"]).all()
    assert set(judged("score mean", t)["verdict"]) == {"zero"} and t["n_info"].tolist() == [
        10 * 0.25, 10 * 0.5, 100 * 0.25, 100 * 0.5]  # n / sigma^2, 2n / sigma^2
    assert set(t["score_source"]) == {ANALYTIC}  # Normal.score (the numerical one: gumbel)


def test_score_diagnostic_sees_a_wrong_information(normal, monkeypatch):
    """A family claiming twice its information fails the variance identity: the check
    can fail."""
    study, df = normal
    fam = study.family
    real = type(fam).fisher_information
    monkeypatch.setattr(type(fam), "fisher_information", lambda self, th: 2 * real(self, th))
    t = score(df, study)
    assert (judged("score variance", t)["verdict"] == "differs").all()
    assert (np.abs(t["var_ratio"] - 0.5) < 4 * t["var_ratio_mcse"]).all()


def test_likelihood_table_peaks_at_the_mle_and_crosses_the_cutoff_at_the_lr_ends(normal):
    study, df = normal
    t = likelihood(df, study)
    assert set(t["parameter"]) == {"mu", "sigma"} and set(t["n"]) == {10, 100}
    infos = {}
    for (name, n, rep), g in t.groupby(["parameter", "n", "replicate"]):
        g = g.sort_values("point")
        th, rel = g["theta"].to_numpy(), g["rel_loglik"].to_numpy()
        first = g.iloc[0]
        assert rel.max() <= 1e-9  # no point of the profile is above the peak
        # the MLE is a point of the curve, where l - l(MLE) is exactly 0
        assert list(rel[th == first.mle]) == [0.0]
        # sigma's grid stops half-way from its lowest mark to 0, where l = -inf: every
        # l is a finite number (at sigma = 1e-9 it was -1e18)
        assert np.isfinite(g["loglik"]).all() and rel.min() > -1e4
        if name == "sigma":
            lows = t.loc[t.parameter == "sigma", ["lr_low", "wald_low", "truth", "mle"]]
            assert th.min() == pytest.approx(0.5 * lows.to_numpy().min(), rel=1e-12)
        # the curve crosses the cutoff between the grid points around each LR end
        inside = rel >= first.cutoff
        assert np.all(inside == ((th >= first.lr_low) & (th <= first.lr_high))), (name, n)
        sc = g["score"].to_numpy()
        assert (sc[th < first.mle - 1e-6 * abs(first.mle)] > 0).all()
        assert (sc[th > first.mle + 1e-6 * abs(first.mle)] < 0).all()
        # the tabulated curvature at the peak is the observed information of the fit
        i = np.interp(first.mle, th, g["information"].to_numpy())
        assert i == pytest.approx(first.mle_information, rel=1e-2)  # grid differences
        infos[(name, n, rep)] = first.mle_information
        # the fit's own estimate: the same replicate's mle in the estimates
        est = df[(df.n == n) & (df.replicate == rep) & (df.estimand == name)
                 & (df.estimator == "mle[wald]")]["estimate"].iloc[0]
        assert first.mle == pytest.approx(est, rel=1e-12)
    for name in ("mu", "sigma"):
        assert infos[(name, 100, 0)] > 5 * infos[(name, 10, 0)]  # about 10 times


def test_the_reading_says_the_curves_peak_at_the_mle_only_where_the_table_shows_it(normal):
    """"Peaks at the MLE, where the score is zero" is read off the curves' points and
    marks: a curve with a point above its value at the MLE (a mixture's, whose likelihood
    has several maxima and grows without bound) is counted and its highest point cited;
    a curve whose MLE is an end of the parameter's range (p = 0 from a sample without
    successes) rises to it, with a score that is not zero and an infinite information,
    and is left out of the curvature's comparison across n."""
    from types import SimpleNamespace

    from fisherlab.report.sections.likelihood import reading

    study, df = normal
    t = likelihood(df, study)
    text = reading(SimpleNamespace(tables={"likelihood": t}, study=study))
    assert text.count("peaks at the MLE, where the score is zero.") == 2
    assert "rises" not in text and "end of the range" not in text
    # one of sigma's four curves (n = 100, replicate 0) lifted 2.5 above its MLE value
    lifted = t.copy()
    curve = lifted.index[(lifted.parameter == "sigma") & (lifted.n == 100)
                         & (lifted.replicate == 0)]
    at = curve[len(curve) // 4]
    lifted.loc[at, "rel_loglik"] = 2.5
    text = reading(SimpleNamespace(tables={"likelihood": lifted}, study=study))
    assert "mu peaks at the MLE, where the score is zero. Its curvature" in text
    assert ("sigma peaks at the MLE, where the score is zero, on 3 of 4 curves. It rises "
            "above its value at the MLE on 1 of 4 curves (n = 100 replicate 0;") in text
    assert f'data-r="{at}" data-c="rel_loglik">2.5<' in text
    assert "not its highest point" in text
    # sigma's two curves at n = 10 with their MLE at 0, the end of its range
    edged = t.copy()
    small = (edged.parameter == "sigma") & (edged.n == 10)
    edged.loc[small, ["mle", "mle_information"]] = [0.0, np.inf]
    text = reading(SimpleNamespace(tables={"likelihood": edged}, study=study))
    first, second = edged[small].groupby("replicate").head(1).index
    assert ("sigma peaks at the MLE, where the score is zero, on 2 of 4 curves. On 2 of 4 "
            "curves the MLE of sigma is an end of its range "
            f'(<span data-t="likelihood" data-r="{first}" data-c="mle">0</span> at n = 10 '
            f'replicate 0, <span data-t="likelihood" data-r="{second}" data-c="mle">0</span> '
            "at n = 10 replicate 1), to which the profile log-likelihood rises") in text
    # the curvature compared across n from the curves with a finite one: n = 100's only
    big = edged[(edged.parameter == "sigma") & (edged.n == 100)].index[0]
    assert (f'is <span data-t="likelihood" data-r="{big}" data-c="mle_information">'
            in text.split("is an end of its range")[1])
    assert "not its highest point" not in text


GUMBEL = """description: Gumbel maxima
model: {family: scipy.gumbel_r, params: {loc: 10.0, scale: 2.0}}
sample_sizes: [1000]
replications: 400
seed: 8
estimators: [mle]
"""


def test_scipy_family_efficiency_tends_to_the_bound(write_study):
    study, df = _run(write_study, GUMBEL, chunk=400)
    eff = efficiency(df, study)
    assert set(eff["crlb_source"]) == {"numerical integration (tanh-sinh)"}
    assert (np.abs(eff["var_ratio"] - 1) < 4 * eff["var_ratio_mcse"]).all(), eff
    assert (judged("efficiency", eff)["verdict"] == "at the bound").all()
    t = score(df, study)
    assert set(t["score_source"]) == {NUMERICAL}
    assert (np.abs(t["var_ratio"] - 1) < 4 * t["var_ratio_mcse"]).all()
