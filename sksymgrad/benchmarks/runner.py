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

from ..regressor import _STRATEGIES, SymbolicGradientRegressor
from .criteria import recovered
from .generators import make_task_data
from .tasks import get_task, list_suites, list_tasks

__all__ = ["run_task", "run_benchmark", "main"]

NOISE = 0.05


def _regressor(budget, random_state, **kw):
    return SymbolicGradientRegressor(max_time=budget, random_state=random_state, **kw)


def run_task(task, mode="exact", budget=60.0, seed=0, n_points=1000, n_samples=2000, strategies=None):
    """Run one task in one mode; returns a dict row of the results table.

    ``strategies`` (``None``: the regressor's default) sets the search's
    strategies in every mode, the naive baseline's included.
    """
    task = get_task(task)
    options = {} if strategies is None else {"strategies": tuple(strategies)}
    row = {"task": task.name, "kind": task.kind, "mode": mode, "concept": task.concept}
    start = time.perf_counter()
    if mode in ("exact", "noisy"):
        rng = np.random.default_rng(seed)
        X = task.sample(n_points, rng)
        G = task.gradients(X)
        G = G / np.linalg.norm(G, axis=1, keepdims=True)
        if mode == "noisy":
            G = G + NOISE * rng.normal(size=G.shape)
        reg = _regressor(budget, seed, **options).fit(pd.DataFrame(X, columns=task.variables), G)
        expr, level, tol = reg.sympy(), None, (1e-8 if mode == "exact" else 1e-4)
        row["seconds"] = time.perf_counter() - start
        row.update(_search_effort(reg))
    elif mode == "network":
        from ..interpreter import GradientSymbolicInterpreter, default_regressor
        from ..networks import SiameseEmbedder

        X, y, level = make_task_data(task, n_samples=n_samples, random_state=seed)
        regressor = default_regressor().set_params(max_time=budget, **options)
        if task.kind == "latent":
            interp = GradientSymbolicInterpreter(
                net=SiameseEmbedder(), neuron=0, regressor=regressor, random_state=seed
            )
        else:
            interp = GradientSymbolicInterpreter(regressor=regressor, random_state=seed)
        interp.fit(X, y)
        expr, tol = interp.sympy(), 1e-4
        row["seconds"] = time.perf_counter() - start
        row.update(_search_effort(interp.interpret().regressor))
        if task.kind == "classifier":
            row["network_accuracy"] = float(interp.net_.score(X.to_numpy(np.float32), y))
            row.update(_naive_baseline(interp, task, level, budget, seed, options))
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


def _search_effort(reg):
    """The search's share of a run's seconds, and whether ``max_time`` cut it short.

    A run stopped by the budget depends on the machine's speed; the rest
    (training, gradients) is ``seconds - search_seconds``.
    """
    return {"search_seconds": float(sum(h["seconds"] for h in reg.history_)), "timed_out": bool(reg.timed_out_)}


def _naive_baseline(interp, task, level, budget, seed, options):
    """Ordinary symbolic regression of the neuron's values on the same points."""
    from ..neurons import neuron_gradients

    values, _ = neuron_gradients(interp.module_, interp.points_, "output")
    reg = _regressor(budget, seed, **options).fit(pd.DataFrame(interp.points_, columns=task.variables), values)
    check = recovered(reg.sympy(), task.expression, task.domain, level=level)
    return {"naive_recovered": bool(check), "naive_expression": str(reg.sympy())}


def _quietly(run, failed_row, n_threads=None):
    """``run()`` as a table row, warnings silenced; a failure is a row too (``failed_row`` plus the error).

    ``n_threads`` holds torch to that many threads (parallel runs: one each, or
    small nets lose to contention); the caller's process keeps its own setting.
    """
    import torch

    threads = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(n_threads)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return run()
    except Exception as exc:  # a failed run is a result, not a crash of the suite
        return dict(failed_row, recovered=False, expression=f"error: {exc!r}")
    finally:
        torch.set_num_threads(threads)


