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

from ..utils.devices import resolve_device
from ..utils.random import torch_seed_context
from ..utils.validation import ParamErrors
from .loading import batch_loader

__all__ = [
    "StandardizedMLP",
    "StackedMLP",
    "MemberLoss",
    "StandardizeInputs",
    "MLPNet",
    "ACTIVATIONS",
    "infer_task",
    "heavy_tailed_columns",
]

ACTIVATIONS = {"tanh": nn.Tanh, "silu": nn.SiLU, "softplus": nn.Softplus, "gelu": nn.GELU, "relu": nn.ReLU}

#: The skorch training loop every sksymgrad net shares: batches sliced at once
#: (:func:`~sksymgrad.networks.loading.batch_loader`) and Adam's update as one
#: foreach op per step; the same arithmetic as torch's defaults, bit for bit, at
#: about half the training time on a CPU.
TRAINING_LOOP = dict(
    optimizer=torch.optim.Adam,
    optimizer__foreach=True,
    iterator_train=batch_loader,
    iterator_valid=batch_loader,
    iterator_train__shuffle=True,
)


#: A column whose standard deviation exceeds this many times its bulk's
#: spread (interquartile range / 1.349, the standard deviation of a normal
#: with that IQR) is scaled by the bulk: its variance comes from a few far
#: points (a normal gives 1, a uniform 0.78, a lognormal(1) 2).
HEAVY_TAIL_RATIO = 3.0


def heavy_tailed_columns(X):
    """Columns whose spread comes from a few far points, with their bulk's centre and scale.

    A few entries of 1e3-1e4 among values of order 1 (ratios, matrix entries
    of ``M A M^-1``) inflate the standard deviation so much that the bulk of
    the data lands within a hair of zero after standardising, and the network
    cannot resolve it. Such columns (standard deviation above
    :data:`HEAVY_TAIL_RATIO` times IQR/1.349) are centred on their median and
    scaled by IQR/1.349 instead; the far points then lie far out, where they
    belong.

    Returns
    -------
    heavy : ndarray of bool, shape (n_features,)
    median, bulk_scale : ndarray of shape (n_features,)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([rng.uniform(0, 1, 1000), rng.standard_cauchy(1000)])
    >>> heavy, median, scale = heavy_tailed_columns(X)
    >>> heavy.tolist(), bool(0.5 < scale[1] < 2)
    ([False, True], True)
    """
    X = np.asarray(X, dtype=np.float64)
    q25, median, q75 = np.percentile(X, [25, 50, 75], axis=0)
    bulk = (q75 - q25) / 1.349
    return (bulk > 0) & (X.std(axis=0) > HEAVY_TAIL_RATIO * bulk), median, bulk


class _Standardized(nn.Module):
    """Input standardisation held as buffers, so gradients stay in raw units."""

    def __init__(self, n_features):
        super().__init__()
        self.register_buffer("input_mean", torch.zeros(n_features))
        self.register_buffer("input_scale", torch.ones(n_features))

    def set_standardization(self, X):
        X = np.asarray(X, dtype=np.float32)
        Xt = torch.as_tensor(X, device=self.input_mean.device)
        mean, scale = Xt.mean(dim=0), Xt.std(dim=0)
        heavy, median, bulk = (torch.as_tensor(a, device=mean.device) for a in heavy_tailed_columns(X))
        mean = torch.where(heavy, median.to(mean.dtype), mean)
        scale = torch.where(heavy, bulk.to(scale.dtype), scale)
        self.input_mean.copy_(mean)
        self.input_scale.copy_(torch.where(scale > 0, scale, torch.ones_like(scale)))

    def standardize(self, X):
        return (X - self.input_mean) / self.input_scale


