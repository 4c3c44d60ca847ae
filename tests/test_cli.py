import json

import numpy as np
import pandas as pd
import pytest

from sksymgrad.cli import main


@pytest.fixture
def csv(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.uniform(-1, 1, (600, 2)), columns=["u", "w"])
    df["label"] = (df.u**2 + df.w**2 > 0.6).astype(int)
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    return path


def test_interpret_happy_path_writes_report_and_plot(csv, tmp_path, capsys):
    report, plot = tmp_path / "r.json", tmp_path / "front.png"
    code = main(
        ["interpret", str(csv), "--target", "label", "--max-time", "10", "--out", str(report), "--plot", str(plot)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "selected formula for neuron output" in out and "u" in out
    payload = json.loads(report.read_text())
    assert set(payload) >= {"formula", "loss", "equations"}
    assert plot.stat().st_size > 5000


@pytest.mark.parametrize(
    "make, args, message",
    [
        (None, ["missing.csv", "--target", "y"], "no such file"),
        ("ok", ["--target", "lable"], "target column 'lable' is not in .* \\(did you mean 'label'\\?\\)"),
        ("text", ["--target", "label"], "non-numeric feature column\\(s\\) \\['kind'\\]"),
        ("nan", ["--target", "label"], "2 NaN/inf value\\(s\\).*'a': 2 rows \\(first row 3\\)"),
        ("ok", ["--target", "label", "--out", "report.txt"], "--out must end in .json or .html"),
        ("ok", ["--target", "label", "--plot", "front.xyz"], "--plot 'front.xyz': matplotlib writes .*png"),
        ("ok", ["--target", "label", "--out", "no/such/folder/r.json"], "--out .* the folder .* does not exist"),
    ],
)
def test_bad_input_is_reported(tmp_path, capsys, make, args, message):
    df = pd.DataFrame({"a": [0.1, 0.2, 0.3, 0.4], "b": [1.0, 2.0, 3.0, 4.0], "label": [0, 1, 0, 1]})
    if make == "text":
        df["kind"] = ["x", "y", "x", "y"]
    if make == "nan":
        df.loc[[1, 2], "a"] = np.nan
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    argv = ["interpret"] + ([str(path)] if make else []) + args
    assert main(argv) == 2
    import re

    assert re.search(message, capsys.readouterr().err)


def test_plot_without_matplotlib_fails_before_training(monkeypatch):
    import importlib.util

    from sksymgrad.cli import CLIError, check_output_paths

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    with pytest.raises(CLIError, match="--plot needs matplotlib: pip install matplotlib"):
        check_output_paths(plot="front.png")
    check_output_paths(out="report.html")  # a report needs nothing more
