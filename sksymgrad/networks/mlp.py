"""The default network: a smooth MLP that standardises its inputs inside the module.

Standardisation lives in the module (as buffers) so that input gradients,
and therefore formulas, are in the user's raw units.
"""

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import Callback
from torch import nn

from ..utils.random import torch_seed_context
from ..utils.validation import ParamErrors

__all__ = ["StandardizedMLP", "StandardizeInputs", "MLPNet", "ACTIVATIONS"]

ACTIVATIONS = {"tanh": nn.Tanh, "silu": nn.SiLU, "softplus": nn.Softplus, "gelu": nn.GELU, "relu": nn.ReLU}


class StandardizedMLP(nn.Module):
    """MLP ``input -> (x - mean) / scale -> hidden -> output``.

    Submodules: ``hidden`` (an ``nn.Sequential`` of Linear and activation
    layers, so ``"hidden.1[k]"`` addresses unit ``k`` after the first
    activation) and ``output`` (the last Linear).

    Parameters
    ----------
    n_features : int
    n_outputs : int, default=1
        With 1 the forward returns shape (n,), else (n, n_outputs).
    hidden_units : tuple of int, default=(64, 64)
    activation : str, default='tanh'
        One of ``ACTIVATIONS``; smooth ones give informative gradients.
    """

    def __init__(self, n_features, n_outputs=1, hidden_units=(64, 64), activation="tanh"):
        super().__init__()
        self.register_buffer("input_mean", torch.zeros(n_features))
        self.register_buffer("input_scale", torch.ones(n_features))
        layers, width = [], n_features
        for units in hidden_units:
            layers += [nn.Linear(width, units), ACTIVATIONS[activation]()]
            width = units
        self.hidden = nn.Sequential(*layers)
        self.output = nn.Linear(width, n_outputs)
        self.n_outputs = n_outputs

    def set_standardization(self, X):
        X = torch.as_tensor(np.asarray(X, dtype=np.float32))
        scale = X.std(dim=0)
        self.input_mean.copy_(X.mean(dim=0))
        self.input_scale.copy_(torch.where(scale > 0, scale, torch.ones_like(scale)))

    def forward(self, X):
        out = self.output(self.hidden((X - self.input_mean) / self.input_scale))
        return out.squeeze(-1) if self.n_outputs == 1 else out


class StandardizeInputs(Callback):
    """skorch callback: set the module's input standardisation from the training X."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        if hasattr(net.module_, "set_standardization"):
            net.module_.set_standardization(X)


class EpochProgressBar(Callback):
    """skorch callback: a tqdm bar over epochs (stderr) showing the losses."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        import sys

        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=net.max_epochs, desc="training", unit="epoch", file=sys.stderr, leave=False)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        losses = {k: f"{row[k]:.4g}" for k in ("train_loss", "valid_loss") if k in row}
        self.bar_.set_postfix(losses)
        self.bar_.update(1)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        self.bar_.close()
        self.bar_ = None  # a tqdm bar does not pickle; the fitted net must


def progress_callbacks(verbose):
    """Callbacks and skorch ``verbose`` for an sksymgrad ``verbose`` level.

    1: a progress bar over epochs; 2 and more: skorch's epoch table.
    """
    if verbose == 1:
        return [("progress", EpochProgressBar())], 0
    return [], verbose


def network_param_errors(net, int_names):
    """Problems with a network's ``activation``, ``hidden_units`` and integer settings.

    Returns the :class:`ParamErrors` so the caller can add its own checks.
    """
    errors = ParamErrors(type(net).__name__)
    for name in int_names:
        errors.check_int(name, getattr(net, name))
    errors.check(
        net.activation in ACTIVATIONS, f"activation must be one of {sorted(ACTIVATIONS)}, got {net.activation!r}"
    )
    errors.check(
        all(isinstance(u, (int, np.integer)) and u >= 1 for u in tuple(net.hidden_units)),
        f"hidden_units must be a tuple of positive integers, got {net.hidden_units!r}",
    )
    return errors


