import pickle

import numpy as np
import pandas as pd
import pytest
import sympy
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from sksymgrad import GradientSymbolicInterpreter
from sksymgrad import interpreter as interpreter_module
from sksymgrad.benchmarks import get_task, make_task_data, recovered
from sksymgrad.exceptions import DeadNeuronError, NeuronNotFoundError
from sksymgrad.interpreter import default_regressor
from sksymgrad.networks import MLPNet
from sksymgrad.neurons import parse_neuron

FAST = dict(net__max_epochs=60, regressor__max_time=10, regressor__niterations=4)


def fast_interpreter(**params):
    interp = GradientSymbolicInterpreter(n_points=600, random_state=0, **params)
    fast = FAST if "net" not in params else {k: v for k, v in FAST.items() if not k.startswith("net__")}
    return interp.set_params(**fast)


@pytest.fixture(scope="module")
def circle():
    X, y, level = make_task_data("circle", n_samples=800, random_state=0)
    return X, y, level


@pytest.fixture(scope="module")
def fitted(circle):
    X, y, _ = circle
    return fast_interpreter().fit(X, y)


def test_classifier_concept_is_recovered_in_column_names(fitted, circle):
    X, y, level = circle
    task = get_task("circle")
    assert {s.name for s in fitted.sympy().free_symbols} == {"x", "y"}
    assert recovered(fitted.sympy(), task.expression, task.domain, level=level)
    result = fitted.neurons_["output"]
    assert result.expression == fitted.expression_
    assert result.n_points > 100 and "neuron output" in str(result)
    assert "<b>neuron output</b>" in result._repr_html_()
    # an ensemble of five networks by default: how sure the answer is comes with it
    assert result.n_networks == 5 and len(fitted.members_) == 5
    assert 0.5 < result.stability <= 1 and 0 < result.noise_level < 0.1
    assert "stability" in str(result) and "networks" in result._repr_html_()
    assert result.equations["stability"].sum() == pytest.approx(1.0)
    # a binary classifier: the formulas are checked against the labels of all its training points,
    # not only the 600 the gradients are taken at
    assert fitted.label_points_.shape == X.shape and len(fitted.points_) == 600
    np.testing.assert_array_equal(fitted.point_labels_, y)
    selected = result.equations.loc[result.equations["equation"] == str(result.expression), "label_errors"]
    assert selected.item() == result.label_errors <= 0.02 * len(X)
    assert result.n_labelled == len(X) and f"of {result.n_labelled} labelled points" in str(result)


def test_transform_score_predict(fitted, circle):
    X, y, _ = circle
    Z = fitted.transform(X)
    assert Z.shape == (len(X), 1)
    assert fitted.get_feature_names_out().tolist() == ["concept_output"]
    assert fitted.score(X) > 0.9
    assert (fitted.predict(X) == y).mean() > 0.95


def test_interpret_hidden_neurons_and_cache(fitted):
    neurons = fitted.list_neurons()
    assert neurons["output"] == 1 and neurons["hidden.1"] == 64
    results = fitted.interpret(["hidden.1[0]", "hidden.3[2]"], n_jobs=2)
    assert [r.neuron for r in results] == ["hidden.1[0]", "hidden.3[2]"]
    assert "label_errors" not in results[0].equations  # only the decision function is checked on the labels
    assert fitted.interpret("hidden.1[0]") is results[0]
    assert fitted.transform(np.zeros((3, 2))).shape == (3, 3)


def test_unknown_neurons_get_did_you_mean(fitted):
    with pytest.raises(NeuronNotFoundError, match="did you mean 'hidden.1'"):
        fitted.interpret("hiden.1[0]")
    with pytest.raises(NeuronNotFoundError, match="has 64 units"):
        fitted.interpret("hidden.1[64]")
    with pytest.raises(NeuronNotFoundError, match="did you mean 'hidden.1'"):
        fitted.interpret("hiden.1")


def test_whole_layer_is_interpreted_dead_units_skipped_and_tabulated(circle):
    import torch

    from sksymgrad.exceptions import SksymgradWarning

    X, y, _ = circle
    net = MLPNet(hidden_units=(4,), max_epochs=30, random_state=0).fit(X.to_numpy(), y)
    with torch.no_grad():
        net.module_.hidden[0].weight[0] = 0.0  # unit 0 sees no input: tanh of a constant, a dead unit
    interp = fast_interpreter(net=FrozenEstimator(net)).fit(X, y)
    with pytest.warns(SksymgradWarning, match=r"1 neuron\(s\) .* skipped: \['hidden.1\[0\]'\]"):
        results = interp.interpret("hidden.1", n_jobs=2)  # searches in two processes
    assert [r.neuron for r in results] == ["hidden.1[1]", "hidden.1[2]", "hidden.1[3]"]
    assert interp.dead_neurons_ == ["hidden.1[0]"]
    table = interp.neuron_table()
    assert set(table["neuron"]) == {"output", "hidden.1[1]", "hidden.1[2]", "hidden.1[3]"}
    assert table["loss"].is_monotonic_increasing and list(table.columns[:3]) == ["neuron", "formula", "loss"]
    # one batched pass gives the same gradients as one pass per unit
    from sksymgrad.neurons import layer_gradients, neuron_gradients

    _, G = layer_gradients(net.module_, X.to_numpy()[:50], "hidden.1")
    np.testing.assert_allclose(G[:, 2], neuron_gradients(net.module_, X.to_numpy()[:50], "hidden.1[2]")[1], atol=1e-6)


