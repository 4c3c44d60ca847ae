import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.special
import sympy
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sksymgrad import SymbolicGradientRegressor
from sksymgrad.exceptions import DeadNeuronError
from sksymgrad.search.operators import make_operator
from sksymgrad.search.simplify import constant_digits

from .conftest import analytic_gradients, d_softplus, softplus, sp_softplus

FAST = dict(max_time=20, niterations=4, populations=2, population_size=20)


@pytest.fixture(scope="module")
def circle_fit():
    task, X, G = analytic_gradients("circle", n=300)
    df = pd.DataFrame(X, columns=["x", "y"])
    return SymbolicGradientRegressor(random_state=0, **FAST).fit(df, G), df, G


def test_equations_frame_and_exports(circle_fit):
    reg, df, G = circle_fit
    assert list(reg.equations_.columns[:5]) == ["complexity", "loss", "score", "equation", "sympy_format"]
    assert reg.equations_["complexity"].is_monotonic_increasing
    x, y = sympy.symbols("x y", real=True)
    assert sympy.simplify(reg.sympy() - (x**2 + y**2)) == 0
    assert reg.latex() == "x^{2} + y^{2}"
    assert reg.objective_ == "gradient" and reg.n_points_used_ == 300
    np.testing.assert_allclose(reg.predict(df), df.x**2 + df.y**2)
    assert reg.score(df, G) == pytest.approx(1.0)
    assert ">>>>" in reg.summary()
    assert reg.sympy(index=0) == reg.equations_.loc[0, "sympy_format"]


def test_pandas_names_with_sympy_special_words_become_symbols():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.uniform(1, 2, (200, 3)), columns=["lambda", "E", "N"])
    G = np.column_stack([df.E, df["lambda"], np.zeros(200)])  # grad of lambda*E
    reg = SymbolicGradientRegressor(random_state=0, **FAST).fit(df, G)
    assert {s.name for s in reg.sympy().free_symbols} == {"lambda", "E"}
    assert str(reg.sympy()) == "E*lambda"


def test_value_objective_does_plain_symbolic_regression():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 2))
    y = 3 * X[:, 0] * X[:, 1] + 0.5
    reg = SymbolicGradientRegressor(random_state=0, **FAST).fit(X, y)
    assert reg.objective_ == "value"
    assert reg.score(X, y) > 0.999
    np.testing.assert_allclose(reg.predict(X), y, atol=1e-6)


def test_same_seed_same_result_and_pickle_round_trip(circle_fit):
    task, X, G = analytic_gradients("pendulum", n=300, noise=0.05)
    a = SymbolicGradientRegressor(random_state=3, **FAST).fit(X, G)
    b = SymbolicGradientRegressor(random_state=3, **FAST).fit(X, G)
    assert sympy.srepr(a.sympy()) == sympy.srepr(b.sympy())
    c = pickle.loads(pickle.dumps(a))
    assert c.sympy() == a.sympy()
    np.testing.assert_allclose(c.predict(X), a.predict(X))


def test_clone_is_unfitted_and_params_have_no_fitted_keys(circle_fit):
    reg = circle_fit[0]
    fresh = clone(reg)
    assert not any(k.endswith("_") for k in fresh.get_params())
    with pytest.raises(NotFittedError):
        fresh.predict(np.zeros((2, 2)))


def test_evolution_finds_what_is_not_linear_in_its_parameters():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (400, 2))
    G = np.cos(X[:, [0]] * X[:, [1]]) * X[:, ::-1]  # grad of sin(x0*x1) ~ x0*x1 direction
    # sin(x*y) is a monotone map of x*y on this box, so the clean answer is x0*x1.
    reg = SymbolicGradientRegressor(random_state=0, **FAST).fit(X, G)
    assert str(reg.sympy()) == "x0*x1"
    G2 = np.column_stack([np.cos(X[:, 0] + 2 * X[:, 1]) * 0 + 1, 2 * np.ones(400)])  # grad x0 + 2 x1
    G2 = G2 + np.column_stack([np.zeros(400), np.cos(X[:, 1])])  # + sin(x1)
    reg = SymbolicGradientRegressor(random_state=0, strategies=("evolution",), niterations=30, max_time=30).fit(X, G2)
    check = reg.equations_.loc[reg.best_index_, "loss"]
    assert check < 1e-6, reg.summary()