def _run_quietly(name, mode, budget, seed, n_samples, n_points, strategies=None, n_threads=None):
    row = _quietly(
        lambda: run_task(
            name, mode, budget=budget, seed=seed, n_points=n_points, n_samples=n_samples, strategies=strategies
        ),
        {"task": name, "mode": mode},
        n_threads,
    )
    row.update(seed=seed, n_samples=n_samples)
    return row


def _run_system_quietly(name, budget, seed, n_groups, n_threads=None):
    from .latent_paper import get_system, run_system

    row = _quietly(
        lambda: run_system(name, seed=seed, n_groups=n_groups, budget=budget),
        {"task": name, "mode": "latent", "seed": seed},
        n_threads,
    )
    row["concept"] = "; ".join(get_system(name).invariants)
    return row


def run_latent_paper(systems=None, budget=30.0, seeds=(0,), n_groups=300, n_jobs=1, progress=True):
    """The latent-space paper's systems (:mod:`.latent_paper`) x seeds; returns the results DataFrame."""
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    from .latent_paper import SYSTEMS

    names = systems or [s.name for s in SYSTEMS]
    runs = [(s, name) for s in seeds for name in names]
    n_threads = 1 if n_jobs != 1 else None
    jobs = (delayed(_run_system_quietly)(name, budget, s, n_groups, n_threads) for s, name in runs)
    bar = tqdm(total=len(runs), disable=not progress, file=sys.stderr, desc="latent-paper")
    rows = []
    for row in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
        rows.append(row)
        bar.set_postfix_str(row["task"])
        bar.update(1)
    bar.close()
    return pd.DataFrame(rows)


