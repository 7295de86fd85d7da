"""fisherlab summarise --from: anyone's estimates through the same stages as a study."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fisherlab
from fisherlab.cli.app import main
from fisherlab.core.errors import InputError
from fisherlab.pipeline.fromfile import summarise_file
from fisherlab.pipeline.stages import run
from fisherlab.spec.external import NEEDS_MODEL, Columns
from fisherlab.spec.load import load_study

KEYS = ["true_p", "n", "estimator", "estimand"]


@pytest.fixture(scope="module")
def coin_flips(tmp_path_factory):
    """The bundled coin_flips study run as the workflow does, its rows exported to CSV
    and summarised again from that file."""
    where = tmp_path_factory.mktemp("coin")
    folder = run(load_study("studies/coin_flips.yaml"), where / "results", html_page=False,
                 echo=lambda *_: None)
    rows = pd.read_parquet(folder / "estimates.parquet")
    csv = where / "coin_flips.csv"
    rows.to_csv(csv, index=False)
    cols = Columns(estvarname="estimate", true="true_value", methodvar="estimator", se="se",
                   by=("true_p",), ci_limits=("ci_low", "ci_high"), n="n", param="estimand")
    again = summarise_file(csv, cols, where / "again" / "coin_flips", html_page=False,
                           echo=lambda *_: None)
    return folder, again, rows


def test_a_studys_exported_estimates_give_its_summary(coin_flips):
    folder, again, _ = coin_flips
    want = pd.read_csv(folder / "summary.csv").sort_values(KEYS, ignore_index=True)
    got = pd.read_csv(again / "summary.csv").sort_values(KEYS, ignore_index=True)
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(got[KEYS], want[KEYS])
    num = [c for c in want.columns if c not in KEYS and want[c].dtype.kind == "f"]
    np.testing.assert_allclose(got[num].to_numpy(float), want[num].to_numpy(float),
                               rtol=1e-12, atol=1e-12, equal_nan=True)


def test_the_mcses_are_morris_et_als_table_6(coin_flips):
    """Each MCSE by hand from the replicate rows (Morris, White & Crowther 2019, Table
    6). The empirical SE's is Morris's empSE/sqrt(2(S-1)) times the kurtosis term the
    project adds, sqrt(1 + kappa (S-1) / (2S)) (stats.measures): exactly Morris's when
    the estimates have no excess kurtosis."""
    _, again, rows = coin_flips
    got = pd.read_csv(again / "summary.csv").set_index(KEYS)
    checked = 0
    for key, g in rows[rows["converged"]].groupby(KEYS):
        th, se = g["estimate"].to_numpy(), g["se"].to_numpy()
        truth, S = g["true_value"].iloc[0], len(g)
        row = got.loc[key]
        var = th.var(ddof=1)
        empse = np.sqrt(var)
        mse = np.mean((th - truth) ** 2)
        cover = np.mean((g["ci_low"] <= truth) & (truth <= g["ci_high"]))
        d = th - th.mean()
        kappa = np.mean(d**4) / np.mean(d**2) ** 2 - 3 if var > 0 else 0.0
        modse = np.sqrt(np.mean(se**2))
        assert row["bias_mcse"] == pytest.approx(np.sqrt(var / S), rel=1e-12, abs=1e-15)
        assert row["empse_mcse"] == pytest.approx(
            empse / np.sqrt(2 * (S - 1)) * np.sqrt(1 + kappa * (S - 1) / (2 * S)),
            rel=1e-9, abs=1e-15)
        assert row["mse_mcse"] == pytest.approx(
            np.sqrt(np.sum(((th - truth) ** 2 - mse) ** 2) / (S * (S - 1))),
            rel=1e-9, abs=1e-15)
        assert row["coverage_mcse"] == pytest.approx(np.sqrt(cover * (1 - cover) / S),
                                                     rel=1e-12, abs=1e-15)
        if modse > 0:
            assert row["modelse_mcse"] == pytest.approx(
                np.sqrt((se**2).var(ddof=1) / (4 * S * modse**2)), rel=1e-9, abs=1e-15)
        checked += 1
    assert checked == len(got)


def test_the_diagnostics_that_need_the_model_are_left_out_with_their_reason(coin_flips):
    _, again, _ = coin_flips
    res = fisherlab.open(again)
    assert res.provenance["from"]["left_out"] == NEEDS_MODEL
    for name in NEEDS_MODEL:
        assert res.diagnostics[name].empty
    assert len(res.diagnostics["coverage"]) == len(res.summary)
    assert res.study.family.name == "external"
    assert [e.id for e in res.study.estimators] == ["mle", "mom"]


def misim(seed=1, reps=300):
    """A data frame as rsimsum's MIsim: dataset, method, b, se (true value 0.5)."""
    rng = np.random.default_rng(seed)
    out = []
    for m, sd in (("CC", 0.05), ("MI_T", 0.04), ("MI_LOGT", 0.045)):
        b = 0.5 + rng.normal(0, sd, reps)
        out.append(pd.DataFrame({"dataset": np.arange(1, reps + 1), "method": m, "b": b,
                                 "se": sd * rng.uniform(0.9, 1.1, reps)}))
    return pd.concat(out, ignore_index=True)


