"""Autoencoder embedder: unsupervised codes whose units can be interpreted."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import validate_data
from torch import nn

from ._base import EmbedderMixin, train_skorch_net
from .mlp import ACTIVATIONS, StandardizedMLP

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


class AutoencoderEmbedder(EmbedderMixin, TransformerMixin, BaseEstimator):
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
    device : str, default='auto'
        Torch device: ``'auto'`` is CUDA when a GPU is available, else the CPU.
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
        device="auto",
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
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        """Train to reconstruct ``X`` through ``latent_dim`` units (``y`` is ignored)."""
        self._validate_params()
        X = validate_data(self, X, dtype=np.float32)
        self.net_ = train_skorch_net(
            X,
            None,
            self.random_state,
            patience=self.patience,
            verbose=self.verbose,
            device=self.device,
            module=AutoencoderModule,
            module__n_features=X.shape[1],
            module__latent_dim=self.latent_dim,
            module__hidden_units=tuple(self.hidden_units),
            module__activation=self.activation,
            criterion=ReconstructionLoss,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
        )
        return self