class MLPNet(BaseEstimator):
    """Default network: classifier or regressor chosen from ``y`` at ``fit``.

    A thin scikit-learn estimator around skorch's ``NeuralNetBinaryClassifier``,
    ``NeuralNetClassifier`` or ``NeuralNetRegressor`` with a
    :class:`StandardizedMLP`. Because the choice happens in ``fit``, its
    hyperparameters are reachable as ``net__max_epochs`` etc. before anyone
    knows the task.

    Parameters
    ----------
    hidden_units : tuple of int, default=(64, 64)
    activation : str, default='tanh'
    max_epochs : int, default=300
    lr : float, default=3e-3
        Adam learning rate.
    batch_size : int, default=128
    weight_decay : float, default=0.0
    patience : int, default=30
        Early stopping on the validation loss (epochs without improvement).
    validation_fraction : float, default=0.15
    task : {'auto', 'classifier', 'regressor'}, default='auto'
    random_state : int or None, default=None
    verbose : int, default=0
        1: a progress bar over epochs; 2: skorch's epoch table.

    Attributes
    ----------
    net_ : skorch.NeuralNet
    module_ : torch.nn.Module
    classes_ : ndarray
        Classifiers only.
    task_ : str

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform(-1, 1, (200, 2))
    >>> net = MLPNet(max_epochs=5, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    >>> net.task_, net.predict(X[:3]).shape
    ('classifier', (3,))
    """

    def __init__(
        self,
        *,
        hidden_units=(64, 64),
        activation="tanh",
        max_epochs=300,
        lr=3e-3,
        batch_size=128,
        weight_decay=0.0,
        patience=30,
        validation_fraction=0.15,
        task="auto",
        random_state=None,
        verbose=0,
    ):
        self.hidden_units = hidden_units
        self.activation = activation
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.task = task
        self.random_state = random_state
        self.verbose = verbose

    def _validate_params(self):
        errors = network_param_errors(self, ("max_epochs", "batch_size", "patience"))
        errors.check(
            self.task in ("auto", "classifier", "regressor"),
            f"task must be 'auto', 'classifier' or 'regressor', got {self.task!r}",
        )
        errors.check(
            0 <= self.validation_fraction < 1,
            f"validation_fraction must be in [0, 1), got {self.validation_fraction!r}",
        )
        errors.raise_if_any()

    def fit(self, X, y):
        """Train on ``X`` (n, d) and ``y`` (labels or values)."""
        from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier, NeuralNetRegressor
        from skorch.callbacks import EarlyStopping
        from skorch.dataset import ValidSplit

        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float32)
        kind = type_of_target(y)
        task = self.task
        if task == "auto":
            task = "classifier" if kind in ("binary", "multiclass") else "regressor"
        self.task_ = task
        seed = check_random_state(self.random_state).randint(2**31)
        common = dict(
            module=StandardizedMLP,
            module__n_features=X.shape[1],
            module__hidden_units=tuple(self.hidden_units),
            module__activation=self.activation,
            max_epochs=self.max_epochs,
            lr=self.lr,
            batch_size=self.batch_size,
            optimizer=torch.optim.Adam,
            optimizer__weight_decay=self.weight_decay,
            iterator_train__shuffle=True,
            device="cpu",
        )
        progress, common["verbose"] = progress_callbacks(self.verbose)
        callbacks = [("standardize", StandardizeInputs())] + progress
        if self.validation_fraction > 0:
            callbacks.append(("early_stopping", EarlyStopping(patience=self.patience, load_best=True)))
            stratified = task == "classifier"
            common["train_split"] = ValidSplit(self.validation_fraction, stratified=stratified, random_state=seed)
        else:
            common["train_split"] = None
        if task == "classifier":
            self.classes_, codes = np.unique(y, return_inverse=True)
            if len(self.classes_) < 2:
                raise ValueError(f"y has 1 class ({self.classes_[0]!r}); a classifier needs at least two.")
            if len(self.classes_) == 2:
                net = NeuralNetBinaryClassifier(module__n_outputs=1, callbacks=callbacks, **common)
                target = codes.astype(np.float32)
            else:
                net = NeuralNetClassifier(
                    module__n_outputs=len(self.classes_),
                    criterion=torch.nn.CrossEntropyLoss,
                    callbacks=callbacks,
                    **common,
                )
                target = codes.astype(np.int64)
        else:
            y = y.astype(np.float32)
            self.y_mean_ = float(y.mean())
            self.y_scale_ = float(y.std()) or 1.0
            target = ((y - self.y_mean_) / self.y_scale_).astype(np.float32)
            net = NeuralNetRegressor(module__n_outputs=1, callbacks=callbacks, **common)
        with torch_seed_context(seed):
            net.fit(X, target)
        self.net_ = net
        return self

    @property
    def module_(self):
        check_is_fitted(self, "net_")
        return self.net_.module_

    def predict(self, X):
        check_is_fitted(self, "net_")
        X = validate_data(self, X, reset=False, dtype=np.float32)
        if self.task_ == "classifier":
            if len(self.classes_) == 2:
                return self.classes_[self.net_.predict(X).astype(int)]
            return self.classes_[self.net_.predict(X)]
        return self.net_.predict(X).ravel() * self.y_scale_ + self.y_mean_

    def predict_proba(self, X):
        check_is_fitted(self, "net_")
        if self.task_ != "classifier":
            raise AttributeError("predict_proba is only available for classification")
        return self.net_.predict_proba(validate_data(self, X, reset=False, dtype=np.float32))

    def score(self, X, y):
        from sklearn.metrics import accuracy_score, r2_score

        pred = self.predict(X)
        return accuracy_score(y, pred) if self.task_ == "classifier" else r2_score(y, pred)
