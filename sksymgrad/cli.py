"""Command line: ``sksymgrad interpret data.csv --target label`` and ``sksymgrad demo``."""

import argparse
import json
import os
import runpy
import sys
import warnings

import numpy as np
import pandas as pd

__all__ = ["main", "load_table"]


class CLIError(Exception):
    """A problem with the user's input, printed without a traceback."""


def load_table(path, target):
    """Read a CSV and split it into numeric features and the target column.

    Raises :class:`CLIError` naming the problem: a missing file, a missing
    target column, non-numeric feature columns, NaNs (how many, where).
    """
    if not os.path.exists(path):
        raise CLIError(f"no such file: {path!r}")
    try:
        df = pd.read_csv(path)
    except Exception as exc:
        raise CLIError(f"cannot read {path!r} as CSV: {exc}") from exc
    if target not in df.columns:
        from .utils.validation import suggest

        raise CLIError(
            f"target column {target!r} is not in {path!r}{suggest(target, df.columns)}; columns: {list(df.columns)}"
        )
    X = df.drop(columns=[target])
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if text:
        raise CLIError(f"non-numeric feature column(s) {text}: encode them as numbers or drop them")
    missing = X.isna() | ~np.isfinite(X.to_numpy(dtype=float))
    if missing.to_numpy().any():
        where = ", ".join(
            f"{c!r}: {int(n)} rows (first row {int(np.flatnonzero(missing[c])[0]) + 2})"
            for c, n in missing.sum().items()
            if n
        )
        raise CLIError(
            f"{int(missing.to_numpy().sum())} NaN/inf value(s) in the features ({where}); impute or drop those rows"
        )
    y = df[target]
    if y.isna().any():
        raise CLIError(f"the target column {target!r} has {int(y.isna().sum())} missing value(s); drop those rows")
    return X.astype(float), y.to_numpy()


def check_output_paths(out=None, plot=None):
    """Fail before any training on report or plot paths that could not be written at the end."""
    import importlib.util
    import os

    for path, flag in ((out, "--out"), (plot, "--plot")):
        folder = os.path.dirname(os.path.abspath(path)) if path else None
        if folder and not os.path.isdir(folder):
            raise CLIError(f"{flag} {path!r}: the folder {folder!r} does not exist")
    if out and not out.endswith((".json", ".html", ".htm")):
        raise CLIError(f"--out must end in .json or .html, got {out!r}")
    if plot:
        if importlib.util.find_spec("matplotlib") is None:
            raise CLIError("--plot needs matplotlib: pip install matplotlib (or sksymgrad[plot])")
        from matplotlib.figure import Figure

        formats = Figure().canvas.get_supported_filetypes()
        suffix = os.path.splitext(plot)[1].lstrip(".").lower()
        if suffix not in formats:
            raise CLIError(
                f"--plot {plot!r}: matplotlib writes {', '.join(sorted(formats))}; got {suffix or 'no'} suffix"
            )


def _interpret(args):
    from . import GradientSymbolicInterpreter, SiameseEmbedder
    from .interpreter import default_regressor
    from .networks import MLPNet

    check_output_paths(args.out, args.plot)
    X, y = load_table(args.csv, args.target)
    neuron = int(args.neuron) if args.neuron.lstrip("-").isdigit() else args.neuron
    regressor = default_regressor().set_params(max_time=args.max_time, verbose=1)
    if args.kind == "siamese":
        net = SiameseEmbedder(verbose=1)
        neuron = 0 if neuron == "output" else neuron
    else:
        net = MLPNet(task="auto" if args.kind == "auto" else args.kind, verbose=1)
    interp = GradientSymbolicInterpreter(net=net, regressor=regressor, neuron=neuron, random_state=args.seed)
    print(f"training the network on {len(X)} rows x {X.shape[1]} features ...", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        interp.fit(X, y)
    result = interp.neurons_[next(iter(interp.neurons_))]
    inner = interp.net_
    if getattr(inner, "task_", None):
        kind = f"a classifier ({len(inner.classes_)} classes)" if inner.task_ == "classifier" else "a regressor"
        how = "" if args.kind != "auto" else " (chosen from the target; override with --kind)"
        print(f"network: {kind}{how}", file=sys.stderr)
    if interp.network_score_ is not None:
        what = "accuracy" if getattr(inner, "task_", None) == "classifier" else "R^2"
        print(f"network held-out {what}: {interp.network_score_:.3f} (chance {inner.chance_score_:.3f})")
    print(result.regressor.summary())
    print()
    print(f"selected formula for neuron {result.neuron}: {result.expression}")
    print(f"  {result.confidence}")
    if args.out:
        _write_report(args.out, result)
        print(f"report written to {args.out}", file=sys.stderr)
    if args.plot:
        _write_plot(args.plot, result)
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0


def _write_report(path, result):
    table = result.equations.drop(columns=["sympy_format"])
    if path.endswith(".json"):
        payload = {
            "neuron": result.neuron,
            "formula": str(result.expression),
            "loss": result.loss,
            "complexity": result.complexity,
            "n_points": result.n_points,
            "n_networks": result.n_networks,
            "stability": result.stability,
            "noise_level": result.noise_level,
            "equations": table.to_dict(orient="records"),
        }
        with open(path, "w") as fh:
            json.dump(payload, fh, indent=1)
    elif path.endswith((".html", ".htm")):
        with open(path, "w") as fh:
            # MathJax renders the formula where the page can reach it; the plain text is always there.
            fh.write(
                "<html><head><meta charset='utf-8'><script async "
                "src='https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js'></script></head><body>"
                f"<h1>sksymgrad</h1><p><code>{result.expression}</code></p>{result._repr_html_()}</body></html>"
            )
    else:
        raise CLIError(f"--out must end in .json or .html, got {path!r}")


def _write_plot(path, result):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = result.plot()
    ax.figure.tight_layout()
    ax.figure.savefig(path, dpi=120)
    plt.close(ax.figure)


def _demo(args):
    here = os.path.dirname(os.path.abspath(__file__))
    script = os.path.join(os.path.dirname(here), "examples", "quickstart.py")
    if not os.path.exists(script):
        raise CLIError("the demo script examples/quickstart.py ships with the source tree; run from a clone")
    runpy.run_path(script, run_name="__main__")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="sksymgrad", description="Closed-form formulas for neural network neurons.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("interpret", help="train the default network on a CSV and print the neuron's formula")
    p.add_argument("csv", help="CSV file with a header row")
    p.add_argument("--target", required=True, help="label / value / group-id column")
    p.add_argument("--kind", default="auto", choices=["auto", "classifier", "regressor", "siamese"])
    p.add_argument("--neuron", default="output", help="'output', an index, or 'module.name[k]'")
    p.add_argument("--max-time", type=float, default=60.0, help="search budget in seconds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="write a report (.json or .html)")
    p.add_argument("--plot", help="write the Pareto front as a PNG")
    p.set_defaults(run=_interpret)
    d = sub.add_parser("demo", help="run the quickstart example")
    d.set_defaults(run=_demo)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CLIError as exc:
        print(f"sksymgrad: error: {exc}", file=sys.stderr)
        return 2
