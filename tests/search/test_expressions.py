import numpy as np
import pytest
import sympy

from sksymgrad.exceptions import DeadNeuronError
from sksymgrad.search.expressions import complexity, evaluate, fold_constants, to_sympy
from sksymgrad.search.losses import direction_loss, direction_targets, value_loss
from sksymgrad.search.operators import OPERATORS, make_operator, resolve_operators

from ..conftest import d_softplus, softplus, sp_softplus

TREES = [
    ("*", ("x", 0), ("square", ("x", 1))),
    ("/", ("sin", ("x", 0)), ("+", ("c", 2.0), ("exp", ("x", 1)))),
    ("-", ("log", ("sqrt", ("x", 0))), ("cube", ("inv", ("x", 1)))),
    ("^", ("x", 0), ("cos", ("x", 1))),
]


@pytest.mark.parametrize("tree", TREES)
def test_forward_gradient_matches_finite_differences(tree):
    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 2.0, (50, 2))
    v, g = evaluate(tree, X, OPERATORS)
    eps = 1e-6
    for j in range(2):
        Xp, Xm = X.copy(), X.copy()
        Xp[:, j] += eps
        Xm[:, j] -= eps
        fd = (evaluate(tree, Xp, OPERATORS)[0] - evaluate(tree, Xm, OPERATORS)[0]) / (2 * eps)
        np.testing.assert_allclose(g[:, j], fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("tree", TREES)
def test_sympy_form_has_the_same_values(tree):
    syms = sympy.symbols("a b", real=True)
    X = np.array([[0.7, 1.3], [1.9, 0.6]])
    f = sympy.lambdify(syms, to_sympy(tree, syms, OPERATORS))
    np.testing.assert_allclose(f(X[:, 0], X[:, 1]), evaluate(tree, X, OPERATORS)[0])


def test_invalid_values_give_infinite_loss_not_errors():
    X = np.array([[-1.0, 0.0], [2.0, 0.0]])
    _, g = evaluate(("+", ("log", ("x", 0)), ("inv", ("x", 1))), X, OPERATORS)
    assert direction_loss(g, np.array([[1.0, 0.0], [1.0, 0.0]])) == np.inf


def test_complexity_counts_nodes():
    assert complexity(("*", ("x", 0), ("square", ("x", 1)))) == 4


def test_direction_targets_drop_degenerate_points_and_normalise():
    G = np.array([[3.0, 4.0], [1e-9, 0.0], [0.0, 2.0], [np.nan, 1.0]])
    mask, N = direction_targets(G)
    assert mask.tolist() == [True, False, True, False]
    np.testing.assert_allclose(np.linalg.norm(N, axis=1), 1.0)


def test_direction_targets_all_zero_is_a_clear_error():
    with pytest.raises(DeadNeuronError, match="zero or not finite"):
        direction_targets(np.zeros((5, 3)))


def test_direction_loss_is_sign_invariant_per_point_and_global_option():
    N = np.array([[1.0, 0.0], [0.0, 1.0]])
    g = np.array([[-2.0, 0.0], [0.0, 3.0]])
    assert direction_loss(g, N) == pytest.approx(0.0)
    assert direction_loss(g, N, sign="global") == pytest.approx(1.0)


def test_value_loss_ignores_affine_rescaling():
    y = np.linspace(0, 1, 20)
    assert value_loss(3 * y - 7, y) == pytest.approx(0.0, abs=1e-12)
    assert value_loss(np.sin(40 * y), y) > 0.5


def test_make_operator_validates_and_pickles():
    import pickle

    op = make_operator("softplus", softplus, d_softplus, sp_softplus)
    assert pickle.loads(pickle.dumps(op)).name == "softplus"
    with pytest.raises(ValueError, match="arity"):
        make_operator("bad", softplus, d_softplus, lambda a, b, c: a, arity=3)
    with pytest.raises(TypeError, match="callable"):
        make_operator("bad", softplus, None, sp_softplus)


def test_unknown_operator_names_suggest_the_fix():
    with pytest.raises(ValueError, match=r"'sinn' \(did you mean 'sin'\?\)"):
        resolve_operators(["sinn", "cos"], 1)


def test_fold_constants_evaluates_variable_free_subtrees_only():
    tree = ("+", ("*", ("sin", ("c", 0.05)), ("x", 0)), ("exp", ("+", ("x", 1), ("c", 1.0))))
    folded = fold_constants(tree, OPERATORS)
    assert folded == ("+", ("*", ("c", np.sin(0.05)), ("x", 0)), tree[2])
    X = np.random.default_rng(0).uniform(0.5, 2, (20, 2))
    assert np.allclose(evaluate(folded, X, OPERATORS)[1], evaluate(tree, X, OPERATORS)[1])
    # a subtree without a finite value is left as it is
    undefined = ("*", ("/", ("c", 1.0), ("-", ("c", 2.0), ("c", 2.0))), ("x", 0))
    assert fold_constants(undefined, OPERATORS)[1][0] == "/"