def test_dead_neuron_is_a_clear_error(circle):
    import torch

    X, y, _ = circle
    interp = fast_interpreter(neuron="hidden.1[0]").set_params(net__activation="relu")
    net = MLPNet(max_epochs=5, activation="relu", random_state=0).fit(X.to_numpy(), y)
    with torch.no_grad():
        net.module_.hidden[0].weight[0] = 0.0
        net.module_.hidden[0].bias[0] = -1.0  # relu(-1) = 0 everywhere: dead
    interp.set_params(net=FrozenEstimator(net))
    with pytest.raises(DeadNeuronError, match=r"neuron 'hidden.1\[0\]'.*zero on 100%"):
        interp.fit(X, y)


def test_unfitted_use_raises_not_fitted():
    with pytest.raises(NotFittedError):
        GradientSymbolicInterpreter().interpret("output")
    with pytest.raises(NotFittedError):
        GradientSymbolicInterpreter().transform(np.zeros((2, 2)))


@pytest.mark.parametrize(
    "X, y, message",
    [
        (pd.DataFrame({"a": [1.0, np.nan, 2, 3], "b": [1.0, 2, 3, 4]}), [0, 1, 0, 1], "column\\(s\\) 'a' \\(1 rows\\)"),
        (np.random.rand(5, 2), np.arange(4), "inconsistent numbers of samples"),
        (pd.DataFrame({"a": [1.0, 2, 3, 4], "colour": ["red", "blue", "red", "red"]}), [0, 1, 0, 1], "'colour'"),
        (pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=["a", "a"]), [0, 1], "duplicate column names \\['a'\\]"),
        (np.random.rand(5, 2), [0, 1, 0, 1, 0], "too few samples to hold out a validation split"),
    ],
)
def test_bad_input(X, y, message):
    with pytest.raises(ValueError, match=message):
        fast_interpreter().fit(X, y)


def test_bad_parameters_are_collected():
    with pytest.raises(ValueError) as info:
        GradientSymbolicInterpreter(n_points=1, points="surface", neuron=[1.5]).fit(
            np.random.rand(10, 2), np.arange(10) % 2
        )
    text = str(info.value)
    assert "n_points must be an integer >= 2" in text and "points must be" in text and "neuron address" in text
    with pytest.raises(ValueError, match=r"hidden_units must be a tuple of positive integers.*\(64,\)"):
        GradientSymbolicInterpreter().set_params(net__hidden_units=64).fit(np.random.rand(10, 2), np.arange(10) % 2)


def test_network_that_learned_nothing_is_reported():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (400, 4))
    y = rng.integers(0, 2, 400)  # labels unrelated to X
    with pytest.warns(UserWarning, match="did not learn the labels well: held-out accuracy"):
        interp = fast_interpreter().set_params(regressor__max_time=2).fit(X, y)
    assert interp.network_score_ < 0.75


def test_nested_params_work_on_defaults():
    interp = GradientSymbolicInterpreter().set_params(regressor__max_time=1, net__max_epochs=3)
    assert interp.get_params()["regressor__max_time"] == 1
    assert interp.get_params()["net__max_epochs"] == 3
    assert interp.regressor.get_params()["model_selection"] == default_regressor().model_selection


def test_clone_pickle_and_reproducibility(fitted, circle):
    X, y, _ = circle
    fresh = clone(fitted)
    assert not hasattr(fresh, "neurons_")
    assert not any(k.endswith("_") for k in fresh.get_params())
    again = pickle.loads(pickle.dumps(fitted))
    assert again.sympy() == fitted.sympy()
    np.testing.assert_allclose(again.transform(X), fitted.transform(X))
    twin = fast_interpreter().fit(X, y)
    assert sympy.srepr(twin.sympy()) == sympy.srepr(fitted.sympy())


def test_grid_search_and_pipeline(circle):
    X, y, _ = circle
    pipe = Pipeline([("identity", FunctionTransformer(feature_names_out="one-to-one")), ("interp", fast_interpreter())])
    search = GridSearchCV(pipe, {"interp__regressor__maxsize": [8, 12]}, cv=2)
    search.fit(X, y)
    assert set(search.cv_results_["param_interp__regressor__maxsize"]) == {8, 12}
    assert np.isfinite(search.best_score_)