def test_an_rsimsum_data_frame_comes_unchanged_and_gets_a_page(tmp_path):
    df = misim()
    df.loc[7, "b"] = np.nan  # a replicate without an estimate: a failed fit, left out
    df.to_csv(tmp_path / "MIsim.csv", index=False)
    code = main(["summarise", "--from", str(tmp_path / "MIsim.csv"), "--estvarname", "b",
                 "--se", "se", "--true", "0.5", "--methodvar", "method",
                 "--out", str(tmp_path / "res" / "MIsim")])
    assert code == 0
    res = fisherlab.open(tmp_path / "res" / "MIsim")
    s = res.summary.set_index("estimator")
    for m, g in df.groupby("method"):
        b = g["b"].dropna().to_numpy()
        assert s.loc[m, "n_rep"] == len(g) and s.loc[m, "n_failed"] == len(g) - len(b)
        assert s.loc[m, "bias"] == pytest.approx(b.mean() - 0.5, rel=1e-12)
        assert s.loc[m, "empse"] == pytest.approx(b.std(ddof=1), rel=1e-12)
        # no interval columns: rsimsum's Wald interval b ± z·se
        se = g.loc[g["b"].notna(), "se"].to_numpy()
        z = 1.959963984540054
        assert s.loc[m, "coverage"] == np.mean(np.abs(b - 0.5) <= z * se)
    page = (tmp_path / "res" / "MIsim" / "report.html").read_text()
    assert "Read from a file" in page and "Cramér–Rao bound needs" in page
    assert res.estimate_rows == len(df)


@pytest.mark.parametrize("change, args, message", [
    (lambda d: d.drop(columns="se"), [], "no column 'se' (--se); its columns are: "
     "dataset, method, b"),
    (lambda d: d.assign(b=d["b"].astype(object).where(d.index != 4, "oops")), [],
     "column 'b' (--estvarname), row 5 (line 6): is 'oops', not a number"),
    (lambda d: d.assign(t=np.where(d.index == 9, 0.6, 0.5)), ["--true", "t"],
     "column 't' (--true), row 10 (line 11): the truth changes within a condition"),
    (lambda d: d.assign(size=np.where(d.index == 2, 2.5, 10)), ["--n", "size"],
     "column 'size' (--n), row 3 (line 4): 2.5 is not a sample size"),
])
def test_bad_input_names_the_file_the_column_and_the_row(tmp_path, capsys, change, args,
                                                         message):
    path = tmp_path / "bad.csv"
    change(misim(reps=5)).to_csv(path, index=False)
    argv = ["summarise", "--from", str(path), "--estvarname", "b", "--se", "se",
            "--true", "0.5", "--methodvar", "method", "--out", str(tmp_path / "r"), *args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{path}: {message}" in err
    assert not (tmp_path / "r" / "summary.csv").exists()


def test_a_parquet_file_reads_as_the_csv(tmp_path):
    df = misim(reps=100)
    df.to_parquet(tmp_path / "m.parquet")
    with pytest.raises(InputError, match=r"row 3: is 'x'"):
        # a Parquet column holds one type: numbers written as text, one of them not one
        bad = df.assign(b=df["b"].astype(str).where(df.index != 2, "x"))
        bad.to_parquet(tmp_path / "bad.parquet")
        summarise_file(tmp_path / "bad.parquet", Columns("b", 0.5, "method"), tmp_path / "x",
                       html_page=False, echo=lambda *_: None)
    out = summarise_file(tmp_path / "m.parquet", Columns("b", 0.5, "method", se="se"),
                         tmp_path / "res" / "m", html_page=False, echo=lambda *_: None)
    s = pd.read_csv(out / "summary.csv").set_index("estimator")
    assert s.loc["CC", "mean"] == pytest.approx(df.loc[df["method"] == "CC", "b"].mean(),
                                                rel=1e-12)


def test_summarise_says_what_it_needs(tmp_path, capsys):
    assert main(["summarise"]) == 2
    assert "needs --from FILE, or the stage's --study, --dir and --out" in capsys.readouterr().err
    assert main(["summarise", "--from", str(tmp_path / "x.csv"), "--true", "0"]) == 2
    assert "--from needs --estvarname (the estimate's column)" in capsys.readouterr().err
    assert main(["summarise", "--from", str(tmp_path / "x.csv"), "--true", "0",
                 "--estvarname", "b"]) == 2
    assert f"{tmp_path / 'x.csv'}: no such file" in capsys.readouterr().err
