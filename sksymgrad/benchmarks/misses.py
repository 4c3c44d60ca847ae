"""Why a network-mode run missed: ``python -m sksymgrad.benchmarks.misses RESULTS.json --recordings 0=DIR``.

A formula is chosen by how well its gradient directions match the
networks'. When the networks are farther from the concept than the chosen
formula is, no rule that reads their directions can prefer the concept: the
miss is a limit of what the networks learned from the data, not of the
search. This module measures that on recorded ensembles
(:mod:`sksymgrad.benchmarks.ensembles`) for the misses of a benchmark run
(the runner's ``--json`` rows), and counts the training labels the chosen
formula misclassifies at its best threshold: the concept misclassifies
none, so a formula that misclassifies none either is one the data cannot
tell from the concept, whatever the networks.
"""

import argparse
import json
import os
import warnings
from collections import Counter

import numpy as np
import sympy

from ..export import expression_gradients, expression_values
from ..search.labels import threshold_misclassified
from ..search.losses import pointwise_direction_loss
from ..search.selection import combine_member_directions

__all__ = ["WITHIN_NETWORK_ERROR", "CONCEPT_FITS_BETTER", "NETWORKS_FAVOUR_IT", "explain_miss", "explain_run"]

#: The chosen formula is at least as near the concept as the networks are.
WITHIN_NETWORK_ERROR = "within the networks' error"
#: The concept fits the networks better than the chosen formula: a search or selection miss.
CONCEPT_FITS_BETTER = "the concept fits the networks better"
#: The formula is farther from the concept than the networks, yet fits them better: their error favours it.
NETWORKS_FAVOUR_IT = "the networks' error favours it"


def _unit(G):
    with np.errstate(all="ignore"):
        return G / np.linalg.norm(G, axis=1, keepdims=True)