def test_prefit_frozen_net_and_plain_module(circle):
    X, y, level = circle
    net = MLPNet(max_epochs=60, random_state=0).fit(X.to_numpy(), y)
    frozen = fast_interpreter(net=FrozenEstimator(net)).fit(X, y)
    assert frozen.net_.estimator is net
    plain = fast_interpreter(net=net.module_).fit(X, y)
    assert plain.sympy() == frozen.sympy()
    single = plain.neurons_["output"]
    assert single.n_networks == 1 and single.stability is None and "not measured" in str(single)


def test_labels_beyond_max_label_points_are_a_random_subset_of_the_training_points(fitted, circle, monkeypatch):
    X, y, _ = circle
    monkeypatch.setattr(interpreter_module, "MAX_LABEL_POINTS", 300)
    net = MLPNet(max_epochs=20, random_state=0).fit(X.to_numpy(), y)
    capped = fast_interpreter(net=FrozenEstimator(net)).set_params(regressor__max_time=2).fit(X, y)
    assert capped.label_points_.shape == (300, 2) and capped.neurons_["output"].n_labelled == 300
    label_of = {tuple(row): label for row, label in zip(X.to_numpy(), np.asarray(y))}
    assert len({tuple(p) for p in capped.label_points_}) == 300
    assert all(label_of[tuple(p)] == label for p, label in zip(capped.label_points_, capped.point_labels_))
    np.testing.assert_array_equal(capped.points_, fitted.points_)  # drawn first, as without the cap


def test_ordinal_multiclass_uses_the_expected_class_index():
    task = get_task("circle")
    X = task.sample(1500, 0)
    r2 = task.values(X)
    y = np.digitize(r2, np.quantile(r2, [0.25, 0.5, 0.75]))
    df = pd.DataFrame(X, columns=task.variables)
    interp = fast_interpreter().set_params(net__max_epochs=100).fit(df, y)
    assert recovered(interp.sympy(), task.expression, task.domain, tol=1e-3), interp.summary()


def test_users_skorch_binary_classifier_gets_float_labels(circle):
    from skorch import NeuralNetBinaryClassifier

    from sksymgrad.networks.mlp import StandardizedMLP

    X, y, level = circle
    net = NeuralNetBinaryClassifier(
        StandardizedMLP, module__n_features=2, max_epochs=40, lr=0.01, optimizer=torch.optim.Adam, verbose=0
    )
    interp = GradientSymbolicInterpreter(net=net, n_points=300, random_state=0).set_params(regressor__max_time=5)
    interp.fit(X, y)  # integer labels; skorch's BCE needs floats
    assert interp.neurons_["output"].n_networks == 1
    assert (interp.net_.predict(X.to_numpy(np.float32)) == y).mean() > 0.9
    assert {s.name for s in interp.sympy().free_symbols} == {"x", "y"}


def test_scaler_in_a_pipeline_warns_and_the_formula_maps_back(circle):
    from sklearn.preprocessing import StandardScaler

    from sksymgrad import raw_unit_formula

    X, y, level = circle
    shifted = X * 50 + 300  # a circle around (300, 300) in other units
    pipe = Pipeline([("scale", StandardScaler().set_output(transform="pandas")), ("interp", fast_interpreter())])
    with pytest.warns(UserWarning, match="mean 0 and standard deviation 1.*raw_unit_formula"):
        pipe.fit(shifted, y)
    raw = raw_unit_formula(pipe)
    scaler, z_formula = pipe["scale"], pipe["interp"].sympy()
    x, y_ = sorted(z_formula.free_symbols, key=lambda s: s.name)
    in_raw_units = z_formula.subs(
        {x: (x - scaler.mean_[0]) / scaler.scale_[0], y_: (y_ - scaler.mean_[1]) / scaler.scale_[1]}
    )
    domain = {"x": (250.0, 350.0), "y": (250.0, 350.0)}
    assert recovered(raw, in_raw_units, domain, tol=1e-6), raw
    assert recovered(raw, "(x - 300)**2 + (y - 300)**2", domain, level=level * 2500, tol=1e-2)