def test_custom_operator_is_usable_and_pickles():
    op = make_operator("softplus", softplus, d_softplus, sp_softplus)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 2))
    G = np.column_stack([np.ones(200), np.ones(200)])
    reg = SymbolicGradientRegressor(unary_operators=["square", op], random_state=0, **FAST).fit(X, G)
    assert str(reg.sympy()) == "x0 + x1"
    pickle.loads(pickle.dumps(reg))


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.array([[0.0, np.nan], [1.0, 2.0], [2.0, 1.0]]), np.ones((3, 2)), "NaN or infinity in column"),
        (np.ones((3, 2)) * [[1, 2]] + [[0, 0], [1, 1], [2, 0]], np.array([[1.0, np.inf]] * 3), "Input y contains"),
        (np.random.rand(5, 3), np.random.rand(5, 2), r"y has shape \(5, 2\)"),
        (np.random.rand(5, 2), np.random.rand(4), "inconsistent numbers of samples"),
        (
            np.column_stack([np.random.rand(5), np.ones(5)]),
            np.random.rand(5, 2),
            "'x1' \\(always 1\\) of X are constant",
        ),
        (np.random.rand(5, 2), np.zeros((5, 2)), "all 5 target gradients are zero"),
    ],
)
def test_bad_input_gets_a_clear_error(X, y, message):
    with pytest.raises(ValueError, match=message):
        SymbolicGradientRegressor(**FAST).fit(X, y)


def test_all_zero_gradients_raise_dead_neuron_error():
    with pytest.raises(DeadNeuronError):
        SymbolicGradientRegressor(**FAST).fit(np.random.rand(5, 2), np.zeros((5, 2)))


def test_invalid_parameters_are_reported_together():
    reg = SymbolicGradientRegressor(maxsize=0, model_selection="bestt", unary_operators=["sine"], max_degree="4")
    with pytest.raises(ValueError) as info:
        reg.fit(np.random.rand(5, 2), np.random.rand(5, 2))
    text = str(info.value)
    assert "maxsize must be an integer >= 1" in text
    assert "max_degree must be 'auto' or an integer >= 2, got '4'" in text
    assert "model_selection must be" in text
    assert "did you mean 'sin'" in text


def test_degenerate_points_are_dropped_and_counted():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (100, 2))
    G = 2 * X
    G[:10] = 0.0
    reg = SymbolicGradientRegressor(random_state=0, **FAST).fit(X, G)
    assert reg.n_points_dropped_ == 10 and reg.n_points_used_ == 90


def test_awkward_column_names_become_readable_symbols():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(1, 2, (200, 2)), columns=["mean radius", "od280/od315"])
    G = np.column_stack([X.iloc[:, 1], X.iloc[:, 0]])
    reg = SymbolicGradientRegressor(max_time=5, random_state=0).fit(X, G)
    assert str(reg.sympy()) == "mean_radius*od280_od315"
    assert reg.symbol_columns_ == {"mean_radius": "mean radius", "od280_od315": "od280/od315"}
    assert "od280_od315 = column 'od280/od315'" in reg.summary()


@pytest.mark.parametrize("factor", [1e-12, 1.0, 1e12])
def test_the_formula_does_not_depend_on_the_columns_units(factor):
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 3, (400, 3))
    G = np.column_stack([X[:, 1] / X[:, 2] ** 2, X[:, 0] / X[:, 2] ** 2, -2 * X[:, 0] * X[:, 1] / X[:, 2] ** 3])
    scale = np.array([factor, 1.0, 1.0])
    Xs = pd.DataFrame(X * scale, columns=["m1", "m2", "r"])
    reg = SymbolicGradientRegressor(max_time=10, random_state=0).fit(Xs, G / scale)
    assert str(reg.sympy()) == "m1*m2/r**2"


