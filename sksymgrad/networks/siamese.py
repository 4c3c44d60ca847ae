"""Siamese embedder: a network that maps samples sharing a concept to the same code.

Trained on groups of samples that share an invariant (matrices with the same
determinant, points of one trajectory), its latent units encode the
invariant up to an invertible function, which symbolic gradients then read.
"""

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import validate_data
from torch import nn

from ._base import EmbedderMixin, train_skorch_net
from .mlp import StandardizedMLP

__all__ = ["GroupVarianceRatioLoss", "SiameseEmbedder", "check_groups"]


class GroupVarianceRatioLoss(nn.Module):
    """Within-group over total covariance of the codes: ``trace(T^-1 W) / k``.

    For one latent unit, the within-group variance over the total variance.
    Invariant to any invertible linear map of the codes, so it cannot be
    lowered by shrinking them, and a k-dimensional code must hold k
    *different* invariants: two units that learn the same one leave a
    direction (their difference) with nothing group-consistent in it, which
    scores the worst ratio, 1. It is small only when samples of one group
    share a code and groups differ. Groups with a single sample in the batch
    are ignored.
    """

    def forward(self, z, groups):
        z = z.reshape(len(z), -1)
        _, inverse = torch.unique(groups, return_inverse=True)
        counts = torch.bincount(inverse)
        keep = counts[inverse] > 1
        if keep.sum() < 2:
            return (z * 0).sum()
        z, inverse = z[keep], inverse[keep]
        n_groups = int(inverse.max()) + 1
        sums = torch.zeros(n_groups, z.shape[1], dtype=z.dtype, device=z.device).index_add_(0, inverse, z)
        counts = torch.bincount(inverse, minlength=n_groups).to(z.dtype)
        means = sums / counts.clamp(min=1)[:, None]
        resid, centred = z - means[inverse], z - z.mean(dim=0)
        within = resid.T @ resid
        total = centred.T @ centred
        k = z.shape[1]
        eye = torch.eye(k, dtype=z.dtype, device=z.device)
        total = total + (1e-6 * torch.trace(total) / k + 1e-8) * eye
        return torch.trace(torch.linalg.solve(total, within)) / k


def check_groups(groups):
    """Raise a clear ``ValueError`` unless ``groups`` can train a Siamese net."""
    groups = np.asarray(groups)
    if groups.ndim != 1:
        raise ValueError(f"groups (y) must be one group id per sample, got shape {groups.shape}")
    if groups.dtype.kind == "f" and not np.all(np.isfinite(groups)):
        raise ValueError("group ids (y) contain NaN or infinity; give every sample a group id")
    ids, counts = np.unique(groups, return_counts=True)
    if len(ids) < 2:
        raise ValueError(
            f"all samples are in a single group ({ids[0]!r}), i.e. 1 class; a Siamese embedder learns "
            "what differs between groups, so it needs at least 2 groups"
        )
    singles = ids[counts < 2]
    if len(singles):
        raise ValueError(
            f"{len(singles)} group(s) have a single sample (e.g. {singles[:5].tolist()}); every group needs "
            "at least 2 samples sharing the concept. Drop them or collect more samples per group."
        )
    return groups


class SiameseEmbedder(EmbedderMixin, TransformerMixin, BaseEstimator):
    """Learn codes that are equal within groups and differ across groups.

    ``fit(X, y)`` takes group ids ``y``; samples with the same id share the
    concept to be found. A :class:`~sksymgrad.networks.mlp.StandardizedMLP`
    (skorch ``NeuralNet``) is trained with :class:`GroupVarianceRatioLoss`
    on shuffled mini-batches, so every batch holds several members of many
    groups. Latent unit ``k`` is neuron ``k`` for the interpreter.

    Parameters
    ----------
    latent_dim : int, default=1
        Latent units. With more than one, each unit may mix several
        invariants; interpret each and expect combinations.
    hidden_units : tuple of int, default=(64, 64)
    activation : str, default='tanh'
    max_epochs : int, default=400
    lr : float, default=1e-2
    batch_size : int, default=512
        Large batches hold more same-group pairs.
    patience : int, default=20
        Early stopping on the training loss.
    device : str, default='auto'
        Torch device: ``'auto'`` is CUDA when a GPU is available, else the CPU.
    random_state : int or None, default=None
    verbose : int, default=0

    Attributes
    ----------
    net_ : skorch.NeuralNet
    module_ : torch.nn.Module

    Examples
    --------
    >>> from sksymgrad.benchmarks.generators import det2_groups
    >>> X, groups = det2_groups(n_groups=30, random_state=0)
    >>> emb = SiameseEmbedder(max_epochs=3, random_state=0).fit(X, groups)
    >>> emb.transform(X).shape
    (300, 1)
    """

    def __init__(
        self,
        *,
        latent_dim=1,
        hidden_units=(64, 64),
        activation="tanh",
        max_epochs=400,
        lr=1e-2,
        batch_size=512,
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

    def fit(self, X, y):
        """Train on samples ``X`` and group ids ``y``."""
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_groups(y)
        _, codes = np.unique(y, return_inverse=True)
        self.net_ = train_skorch_net(
            X,
            codes.astype(np.int64),
            self.random_state,
            patience=self.patience,
            verbose=self.verbose,
            device=self.device,
            module=StandardizedMLP,
            module__n_features=X.shape[1],
            module__n_outputs=self.latent_dim,
            module__hidden_units=tuple(self.hidden_units),
            module__activation=self.activation,
            criterion=GroupVarianceRatioLoss,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
        )
        return self