def run_benchmark(
    tasks=None,
    modes=("exact",),
    budget=60.0,
    seeds=(0,),
    suite="public",
    n_samples=2000,
    n_points=1000,
    n_jobs=1,
    progress=True,
    strategies=None,
):
    """Run tasks x modes x seeds; returns the results DataFrame.

    Parameters
    ----------
    tasks : list of str or None
        ``None`` means every task of ``suite``.
    modes : sequence of {'exact', 'noisy', 'network'}
    budget : float
        Search ``max_time`` per task, seconds.
    seeds : sequence of int
        Each seed draws other data, trains other networks and seeds the search.
    suite : str or None, default='public'
        ``'public'`` (the package's 12 tasks), ``'feynman'`` (the AI Feynman
        "I." table) or ``None`` (all registered tasks).
    n_samples : int, default=2000
        Training samples of the network (``network`` mode).
    n_points : int, default=1000
        Points of the analytic modes.
    n_jobs : int, default=1
        Runs in parallel processes (joblib); each uses one torch thread.
    progress : bool
        A progress bar over the runs (tqdm, on stderr).
    strategies : sequence of str or None
        The search's ``strategies`` (``None``: the regressor's default), e.g.
        ``("linear", "ratio", "evolution")`` to measure the search without
        the label search.
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    if isinstance(seeds, int):
        seeds = (seeds,)
    names = list_tasks(suite=suite) if not tasks else [get_task(t).name for t in tasks]
    runs = [(m, s, t) for m in modes for s in seeds for t in names]
    n_threads = 1 if n_jobs != 1 else None
    jobs = (delayed(_run_quietly)(t, m, budget, s, n_samples, n_points, strategies, n_threads) for m, s, t in runs)
    bar = tqdm(total=len(runs), disable=not progress, file=sys.stderr, desc="benchmark")
    rows = []
    for row in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
        rows.append(row)
        bar.set_postfix_str(f"{row['mode']}: {row['task']}")
        bar.update(1)
    bar.close()
    return pd.DataFrame(rows)


def format_seed_matrix(df):
    """Markdown table: one row per task and mode, one column per seed (and the naive baseline's).

    ``yes``/``no`` per run, so that rates over seeds can be read task by task.
    """
    if "seed" not in df or df["seed"].nunique() < 2:
        return ""
    seeds = sorted(df["seed"].unique())
    naive = "naive_recovered" in df and df["naive_recovered"].notna().any()
    head = ["task", "mode", "concept"] + [f"seed {s}" for s in seeds] + ([f"naive {s}" for s in seeds] if naive else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    yes = lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else ("yes" if v else "no")  # noqa: E731
    for (mode, task), part in df.groupby(["mode", "task"], sort=False):
        by_seed = part.set_index("seed")
        cells = [task, mode, f"`{part['concept'].iloc[0]}`" if "concept" in part else ""]
        cells += [yes(by_seed["recovered"].get(s)) for s in seeds]
        if naive:
            cells += [yes(by_seed["naive_recovered"].get(s)) for s in seeds]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_table(df):
    """Markdown table of the results plus a summary line per mode."""
    cols = [
        c
        for c in (
            "task",
            "mode",
            "seed",
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
    """``mode: k/n recovered ...``; with several seeds, the count per seed and its mean and spread."""
    secs = df["seconds"].dropna() if "seconds" in df else pd.Series(dtype=float)
    text = f"{mode}: {_rate(df, 'recovered')}, median {secs.median():.2f} s, max {secs.max():.2f} s"
    if "timed_out" in df and df["timed_out"].notna().any():
        text += f"; {int(df['timed_out'].eq(True).sum())} search(es) stopped at the budget"
    if "naive_recovered" in df and df["naive_recovered"].notna().any():
        text += f"; naive value regression {_rate(df[df['naive_recovered'].notna()], 'naive_recovered')}"
    return text


def _rate(df, column):
    ok = df[column].astype(bool)
    text = f"{int(ok.sum())}/{len(df)} recovered"
    if "seed" in df and df["seed"].nunique() > 1:
        per_seed = ok.groupby(df["seed"]).agg(["sum", "size"])
        counts = ", ".join(f"seed {s}: {int(r['sum'])}/{int(r['size'])}" for s, r in per_seed.iterrows())
        rate = per_seed["sum"] / per_seed["size"]
        text += f" ({counts}; rate {rate.mean():.1%} +- {rate.std(ddof=1):.1%})"
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sksymgrad.benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="*", help="task names (default: all of the suite)")
    parser.add_argument(
        "--suite",
        default="public",
        choices=list_suites() + ["all", "latent-paper"],
        help="task suite (default: public); 'latent-paper': the latent-space paper's systems, several "
        "invariants each, judged on the subspace their gradients span",
    )
    parser.add_argument("--mode", nargs="*", default=["exact"], choices=["exact", "noisy", "network"])
    parser.add_argument("--budget", type=float, default=60.0, help="search max_time per task (s)")
    parser.add_argument("--seeds", "--seed", nargs="+", type=int, default=[0], help="one or more seeds")
    parser.add_argument("--n-samples", type=int, default=2000, help="network training samples (network mode)")
    parser.add_argument("--n-points", type=int, default=1000, help="points of the analytic modes")
    parser.add_argument("--n-jobs", type=int, default=1, help="runs in parallel processes")
    parser.add_argument(
        "--strategies",
        nargs="+",
        choices=list(_STRATEGIES),
        help="the search's strategies (default: the regressor's own), e.g. 'linear ratio evolution' (no label search)",
    )
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    parser.add_argument("--markdown", help="also write the table as Markdown to this file")
    args = parser.parse_args(argv)
    if args.suite == "latent-paper":
        df = run_latent_paper(args.tasks, budget=args.budget, seeds=args.seeds, n_jobs=args.n_jobs)
    else:
        df = run_benchmark(
            args.tasks,
            args.mode,
            budget=args.budget,
            seeds=args.seeds,
            suite=None if args.suite == "all" else args.suite,
            n_samples=args.n_samples,
            n_points=args.n_points,
            n_jobs=args.n_jobs,
            strategies=args.strategies,
        )
    table = format_table(df)
    matrix = format_seed_matrix(df)
    if matrix:
        table = matrix + "\n\n" + table
    print(table)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(df.to_dict(orient="records"), fh, indent=1, default=str)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(table + "\n")
    return 0 if df["recovered"].all() else 1
