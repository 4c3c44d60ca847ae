"""Recorded network ensembles: ``python -m sksymgrad.benchmarks.ensembles --seed 1 --out DIR``.

Training the networks is most of a network-mode benchmark run, and a
selection or rounding rule only needs their gradients. This module trains the
default interpreter's ensemble on a classifier task once and records what the
search sees: points on the members' mean decision surface and every member's
input gradients there, and the labelled points the decision function's
search checks its formulas against. A rule can then be compared on the
recordings in minutes (``tests/fixtures/ensembles`` holds seeds 0 and 1; see its README).
"""

import argparse
import os
import warnings

import numpy as np

__all__ = ["record_ensemble", "save_ensemble", "load_ensemble", "load_labels"]


def record_ensemble(task, seed=0, n_samples=4000, n_points=600, interpreter=None):
    """Train an ensemble on ``task`` and return its gradients on the decision surface.

    Parameters
    ----------
    task : str or Task
        A classifier task (``sksymgrad.benchmarks.list_tasks``).
    seed : int, default=0
        Seed of the data and of the networks.
    n_samples : int, default=4000
        Labelled points (label = concept > median).
    n_points : int, default=600
        Points kept (a random subset of those that reached the surface).
    interpreter : GradientSymbolicInterpreter, default=None
        Unfitted interpreter to train (default: the default one with
        ``random_state=seed``); its search is cut to 0.1 s, only the
        networks matter here.

    Returns
    -------
    dict
        ``task`` (name), ``points`` (n, d), ``members`` (n_members, n, d),
        ``level`` (the concept's median, the decision level),
        ``network_accuracy`` (held-out accuracy of the ensemble),
        ``label_points`` (n_labelled, d) and ``labels`` (n_labelled,): the
        interpreter's :attr:`label_points_` and :attr:`point_labels_`, which it passes
        to the decision function's search (``SymbolicGradientRegressor.fit(...,
        label_points=, labels=)``).
    """
    from ..interpreter import GradientSymbolicInterpreter
    from ..neurons import parse_neuron
    from .generators import make_task_data
    from .tasks import get_task

    task = get_task(task)
    if task.kind != "classifier":
        raise ValueError(f"task {task.name!r} is a {task.kind} task; ensembles are recorded for classifier tasks")
    X, y, level = make_task_data(task, n_samples=n_samples, random_state=seed)
    interp = GradientSymbolicInterpreter(random_state=seed) if interpreter is None else interpreter
    interp.set_params(regressor__max_time=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interp.fit(X, y)
    points, _, _, members = interp._neuron_data(parse_neuron("output"))
    if members is None:
        raise ValueError("the interpreter trained one network; an ensemble needs n_networks > 1")
    rng = np.random.default_rng(seed)
    keep = rng.choice(len(points), size=min(n_points, len(points)), replace=False)
    return {
        "task": task.name,
        "points": points[keep],
        "members": members[:, keep],
        "level": float(level),
        "network_accuracy": float(getattr(interp, "network_score_", np.nan)),
        "label_points": interp.label_points_,
        "labels": interp.point_labels_,
    }


def save_ensemble(record, directory):
    """Write a :func:`record_ensemble` result as ``<task>.npz`` (float32 arrays); returns the path.

    The labelled points are kept when the record has them (``labels`` not ``None``).
    """
    path = os.path.join(directory, record["task"].replace(".", "_") + ".npz")
    labelled = {}
    if record.get("labels") is not None:
        labelled = {
            "label_points": np.asarray(record["label_points"], dtype=np.float32),
            "labels": np.asarray(record["labels"], dtype=np.int8),
        }
    np.savez_compressed(
        path,
        task=record["task"],
        points=np.asarray(record["points"], dtype=np.float32),
        members=np.asarray(record["members"], dtype=np.float32),
        level=record["level"],
        network_accuracy=record["network_accuracy"],
        **labelled,
    )
    return path


def load_ensemble(path):
    """Read a recording: ``(task, X, members, level)`` with ``X`` a DataFrame in the task's variables."""
    import pandas as pd

    from .tasks import get_task

    data = np.load(path)
    task = get_task(str(data["task"]))
    X = pd.DataFrame(data["points"].astype(float), columns=task.variables)
    return task, X, data["members"].astype(float), float(data["level"])


def load_labels(path):
    """The labelled points of a recording, ``(points, labels)``, or ``None`` for one made without them."""
    data = np.load(path)
    if "labels" not in data:
        return None
    return data["label_points"].astype(float), data["labels"].astype(int)


def _record_quietly(name, seed, n_samples, n_points, out):
    import torch

    torch.set_num_threads(1)  # a worker process of a parallel run: one core each
    return save_ensemble(record_ensemble(name, seed, n_samples, n_points), out)


def main(argv=None):
    from joblib import Parallel, delayed

    from .tasks import list_tasks

    parser = argparse.ArgumentParser(
        prog="python -m sksymgrad.benchmarks.ensembles", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", required=True, help="directory for the .npz files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--suite", default="all", help="'public', 'feynman' or 'all' (their classifier tasks)")
    parser.add_argument("--tasks", nargs="*", help="task names (default: every classifier task of the suite)")
    parser.add_argument("--n-samples", type=int, default=4000)
    parser.add_argument("--n-points", type=int, default=600)
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args(argv)
    suites = ("public", "feynman") if args.suite == "all" else (args.suite,)
    names = args.tasks or [t for s in suites for t in list_tasks("classifier", suite=s)]
    os.makedirs(args.out, exist_ok=True)
    paths = Parallel(n_jobs=args.n_jobs)(
        delayed(_record_quietly)(name, args.seed, args.n_samples, args.n_points, args.out) for name in names
    )
    print(f"{len(paths)} ensembles recorded in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
