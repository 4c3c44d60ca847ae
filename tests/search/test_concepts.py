"""Exact and noisy recovery of every public concept from analytic gradients."""

import pandas as pd
import pytest
import sympy

from sksymgrad import SymbolicGradientRegressor
from sksymgrad.benchmarks import get_task, list_tasks, recovered
from sksymgrad.search.simplify import sympy_complexity

from ..conftest import analytic_gradients

ALL = list_tasks()


def _fit(task, X, G):
    reg = SymbolicGradientRegressor(max_time=60, random_state=0)
    return reg.fit(pd.DataFrame(X, columns=task.variables), G)


@pytest.mark.parametrize("name", ALL)
def test_exact_gradients_give_the_clean_concept(name):
    task, X, G = analytic_gradients(name)
    reg = _fit(task, X, G)
    expr = reg.sympy()
    check = recovered(expr, task.expression, task.domain, tol=1e-8)
    assert check, f"{name}: got {expr}, 99% error {check.quantile_error:.2e}"
    # Clean, not a look-alike: no more complex than the concept itself + 2.
    assert sympy_complexity(expr) <= sympy_complexity(task.expression) + 2, expr
    # Constants as simple as the concept's: at most four significant digits.
    assert all(len(f"{abs(float(f)):g}".replace(".", "").lstrip("0")) <= 4 for f in expr.atoms(sympy.Float)), expr


@pytest.mark.parametrize("name", ALL)
def test_five_percent_direction_noise_still_recovers(name):
    task, X, G = analytic_gradients(name, noise=0.05, seed=1)
    reg = _fit(task, X, G)
    check = recovered(reg.sympy(), task.expression, task.domain)
    assert check, f"{name}: got {reg.sympy()}, 99% error {check.quantile_error:.2e}"


def test_a_look_alike_does_not_pass_the_exact_tolerance():
    task = get_task("circle")
    assert not recovered("cos(x) + cos(y)", task.expression, task.domain, tol=1e-8)
    assert not recovered("x**2 + 1.01*y**2", task.expression, task.domain, tol=1e-8)
