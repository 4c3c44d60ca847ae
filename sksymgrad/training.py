"""Training the networks an interpreter reads: one, or an ensemble, and how well they learned.

The interpreter needs the modules of one or several networks trained on the
same data. Networks that train their members as one batched module (an
``n_members`` parameter, as :class:`~sksymgrad.networks.MLPNet`) are trained
once; any other cloneable network is trained once per member with its own
seed; frozen networks and plain modules are used as they are.
"""

import copy
import inspect
import warnings

import numpy as np
import torch
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator

from .exceptions import SksymgradWarning
from .networks.mlp import MLPNet
from .utils.random import torch_seed_context

__all__ = ["train_networks", "module_of", "n_classes", "check_network_quality", "DEFAULT_N_NETWORKS"]

#: Networks in the default ensemble (``n_networks='auto'`` for batched networks).
DEFAULT_N_NETWORKS = 5


def module_of(net):
    """The torch module inside a fitted net (skorch, MLPNet, FrozenEstimator, module)."""
    if isinstance(net, torch.nn.Module):
        return net
    inner = getattr(net, "estimator", None)  # sklearn.frozen.FrozenEstimator
    if inner is not None and not hasattr(net, "module_"):
        return module_of(inner)
    module = getattr(net, "module_", None)
    if module is None:
        raise TypeError(
            f"cannot find a torch module in {type(net).__name__}: pass a skorch net, "
            "an sksymgrad network, a FrozenEstimator of one, or a torch.nn.Module"
        )
    return module


def n_classes(net):
    """Number of classes of a classifier net, 0 for anything else."""
    inner = getattr(net, "estimator", net)
    if getattr(inner, "task_", None) == "classifier":
        return len(inner.classes_)
    from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier

    if isinstance(inner, NeuralNetBinaryClassifier):
        return 2
    if isinstance(inner, NeuralNetClassifier):
        return len(inner.classes_)
    return 0


def _build(net, seed, n_members, verbose):
    if net is None:
        return MLPNet(random_state=seed, n_members=n_members, verbose=verbose)
    if isinstance(net, torch.nn.Module):
        return copy.deepcopy(net)
    if isinstance(net, FrozenEstimator):
        return net
    net = clone(net)
    params = net.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        net.set_params(random_state=seed)
    if "n_members" in params:
        net.set_params(n_members=n_members)
    return net


def _fit(net, X, y, seed):
    if isinstance(net, (torch.nn.Module, FrozenEstimator)):
        return
    fit_y = inspect.signature(net.fit).parameters.get("y")
    if y is None and fit_y is not None and fit_y.default is inspect.Parameter.empty:
        raise ValueError(
            f"{type(net).__name__} requires y to be passed, but the target y is None: it trains on labels "
            "or values (use an autoencoder to fit without y)."
        )
    from skorch import NeuralNetBinaryClassifier

    if y is not None and isinstance(net, NeuralNetBinaryClassifier):
        y = np.asarray(y).astype(np.float32)  # its BCE loss takes float targets, not class indices
    with torch_seed_context(seed):
        if y is None:
            net.fit(X.astype(np.float32))
        else:
            net.fit(X.astype(np.float32), y)


def train_networks(net, X, y, n_networks="auto", seed=0, verbose=0):
    """Train ``net`` (``None``: the default ensemble) and return it with every member's module.

    Parameters
    ----------
    net : estimator, torch.nn.Module or None
        As the interpreter's ``net`` parameter.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray or None
    n_networks : int or 'auto'
        ``'auto'``: :data:`DEFAULT_N_NETWORKS` for batched networks, one for
        any other; an int asks for that many either way (separately trained
        copies where the network cannot batch them).
    seed : int
        Copy ``k`` trains with ``seed + k``.
    verbose : int
        Passed to the default network.

    Returns
    -------
    net : estimator or torch.nn.Module
        The (first) trained network.
    members : list of torch.nn.Module
    """
    n_members = DEFAULT_N_NETWORKS if n_networks == "auto" else n_networks
    first = _build(net, seed, n_members, verbose)
    as_is = isinstance(first, (torch.nn.Module, FrozenEstimator))
    one_fit = as_is or n_networks == "auto" or "n_members" in first.get_params(deep=False)
    nets = [first] + ([] if one_fit else [_build(net, seed + k, n_members, verbose) for k in range(1, n_members)])
    for k, copy_ in enumerate(nets[1:], start=1):
        if "random_state" in copy_.get_params(deep=False):
            copy_.set_params(random_state=seed + k)  # separate copies must differ
    for k, copy_ in enumerate(nets):
        _fit(copy_, X, y, seed + k)
    return first, list(getattr(first, "members_", None) or [module_of(n) for n in nets])


def check_network_quality(net):
    """The network's held-out score (``None`` when unknown); warns when it learned (almost) nothing.

    A formula read off a network that did not learn its labels describes
    noise. The warning fires when the held-out score closes less than half
    the gap from chance to perfect (accuracy, or R^2 with chance 0).
    """
    score = getattr(net, "validation_score_", None)
    chance = getattr(net, "chance_score_", None)
    if score is not None and chance is not None and chance < 1 and (score - chance) / (1.0 - chance) < 0.5:
        what = "accuracy" if n_classes(net) else "R^2"
        warnings.warn(
            f"the network did not learn the labels well: held-out {what} {score:.2f} vs {chance:.2f} by "
            "chance. A formula read off it describes mostly noise: use more data, fewer irrelevant "
            "features, or a larger network (net__hidden_units, net__max_epochs).",
            SksymgradWarning,
            stacklevel=3,
        )
    return score


def check_decision_quality(decision, X, y):
    """Training accuracy of a binary decision function given as is (a user's module); warns near chance.

    Networks passed as they are carry no held-out score, and an untrained one
    still yields a formula. ``decision`` maps ``X`` (float32 tensor) to one
    value per row, positive for the second class. Returns the accuracy (the
    better of the two sign conventions).
    """
    from .utils.devices import module_device

    y = np.asarray(y)
    classes = np.unique(y)
    with torch.no_grad():
        values = decision(torch.as_tensor(np.asarray(X, dtype=np.float32), device=module_device(decision)))
    values = values.reshape(len(X), -1)[:, 0].double().cpu().numpy()
    accuracy = float(np.mean((values > 0) == (y == classes[-1])))
    accuracy = max(accuracy, 1.0 - accuracy)
    chance = float(np.max(np.unique(y, return_counts=True)[1]) / len(y))
    if chance < 1 and (accuracy - chance) / (1.0 - chance) < 0.5:
        warnings.warn(
            f"the network's output separates the labels no better than chance (training accuracy {accuracy:.2f} vs "
            f"{chance:.2f} by chance): is it trained? A formula read off it describes its random initialisation.",
            SksymgradWarning,
            stacklevel=3,
        )
    return accuracy
