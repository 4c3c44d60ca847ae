"""Symmetries of direction fields (sksymgrad.search.structure)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sympy

from sksymgrad import SymbolicGradientRegressor
from sksymgrad.benchmarks import recovered
from sksymgrad.benchmarks.ensembles import load_ensemble
from sksymgrad.export import expression_gradients
from sksymgrad.search.expressions import evaluate_value, to_sympy
from sksymgrad.search.operators import OPERATORS
from sksymgrad.search.selection import combine_member_directions
from sksymgrad.search.structure import (
    Symmetry,
    _best_first,
    _rivals_set_aside,
    find_symmetries,
    ranked_symmetries,
    reduce_by_symmetries,
)


def _field(expr, symbols, low=1.0, high=5.0, n=500, seed=0, noise=0.0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(low, high, size=(n, len(symbols)))
    G = expression_gradients(expr, symbols, X)
    G /= np.linalg.norm(G, axis=1, keepdims=True)
    if noise:
        G = G + noise * rng.normal(size=G.shape)
    return X, G


def _generators(X, G, kind, tol):
    return [{k: float(v) for k, v in s.coefs.items()} for s in find_symmetries(X, G, kind, tol)]


m, v, c, x1, x2, y, z = sympy.symbols("m v c x1 x2 y z", positive=True)


def test_scaling_group_of_a_ratio():
    X, G = _field(m / sympy.sqrt(1 - v**2 / c**2), [m, v, c])
    X[:, 1] = X[:, 1] * X[:, 2] / 6  # v < c
    G = expression_gradients(m / sympy.sqrt(1 - v**2 / c**2), [m, v, c], X)
    assert _generators(X, G, "scaling", 1e-6) == [{1: 1.0, 2: 1.0}]
    assert _generators(X, G, "translation", 1e-6) == []


def test_scaling_group_with_a_power():
    X, G = _field(m * c**2 + v, [m, v, c])  # m -> m / lambda**2, c -> lambda * c
    assert _generators(X, G, "scaling", 1e-6) == [{0: 2.0, 2: -1.0}]


def test_translation_of_a_difference():
    X, G = _field((x2 - x1) ** 2 * y, [x1, x2, y])
    assert _generators(X, G, "translation", 1e-6) == [{0: 1.0, 1: 1.0}]


@pytest.mark.parametrize("expr", [x1**2 + x2**2 + y, sympy.sin(x1) * x2 + y**3, x1 * sympy.exp(x2) + y])
def test_no_symmetry_is_found_where_there_is_none(expr):
    X, G = _field(expr, [x1, x2, y])
    for kind in ("scaling", "translation"):
        assert _generators(X, G, kind, 1e-6) == []


def test_symmetries_survive_five_percent_direction_noise():
    # the residual of a true generator is about the angular noise; tolerate twice it
    X, G = _field(x1 * x2 + y + z, [x1, x2, y, z], noise=0.05, n=1000)
    assert {0: 1.0, 1: -1.0} in _generators(X, G, "scaling", 0.1)
    X, G = _field((x1 - x2) ** 2 + y + z, [x1, x2, y, z], noise=0.05, n=1000)
    assert {0: 1.0, 1: 1.0} in _generators(X, G, "translation", 0.1)
    X, G = _field(x1**2 + x2**2 + y**3 + z, [x1, x2, y, z], noise=0.05, n=1000)
    assert _generators(X, G, "scaling", 0.1) == [] and _generators(X, G, "translation", 0.1) == []


def test_trimming_finds_a_symmetry_that_a_few_wrong_directions_hide():
    # Network directions are worst at a few points (the data's edges); 5 % of them pointing anywhere
    # pull the least-squares generator off its rational components unless they are left out.
    rng = np.random.default_rng(0)
    X, G = _field(m + v / c, [m, v, c], n=1000, noise=0.01)
    wrong = rng.random(len(X)) < 0.05
    G[wrong] = rng.normal(size=(wrong.sum(), 3))
    assert find_symmetries(X, G, "scaling", 0.1) == []
    found = find_symmetries(X, G, "scaling", 0.05, trim=0.1)
    assert [{k: float(x) for k, x in s.coefs.items()} for s in found] == [{1: 1.0, 2: 1.0}]
    assert found[0].residual < 0.05


def test_best_fitting_symmetry_goes_first_across_kinds():
    spurious = Symmetry("translation", {0: 1, 1: 4}, residual=0.09)
    true = Symmetry("scaling", {0: 1, 1: 1}, residual=0.02)
    assert _best_first([spurious, true], tol=0.1) == [true, spurious]
    # exact gradients: residuals are rounding noise, translations go first, then minimal supports
    exact = [
        Symmetry("scaling", {0: 1, 2: 1}, 1e-16),
        Symmetry("translation", {0: 1, 1: 1, 2: 1}, 3e-16),
        Symmetry("translation", {0: 1, 1: 1}, 2e-16),
    ]
    assert _best_first(exact, tol=1e-5) == [exact[2], exact[1], exact[0]]


def test_a_translation_and_a_scaling_of_the_same_two_variables_rank_by_their_fit():
    # m*log(x2/x1) near the diagonal x1 = x2, through noise: the false translation of (x1, x2) passes the
    # tolerance beside the true scaling and, within a tenth of it, would go first by its kind alone
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(1, 5, 800), rng.uniform(4, 4.3, (800, 2))])
    G = expression_gradients(m * sympy.log(x2 / x1), [m, x1, x2], X)
    G = G / np.linalg.norm(G, axis=1, keepdims=True) + 0.05 * rng.normal(size=G.shape)
    found = [s for kind in ("translation", "scaling") for s in find_symmetries(X, G, kind, 0.3)]
    assert [s.kind for s in _best_first(found, 0.3)] == ["translation", "scaling"]
    assert [(s.kind, s.coefs) for s in ranked_symmetries(X, G, 0.3)] == [("scaling", {1: 1, 2: 1})]
    reduction, Y, _, _ = reduce_by_symmetries(X, G, 0.3, max_steps=1)
    assert [s.kind for s in reduction.symmetries] == ["scaling"]


def test_rival_kinds_are_set_aside_only_on_the_same_two_variables():
    pair_t = Symmetry("translation", {0: 1, 1: 1}, residual=0.081)
    pair_s = Symmetry("scaling", {0: 1, 1: 1}, residual=0.078)
    other_t = Symmetry("translation", {2: 1, 3: 1}, residual=0.09)
    triple_s = Symmetry("scaling", {0: 1, 2: 1, 3: 1}, residual=0.04)
    assert _rivals_set_aside([pair_t, pair_s, other_t, triple_s]) == [pair_s, other_t, triple_s]
    pair_t = Symmetry("translation", {0: 1, 1: 1}, residual=0.07)
    assert _rivals_set_aside([pair_t, pair_s, other_t, triple_s]) == [pair_t, other_t, triple_s]


def test_reduction_maps_back_to_the_original_variables():
    G_of = sympy.Symbol("G", positive=True)
    expr = G_of * m * v / (x2 - x1) ** 2  # invariant under G*m*v products and the x translation
    X, G = _field(expr, [G_of, m, v, x1, x2])
    members = np.stack([G, G])
    reduction, Y, GY, MY = reduce_by_symmetries(X, G, 1e-6, member_gradients=members)
    assert Y.shape[1] < X.shape[1] and MY.shape == (2,) + Y.shape
    values = np.column_stack([evaluate_value(col, X, OPERATORS) for col in reduction.columns])
    np.testing.assert_allclose(values, Y)
    # The reduced gradients are the concept's, written in the reduced variables: a formula in Y with
    # these directions is the concept.
    kinds = {s.kind for s in reduction.symmetries}
    assert kinds == {"scaling", "translation"}


def test_the_reduced_search_keeps_two_variables_where_the_last_symmetry_is_doubtful():
    # Seed 0's networks for n_0*exp(-m*g*x/(kb*T)): four scalings leave n_0 and m*g*x/(kb*T); a fifth,
    # n_0**(5/2)*m, passes the noise tolerance too and would leave one combination, which the concept is not
    # a function of. Its combination joins the front; the search runs on the two variables.
    task, X, members, _ = load_ensemble(Path(__file__).parents[1] / "fixtures" / "ensembles" / "I_40_1.npz")
    mean, _ = combine_member_directions(members)
    settings = dict(max_time=20, random_state=0, trim_fraction=0.1, strategies=("linear",))
    reg = SymbolicGradientRegressor(**settings).fit(X, mean, member_gradients=members)
    assert len(reg.reduction_.columns) == 2 and len(reg.reduction_.symmetries) == 4
    n_0, m, x, T, g, kb = symbols = sympy.symbols(task.variables, positive=True)
    columns = [sympy.simplify(to_sympy(c, symbols, OPERATORS)) for c in reg.reduction_.columns]
    assert n_0 in columns
    # the other is a power of the exponent's argument: log(other)/log(argument) is constant
    other = columns[1 - columns.index(n_0)]
    ratio = sympy.lambdify(symbols, sympy.log(other) / sympy.log(m * g * x / (kb * T)))
    powers = np.broadcast_to(ratio(*np.random.default_rng(0).uniform(1.5, 4.0, size=(6, 5))), 5)
    np.testing.assert_allclose(powers, powers[0], rtol=1e-9)
    # the doubtful step's combination, of all six variables, still joins the front as a formula
    structure = reg.equations_.loc[reg.equations_["source"] == "structure", "sympy_format"]
    assert any({str(s) for s in e.free_symbols} == set(task.variables) for e in structure), list(structure)


def test_regressor_finds_a_lorentz_factor_only_through_the_symmetry():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(1, 5, 600), rng.uniform(1, 2, 600), rng.uniform(3, 10, 600)])
    expr = m / sympy.sqrt(1 - v**2 / c**2)
    G = expression_gradients(expr, [m, v, c], X)
    frame = pd.DataFrame(X, columns=["m", "v", "c"])
    domain = {"m": (1, 5), "v": (1, 2), "c": (3, 10)}
    settings = dict(max_time=20, random_state=0, strategies=("linear",))
    reg = SymbolicGradientRegressor(**settings).fit(frame, G)
    assert reg.reduction_ is not None
    assert recovered(reg.sympy(), expr, domain, tol=1e-8), reg.sympy()
    plain = SymbolicGradientRegressor(structure=False, **settings).fit(frame, G)
    assert plain.reduction_ is None
    assert not recovered(plain.sympy(), expr, domain, tol=1e-8)