class StandardizedMLP(_Standardized):
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
        super().__init__(n_features)
        layers, width = [], n_features
        for units in hidden_units:
            layers += [nn.Linear(width, units), ACTIVATIONS[activation]()]
            width = units
        self.hidden = nn.Sequential(*layers)
        self.output = nn.Linear(width, n_outputs)
        self.n_outputs = n_outputs

    def forward(self, X):
        out = self.output(self.hidden(self.standardize(X)))
        return out.squeeze(-1) if self.n_outputs == 1 else out


class _StackedLinear(nn.Module):
    """``n_members`` independent Linear layers applied as one batched matmul."""

    def __init__(self, n_members, in_features, out_features):
        super().__init__()
        bound = 1.0 / np.sqrt(in_features)  # nn.Linear's default initialisation
        self.weight = nn.Parameter(torch.empty(n_members, in_features, out_features).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n_members, 1, out_features).uniform_(-bound, bound))

    def forward(self, X):  # (members, batch, in) -> (members, batch, out)
        return torch.baddbmm(self.bias, X, self.weight)


class _MemberActivations(nn.Module):
    """Activation ``names[k % len(names)]`` on member ``k`` of a (members, batch, units) tensor."""

    def __init__(self, names, n_members):
        super().__init__()
        self.names = [names[k % len(names)] for k in range(n_members)]
        self.acts = nn.ModuleList([ACTIVATIONS[name]() for name in self.names])

    def forward(self, Z):
        if len(set(self.names)) == 1:
            return self.acts[0](Z)
        return torch.stack([act(z) for act, z in zip(self.acts, Z)])


def _activation_names(activation):
    return (activation,) if isinstance(activation, str) else tuple(activation)


class StackedMLP(_Standardized):
    """``n_members`` independently initialised :class:`StandardizedMLP` trained as one module.

    The members share the input standardisation and the mini-batches but no
    weights; stacking them turns ``n_members`` small matmuls into one batched
    one, so an ensemble of five costs little more than one network on a CPU.
    The forward returns every member's output, shape ``(n, n_members)`` (or
    ``(n, n_members, n_outputs)``); :meth:`unstack` gives the members as
    ordinary :class:`StandardizedMLP` modules.

    Parameters
    ----------
    n_features : int
    n_outputs : int, default=1
    hidden_units : tuple of int, default=(64, 64)
    activation : str or tuple of str, default='tanh'
        A tuple gives member ``k`` the activation ``activation[k % len]``.
    n_members : int, default=5
    """

    def __init__(self, n_features, n_outputs=1, hidden_units=(64, 64), activation="tanh", n_members=5):
        super().__init__(n_features)
        layers, width = [], n_features
        names = _activation_names(activation)
        for units in hidden_units:
            layers += [_StackedLinear(n_members, width, units), _MemberActivations(names, n_members)]
            width = units
        self.hidden = nn.Sequential(*layers)
        self.output = _StackedLinear(n_members, width, n_outputs)
        self.config = dict(n_features=n_features, n_outputs=n_outputs, hidden_units=hidden_units, activation=activation)
        self.n_members = n_members

    def forward(self, X):
        Z = self.standardize(X).expand(self.n_members, *X.shape)
        out = self.output(self.hidden(Z)).transpose(0, 1)  # (n, members, outputs)
        return out.squeeze(-1) if self.config["n_outputs"] == 1 else out

    def unstack(self):
        """The members as a list of :class:`StandardizedMLP` (copies, in eval mode)."""
        stacked = [m for m in list(self.hidden) + [self.output] if isinstance(m, _StackedLinear)]
        members = []
        names = self.hidden[1].names
        for k in range(self.n_members):
            member = StandardizedMLP(**{**self.config, "activation": names[k]}).to(self.input_mean.device)
            linears = [m for m in list(member.hidden) + [member.output] if isinstance(m, nn.Linear)]
            with torch.no_grad():
                member.input_mean.copy_(self.input_mean)
                member.input_scale.copy_(self.input_scale)
                for lin, st in zip(linears, stacked):
                    lin.weight.copy_(st.weight[k].T)
                    lin.bias.copy_(st.bias[k, 0])
            members.append(member.eval())
        return members


