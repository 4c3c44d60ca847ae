"""Wall time of interpreting a whole layer: ``python -m sksymgrad.benchmarks.layer``.

Trains the default interpreter's network on a public classifier task, then
interprets every unit of the first hidden layer (64 units) three ways: one
process (``n_jobs=1``), two processes (``n_jobs=2``), and a local
``dask.distributed`` cluster of two single-threaded workers (needs the
``distributed`` extra). Prints the timings and the per-unit table.
"""

import argparse
import time
import warnings


def _time(interp, layer, **kw):
    interp.neurons_ = {k: v for k, v in interp.neurons_.items() if not k.startswith(layer)}
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interp.interpret(layer, **kw)
    return time.perf_counter() - start


def main(argv=None):
    from ..interpreter import GradientSymbolicInterpreter
    from .generators import make_task_data

    parser = argparse.ArgumentParser(prog="python -m sksymgrad.benchmarks.layer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="gravity")
    parser.add_argument("--layer", default="hidden.1")
    parser.add_argument("--n-samples", type=int, default=3000)
    parser.add_argument("--budget", type=float, default=20.0, help="search max_time per unit (s)")
    args = parser.parse_args(argv)

    X, y, _ = make_task_data(args.task, n_samples=args.n_samples, random_state=0)
    interp = GradientSymbolicInterpreter(random_state=0).set_params(regressor__max_time=args.budget)
    start = time.perf_counter()
    interp.fit(X, y)
    print(f"training and the output neuron: {time.perf_counter() - start:.1f} s")
    timings = {"n_jobs=1": _time(interp, args.layer, n_jobs=1), "n_jobs=2": _time(interp, args.layer, n_jobs=2)}
    try:
        import joblib
        from dask.distributed import Client, LocalCluster
    except ImportError:
        print("dask.distributed is not installed: pip install 'sksymgrad[distributed]' for the cluster timing")
    else:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            with Client(cluster), joblib.parallel_backend("dask"):
                timings["dask, 2 workers"] = _time(interp, args.layer)
    units = len([k for k in interp.neurons_ if k.startswith(args.layer)])
    print(f"\n{units} units of {args.layer!r}, {args.task}, search budget {args.budget:g} s per unit\n")
    print("| how | wall time (s) |\n|---|---|")
    for how, seconds in timings.items():
        print(f"| {how} | {seconds:.1f} |")
    print()
    print(interp.neuron_table().to_markdown(index=False) if _has_tabulate() else interp.neuron_table().to_string())
    return 0


def _has_tabulate():
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
