"""The benchmark runner: ``python -m sksymgrad.benchmarks``.

Modes:

* ``exact`` -- the engine alone on the concept's analytic gradients;
* ``noisy`` -- the same with 5 % Gaussian noise on the unit directions;
* ``network`` -- the real pipeline: train the default network (classifier
  tasks) or a :class:`~sksymgrad.networks.SiameseEmbedder` (latent tasks),
  interpret the neuron; classifier tasks also run the naive baseline,
  ordinary symbolic regression of the neuron's values.

Recovery is judged by :func:`~sksymgrad.benchmarks.criteria.recovered`:
uniform points for the analytic modes and latent tasks, points on the
decision surface for single-threshold classifiers (the only surface their
labels determine).
"""

import argparse
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd

from .criteria import recovered
from .generators import make_task_data
from .tasks import get_task, list_tasks

__all__ = ["run_task", "run_benchmark", "main"]

NOISE = 0.05


def _regressor(budget, random_state, **kw):
    from ..regressor import SymbolicGradientRegressor

    return SymbolicGradientRegressor(max_time=budget, random_state=random_state, **kw)


def run_task(task, mode="exact", budget=60.0, seed=0, n_points=1000, n_samples=2000):
    """Run one task in one mode; returns a dict row of the results table."""
    task = get_task(task)
    row = {"task": task.name, "kind": task.kind, "mode": mode, "concept": task.concept}
    start = time.perf_counter()
    if mode in ("exact", "noisy"):
        rng = np.random.default_rng(seed)
        X = task.sample(n_points, rng)
        G = task.gradients(X)
        G = G / np.linalg.norm(G, axis=1, keepdims=True)
        if mode == "noisy":
            G = G + NOISE * rng.normal(size=G.shape)
        reg = _regressor(budget, seed).fit(pd.DataFrame(X, columns=task.variables), G)
        expr, level, tol = reg.sympy(), None, (1e-8 if mode == "exact" else 1e-4)
        row["seconds"] = time.perf_counter() - start
    elif mode == "network":
        from ..interpreter import GradientSymbolicInterpreter, default_regressor
        from ..networks import SiameseEmbedder

        X, y, level = make_task_data(task, n_samples=n_samples, random_state=seed)
        regressor = default_regressor().set_params(max_time=budget)
        if task.kind == "latent":
            interp = GradientSymbolicInterpreter(
                net=SiameseEmbedder(), neuron=0, regressor=regressor, random_state=seed
            )
        else:
            interp = GradientSymbolicInterpreter(regressor=regressor, random_state=seed)
        interp.fit(X, y)
        expr, tol = interp.sympy(), 1e-4
        row["seconds"] = time.perf_counter() - start
        if task.kind == "classifier":
            row["network_accuracy"] = float(interp.net_.score(X.to_numpy(np.float32), y))
            row.update(_naive_baseline(interp, task, level, budget, seed))
    else:
        raise ValueError(f"mode must be 'exact', 'noisy' or 'network', got {mode!r}")
    check = recovered(expr, task.expression, task.domain, level=level, tol=tol)
    row.update(
        recovered=bool(check),
        expression=str(expr),
        q99_error=check.quantile_error,
        mean_error=check.mean_error,
    )
    return row


def _naive_baseline(interp, task, level, budget, seed):
    """Ordinary symbolic regression of the neuron's values on the same points."""
    from ..neurons import neuron_gradients

    values, _ = neuron_gradients(interp.module_, interp.points_, "output")
    reg = _regressor(budget, seed).fit(pd.DataFrame(interp.points_, columns=task.variables), values)
    check = recovered(reg.sympy(), task.expression, task.domain, level=level)
    return {"naive_recovered": bool(check), "naive_expression": str(reg.sympy())}


def run_benchmark(tasks=None, modes=("exact",), budget=60.0, seed=0, progress=True):
    """Run tasks x modes; returns the results DataFrame.

    Parameters
    ----------
    tasks : list of str or None
        ``None`` means every registered task.
    modes : sequence of {'exact', 'noisy', 'network'}
    budget : float
        Search ``max_time`` per task, seconds.
    seed : int
    progress : bool
        A progress bar over the runs (tqdm, on stderr).
    """
    from tqdm.auto import tqdm

    names = list_tasks() if not tasks else [get_task(t).name for t in tasks]
    runs = [(m, t) for m in modes for t in names]
    rows = []
    bar = tqdm(runs, disable=not progress, file=sys.stderr, desc="benchmark")
    for mode, name in bar:
        bar.set_postfix_str(f"{mode}: {name}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                rows.append(run_task(name, mode, budget=budget, seed=seed))
            except Exception as exc:  # a failed run is a result, not a crash of the suite
                rows.append({"task": name, "mode": mode, "recovered": False, "expression": f"error: {exc!r}"})
    return pd.DataFrame(rows)


def format_table(df):
    """Markdown table of the results plus a summary line per mode."""
    cols = [
        c
        for c in (
            "task",
            "mode",
            "recovered",
            "expression",
            "q99_error",
            "seconds",
            "network_accuracy",
            "naive_recovered",
            "naive_expression",
        )
        if c in df
    ]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r.get(c)
            if isinstance(v, float):
                v = (
                    ""
                    if np.isnan(v)
                    else (f"{v:.1f}" if c == "seconds" else f"{v:.3f}" if c == "network_accuracy" else f"{v:.1e}")
                )
            elif isinstance(v, (bool, np.bool_)):
                v = "yes" if v else "no"
            elif c in ("expression", "naive_expression") and v is not None:
                v = f"`{v}`"
            cells.append("" if v is None else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for mode, part in df.groupby("mode", sort=False):
        lines.append(summary_line(part, mode))
    return "\n".join(lines)


def summary_line(df, mode):
    secs = df["seconds"].dropna() if "seconds" in df else pd.Series(dtype=float)
    n_ok = int(df["recovered"].sum())
    text = f"{mode}: {n_ok}/{len(df)} recovered, median {secs.median():.2f} s, max {secs.max():.2f} s"
    if "naive_recovered" in df and df["naive_recovered"].notna().any():
        naive = df["naive_recovered"].dropna()
        text += f"; naive value regression {int(naive.sum())}/{len(naive)}"
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sksymgrad.benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="*", help="task names (default: all)")
    parser.add_argument("--mode", nargs="*", default=["exact"], choices=["exact", "noisy", "network"])
    parser.add_argument("--budget", type=float, default=60.0, help="search max_time per task (s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    parser.add_argument("--markdown", help="also write the table as Markdown to this file")
    args = parser.parse_args(argv)
    df = run_benchmark(args.tasks, args.mode, budget=args.budget, seed=args.seed)
    table = format_table(df)
    print(table)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(df.to_dict(orient="records"), fh, indent=1, default=str)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(table + "\n")
    return 0 if df["recovered"].all() else 1
