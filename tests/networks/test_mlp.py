import numpy as np
import pytest
import torch

from sksymgrad.networks import MLPNet
from sksymgrad.networks.mlp import MemberLoss, StackedMLP, heavy_tailed_columns


def test_unstacked_members_compute_what_the_stack_computes():
    torch.manual_seed(0)
    stack = StackedMLP(3, hidden_units=(8, 5), activation=("tanh", "softplus"), n_members=3)
    stack.set_standardization(np.random.default_rng(0).normal(2.0, 3.0, (50, 3)))
    X = torch.randn(7, 3)
    out = stack(X)
    assert out.shape == (7, 3)
    members = stack.unstack()
    assert [type(m.hidden[1]).__name__ for m in members] == ["Tanh", "Softplus", "Tanh"]
    for k, member in enumerate(members):
        assert torch.allclose(member(X), out[:, k], atol=1e-5)


def test_members_start_different():
    torch.manual_seed(0)
    out = StackedMLP(2, n_members=4)(torch.randn(5, 2))
    assert out.std(dim=1).min() > 1e-4


@pytest.mark.parametrize("kind, shape, target", [("binary", (6, 3), [0, 1] * 3), ("regression", (6, 3), [0.5] * 6)])
def test_member_loss_is_the_mean_of_member_losses(kind, shape, target):
    torch.manual_seed(0)
    pred = torch.randn(*shape)
    y = torch.tensor(target, dtype=torch.float32)
    loss = MemberLoss(kind)(pred, y)
    if kind == "binary":
        expected = torch.nn.functional.binary_cross_entropy_with_logits(pred, y[:, None].expand_as(pred))
    else:
        expected = ((pred - y[:, None]) ** 2).mean()
    assert torch.allclose(loss, expected)
    # bootstrap counts: a member's zero-count sample does not enter its loss
    counts = torch.ones(shape)
    counts[0, 0] = 0
    weighted = MemberLoss(kind)(pred, torch.column_stack([y, counts]))
    assert not torch.allclose(weighted, loss)


def test_multiclass_member_loss():
    pred = torch.randn(4, 2, 3)
    y = torch.tensor([0, 2, 1, 0])
    expected = torch.nn.functional.cross_entropy(pred.reshape(-1, 3), y.repeat_interleave(2))
    assert torch.allclose(MemberLoss("multiclass")(pred, y.float()), expected)


def test_ensemble_net_predicts_from_the_members_mean():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    net = MLPNet(max_epochs=30, n_members=3, random_state=0).fit(X, y)
    assert len(net.members_) == 3 and net.module_ is net.members_[0]
    with torch.no_grad():
        logits = np.mean([m(torch.tensor(X[:20], dtype=torch.float32)).numpy() for m in net.members_], axis=0)
    assert np.array_equal(net.predict(X[:20]), (logits > 0).astype(int))
    assert np.allclose(net.predict_proba(X[:20])[:, 1], 1 / (1 + np.exp(-logits)), atol=1e-5)
    assert net.score(X, y) > 0.9
    again = MLPNet(max_epochs=30, n_members=3, random_state=0).fit(X, y)
    assert np.allclose(again.predict_proba(X), net.predict_proba(X))


def test_bad_activation_is_reported():
    with pytest.raises(ValueError, match="activation must be one of"):
        MLPNet(activation=("tanh", "nope")).fit(np.zeros((10, 2)) + np.arange(10)[:, None], np.arange(10) % 2)


def test_task_inference_takes_many_valued_integers_for_regression():
    from sksymgrad.networks.mlp import infer_task

    assert infer_task(np.array([0, 1, 1, 0])) == "classifier"
    assert infer_task(np.array(["red", "blue"])) == "classifier"
    assert infer_task(np.arange(30) % 7) == "classifier"
    assert infer_task(np.arange(200.0)) == "regressor"  # integer-valued floats, e.g. load_diabetes
    assert infer_task(np.random.default_rng(0).poisson(20, 300)) == "regressor"  # counts


def test_load_diabetes_is_treated_as_regression():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    net = MLPNet(max_epochs=5, random_state=0).fit(X, y)
    assert net.task_ == "regressor" and net.validation_score_ is not None and net.chance_score_ == 0.0


def test_only_columns_whose_spread_comes_from_a_few_far_points_are_heavy_tailed():
    rng = np.random.default_rng(0)
    n = 5000
    X = np.column_stack(
        [
            rng.uniform(200, 400, n),  # kelvin: large values, no tail
            rng.normal(size=n),
            rng.exponential(size=n),
            rng.lognormal(sigma=1.0, size=n),
            rng.uniform(-1, 1, n) / rng.uniform(1e-4, 1, n) ** 1.5,  # ratios: entries up to 1e5
            rng.standard_cauchy(n),
        ]
    )
    heavy, median, bulk = heavy_tailed_columns(X)
    assert heavy.tolist() == [False, False, False, False, True, True]
    assert np.allclose(median, np.median(X, axis=0)) and np.all(bulk[4:] < 5)


def test_a_network_learns_from_heavy_tailed_inputs():
    """With mean/std standardisation the bulk collapsed onto zero: held-out accuracy 0.47 here."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (1500, 2)) / rng.uniform(1e-4, 1, (1500, 2)) ** 1.5  # |x| up to 1e5, bulk of order 1
    r2 = (X**2).sum(axis=1)
    y = (r2 > np.median(r2)).astype(int)
    net = MLPNet(hidden_units=(32, 32), max_epochs=100, random_state=0).fit(X[:1000], y[:1000])
    assert np.all(net.module_.input_scale.numpy() < 5)  # the bulk's scale, not the tail's (std ~ 1e3)
    assert net.score(X[1000:], y[1000:]) > 0.95