class MemberLoss(nn.Module):
    """Weighted mean over ensemble members of a per-member loss.

    ``y_pred`` carries a members axis after the batch axis (see
    :class:`StackedMLP`). ``y_true`` is the shared target (n,) or, as
    (n, 1 + n_members), the target followed by each member's sample weights
    (bootstrap counts: every member learns from its own resample).

    Parameters
    ----------
    kind : {'binary', 'multiclass', 'regression'}
        Binary cross-entropy on logits, cross-entropy, or squared error.
    """

    def __init__(self, kind="binary"):
        super().__init__()
        self.kind = kind

    def forward(self, y_pred, y_true):
        n, n_members = y_pred.shape[:2]
        if y_true.ndim == 2:
            target, weights = y_true[:, 0], y_true[:, 1:].to(torch.float32)
        else:
            target, weights = y_true, torch.ones(n, n_members, device=y_pred.device)
        if self.kind == "multiclass":
            per = nn.functional.cross_entropy(
                y_pred.reshape(-1, y_pred.shape[-1]), target.long().repeat_interleave(n_members), reduction="none"
            ).reshape(n, n_members)
        else:
            target = target.reshape(-1, 1).expand_as(y_pred).to(y_pred.dtype)
            if self.kind == "binary":
                per = nn.functional.binary_cross_entropy_with_logits(y_pred, target, reduction="none")
            else:
                per = (y_pred - target) ** 2
        return (per * weights).sum() / weights.sum().clamp_min(1.0)


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
    names = _activation_names(net.activation) if isinstance(net.activation, (str, tuple, list)) else (None,)
    errors.check(
        len(names) > 0 and all(name in ACTIVATIONS for name in names),
        f"activation must be one of {sorted(ACTIVATIONS)} (or a tuple of them, one per ensemble member), "
        f"got {net.activation!r}",
    )
    units = net.hidden_units
    errors.check(
        isinstance(units, (tuple, list)) and all(isinstance(u, (int, np.integer)) and u >= 1 for u in units),
        f"hidden_units must be a tuple of positive integers, one per hidden layer (e.g. (64,) or (64, 64)), "
        f"got {units!r}",
    )
    return errors


#: Numeric labels with more distinct values than this are taken for a regression target.
MAX_AUTO_CLASSES = 10


def infer_task(y):
    """``'classifier'`` or ``'regressor'`` for a target, as ``task='auto'`` decides.

    Strings, booleans and numeric labels with at most :data:`MAX_AUTO_CLASSES`
    distinct values are classes; anything else numeric is a regression target,
    also when it is integer-valued (counts, scores). Override with ``task``.

    Examples
    --------
    >>> infer_task(["a", "b", "a"]), infer_task([0, 1, 2, 1]), infer_task(np.arange(40.0))
    ('classifier', 'classifier', 'regressor')
    """
    y = np.asarray(y)
    kind = type_of_target(y, raise_unknown=True)
    if y.dtype.kind not in "iuf":
        return "classifier"
    if kind == "binary" or (kind == "multiclass" and len(np.unique(y)) <= MAX_AUTO_CLASSES):
        return "classifier"
    return "regressor"


