"""Siamese embedder losses: a k-dimensional code must hold k different invariants."""

import numpy as np
import pytest
import sympy
import torch

from sksymgrad import SiameseEmbedder
from sksymgrad.benchmarks.generators import similar2_groups
from sksymgrad.export import expression_gradients
from sksymgrad.networks.siamese import GroupContrastiveLoss, GroupVarianceRatioLoss
from sksymgrad.neurons import neuron_gradients, parse_neuron
from sksymgrad.search.subspace import subspace_basis, subspace_residual

a, b, c, d = sympy.symbols("a b c d")


def test_variance_ratio_cannot_tell_one_invariant_from_two_but_the_contrastive_loss_can():
    X, groups = similar2_groups(100, 10, random_state=0)
    trace, det = X[:, 0] + X[:, 3], X[:, 0] * X[:, 3] - X[:, 1] * X[:, 2]
    one = torch.tensor(np.column_stack([trace, trace**3]))  # two units, one invariant
    two = torch.tensor(np.column_stack([trace, det]))
    g = torch.tensor(groups)
    ratio, contrast = GroupVarianceRatioLoss(), GroupContrastiveLoss()
    assert ratio(one, g) < 1e-10 and ratio(two, g) < 1e-10
    assert contrast(two, g) < contrast(one, g) - 0.1


def test_two_dimensional_code_spans_trace_and_determinant():
    X, groups = similar2_groups(200, 10, random_state=0)
    emb = SiameseEmbedder(latent_dim=2, random_state=0).fit(X, groups)
    assert emb.criterion_ is GroupContrastiveLoss  # 'auto' for more than one unit
    J = np.stack([neuron_gradients(emb.module_, X, parse_neuron(k))[1] for k in range(2)], axis=1)
    true = np.stack([expression_gradients(e, [a, b, c, d], X) for e in (a + d, a * d - b * c)], axis=2)
    residual = subspace_residual(true, subspace_basis(J))
    assert np.median(residual) < 0.01, np.median(residual)


def test_unknown_loss_is_named():
    with pytest.raises(ValueError, match="loss must be one of"):
        SiameseEmbedder(loss="triplet").fit(np.random.rand(20, 2), np.repeat(np.arange(10), 2))
