"""Subspace interpretation: several formulas spanning several neurons' gradients."""

import numpy as np
import pytest
import sympy

from sksymgrad.export import expression_gradients
from sksymgrad.search.engine import SearchSettings, operator_table
from sksymgrad.search.operators import DEFAULT_BINARY_OPERATORS, DEFAULT_UNARY_OPERATORS, resolve_operators
from sksymgrad.search.subspace import estimate_rank, fit_subspace, subspace_basis, subspace_residual

a, b, c, d = SYMBOLS = sympy.symbols("a b c d", real=True)
TRACE, DET = a + d, a * d - b * c


def _matrices(n=400, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, 4))


def _jacobian(exprs, X):
    return np.stack([expression_gradients(e, SYMBOLS, X) for e in exprs], axis=1)


def _settings():
    return SearchSettings(
        resolve_operators(DEFAULT_BINARY_OPERATORS, 2),
        resolve_operators(DEFAULT_UNARY_OPERATORS, 1),
        strategies=("linear",),
        max_time=30,
    )


def test_two_invariants_recovered_from_a_random_nonlinear_mixing():
    X = _matrices()
    # a latent space mixes trace and determinant: z1 = tanh(t + 0.5 D), z2 = t - D**2
    mixed = [sympy.tanh(TRACE + DET / 2), TRACE - DET**2]
    settings = _settings()
    steps, residual = fit_subspace(X, _jacobian(mixed, X), settings, operator_table(settings), SYMBOLS, random_state=0)
    formulas = [s.equations.loc[s.best_index, "sympy_format"] for s in steps]
    assert len(formulas) == 2 and residual.max() < 1e-10, formulas
    assert steps[0].explained == pytest.approx(0.5, abs=0.05) and steps[1].explained == pytest.approx(1.0)
    # each formula is a function of the invariants: its gradient lies in their span
    basis = subspace_basis(_jacobian([TRACE, DET], X))
    for f in formulas:
        g = expression_gradients(f, SYMBOLS, X)[:, :, None]
        assert np.quantile(subspace_residual(g, basis), 0.99) < 1e-10


def test_a_wrong_second_formula_is_rejected_by_the_subspace_residual():
    X = _matrices()
    basis = subspace_basis(_jacobian([TRACE, DET], X))
    right = _jacobian([TRACE, DET], X).swapaxes(1, 2)
    wrong = _jacobian([TRACE, a * d], X).swapaxes(1, 2)
    assert subspace_residual(right, basis).max() < 1e-12
    assert np.median(subspace_residual(wrong, basis)) > 0.01


def test_rank_of_the_neurons_gradients():
    X = _matrices()
    assert estimate_rank(_jacobian([TRACE, DET], X)) == 2
    assert estimate_rank(_jacobian([TRACE, sympy.exp(TRACE)], X)) == 1  # the second repeats the first
    assert estimate_rank(_jacobian([TRACE, DET, TRACE * DET], X)) == 2


def test_members_select_and_round_within_their_disagreement():
    X = _matrices(300)
    rng = np.random.default_rng(1)
    # three "networks": different mixings of trace and determinant, each with its own small distortion
    members = []
    for k in range(3):
        exprs = [sympy.tanh(TRACE + (k + 1) * DET / 3), TRACE * (1 + k) - DET**3]
        J = _jacobian(exprs, X)
        members.append(J * (1 + 0.02 * rng.normal(size=J.shape)))
    settings = _settings()
    steps, residual = fit_subspace(
        X, members[0], settings, operator_table(settings), SYMBOLS, member_jacobians=members, random_state=0
    )
    formulas = sorted(str(s.equations.loc[s.best_index, "sympy_format"]) for s in steps)
    assert formulas == ["a + d", "a*d - b*c"], formulas
    assert "member_loss" in steps[0].equations
