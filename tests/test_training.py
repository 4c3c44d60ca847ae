import numpy as np
import pytest
import torch
from sklearn.frozen import FrozenEstimator

from sksymgrad.networks import MLPNet
from sksymgrad.training import check_network_quality, n_classes, train_networks


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


def _outputs(modules, X):
    with torch.no_grad():
        return [m(torch.tensor(X[:20], dtype=torch.float32)).numpy() for m in modules]


def test_default_is_a_batched_ensemble_of_five(data):
    X, y = data
    net, members = train_networks(MLPNet(max_epochs=3), X, y, "auto", seed=0)
    assert net.n_members == 5 and len(members) == 5 and n_classes(net) == 2
    out = _outputs(members, X)
    assert not np.allclose(out[0], out[1])


def test_networks_without_batching_are_trained_once_per_member(data):
    from skorch import NeuralNetBinaryClassifier

    from sksymgrad.networks.mlp import StandardizedMLP

    X, y = data
    skorch_net = NeuralNetBinaryClassifier(StandardizedMLP, module__n_features=2, max_epochs=2, verbose=0)
    net, members = train_networks(skorch_net, X, y, 3, seed=0)
    assert len(members) == 3 and members[0] is net.module_
    out = _outputs(members, X)
    assert not np.allclose(out[0], out[1]) and not np.allclose(out[1], out[2])
    _, one = train_networks(skorch_net, X, y, "auto", seed=0)
    assert len(one) == 1


def test_frozen_and_plain_modules_are_used_as_they_are(data):
    X, y = data
    fitted = MLPNet(max_epochs=2, n_members=2, random_state=0).fit(X, y)
    net, members = train_networks(FrozenEstimator(fitted), X, y, "auto")
    assert net.estimator is fitted and len(members) == 2
    module = torch.nn.Linear(2, 1)
    _, members = train_networks(module, X, y, 5)
    assert len(members) == 1 and torch.equal(members[0].weight, module.weight)


def test_network_quality_is_returned_and_a_useless_network_warned_about(data):
    X, y = data
    fitted = MLPNet(max_epochs=2, random_state=0).fit(X, y)
    fitted.validation_score_, fitted.chance_score_ = 0.55, 0.5
    with pytest.warns(UserWarning, match="held-out accuracy 0.55 vs 0.50"):
        assert check_network_quality(fitted) == 0.55
    fitted.validation_score_ = 0.97
    assert check_network_quality(fitted) == 0.97
    assert check_network_quality(torch.nn.Linear(2, 1)) is None
