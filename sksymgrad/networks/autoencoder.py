"""Autoencoder embedder: unsupervised codes whose units can be interpreted."""

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from ..utils.random import torch_seed_context
from ..utils.validation import ParamErrors
from .mlp import ACTIVATIONS, StandardizeInputs, StandardizedMLP

__all__ = ["AutoencoderModule", "ReconstructionLoss", "AutoencoderEmbedder"]


class AutoencoderModule(nn.Module):
    """``encoder`` (a :class:`StandardizedMLP` to the code) and ``decoder``.

    ``forward`` returns ``(code, reconstruction, standardized input)`` so the
    code comes first: output unit ``k`` is bottleneck unit ``k``.
    """

    def __init__(self, n_features, latent_dim=2, hidden_units=(64, 64), activation="tanh"):
        super().__init__()
        self.encoder = StandardizedMLP(n_features, latent_dim, hidden_units, activation)
        layers, width = [], latent_dim
        for units in reversed(hidden_units):
            layers += [nn.Linear(width, units), ACTIVATIONS[activation]()]
            width = units
        self.decoder = nn.Sequential(*layers, nn.Linear(width, n_features))
        self.latent_dim = latent_dim

    def set_standardization(self, X):
        self.encoder.set_standardization(X)

    def forward(self, X):
        code = self.encoder(X).reshape(len(X), -1)
        standardized = (X - self.encoder.input_mean) / self.encoder.input_scale
        return code, self.decoder(code), standardized


class ReconstructionLoss(nn.Module):
    """Mean squared error between reconstruction and standardized input."""

    def forward(self, outputs, target=None):
        _, reconstruction, standardized = outputs
        return ((reconstruction - standardized) ** 2).mean()


class AutoencoderEmbedder(TransformerMixin, BaseEstimator):
    """Unsupervised bottleneck codes; ``fit(X)``, ``transform(X)`` = codes.

    Parameters
    ----------
    latent_dim : int, default=2
    hidden_units : tuple of int, default=(64, 64)
    activation : str, default='tanh'
    max_epochs : int, default=200
    lr : float, default=3e-3
    batch_size : int, default=128
    patience : int, default=20
    random_state : int or None, default=None
    verbose : int, default=0

    Attributes
    ----------
    net_ : skorch.NeuralNet
    module_ : AutoencoderModule

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(100, 3))
    >>> AutoencoderEmbedder(latent_dim=1, max_epochs=2, random_state=0).fit(X).transform(X).shape
    (100, 1)
    """

    def __init__(
        self,
        *,
        latent_dim=2,
        hidden_units=(64, 64),
        activation="tanh",
        max_epochs=200,
        lr=3e-3,
        batch_size=128,
        patience=20,
        random_state=None,
        verbose=0,
    ):
        self.latent_dim = latent_dim
        self.hidden_units = hidden_units
        self.activation = activation
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.patience = patience
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        """Train to reconstruct ``X`` through ``latent_dim`` units (``y`` is ignored)."""
        from skorch import NeuralNet
        from skorch.callbacks import EarlyStopping

        errors = ParamErrors(type(self).__name__)
        errors.check(isinstance(self.latent_dim, (int, np.integer)) and self.latent_dim >= 1, f"latent_dim must be an integer >= 1, got {self.latent_dim!r}")
        errors.check(self.activation in ACTIVATIONS, f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}")
        errors.raise_if_any()
        X = validate_data(self, X, dtype=np.float32)
        seed = check_random_state(self.random_state).randint(2**31)
        net = NeuralNet(
            module=AutoencoderModule,
            module__n_features=X.shape[1],
            module__latent_dim=self.latent_dim,
            module__hidden_units=tuple(self.hidden_units),
            module__activation=self.activation,
            criterion=ReconstructionLoss,
            optimizer=torch.optim.Adam,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            train_split=None,
            callbacks=[
                ("standardize", StandardizeInputs()),
                ("early_stopping", EarlyStopping(monitor="train_loss", patience=self.patience, load_best=True)),
            ],
            verbose=self.verbose,
            device="cpu",
        )
        with torch_seed_context(seed):
            net.fit(X, None)
        self.net_ = net
        return self

    @property
    def module_(self):
        check_is_fitted(self, "net_")
        return self.net_.module_

    def transform(self, X):
        """Bottleneck codes, shape (n_samples, latent_dim)."""
        check_is_fitted(self, "net_")
        X = validate_data(self, X, reset=False, dtype=np.float32)
        module = self.net_.module_
        module.eval()
        with torch.no_grad():
            code = module(torch.as_tensor(X))[0]
        return code.double().numpy()