def test_gravity_with_distances_in_the_hundreds_is_found_through_noisy_directions():
    # In raw units the r component of the gradient is 100x smaller than the masses': before the unit-free
    # frame the search returned m1*m2 here.
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.uniform(1, 5, 600), rng.uniform(1, 5, 600), rng.uniform(100, 300, 600)])
    m1, m2, r = X.T
    G = np.column_stack([m2 / r**2, m1 / r**2, -2 * m1 * m2 / r**3])
    G = G / np.linalg.norm(G * X.std(axis=0), axis=1, keepdims=True)  # unit length in the unit-free frame
    G = G + 0.01 * rng.normal(size=G.shape) / X.std(axis=0)  # 1 % noise there, in every column's own units
    reg = SymbolicGradientRegressor(max_time=10, random_state=0).fit(pd.DataFrame(X, columns=["m1", "m2", "r"]), G)
    assert str(reg.sympy()) == "m1*m2/r**2"


def test_columns_in_kelvin_do_not_crash_the_search():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(1, 5, 500), rng.uniform(200, 400, 500)])
    G = np.column_stack([X[:, 1], X[:, 0]])
    G = G / np.linalg.norm(G, axis=1, keepdims=True) + 0.01 * rng.normal(size=X.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        reg = SymbolicGradientRegressor(max_time=10, random_state=0).fit(pd.DataFrame(X, columns=["p", "T"]), G)
    assert str(reg.sympy()) == "T*p"


def test_a_search_stopped_by_max_time_says_so():
    from sklearn.exceptions import ConvergenceWarning

    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, size=(300, 3))
    G = np.column_stack([np.cos(X[:, 0] * X[:, 1]) * X[:, 1], np.cos(X[:, 0] * X[:, 1]) * X[:, 0], np.exp(X[:, 2])])
    with pytest.warns(ConvergenceWarning, match="stopped at max_time=0.05 s"):
        reg = SymbolicGradientRegressor(max_time=0.05, random_state=0).fit(X, G)
    assert reg.timed_out_
    easy = SymbolicGradientRegressor(max_time=5, random_state=0).fit(
        X, np.column_stack([X[:, 1], X[:, 0], 0 * X[:, 2] + 1])
    )
    assert not easy.timed_out_


def test_dependent_columns_are_named_and_the_search_does_not_crash():
    from sksymgrad.exceptions import SksymgradWarning

    # antisymmetric 3x3 matrices stored whole: 9 columns spanning 3 dimensions
    rng = np.random.default_rng(0)
    a, b, c = rng.uniform(-1, 1, size=(3, 400))
    d1, d2, d3 = 1e-17 * rng.normal(size=(3, 400))  # the diagonal at round-off level
    X = pd.DataFrame(
        np.column_stack([d1, a, b, -a, d2, c, -b, -c, d3]),
        columns=["a11", "a12", "a13", "a21", "a22", "a23", "a31", "a32", "a33"],
    )
    G = rng.normal(size=(400, 9))
    with pytest.warns(
        SksymgradWarning, match=r"3 column\(s\) of X are linear combinations of the others \('a\d\d' = -a\d\d"
    ):
        reg = SymbolicGradientRegressor(max_time=3, strategies=("linear",), random_state=0).fit(X, G)
    assert np.isfinite(reg.equations_["loss"]).all()


