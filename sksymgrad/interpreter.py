"""GradientSymbolicInterpreter: train a network, then read its neurons as formulas."""

import sys
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .exceptions import DeadNeuronError, SksymgradWarning
from .export import expression_values, to_latex
from .networks.mlp import MLPNet, StandardizedMLP
from .neurons import (
    ExpectedClassIndex,
    LogitDifference,
    MeanOutput,
    NeuronAddress,
    layer_gradients,
    list_neurons,
    neuron_gradients,
    parse_neuron,
    project_to_level_set,
)
from .regressor import SymbolicGradientRegressor
from .results import NOISY, SubspaceInterpretation
from .search.selection import combine_member_directions
from .search_neuron import search_neuron, single_network_regressor
from .training import check_decision_quality, check_network_quality, n_classes, train_networks
from .utils.validation import (
    ParamErrors,
    check_constant_columns,
    check_dependent_columns,
    check_feature_frame,
    check_finite_columns,
    warn_if_scaled,
)

__all__ = ["GradientSymbolicInterpreter"]

_WEIGHTINGS = ("auto", "uniform", "boundary")
#: Most training points whose labels check a binary classifier's formulas (a random subset beyond):
#: each formula is evaluated on all of them, and a look-alike that misclassifies a few in a thousand
#: is already set apart by this many (docs/method.md, "Every label is evidence").
MAX_LABEL_POINTS = 10_000


def default_regressor():
    """The search used for network gradients.

    A trained network's gradients carry systematic errors that complex
    formulas learn to fit, and a few points are far off. With an ensemble of
    networks (the default), the search fits their combined direction and
    selects and rounds with their disagreement (``model_selection='auto'``,
    see :mod:`sksymgrad.search.selection`); each candidate's loss leaves the
    worst tenth of the points out (``regressor__trim_fraction``).
    """
    return SymbolicGradientRegressor(model_selection="auto", trim_fraction=0.1)


def fit_seeds(random_state):
    """The seeds ``fit`` draws from ``random_state``: the networks', the point subsample's and the search's.

    A replay of the interpreter's search on recorded gradients passes the
    third as the regressor's ``random_state``.

    Examples
    --------
    >>> net_seed, point_seed, search_seed = fit_seeds(0)
    """
    rng = check_random_state(random_state)
    return tuple(int(rng.randint(2**31)) for _ in range(3))


def _first(activation):
    return activation if isinstance(activation, str) else activation[0]


def _binary_logit_classes(module, n_outputs, y):
    """2 when a user's plain module has one or two outputs and ``y`` two classes (its outputs are logits), else 0."""
    if y is None or not isinstance(module, torch.nn.Module) or len(np.unique(y)) != 2:
        return 0
    return 2 if n_outputs in (1, 2) else 0