def explain_miss(task, expression, X, member_gradients, labelled=None):
    """Compare a chosen formula, the concept and the networks' mean direction.

    Distances are medians over the points of ``1 - |cos|`` between gradient
    directions. Points on a face of the points' box are left out, as the
    interpreter leaves them out (the networks extrapolate there).

    Parameters
    ----------
    task : Task
        The benchmark task (its ``expression`` is the concept).
    expression : str or sympy.Expr
        The formula the run chose, in the task's variables.
    X : array-like of shape (n_points, n_features)
        Points on the networks' decision surface.
    member_gradients : ndarray of shape (n_members, n_points, n_features)
        Every member's input gradients at ``X``.
    labelled : tuple (points, labels), default=None
        The training data; adds ``labels_misclassified``, the labels the
        formula misclassifies at its best threshold and orientation.

    Returns
    -------
    dict
        ``networks_to_concept``, ``formula_to_concept``,
        ``formula_to_networks``, ``n_points``, ``verdict`` (one of
        :data:`WITHIN_NETWORK_ERROR`, :data:`CONCEPT_FITS_BETTER`,
        :data:`NETWORKS_FAVOUR_IT`) and, with ``labelled``,
        ``labels_misclassified``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksymgrad.benchmarks import get_task
    >>> task = get_task("circle")
    >>> X = np.array([[0.6, 0.8], [0.8, 0.6], [1.0, 0.0], [0.0, 1.0], [0.3, 0.4]])
    >>> members = np.stack([X * [1.0, 1.02], X * [1.0, 0.98]])  # near-radial directions
    >>> explain_miss(task, "x + y", X, members)["verdict"]
    'the concept fits the networks better'
    """
    X = np.asarray(X, dtype=float)
    inside = ~np.any((X == X.min(axis=0)) | (X == X.max(axis=0)), axis=1)
    if inside.sum() < max(2, len(X) // 10):  # too few interior points: keep them all
        inside[:] = True
    X, members = X[inside], np.asarray(member_gradients, dtype=float)[:, inside]
    by_name = {s.name: s for s in task.symbols}
    formula = sympy.sympify(expression, locals=by_name) if isinstance(expression, str) else expression
    networks = combine_member_directions(members)[0]  # unit already
    concept = _unit(expression_gradients(task.expression, task.symbols, X))
    chosen = expression_gradients(formula, task.symbols, X)
    ok = np.all(np.isfinite(concept), axis=1) & np.all(np.isfinite(networks), axis=1)

    def distance(grad, directions):
        return float(np.median(pointwise_direction_loss(grad[ok], directions[ok])))

    out = {
        "networks_to_concept": distance(networks, concept),
        "formula_to_concept": distance(chosen, concept),
        "formula_to_networks": distance(chosen, networks),
        "n_points": int(ok.sum()),
    }
    if out["formula_to_concept"] <= out["networks_to_concept"]:
        out["verdict"] = WITHIN_NETWORK_ERROR
    elif out["networks_to_concept"] < out["formula_to_networks"]:
        out["verdict"] = CONCEPT_FITS_BETTER
    else:
        out["verdict"] = NETWORKS_FAVOUR_IT
    if labelled is not None:
        points, labels = labelled
        with np.errstate(all="ignore"):
            values = expression_values(formula, task.symbols, np.asarray(points, dtype=float))
        out["labels_misclassified"] = int(threshold_misclassified(values, labels).sum())
    return out


def explain_run(rows, recordings, exact_rows=None):
    """:func:`explain_miss` for every missed network-mode row that has a recording.

    Parameters
    ----------
    rows : list of dict
        The runner's JSON rows (``task``, ``seed``, ``mode``, ``recovered``,
        ``expression``).
    recordings : dict
        ``{seed: directory}`` of recorded ensembles of that seed.
    exact_rows : list of dict, default=None
        Rows of an exact-mode run: when given, only misses exact mode
        recovers (on the same task and seed) are explained.

    Returns
    -------
    list of dict
        One per explained miss: ``task``, ``seed``, ``expression`` and the
        fields of :func:`explain_miss`, with the labels counted on the run's
        training data (:func:`make_task_data` of the row's ``n_samples``).
    """
    from .ensembles import load_ensemble
    from .generators import make_task_data

    exact = None if exact_rows is None else {(r["task"], r["seed"]): r["recovered"] for r in exact_rows}
    explained = []
    for row in rows:
        key = (row["task"], row["seed"])
        if row.get("mode") != "network" or row["recovered"] or row["seed"] not in recordings:
            continue
        if exact is not None and not exact.get(key, False):
            continue
        path = os.path.join(recordings[row["seed"]], row["task"].replace(".", "_") + ".npz")
        if not os.path.exists(path):
            warnings.warn(f"no recording of {row['task']!r} seed {row['seed']} in {recordings[row['seed']]}")
            continue
        task, X, members, _ = load_ensemble(path)
        data, labels, _ = make_task_data(task, n_samples=row.get("n_samples", 4000), random_state=row["seed"])
        explained.append({"task": row["task"], "seed": row["seed"], "expression": row["expression"]})
        explained[-1].update(explain_miss(task, row["expression"], X, members, labelled=(data, labels)))
    return explained


def _seed_directory(text):
    seed, _, directory = text.partition("=")
    if not directory:
        raise argparse.ArgumentTypeError(f"expected SEED=DIRECTORY, got {text!r}")
    return int(seed), directory


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sksymgrad.benchmarks.misses", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="JSON rows of a network-mode run (python -m sksymgrad.benchmarks --json)")
    parser.add_argument(
        "--recordings", nargs="+", type=_seed_directory, required=True, help="SEED=DIR of recorded ensembles"
    )
    parser.add_argument("--exact", help="JSON rows of an exact-mode run: explain only the misses it recovers")
    args = parser.parse_args(argv)
    with open(args.results) as f:
        rows = json.load(f)
    exact_rows = None
    if args.exact:
        with open(args.exact) as f:
            exact_rows = json.load(f)
    explained = explain_run(rows, dict(args.recordings), exact_rows)
    print(f"{'task':10s} seed  nets-concept  formula-concept  formula-nets  labels wrong  verdict")
    for e in explained:
        print(
            f"{e['task']:10s} {e['seed']:4d}  {e['networks_to_concept']:12.1e}  {e['formula_to_concept']:15.1e}"
            f"  {e['formula_to_networks']:12.1e}  {e['labels_misclassified']:12d}  {e['verdict']}"
            f"   {e['expression'][:60]}"
        )
    counts = Counter(e["verdict"] for e in explained)
    print(f"{len(explained)} misses: " + ", ".join(f"{n} {verdict}" for verdict, n in counts.most_common()))
    unseen = sum(e["labels_misclassified"] == 0 for e in explained)
    print(f"{unseen} of them misclassify none of the training labels, as the concept does")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
