"""One neuron's search: its points and gradients in, an Interpretation out.

A function of the neuron's data alone (no network, no interpreter), so that
joblib can send it to another process or a dask worker.
"""

import inspect

import numpy as np
import pandas as pd
from sklearn.base import clone

from .exceptions import DeadNeuronError
from .results import Interpretation

__all__ = ["search_neuron", "single_network_regressor"]


def single_network_regressor(reg):
    """The rule used when only one network is available (no noise to measure).

    The knee of the front in a 30x loss window, with loose rounding: the
    rule of sksymgrad 0.1, tuned on the public tasks. Prefer an ensemble.
    """
    return reg.set_params(model_selection="knee", selection_window=30.0, rounding_rtol=0.2)


def search_neuron(regressor, address, points, G, weights, members, names, labelled=None):
    """One neuron's search (a function of its data alone, so joblib can send it to another process).

    ``labelled``: ``(points, labels)`` of a binary classifier, for the
    regressor's label check, or ``None``.
    """
    Xp = pd.DataFrame(points, columns=list(names)) if names is not None else points
    reg = clone(regressor)
    accepted = inspect.signature(reg.fit).parameters
    fit_params = {}
    if members is not None and "member_gradients" in accepted:
        fit_params["member_gradients"] = members
    elif reg.get_params().get("model_selection") == "auto":
        reg = single_network_regressor(reg)
    if labelled is not None and "labels" in accepted:
        fit_params["label_points"], fit_params["labels"] = labelled
    try:
        reg.fit(Xp, G, sample_weight=weights, **fit_params)
    except DeadNeuronError as exc:
        raise DeadNeuronError(f"neuron {str(address)!r}: {exc}") from exc
    row = reg.equations_.loc[reg.best_index_]
    used = weights[np.linalg.norm(G, axis=1) > 0]
    return Interpretation(
        neuron=str(address),
        expression=reg.expression_,
        equations=reg.equations_,
        loss=float(row["loss"]),
        complexity=int(row["complexity"]),
        n_points=int(reg.n_points_used_),
        n_effective=float(used.sum() ** 2 / (used**2).sum()),
        regressor=reg,
        n_networks=1 if members is None else len(members),
        stability=float(row["stability"]) if "stability" in row else None,
        noise_level=getattr(reg, "noise_level_", None),
        label_errors=int(row["label_errors"]) if "label_errors" in row else None,
        n_labelled=None if labelled is None else len(labelled[1]),
    )