def _plain_binary_classifier(X, y, hidden, lr, steps):
    """A torch module (one tanh layer, one logit) trained full-batch on ``X``, ``y``."""
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1), torch.nn.Flatten(0)
    )
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    Xt, yt = torch.tensor(X.to_numpy(), dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(module(Xt), yt).backward()
        opt.step()
    return module


def test_plain_module_binary_classifier_is_read_on_its_decision_surface():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(-1, 1, (1500, 3)), columns=["a", "b", "c"])
    y = (X.a * X.b + X.c > 0).astype(int).to_numpy()
    module = _plain_binary_classifier(X, y, hidden=32, lr=0.01, steps=400)
    interp = GradientSymbolicInterpreter(net=module, n_points=600, random_state=0).set_params(regressor__max_time=10)
    interp.fit(X, y)
    assert interp.n_classes_ == 2
    level_set = {"a": (-1.0, 1.0), "b": (-1.0, 1.0), "c": (-1.0, 1.0)}
    assert recovered(interp.sympy(), "a*b + c", level_set, level=0.0, tol=1e-3), interp.summary()


def test_surface_points_held_on_the_data_faces_are_left_out_and_counted():
    # x + y = 1.5 meets the faces x = 1 and y = 1 of the unit square: the Newton steps of points near
    # those corners end clipped on a face, where a network extrapolates.
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(0, 1, (800, 2)), columns=["x", "y"])
    y = (X.x + X.y > 1.5).astype(int).to_numpy()
    module = _plain_binary_classifier(X, y, hidden=16, lr=0.02, steps=300)
    interp = GradientSymbolicInterpreter(net=module, n_points=400, random_state=0).set_params(regressor__max_time=2)
    interp.fit(X, y)
    on_faces = interp.n_points_on_faces_["output"]
    points, on_surface = interp._neuron_points(parse_neuron("output"))
    low, high = interp.points_.min(axis=0), interp.points_.max(axis=0)
    assert on_surface and on_faces > 0 and np.all((points > low) & (points < high))
    assert interp.neurons_["output"].n_points == len(points) <= 400 - on_faces


def test_two_logit_skorch_classifier_is_read_through_its_decision_function(circle):
    import torch
    from skorch import NeuralNetClassifier

    X, y, level = circle
    module = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.Tanh(), torch.nn.Linear(32, 2))
    net = NeuralNetClassifier(
        module,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=150,
        lr=0.05,
        optimizer=torch.optim.Adam,
        train_split=None,
        verbose=0,
    )
    interp = fast_interpreter(net=net).fit(X, y)  # default neuron: "output"
    assert interp.n_outputs_ == 2 and interp.n_classes_ == 2
    task = get_task("circle")
    assert recovered(interp.sympy(), task.expression, task.domain, level=level), interp.sympy()


def test_an_untrained_module_is_flagged(circle):
    import torch

    from sksymgrad.exceptions import SksymgradWarning

    X, y, _ = circle
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    with pytest.warns(SksymgradWarning, match="no better than chance .* is it trained"):
        interp = fast_interpreter(net=module).fit(X, y)
    assert interp.network_score_ < 0.75


def test_a_wrong_hidden_neuron_is_reported_before_training(circle, monkeypatch):
    import sksymgrad.interpreter as module

    X, y, _ = circle

    def no_training(*args, **kwargs):
        raise AssertionError("trained before the neuron address was checked")

    monkeypatch.setattr(module, "train_networks", no_training)
    with pytest.raises(NeuronNotFoundError, match="did you mean 'hidden.1'"):
        fast_interpreter(neuron="hiden.1[0]").fit(X, y)
    with pytest.raises(NeuronNotFoundError, match="has 64 units"):
        fast_interpreter(neuron="hidden.1[64]").fit(X, y)
    constant = X.assign(g=9.81)
    with pytest.raises(ValueError, match="'g' \\(always 9.81\\) of X are constant"):
        fast_interpreter().fit(constant, y)


class _Latent(torch.nn.Module):
    """A fixed 'embedder': three latent coordinates mixing trace and determinant."""

    def forward(self, x):
        t = x[:, 0] + x[:, 3]
        det = x[:, 0] * x[:, 3] - x[:, 1] * x[:, 2]
        return torch.stack([t + det, t * 0.5 - det, torch.tanh(t)], dim=1)


def test_interpreter_reads_a_latent_space_and_warns_when_it_holds_fewer_invariants():
    X = pd.DataFrame(np.random.default_rng(0).uniform(-1, 1, size=(300, 4)), columns=["a", "b", "c", "d"])
    interp = GradientSymbolicInterpreter(net=_Latent(), neuron=0, random_state=0)
    interp.set_params(regressor__max_time=10, regressor__strategies=("linear",)).fit(X, np.zeros(len(X)))
    from sksymgrad.exceptions import SksymgradWarning

    with pytest.warns(SksymgradWarning, match="span only 2 independent"):
        result = interp.interpret_subspace()
    assert result.neurons == ["0", "1", "2"]
    assert result.n_formulas == 2 and np.quantile(result.residual, 0.99) < 1e-8, str(result)
    assert "2-dimensional concept" in str(result) and result.explained[-1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least 2 neurons"):
        interp.interpret_subspace([0])