class MLPNet(BaseEstimator):
    """Default network: classifier or regressor chosen from ``y`` at ``fit``.

    A thin scikit-learn estimator around a skorch ``NeuralNet`` training
    ``n_members`` independently initialised MLPs as one batched
    :class:`StackedMLP`. Several members let the interpreter measure how much
    networks trained on the same data disagree (the noise its selection is
    calibrated on); predictions use the members' mean output. Because the
    task is chosen in ``fit``, hyperparameters are reachable as
    ``net__max_epochs`` etc. before anyone knows it.

    Parameters
    ----------
    hidden_units : tuple of int, default=(64, 64)
    activation : str or tuple of str, default='tanh'
        One of ``ACTIVATIONS``, or one per member. ``'silu'`` gives decision
        surfaces whose directions are three times closer to the concept's
        on the AI Feynman suite, but has not recovered more formulas (113
        against tanh's 118 of 150, tolerances recalibrated; a mix of four
        activations: 107), docs/method.md, "Which activation".
    max_epochs : int, default=300
    lr : float, default=3e-3
        Adam learning rate.
    batch_size : int, default=128
    weight_decay : float, default=0.0
    patience : int, default=30
        Early stopping on the validation loss (epochs without improvement).
    validation_fraction : float, default=0.15
    n_members : int, default=1
        Networks trained together (the interpreter sets its ``n_networks``).
    bootstrap : bool, default=True
        With several members, each trains on its own bootstrap resample of
        the training split (Poisson(1) counts per sample), so that their
        disagreement includes what the finite data leave open, not only the
        random initialisation.
    device : str, default='auto'
        Torch device for training and inference: ``'auto'`` is CUDA when a
        GPU is available, else the CPU (results agree to float tolerance).
    task : {'auto', 'classifier', 'regressor'}, default='auto'
        ``'auto'``: see :func:`infer_task` (numeric targets with more than 10
        distinct values, integer-valued or not, are regression).
    random_state : int or None, default=None
    verbose : int, default=0
        1: a progress bar over epochs; 2: skorch's epoch table.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        Holds the stacked module.
    members_ : list of StandardizedMLP
        The trained members, each an ordinary module.
    module_ : StandardizedMLP
        The first member (addresses such as ``"hidden.1[3]"`` refer to it).
    classes_ : ndarray
        Classifiers only.
    task_ : str
    validation_score_ : float or None
        Accuracy (classifier) or R^2 (regressor) of the members' mean on the
        held-out validation split; ``None`` without one.
    chance_score_ : float or None
        What guessing scores on that split: the majority class's share, or 0.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform(-1, 1, (200, 2))
    >>> net = MLPNet(max_epochs=5, n_members=3, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    >>> net.task_, net.predict(X[:3]).shape, len(net.members_)
    ('classifier', (3,), 3)
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
        n_members=1,
        bootstrap=True,
        device="auto",
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
        self.n_members = n_members
        self.bootstrap = bootstrap
        self.device = device
        self.task = task
        self.random_state = random_state
        self.verbose = verbose

    def _validate_params(self):
        errors = network_param_errors(self, ("max_epochs", "batch_size", "patience", "n_members"))
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
        from skorch import NeuralNet
        from skorch.callbacks import EarlyStopping
        from skorch.dataset import Dataset
        from skorch.helper import predefined_split

        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float32)
        task = infer_task(y) if self.task == "auto" else self.task
        self.task_ = task
        seed = check_random_state(self.random_state).randint(2**31)
        n_outputs = 1
        if task == "classifier":
            self.classes_, codes = np.unique(y, return_inverse=True)
            if len(self.classes_) < 2:
                raise ValueError(f"y has 1 class ({self.classes_[0]!r}); a classifier needs at least two.")
            counts = np.bincount(codes)
            n_valid = int(np.ceil(self.validation_fraction * len(y)))  # as sklearn's splitter counts
            if self.validation_fraction > 0 and (
                counts.min() < 2 or min(n_valid, len(y) - n_valid) < len(self.classes_)
            ):
                raise ValueError(
                    f"too few samples to hold out a validation split: {len(y)} rows, {len(self.classes_)} "
                    f"classes, the rarest with {counts.min()} row(s). Use more data, or set "
                    "validation_fraction=0 (net__validation_fraction=0 on the interpreter) to train without "
                    "early stopping. If y holds measured values, not labels, pass task='regressor'."
                )
            loss = "binary" if len(self.classes_) == 2 else "multiclass"
            n_outputs = 1 if loss == "binary" else len(self.classes_)
            target = codes.astype(np.float32 if loss == "binary" else np.int64)
        else:
            loss = "regression"
            y = y.astype(np.float32)
            self.y_mean_ = float(y.mean())
            self.y_scale_ = float(y.std()) or 1.0
            target = ((y - self.y_mean_) / self.y_scale_).astype(np.float32)
        progress, skorch_verbose = progress_callbacks(self.verbose)
        callbacks = [("standardize", StandardizeInputs())] + progress
        train, valid = self._split(len(X), target if task == "classifier" else None, seed)
        rng = np.random.default_rng(seed)
        counts = np.ones((len(train), self.n_members), np.float32)
        if self.bootstrap and self.n_members > 1:
            counts = rng.poisson(1.0, counts.shape).astype(np.float32)
        y_train = np.column_stack([target[train].astype(np.float32), counts])
        train_split = None
        if valid is not None:
            callbacks.append(("early_stopping", EarlyStopping(patience=self.patience, load_best=True)))
            y_valid = np.column_stack([target[valid], np.ones((len(valid), self.n_members))]).astype(np.float32)
            train_split = predefined_split(Dataset(X[valid], y_valid))
        net = NeuralNet(
            module=StackedMLP,
            module__n_features=X.shape[1],
            module__n_outputs=n_outputs,
            module__hidden_units=tuple(self.hidden_units),
            module__activation=self.activation,
            module__n_members=self.n_members,
            criterion=MemberLoss,
            criterion__kind=loss,
            max_epochs=self.max_epochs,
            lr=self.lr,
            batch_size=self.batch_size,
            optimizer__weight_decay=self.weight_decay,
            train_split=train_split,
            callbacks=callbacks,
            verbose=skorch_verbose,
            device=resolve_device(self.device),
            **TRAINING_LOOP,
        )
        with torch_seed_context(seed):
            net.fit(X[train], y_train)
        self.net_ = net
        self.members_ = net.module_.unstack()
        self.validation_score_ = self.chance_score_ = None
        if valid is not None:
            self.validation_score_ = float(self.score(X[valid], y[valid]))
            self.chance_score_ = float(np.bincount(codes[valid]).max() / len(valid)) if task == "classifier" else 0.0
        return self

    def _split(self, n_samples, labels, seed):
        """Training and validation row indices (stratified for classifiers; no validation at 0)."""
        from sklearn.model_selection import train_test_split

        rows = np.arange(n_samples)
        if self.validation_fraction <= 0:
            return rows, None
        return train_test_split(rows, test_size=self.validation_fraction, stratify=labels, random_state=seed % 2**32)

    @property
    def module_(self):
        check_is_fitted(self, "net_")
        return self.members_[0]

    def _mean_output(self, X):
        """The members' mean output (logits, or standardised values) on ``X``."""
        check_is_fitted(self, "net_")
        X = validate_data(self, X, reset=False, dtype=np.float32)
        module = self.net_.module_
        module.eval()
        with torch.no_grad():
            out = module(torch.as_tensor(X, device=module.input_mean.device))
        return out.mean(dim=1).double().cpu().numpy()

    def predict(self, X):
        out = self._mean_output(X)
        if self.task_ == "classifier":
            codes = (out > 0).astype(int) if out.ndim == 1 else out.argmax(axis=1)
            return self.classes_[codes]
        return out * self.y_scale_ + self.y_mean_

    def predict_proba(self, X):
        check_is_fitted(self, "net_")
        if self.task_ != "classifier":
            raise AttributeError("predict_proba is only available for classification")
        out = self._mean_output(X)
        if out.ndim == 1:
            p = 1.0 / (1.0 + np.exp(-out))
            return np.column_stack([1 - p, p])
        out = np.exp(out - out.max(axis=1, keepdims=True))
        return out / out.sum(axis=1, keepdims=True)

    def score(self, X, y):
        from sklearn.metrics import accuracy_score, r2_score

        pred = self.predict(X)
        return accuracy_score(y, pred) if self.task_ == "classifier" else r2_score(y, pred)
