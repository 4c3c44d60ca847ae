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
from .mlp import StandardizedMLP, network_param_errors

__all__ = ["GroupVarianceRatioLoss", "GroupContrastiveLoss", "SiameseEmbedder", "check_groups"]

_LOSSES = ("auto", "variance_ratio", "contrastive")


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


class GroupContrastiveLoss(nn.Module):
    """Supervised contrastive loss on standardised codes: own group near, every other group far.

    Each code is pulled towards the codes of its group and pushed away from
    all others (a softmax over negative squared distances, temperature
    ``temperature``, per Khosla et al. 2020). Unlike a variance ratio,
    which any function of one invariant already minimises, this separates
    groups that agree on one invariant but not on another, so a
    k-dimensional code learns k different invariants. The codes are
    standardised per batch, so shrinking them does not help.
    """

    def __init__(self, temperature=0.1):
        super().__init__()
        self.temperature = temperature

    def forward(self, z, groups):
        z = z.reshape(len(z), -1)
        z = (z - z.mean(dim=0)) / (z.std(dim=0) + 1e-6)
        logits = -(torch.cdist(z, z) ** 2) / (z.shape[1] * self.temperature)
        eye = torch.eye(len(z), dtype=torch.bool, device=z.device)
        logits = logits.masked_fill(eye, float("-inf"))
        log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        positive = (groups[:, None] == groups[None, :]) & ~eye
        n_positive = positive.sum(dim=1)
        keep = n_positive > 0
        if not keep.any():
            return (z * 0).sum()
        return -(log_p.masked_fill(~positive, 0.0).sum(dim=1)[keep] / n_positive[keep]).mean()


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
        Latent units. With more than one, each unit mixes several
        invariants: interpret them together with
        :meth:`~sksymgrad.GradientSymbolicInterpreter.interpret_subspace`.
    hidden_units : tuple of int, default=(64, 64)
    activation : str, default='tanh'
    loss : {'auto', 'variance_ratio', 'contrastive'}, default='auto'
        Training objective. ``'variance_ratio'``
        (:class:`GroupVarianceRatioLoss`) makes each unit constant within
        groups; it cannot make two units hold *different* invariants (any
        function of one invariant minimises it), so a several-dimensional
        code collapses onto one. ``'contrastive'``
        (:class:`GroupContrastiveLoss`) separates every pair of groups and so
        learns as many invariants as the code has dimensions. ``'auto'``:
        variance ratio for one latent unit, contrastive for more.
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
        loss="auto",
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
        self.loss = loss
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _validate_params(self):
        errors = network_param_errors(self, ("latent_dim", "max_epochs", "batch_size", "patience"))
        errors.check(self.loss in _LOSSES, f"loss must be one of {_LOSSES}, got {self.loss!r}")
        errors.raise_if_any()

    def fit(self, X, y):
        """Train on samples ``X`` and group ids ``y``."""
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_groups(y)
        _, codes = np.unique(y, return_inverse=True)
        loss = self.loss if self.loss != "auto" else ("variance_ratio" if self.latent_dim == 1 else "contrastive")
        self.criterion_ = GroupVarianceRatioLoss if loss == "variance_ratio" else GroupContrastiveLoss
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
            criterion=self.criterion_,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
        )
        return self
