"""Candidate terms of the linear path (sksymgrad.search.library)."""

import numpy as np
import pandas as pd
import sympy

from sksymgrad import SymbolicGradientRegressor
from sksymgrad.benchmarks import recovered
from sksymgrad.export import expression_gradients
from sksymgrad.search.library import AUTO_QUARTIC_FEATURES, build_term_library, monomials

BINARY = ("+", "-", "*", "/")
UNARY = ("square", "cube", "sqrt", "log", "exp", "sin", "cos", "inv", "neg")


def _library(X, **kw):
    return build_term_library(X, BINARY, UNARY, **kw)


def test_monomials_of_a_degree():
    assert len(monomials(3, 4)) == 15  # C(3 + 4 - 1, 4)
    assert ("*", ("square", ("x", 0)), ("square", ("x", 1))) in monomials(2, 4)


def test_quartic_cross_terms_come_with_degree_four_and_auto_gives_it_to_small_problems():
    X = np.random.default_rng(0).uniform(1, 2, (50, 5))
    cross = ("*", ("square", ("x", 0)), ("square", ("x", 1)))
    offered = lambda **kw: any(cross in tier for tier in _library(X, **kw))  # noqa: E731
    assert not offered(max_degree=3) and offered(max_degree=4)
    assert not offered()  # 'auto' with five variables: cubic
    X = X[:, :AUTO_QUARTIC_FEATURES]
    assert offered()


def test_squared_ratios_are_offered_after_the_plain_ratios():
    X = np.random.default_rng(0).uniform(1, 2, (50, 2))
    tiers = _library(X)
    squared = ("square", ("/", ("x", 0), ("x", 1)))
    tier_of = {term: t for t, tier in enumerate(tiers) for term in tier}
    assert tier_of[squared] > tier_of[("/", ("x", 0), ("x", 1))]
    # a ratio with a denominator that crosses zero is not offered
    X[:, 1] -= 1.5
    assert not any(("square", ("/", ("x", 0), ("x", 1))) in tier for tier in _library(X))


def test_products_of_two_ratios_over_one_variable_are_offered_with_the_squared_ratios():
    X = np.random.default_rng(0).uniform(1, 2, (50, 3))
    tiers = _library(X)
    tier_of = {term: t for t, tier in enumerate(tiers) for term in tier}
    product = ("/", ("*", ("x", 0), ("x", 1)), ("square", ("x", 2)))  # u*v/c**2
    assert tier_of[product] == tier_of[("square", ("/", ("x", 0), ("x", 2)))]
    assert ("/", ("*", ("x", 0), ("x", 2)), ("square", ("x", 2))) not in tier_of  # that is a plain ratio
    X[:, 2] -= 1.5  # a denominator crossing zero is not offered
    assert not any(product in tier for tier in _library(X))


def test_a_gaussian_in_a_scaled_variable_is_a_sum_of_library_terms():
    theta, sigma = sympy.symbols("theta sigma", positive=True)
    expr = sympy.exp(-((theta / sigma) ** 2) / 2) / sigma  # log: -(theta/sigma)**2/2 - log(sigma)
    X = np.random.default_rng(0).uniform(1, 3, (400, 2))
    G = expression_gradients(expr, [theta, sigma], X)
    reg = SymbolicGradientRegressor(max_time=10, random_state=0, strategies=("linear",), structure=False)
    reg.fit(pd.DataFrame(X, columns=["theta", "sigma"]), G)
    assert recovered(reg.sympy(), expr, {"theta": (1, 3), "sigma": (1, 3)}, tol=1e-8), reg.summary()