def test_label_points_go_with_labels_and_name_the_fix():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (100, 2))
    G = 2 * X
    y = (X[:, 0] ** 2 + X[:, 1] ** 2 > 0.5).astype(int)
    reg = SymbolicGradientRegressor(max_time=5, niterations=2, random_state=0)
    with pytest.raises(ValueError, match="go together"):
        reg.fit(X, G, labels=y)
    with pytest.raises(ValueError, match="exactly two classes"):
        reg.fit(X, G, label_points=X, labels=np.arange(100) % 3)
    with pytest.raises(ValueError, match="one label per point"):
        reg.fit(X, G, label_points=X, labels=y[:50])
    with pytest.raises(ValueError, match=r"shape \(n_labelled, 2\)"):
        reg.fit(X, G, label_points=X[:, :1], labels=y)
    with pytest.raises(ValueError, match="value objective"):
        reg.fit(X, X[:, 0], label_points=X, labels=y)
    reg.fit(X, G, label_points=X, labels=y)
    assert str(reg.sympy()) == "x0**2 + x1**2" and "label_errors" in reg.equations_
    assert reg.equations_.loc[reg.best_index_, "label_errors"] == 0


def test_labels_put_back_a_constant_the_networks_shifted():
    # five "networks" agree on m*(24*h + v**2); the labels come from the concept m*(19.62*h + v**2)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform([1, 0, 0], [3, 2, 1], (800, 3)), columns=["m", "v", "h"])
    m, v, h = X.to_numpy().T
    shifted = np.column_stack([24 * h + v**2, 2 * m * v, 24 * m])
    members = np.stack([shifted * (1 + 0.01 * rng.normal(size=shifted.shape)) for _ in range(5)])
    concept = m * (19.62 * h + v**2)
    y = (concept > np.median(concept)).astype(int)
    settings = dict(strategies=("linear",), structure=False, max_time=20, random_state=0)
    blind = SymbolicGradientRegressor(**settings).fit(X, members.mean(axis=0), member_gradients=members)
    assert str(blind.sympy()) == "m*(24*h + v**2)"
    told = SymbolicGradientRegressor(**settings).fit(
        X, members.mean(axis=0), member_gradients=members, label_points=X, labels=y
    )
    coefficient = told.sympy().expand().coeff(sympy.Symbol("h", real=True) * sympy.Symbol("m", real=True))
    assert abs(float(coefficient) - 19.62) < 0.5, told.summary()
    assert told.equations_.loc[told.best_index_, "label_errors"] <= 3
    # the bits of each row: its nodes (4 binary, 9 unary operators, 3 variables, a constant), digits and errors
    eq = told.equations_
    digits = eq["sympy_format"].map(constant_digits)
    bits = eq["complexity"] * np.log2(17) + digits * np.log2(10) + np.log2(scipy.special.comb(800, eq["label_errors"]))
    assert np.allclose(eq["description_length"], bits) and digits.max() > 0


def test_the_label_search_finds_the_concept_the_networks_directions_hide():
    # five "networks" agree on the directions of a*b; the labels come from the concept a*(b + 1)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(1, 3, (800, 2)), columns=["a", "b"])
    a, b = X.to_numpy().T
    look_alike = np.column_stack([b, a])
    members = np.stack([look_alike * (1 + 0.01 * rng.normal(size=look_alike.shape)) for _ in range(5)])
    concept = a * (b + 1)
    y = (concept > np.median(concept)).astype(int)
    settings = dict(structure=False, max_time=20, niterations=4, random_state=0)
    fit = dict(member_gradients=members, label_points=X, labels=y)
    blind = SymbolicGradientRegressor(strategies=("linear",), **settings).fit(X, members.mean(axis=0), **fit)
    assert blind.equations_.loc[blind.best_index_, "label_errors"] > 0
    told = SymbolicGradientRegressor(strategies=("linear", "labels"), **settings).fit(X, members.mean(axis=0), **fit)
    assert str(told.sympy().expand()) == "a*b + a", told.summary()
    assert told.equations_.loc[told.best_index_, ["label_errors", "source"]].tolist() == [0, "labels"]
    assert [h["strategy"] for h in told.history_][-2:] == ["labels", "label factors"]
    # without labels the strategy has nothing to read and does not run
    unlabelled = SymbolicGradientRegressor(strategies=("linear", "labels"), **settings).fit(
        X, members.mean(axis=0), member_gradients=members
    )
    assert "labels" not in [h["strategy"] for h in unlabelled.history_]
