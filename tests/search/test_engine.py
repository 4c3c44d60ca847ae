import numpy as np
import pandas as pd
import pytest

from sksymgrad import SymbolicGradientRegressor
from sksymgrad.benchmarks import get_task, recovered


def _exact(name, n=600, seed=0):
    task = get_task(name)
    X = task.sample(n, seed)
    return task, pd.DataFrame(X, columns=task.variables), task.gradients(X)


@pytest.mark.parametrize("name", ["I.16.6", "I.18.4"])
def test_the_ratio_path_finds_a_quotient_of_sums_no_sum_of_terms_reaches(name):
    task, X, G = _exact(name)
    settings = dict(max_time=30, random_state=0, structure=False)
    reg = SymbolicGradientRegressor(strategies=("linear", "ratio"), **settings).fit(X, G)
    assert recovered(reg.sympy(), task.expression, task.domain, tol=1e-8), reg.summary()
    assert reg.equations_.loc[reg.best_index_, "source"] == "ratio"
    without = SymbolicGradientRegressor(strategies=("linear",), **settings).fit(X, G)
    assert not recovered(without.sympy(), task.expression, task.domain, tol=1e-8)


def test_the_ratio_path_is_skipped_when_a_sum_of_terms_is_exact_or_the_problem_is_wide():
    _, X, G = _exact("gravity")
    reg = SymbolicGradientRegressor(max_time=10, random_state=0).fit(X, G)
    assert [h["strategy"] for h in reg.history_] == ["linear"]
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.uniform(1, 2, (300, 6)), columns=list("abcdef"))
    a, b, c, d, e, f = wide.to_numpy().T
    G = np.column_stack([np.cos(a * b) * b, np.cos(a * b) * a, 1 + 0 * c, 1 + 0 * d, 1 + 0 * e, np.exp(f)])
    reg = SymbolicGradientRegressor(max_time=3, random_state=0, strategies=("linear", "ratio")).fit(wide, G)
    assert "ratio" not in [h["strategy"] for h in reg.history_]