class GradientSymbolicInterpreter(TransformerMixin, BaseEstimator):
    """Train a network, then find closed-form formulas for its neurons.

    ``fit`` trains ``net`` (a default smooth MLP when ``None``), takes
    ``n_points`` training points, computes the chosen neuron's input gradients
    and lets ``regressor`` (a :class:`SymbolicGradientRegressor` when
    ``None``) find the formula whose gradient directions match. The formula
    is the neuron's concept up to any monotone function: a classifier's
    logit, a hidden unit and a latent coordinate are all read this way.

    Parameters
    ----------
    net : estimator, torch.nn.Module or None, default=None
        ``None``: :class:`~sksymgrad.networks.MLPNet`, a classifier or
        regressor chosen from ``y``. A skorch net or sksymgrad network is
        cloned and trained; wrap an already trained one in
        ``sklearn.frozen.FrozenEstimator`` to use it as is. A plain
        ``torch.nn.Module`` is used as is (not trained).
    regressor : SymbolicGradientRegressor or None, default=None
        The search; cloned for every neuron. ``None`` means
        :func:`default_regressor` (tuned for network gradients).
    neuron : str or int, default='output'
        The neuron ``fit`` interprets: ``'output'``, an output index, or
        ``'submodule.name[k]'`` (see :func:`~sksymgrad.neurons.list_neurons`).
        For a multi-class classifier ``'output'`` is the expected class index
        under the softmax, a monotone function of the concept when the classes
        are ordered cuts of it (several thresholds pin it down better than
        one); an int picks one class's logit.
    n_networks : int or 'auto', default='auto'
        Networks trained on the same data. Their disagreement is the noise
        level of the gradient directions: the search fits their combined
        direction, and selection and rounding accept only what the networks
        agree on (see :mod:`sksymgrad.search.selection`); it also gives the
        stability of the answer. ``'auto'``: 5 for networks that train their
        members as one batched module (the default :class:`MLPNet`, at
        little more than the cost of one), 1 for any other network. A
        cloneable network with ``n_networks > 1`` is trained that many times
        with different seeds; frozen networks and plain modules count as one.
        With one network there is no noise estimate and the legacy knee rule
        selects.
    n_points : int, default=2000
        Training points used for the gradients (a random subset).
    points : {'auto', 'data', 'decision_surface'}, default='auto'
        Where the neuron's gradients are taken. A single-threshold classifier
        determines its concept only on its decision surface, and its
        gradients are accurate only near it (a confident network's logit
        saturates elsewhere and its directions there are noise).
        ``'decision_surface'`` moves the training points onto the surface
        ``logit = 0`` by Newton steps (staying inside the data's range; the
        points held on a face of that box are left out, see
        :attr:`n_points_on_faces_`: there the networks extrapolate);
        ``'data'`` uses the training points as they are; ``'auto'`` projects
        for the output of a binary classifier and uses the data otherwise.
    point_weighting : {'auto', 'uniform', 'boundary'} or callable, default='auto'
        How much each point counts in the search. With points taken from the
        data, ``'auto'`` weights the output of a binary classifier by
        ``p * (1 - p)``, with ``p`` the sigmoid of the logit divided by a
        third of the 20 % quantile of ``|logit|``, so that about a fifth of the
        points carry the weight (``'boundary'`` does so for any neuron,
        centred on its median) and every other neuron uniformly. A callable gets
        ``(neuron_values, X_points)`` and returns weights.
    gradient_rtol : float, default=1e-3
        Points whose gradient norm is below this fraction of the median are
        dropped (saturated regions carry no direction).
    n_jobs : int or None, default=None
        Neurons searched in parallel by :meth:`interpret` with a list.
    random_state : int, RandomState or None, default=None
        Seeds the network's training, the point subset and the search.
    verbose : int, default=0
        1: progress bars for the default network's training and for each
        search, and a line per interpreted neuron on stderr; 2: also skorch's
        epoch table.

    Attributes
    ----------
    net_ : estimator or torch.nn.Module
        The trained network.
    module_ : torch.nn.Module
        The (first) network's module; hidden-unit addresses refer to it.
    members_ : list of torch.nn.Module
        Every network's module (one per network of the ensemble).
    regressor_ : SymbolicGradientRegressor
        Unfitted template cloned for each neuron.
    points_ : ndarray of shape (n_points, n_features)
    label_points_ : ndarray of shape (n_labelled, n_features) or None
        A binary classifier's training points (else ``None``): all of them,
        or a random :data:`MAX_LABEL_POINTS` where there are more.
    point_labels_ : ndarray of shape (n_labelled,) or None
        Their labels, passed with them to the decision function's search as
        ``label_points`` and ``labels`` (see
        :meth:`SymbolicGradientRegressor.fit`): the formulas are read as
        classifiers of these points. Every label is evidence (a look-alike
        misclassifies only the few points between its boundary and the
        concept's), so the check uses all of them, not only :attr:`points_`.
    n_points_on_faces_ : dict
        Address -> how many points moved onto the decision surface were left
        out because they ended on a face of the data's box (``points`` on
        the decision surface only; kept when too few would remain).
    neurons_ : dict
        Address -> :class:`~sksymgrad.results.Interpretation`, in the order
        interpreted.
    expression_ : sympy.Expr
        Formula of ``neuron``.
    n_outputs_ : int
        Output units of the network. A binary classifier with two (two
        logits) is read through their difference, its decision function.
    n_classes_ : int
        Classes of the network's output (0 for anything but a classifier). A
        plain module with one output trained on two classes counts as a
        binary classifier: its output is taken for the logit.
    network_score_ : float or None
        Held-out accuracy or R^2 of the network (the default network's
        validation split); for a binary classifier given as is, its training
        accuracy; ``None`` when unknown. A warning is raised when it is close
        to chance (an untrained network, a concept it did not learn).
    surrogate_ : estimator or None
        1-D calibration from the formula's value to ``y`` (logistic regression
        for classifiers, isotonic regression for regressors); ``None`` for
        embedders and without ``y``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sksymgrad import GradientSymbolicInterpreter
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.uniform(-1, 1, (400, 2)), columns=["x", "y"])
    >>> labels = (X.x**2 + X.y**2 > 0.5).astype(int)
    >>> interp = GradientSymbolicInterpreter(random_state=0)
    >>> interp = interp.set_params(net__max_epochs=20, regressor__max_time=5)
    >>> interp.fit(X, labels).sympy()  # doctest: +SKIP
    x**2 + y**2
    """

    def __init__(
        self,
        *,
        net=None,
        regressor=None,
        neuron="output",
        n_networks="auto",
        n_points=2000,
        points="auto",
        point_weighting="auto",
        gradient_rtol=1e-3,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.net = net
        self.regressor = regressor
        self.neuron = neuron
        self.n_networks = n_networks
        self.n_points = n_points
        self.points = points
        self.point_weighting = point_weighting
        self.gradient_rtol = gradient_rtol
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def set_params(self, **params):
        """Set parameters; ``net__*`` / ``regressor__*`` also work on the defaults.

        With ``net=None`` (or ``regressor=None``) a nested key first puts the
        default object in place, so grid searches need not know it exists.
        """
        if any(k.startswith("net__") for k in params) and params.get("net", self.net) is None:
            params = {"net": MLPNet(), **params}
        if any(k.startswith("regressor__") for k in params) and params.get("regressor", self.regressor) is None:
            params = {"regressor": default_regressor(), **params}
        return super().set_params(**params)

    def _validate_params(self):
        errors = ParamErrors(type(self).__name__)
        errors.check_int("n_points", self.n_points, 2)
        if self.n_networks != "auto":
            errors.check_int("n_networks", self.n_networks, 1)
        errors.check(
            self.points in ("auto", "data", "decision_surface"),
            f"points must be 'auto', 'data' or 'decision_surface', got {self.points!r}",
        )
        errors.check(
            self.point_weighting in _WEIGHTINGS or callable(self.point_weighting),
            f"point_weighting must be one of {_WEIGHTINGS} or a callable, got {self.point_weighting!r}",
        )
        errors.check(
            self.regressor is None or hasattr(self.regressor, "fit"),
            f"regressor must be a SymbolicGradientRegressor-like estimator or None, got {self.regressor!r}",
        )
        errors.check(
            isinstance(self.gradient_rtol, (int, float)) and self.gradient_rtol >= 0,
            f"gradient_rtol must be a number >= 0, got {self.gradient_rtol!r}",
        )
        try:
            parse_neuron(self.neuron)
        except KeyError as exc:
            errors.messages.append(str(exc))
        errors.raise_if_any()

    def fit(self, X, y=None):
        """Train the network on ``(X, y)`` and interpret ``neuron``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Raw features; DataFrame column names become the formula's symbols.
        y : array-like of shape (n_samples,), default=None
            Labels, values or group ids, whatever the network trains on
            (``None`` for an autoencoder).

        Returns
        -------
        self
        """
        self._validate_params()
        check_feature_frame(X)
        if y is None:
            X = validate_data(self, X, dtype=np.float64, ensure_all_finite=False, ensure_min_samples=2)
        else:
            X, y = validate_data(self, X, y, dtype=np.float64, ensure_all_finite=False, ensure_min_samples=2)
        names = getattr(self, "feature_names_in_", None)
        check_finite_columns(X, names)
        check_constant_columns(X, names)  # before training: the search would refuse them after it
        check_dependent_columns(X, names)
        warn_if_scaled(X)
        if X.shape[1] < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 features, got 1 feature(s): every monotone function "
                "of one variable has the same gradient direction, so there is no concept to tell apart."
            )
        self._check_neuron_before_training(X)
        net_seed, point_seed, search_seed = fit_seeds(self.random_state)

        self.net_, self.members_ = train_networks(self.net, X, y, self.n_networks, net_seed, self.verbose)
        self.module_ = self.members_[0]
        self.network_score_ = check_network_quality(self.net_)
        self.n_outputs_ = list_neurons(self.module_, X[:1])["output"]
        self.n_classes_ = n_classes(self.net_) or _binary_logit_classes(self.net, self.n_outputs_, y)
        if self.network_score_ is None and self.n_classes_ == 2 and y is not None:
            self.network_score_ = check_decision_quality(self._neuron_module(parse_neuron("output")), X, y)
        point_rng = check_random_state(point_seed)
        idx = np.sort(point_rng.choice(len(X), min(len(X), self.n_points), replace=False))
        self.points_ = X[idx]
        self.label_points_, self.point_labels_ = None, None
        if self.n_classes_ == 2 and y is not None:
            labelled = np.sort(point_rng.choice(len(X), min(len(X), MAX_LABEL_POINTS), replace=False))
            self.label_points_, self.point_labels_ = X[labelled], y[labelled]
        if self.regressor is None:
            self.regressor_ = default_regressor()
        else:
            self.regressor_ = clone(self.regressor)
        if getattr(self.regressor_, "random_state", 0) is None:
            self.regressor_.set_params(random_state=search_seed)
        if self.verbose and "verbose" in self.regressor_.get_params() and not self.regressor_.verbose:
            self.regressor_.set_params(verbose=1)
        self.neurons_ = {}
        self.n_points_on_faces_ = {}
        result = self.interpret(self.neuron)
        if result.noise_level is not None and result.noise_level > NOISY:
            warnings.warn(
                f"the {result.n_networks} networks disagree about the gradient directions (noise level "
                f"{result.noise_level:.2g}, mean 1-|cos| between two of them): formulas far simpler or longer than "
                f"{result.expression} fit within that noise. More data, fewer features or a simpler task "
                "pin the concept down.",
                SksymgradWarning,
                stacklevel=2,
            )
        self.expression_ = result.expression
        self.surrogate_ = self._fit_surrogate(X, y, result.expression)
        return self

    def _check_neuron_before_training(self, X):
        """A hidden neuron's address is checked against the architecture before any training.

        The architecture is known for a module given as is and for ``MLPNet``
        (an untrained copy has the same submodules); other nets are checked
        after training.
        """
        address = parse_neuron(self.neuron)
        if address.module is None:
            return
        if isinstance(self.net, torch.nn.Module):
            probe = self.net
        elif self.net is None or isinstance(self.net, MLPNet):
            params = (self.net or MLPNet()).get_params()
            probe = StandardizedMLP(X.shape[1], 1, tuple(params["hidden_units"]), _first(params["activation"]))
        else:
            return
        widths = list_neurons(probe, X[:1])
        if address.module not in widths or (address.unit is not None and address.unit >= widths[address.module]):
            neuron_gradients(probe, X[:1], address)  # raises the named error, with its did-you-mean

    def _fit_surrogate(self, X, y, expr):
        """A 1-D model from the formula's value to ``y`` (predicting nets only)."""
        if y is None or not hasattr(self.net_, "predict"):
            return None  # embedders: y are group ids, nothing to predict
        from sklearn.isotonic import IsotonicRegression
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        h = expression_values(expr, self._symbols(), X)[:, None]
        if not np.all(np.isfinite(h)):
            return None
        if self.n_classes_ >= 2:
            return make_pipeline(StandardScaler(), LogisticRegression(C=1e4)).fit(h, y)
        return IsotonicRegression(increasing="auto", out_of_bounds="clip").fit(h, y)

    def _symbols(self):
        return self.neurons_[next(iter(self.neurons_))].regressor.symbols_

    def _point_weights(self, values, points, address, on_surface):
        rule = self.point_weighting
        if callable(rule):
            w = np.asarray(rule(values, points), dtype=float)
            if w.shape != values.shape or np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
                raise ValueError(
                    f"point_weighting returned invalid weights of shape {w.shape}; expected {values.shape}, >= 0"
                )
            return w
        if on_surface:  # every point sits on the boundary: all equally informative
            return np.ones_like(values)
        if rule == "auto" and address.module is None and self.n_classes_ == 2:
            logits = values
        elif rule == "boundary":
            logits = values - np.median(values)
        else:
            return np.ones_like(values)
        # A confident classifier's logits reach +-20: rescale so that about the
        # fifth of the points nearest the boundary keep most of the weight
        # (a point at the 20 % quantile of |logit| weighs 4 exp(-3) ~ 0.2).
        temperature = max(np.quantile(np.abs(logits), 0.2) / 3.0, 1e-12)
        p = 1.0 / (1.0 + np.exp(-np.clip(logits / temperature, -50, 50)))
        return p * (1 - p) + 1e-12

    def _neuron_modules(self, address):
        """The module of each network whose ``address`` is the neuron (one for hidden units).

        Only the network outputs correspond across an ensemble's members;
        hidden units (and the units of a several-unit code) of different
        members are unrelated, so they come from the first network alone.
        """
        # Outputs correspond across members for a classifier, a regressor or a one-unit code; the units of
        # several-unit codes are unrelated mixtures in each network (interpret them with interpret_subspace).
        corresponding = address.module is None and (self.n_classes_ or self.n_outputs_ == 1)
        members = self.members_ if corresponding else self.members_[:1]
        if address.module is None and address.unit is None and self.n_classes_ > 2:
            return [ExpectedClassIndex(m) for m in members]
        if address.module is None and address.unit is None and self.n_classes_ == 2 and self.n_outputs_ == 2:
            return [LogitDifference(m) for m in members]  # a two-logit binary classifier's decision function
        return members

    def _neuron_module(self, address):
        """One module for the neuron: the ensemble's mean output, or the network's own."""
        modules = self._neuron_modules(address)
        return modules[0] if len(modules) == 1 else MeanOutput(modules)

    def _neuron_points(self, address):
        """Points for the neuron's gradients, and whether they lie on its decision surface."""
        on_surface = self.points == "decision_surface" or (
            self.points == "auto" and address.module is None and self.n_classes_ == 2
        )
        if not on_surface:
            return self.points_, False
        low, high = self.points_.min(axis=0), self.points_.max(axis=0)
        projected = project_to_level_set(self._neuron_module(address), self.points_, address, 0.0, low=low, high=high)
        minimum = max(20, len(self.points_) // 20)
        # A point held on a face of the data's box by the clipping is where the surface leaves the data: the
        # networks extrapolate there, and their directions are off by ten times the interior's (docs/method.md).
        keep = np.all((projected > low) & (projected < high), axis=1)
        if keep.sum() < minimum:
            keep[:] = True
        self.n_points_on_faces_[str(address)] = int((~keep).sum())
        projected = projected[keep]
        if len(projected) < minimum:
            warnings.warn(
                f"neuron {str(address)!r}: only {len(projected)} of {len(self.points_)} points reached the "
                "decision surface inside the data's range; using the data points instead.",
                SksymgradWarning,
                stacklevel=3,
            )
            return self.points_, False
        return projected, True

    def _labelled_points(self, address):
        """``(points, labels)`` a binary classifier's decision function separates, else ``None``.

        The labels check the level sets of the formulas (see
        :mod:`sksymgrad.search.labels`): the directions on the decision
        surface cannot tell a formula from one that orders the points the
        other way, nor from one that bends with the networks' shared error.
        """
        decision = address.module is None and (address.unit is None or self.n_outputs_ == 1)
        if not decision or getattr(self, "point_labels_", None) is None:
            return None
        return self.label_points_, self.point_labels_

    def _neuron_data(self, address):
        """Points, input gradients, point weights and member gradients of one neuron (the torch part).

        With several networks the gradients are their combined direction and
        the members' own gradients come along (``None`` for one network).
        """
        points, on_surface = self._neuron_points(address)
        per_member = [neuron_gradients(m, points, address) for m in self._neuron_modules(address)]
        values = np.mean([v for v, _ in per_member], axis=0)
        members = np.stack([g for _, g in per_member]) if len(per_member) > 1 else None
        G = per_member[0][1] if members is None else combine_member_directions(members)[0]
        self._check_alive(address, G)
        return points, G, self._point_weights(values, points, address, on_surface), members

    def _layer_data(self, layer, addresses):
        """:meth:`_neuron_data` for several units of one hidden layer, from one batched pass.

        Returns the data of the live units and the addresses of the dead ones.
        """
        values, grads = layer_gradients(self._neuron_module(addresses[0]), self.points_, layer)
        out, dead = {}, []
        for a in addresses:
            unit = a.unit or 0  # a one-unit layer named without its unit
            G = grads[:, unit]
            try:
                self._check_alive(a, G)
            except DeadNeuronError:
                dead.append(str(a))
                continue
            out[a] = (self.points_, G, self._point_weights(values[:, unit], self.points_, a, False), None)
        return out, dead

    def _check_alive(self, address, G):
        norms = np.linalg.norm(G, axis=1)
        tiny = (
            ~(norms > self.gradient_rtol * np.median(norms[norms > 0])) if np.any(norms > 0) else np.ones(len(G), bool)
        )
        if tiny.mean() > 0.95:
            raise DeadNeuronError(
                f"neuron {str(address)!r}: its input gradient is (near) zero on {tiny.mean():.0%} of the "
                f"{len(G)} points, so it encodes nothing there. Pick another neuron (see list_neurons()), "
                "use a smooth activation, or interpret on points where the neuron is active."
            )

    def _expand(self, requested):
        """Addresses for a neuron, a list of neurons, or a layer name (all its units); and whether many."""
        many = isinstance(requested, (list, tuple))
        addresses = []
        for item in requested if many else [requested]:
            address = parse_neuron(item)
            if address.module is not None and address.unit is None:
                widths = list_neurons(self.module_, self.points_[:1])
                if address.module not in widths:
                    neuron_gradients(self.module_, self.points_[:1], address)  # raises the named error
                if widths[address.module] > 1:
                    addresses += [NeuronAddress(address.module, k) for k in range(widths[address.module])]
                    many = True
                    continue
            addresses.append(address)
        return addresses, many

    def interpret(self, neuron=None, n_jobs=None):
        """Formula(s) for one neuron, a list of neurons, or every unit of a layer (cached per address).

        Parameters
        ----------
        neuron : str, int or list, default=None
            ``None`` means the ``neuron`` parameter. A submodule name without
            a unit (``"hidden.1"``) means each of its units; their gradients
            come from one batched pass, and units that are dead on the points
            are reported (a warning, :attr:`dead_neurons_`) and skipped.
        n_jobs : int or None, default=None
            Searches run in parallel through joblib's current backend
            (processes by default; ``with joblib.parallel_backend("dask"):``
            spreads them over a dask cluster). ``None`` uses ``self.n_jobs``.

        Returns
        -------
        Interpretation or list of Interpretation
            A list for a list or a layer; :meth:`neuron_table` tabulates them.
        """
        from joblib import Parallel, delayed
        from tqdm.auto import tqdm

        check_is_fitted(self, "module_")
        addresses, many = self._expand(self.neuron if neuron is None else neuron)
        todo = [a for a in dict.fromkeys(addresses) if str(a) not in self.neurons_]
        # The torch work stays in this process; the searches may go to others.
        data, dead = {}, []
        layers = {}
        for a in todo:
            if many and a.module is not None:
                layers.setdefault(a.module, []).append(a)
        for layer, units in layers.items():
            found, gone = self._layer_data(layer, units)
            data.update(found)
            dead += gone
        for a in todo:
            if a.module is not None and many:
                continue
            try:
                data[a] = self._neuron_data(a)
            except DeadNeuronError:
                if not many:
                    raise
                dead.append(str(a))
        if dead:
            self.dead_neurons_ = sorted(set(getattr(self, "dead_neurons_", [])) | set(dead))
            warnings.warn(
                f"{len(dead)} neuron(s) have (near) zero input gradients on the points and were skipped: "
                f"{dead[:10]}{' ...' if len(dead) > 10 else ''} (see dead_neurons_).",
                SksymgradWarning,
                stacklevel=2,
            )
        names = getattr(self, "feature_names_in_", None)
        jobs = (
            delayed(search_neuron)(self.regressor_, a, *data[a], names, labelled=self._labelled_points(a))
            for a in todo
            if a in data
        )
        n_jobs = n_jobs if n_jobs is not None else self.n_jobs
        bar = tqdm(total=len(data), desc="neurons", file=sys.stderr, disable=True if len(data) < 2 else None)
        for r in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
            self.neurons_[r.neuron] = r
            bar.set_postfix_str(f"{r.neuron}: {r.expression}"[:60])
            bar.update(1)
            if self.verbose:
                print(f"neuron {r.neuron}: {r.expression} ({r.confidence})", file=sys.stderr)
        bar.close()
        out = [self.neurons_[str(a)] for a in addresses if str(a) in self.neurons_]
        return out if many else out[0]

    def neuron_table(self):
        """Every interpreted neuron as a row, best explained first (pandas DataFrame).

        Columns: ``neuron, formula, loss, complexity, stability, n_networks``;
        sorted by loss (how well the formula explains the neuron's gradients).
        """
        check_is_fitted(self, "module_")
        rows = [
            {
                "neuron": r.neuron,
                "formula": r.expression,
                "loss": r.loss,
                "complexity": r.complexity,
                "stability": r.stability,
                "n_networks": r.n_networks,
            }
            for r in self.neurons_.values()
        ]
        return pd.DataFrame(rows).sort_values("loss", ignore_index=True)

    def interpret_subspace(self, neurons=None, n_formulas=None):
        """Formulas that together explain several neurons, e.g. every coordinate of a latent space.

        A k-dimensional latent space of data that share k invariants holds
        them in an arbitrary mixture; no single coordinate is a closed form.
        What the coordinates hold together is the subspace their gradients
        span at each point, and this finds formulas whose gradients span the
        same subspace, one at a time (see :mod:`sksymgrad.search.subspace`).

        Parameters
        ----------
        neurons : list, default=None
            Neuron addresses; ``None`` means every output unit of the network
            (the whole latent space of an embedder).
        n_formulas : int, default=None
            Dimension of the subspace; ``None`` estimates it from the
            Jacobian's singular values, and warns when that is fewer than the
            neurons (some coordinates repeat the others).

        Returns
        -------
        SubspaceInterpretation

        Examples
        --------
        >>> from sksymgrad.networks import SiameseEmbedder
        >>> interp = GradientSymbolicInterpreter(net=SiameseEmbedder(latent_dim=2))  # doctest: +SKIP
        >>> interp.fit(X, groups).interpret_subspace()  # doctest: +SKIP
        """
        from .search.engine import operator_table
        from .search.subspace import estimate_rank, fit_subspace, singular_value_profile

        check_is_fitted(self, "module_")
        if neurons is None:
            neurons = list(range(list_neurons(self.module_, self.points_)["output"]))
        addresses = [parse_neuron(a) for a in neurons]
        if len(addresses) < 2:
            raise ValueError(f"interpret_subspace needs at least 2 neurons, got {neurons!r}; use interpret() for one.")
        # Output units of several networks (an ensemble of embedders): each network's own latent space, whose
        # coordinates are unrelated mixtures across networks but whose gradient subspaces are comparable.
        networks = self.members_ if all(a.module is None for a in addresses) else self.members_[:1]
        jacobians = [
            np.stack([neuron_gradients(net, self.points_, a)[1] for a in addresses], axis=1) for net in networks
        ]
        J = jacobians[0]
        dead = [str(a) for a, g in zip(addresses, np.swapaxes(J, 0, 1)) if not np.any(np.linalg.norm(g, axis=1) > 0)]
        if dead:
            raise DeadNeuronError(f"neurons {dead} have zero input gradients everywhere: leave them out.")
        scale = self.points_.std(axis=0)
        rank = estimate_rank(J * scale)
        if n_formulas is None and rank < len(addresses):
            warnings.warn(
                f"the {len(addresses)} neurons' gradients span only {rank} independent direction(s) (relative "
                f"singular values {np.round(singular_value_profile(J * scale), 3).tolist()}): interpreting a "
                f"{rank}-dimensional concept. Pass n_formulas to override.",
                SksymgradWarning,
                stacklevel=2,
            )
        reg = clone(self.regressor_)
        if not isinstance(reg, SymbolicGradientRegressor):
            raise TypeError(
                f"interpret_subspace searches with the built-in SymbolicGradientRegressor; the regressor is "
                f"{type(reg).__name__}. Use regressor=None (the default) or a SymbolicGradientRegressor."
            )
        if reg.get_params().get("model_selection") == "auto" and len(networks) == 1:
            reg = single_network_regressor(reg)  # one network's gradients: no members to measure noise with
        settings = reg._validate_params()
        steps, residual = fit_subspace(
            self.points_,
            J,
            settings,
            operator_table(settings),
            self._symbols(),
            n_formulas=n_formulas or rank,
            model_selection="best",
            selection_window=reg.selection_window,
            member_jacobians=jacobians if len(jacobians) > 1 else None,
            alpha=reg.selection_alpha,
            tolerance=reg.noise_tolerance,
            random_state=check_random_state(self.random_state).randint(2**31),
        )
        return SubspaceInterpretation(
            neurons=[str(a) for a in addresses],
            expressions=[s.equations.loc[s.best_index, "sympy_format"] for s in steps],
            equations=[s.equations for s in steps],
            explained=[s.explained for s in steps],
            residual=residual,
            singular_values=singular_value_profile(J * scale),
        )

    def list_neurons(self):
        """``{address: n_units}`` of the trained network (see :func:`~sksymgrad.neurons.list_neurons`)."""
        check_is_fitted(self, "module_")
        return list_neurons(self.module_, self.points_)

    def sympy(self, neuron=None):
        """Formula of ``neuron`` (default: the ``neuron`` parameter)."""
        check_is_fitted(self, "module_")
        return self.expression_ if neuron is None else self.interpret(neuron).expression

    def latex(self, neuron=None, precision=3):
        """LaTeX of :meth:`sympy`."""
        return to_latex(self.sympy(neuron), precision)

    def transform(self, X):
        """Values of every interpreted formula, shape (n_samples, n_neurons)."""
        check_is_fitted(self, "module_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        symbols = self._symbols()
        return np.column_stack([expression_values(r.expression, symbols, X) for r in self.neurons_.values()])

    def get_feature_names_out(self, input_features=None):
        """``concept_<address>`` for each interpreted neuron."""
        check_is_fitted(self, "module_")
        return np.array([f"concept_{name}" for name in self.neurons_], dtype=object)

    def score(self, X, y=None):
        """How much of the neuron's variation a monotone function of the formula explains.

        The neuron's values on ``X`` are regressed on the formula's values with
        an isotonic (monotone, increasing or decreasing) regression; the score
        is its R^2. 1 means the neuron is a monotone function of the formula
        on these points; a formula that captures only part of the concept
        scores lower. ``y`` is ignored (the neuron, not the labels, is the
        reference). Use held-out ``X`` to compare interpretations.
        """
        from sklearn.isotonic import IsotonicRegression

        check_is_fitted(self, "module_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        address = parse_neuron(self.neuron)
        values, _ = neuron_gradients(self._neuron_module(address), X, address)
        h = expression_values(self.expression_, self._symbols(), X)
        ok = np.isfinite(h)
        if ok.sum() < 2 or np.ptp(values[ok]) == 0:
            return 0.0
        fit = IsotonicRegression(increasing="auto").fit(h[ok], values[ok])
        resid = values[ok] - fit.predict(h[ok])
        r2 = 1.0 - resid.var() / values[ok].var()
        return float(r2 * ok.mean())

    def predict(self, X):
        """Symbolic surrogate: ``y`` predicted from the formula's value alone.

        Classifiers: labels from a logistic calibration of the formula's value;
        regressors: an isotonic map of it. Compare with the network's accuracy
        to see how much of the model the formula captures.
        """
        check_is_fitted(self, "module_")
        if self.surrogate_ is None:
            raise AttributeError(
                "predict needs a network that predicts y (a classifier or regressor trained with y); "
                "an embedder's y are group ids"
            )
        X = validate_data(self, X, reset=False, dtype=np.float64)
        h = expression_values(self.expression_, self._symbols(), X)
        return self.surrogate_.predict(np.where(np.isfinite(h), h, 0.0)[:, None])

    def summary(self):
        """Text summary of every interpreted neuron and its Pareto front."""
        check_is_fitted(self, "module_")
        return "\n\n".join(f"{r}\n{r.regressor.summary()}" for r in self.neurons_.values())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
