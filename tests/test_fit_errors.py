"""`fisherlab fit` refuses data it cannot use, naming the file, the column and the row
(data rows from 1 below the header), with exit status 2 and nothing on stdout."""

from __future__ import annotations

import pandas as pd
import pytest

from fisherlab.cli import app as cli

CASES = [  # (file text, options, what the message must say)
    ("", ["--family", "poisson"], ["the file is empty"]),
    ("calls\n", ["--family", "poisson"], ["no data rows", "calls"]),
    ("calls\n3\n5\nmany\n2\n", ["--family", "poisson"],
     ["column 'calls', row 3", "'many' is not a finite number"]),
    ("calls\n3\n\n5\n", ["--family", "poisson"], ["column 'calls', row 2", "empty"]),
    ("calls\n3\n5\n-2\n", ["--family", "poisson"],
     ["column 'calls', row 3", "-2 is negative", "non-negative integers"]),
    ("calls\n3\n5.5\n", ["--family", "poisson"],
     ["column 'calls', row 2", "5.5 is not an integer"]),
    ("heads\n7\n11\n", ["--family", "binomial", "--fixed", "trials=10"],
     ["column 'heads', row 2", "11 is outside the support of binomial with trials = 10"]),
    ("income,default\n50,1\n80,0\n40,1\n",
     ["--family", "logistic_regression", "--y", "default", "--x", "age"],
     ["column 'age'", "no such column", "income, default"]),
    ("income,default\n50,1\n80,2\n40,1\n",
     ["--family", "logistic_regression", "--y", "default", "--x", "income"],
     ["column 'default', row 2", "2 is outside the support of logistic_regression"]),
    ("a,b\n1,2\n", ["--family", "normal"], ["2 columns (a, b)", "--column"]),
    ("a\n1\n2\n", ["--family", "normal", "--column", "c"], ["column 'c'", "no such column"]),
]


@pytest.mark.parametrize(("text", "options", "said"), CASES,
                         ids=[f"case{i}" for i in range(len(CASES))])
def test_bad_data_is_refused_by_file_column_and_row(tmp_path, capsys, text, options, said):
    f = tmp_path / "data.csv"
    f.write_text(text)
    assert cli.main(["fit", str(f), *options]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"fisherlab: {f}: ")
    for words in said:
        assert words in err, err


def test_a_parquet_file_is_read_and_checked_like_a_csv(tmp_path, capsys):
    f = tmp_path / "calls.parquet"
    pd.DataFrame({"calls": [3.0, 5, -1]}).to_parquet(f)
    assert cli.main(["fit", str(f), "--family", "poisson"]) == 2
    assert "column 'calls', row 3: -1 is negative" in capsys.readouterr().err
    pd.DataFrame({"calls": [3, 5, 2, 8, 4, 6, 3, 5]}).to_parquet(f)
    assert cli.main(["fit", str(f), "--family", "poisson"]) == 0
    assert "\nmle        lam        4.5 " in capsys.readouterr().out


@pytest.mark.parametrize(("args", "said"), [
    (["3", "x", "--family", "poisson"], "command line: 'x' is not a number"),
    (["nofile.csv", "--family", "poisson"], "command line: no file 'nofile.csv'"),
    (["3", "--family", "nosuch"], "key '--family': no family 'nosuch'"),
    (["7", "--family", "binomial"], "binomial needs trials"),
    (["3", "4", "--family", "poisson", "--at", "mu=2"], "'mu' is not a parameter of poisson"),
    (["3", "4", "--family", "poisson", "--at", "lam=-1"], "lam = -1 is outside its domain"),
    (["3", "4", "--family", "poisson", "--prior", "{lam: {dist: Nope}}"], "--prior.lam"),
])
def test_bad_options_are_refused_clearly(capsys, args, said):
    assert cli.main(["fit", *args]) == 2
    assert said in capsys.readouterr().err


def test_blank_lines_at_the_end_are_not_rows(tmp_path, capsys):
    f = tmp_path / "calls.csv"
    f.write_text("calls\n3\n5\n\n\n")
    assert cli.main(["fit", str(f), "--family", "poisson"]) == 0
    assert "n = 2," in capsys.readouterr().out
