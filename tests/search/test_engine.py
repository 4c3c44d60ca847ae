from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import sympy

from sksymgrad import SymbolicGradientRegressor
from sksymgrad.benchmarks import get_task, recovered
from sksymgrad.search.engine import _independent_columns, front_from_candidates, operator_table, run_search
from sksymgrad.search.expressions import constants_of, to_sympy
from sksymgrad.search.operators import OPERATORS
from sksymgrad.search.structure import reduce_by_symmetries, substitute


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


def test_independent_columns_drop_a_near_combination_whatever_the_scales():
    rng = np.random.default_rng(0)
    U = rng.normal(size=(200, 3, 6))
    U[..., 2] *= 1e6
    U[..., 5] = U[..., 0] - 3 * U[..., 1] + 1e-9 * rng.normal(size=(200, 3))
    kept = set(_independent_columns(U))
    assert len(kept) == 5 and {2, 3, 4} <= kept  # one of 0, 1, 5 goes; the large column stays
    assert len(_independent_columns(rng.normal(size=(200, 3, 6)))) == 6


def test_a_lorentz_transformation_is_a_ratio_in_the_symmetry_variables():
    # (t - q*r)/sqrt(1 - q**2) with q = u/c, r = x/c: its square is (t - q*r)**2/(1 - q**2), a quotient
    # with a quartic numerator and a denominator 1 - q**2 that only dimensionless variables allow
    task, X, G = _exact("I.15.3t", n=400)
    reduction, Y, GY, _ = reduce_by_symmetries(X.to_numpy(), G, 1e-6)
    assert reduction is not None and Y.shape[1] == 3
    scale = Y.std(axis=0)
    target = GY * scale / np.linalg.norm(GY * scale, axis=1, keepdims=True)
    base = replace(SymbolicGradientRegressor()._validate_params(), strategies=("ratio",), scale=scale)
    symbols = sympy.symbols("y0:3")

    def best(settings):
        front, _ = run_search(Y, target, np.ones(len(Y)), "gradient", operator_table(settings), settings, symbols, 0)
        return front.loc[front["loss"].idxmin()]

    found = best(replace(base, ratio_terms=True))
    assert found["loss"] < 1e-12, found["equation"]
    equation = to_sympy(substitute(found["tree"], reduction.columns), sympy.symbols(task.variables), OPERATORS)
    assert recovered(equation, task.expression, task.domain, tol=1e-8)
    assert best(base)["loss"] > 1e-8  # without the constant: no such denominator


def test_a_sum_fitted_on_one_level_set_is_also_written_as_the_quotient_it_stands_for():
    # On (m1*r1 + m2*r2)/(m1 + m2) = L a sum of terms needs the level as a constant,
    # m1*r1 + m2*r2 - L*(m1 + m2); the quotient has the same directions there and no level.
    from sksymgrad.benchmarks.criteria import project_to_level_set

    task, X, _ = _exact("I.18.4", n=1500)
    symbols = list(task.symbols)
    values = sympy.lambdify(symbols, task.expression)(*X.to_numpy().T)
    level = float(np.median(values))
    points = project_to_level_set(task.expression, symbols, X.to_numpy(), level, task.domain)[:500]
    X = pd.DataFrame(points, columns=task.variables)
    G = task.gradients(points)
    G = G * (1 + 0.03 * np.random.default_rng(0).normal(size=G.shape))  # about a network's error
    settings = dict(max_time=20, random_state=0, structure=False, strategies=("linear",))
    reg = SymbolicGradientRegressor(**settings).fit(X, G)
    quotients = reg.equations_[reg.equations_["source"] == "quotient"]
    assert len(quotients) and [h["strategy"] for h in reg.history_] == ["linear", "quotient"]
    concept = sympy.sympify("(m1*r1 + m2*r2)/(m1 + m2)", locals={s.name: s for s in symbols})
    assert any(sympy.simplify(e / concept) == 1 or sympy.simplify(e * concept) == 1 for e in quotients.sympy_format)
    assert recovered(reg.sympy(), task.expression, task.domain, level=level), reg.summary()


def _quotients_on_level_set(name, terms_of, coefs_of, noise=0.01):
    """The quotients offered for one sum, from noisy directions on ``name``'s level set at its median."""
    from sksymgrad.benchmarks.criteria import project_to_level_set
    from sksymgrad.search.engine import SearchSettings, _quotient_candidates

    task, X, _ = _exact(name, n=1500)
    symbols = list(task.symbols)
    level = float(np.median(sympy.lambdify(symbols, task.expression)(*X.to_numpy().T)))
    points = project_to_level_set(task.expression, symbols, X.to_numpy(), level, task.domain)[:400]
    G = task.gradients(points) * (1 + noise * np.random.default_rng(0).normal(size=points.shape))
    U = G * points.std(axis=0)
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    settings = SearchSettings(binary_ops=(), unary_ops=(), scale=points.std(axis=0))
    ops = operator_table(settings)
    x = {name: ("x", k) for k, name in enumerate(task.variables)}
    sums = [(terms_of(x), np.array(coefs_of(level)), 1e-3)]
    rng = np.random.default_rng(0)
    found, _ = _quotient_candidates(sums, points, U, np.ones(len(points)), ops, settings, rng, lambda msg: None)
    return task, level, [(to_sympy(tree, symbols, ops), constants_of(tree)) for tree, _, _ in found]


def test_a_sum_that_is_constant_on_the_surface_gives_the_quotient_with_that_constant():
    # (u + v)/(1 + u*v/c**2) = L on its level set, where the directions are those of the sum
    # u + v - L*u*v/c**2 (equal to L there, not 0): the quotient needs the 1 the gradient lost.
    task, level, found = _quotients_on_level_set(
        "I.16.6",
        lambda x: [x["u"], x["v"], ("/", ("*", x["u"], x["v"]), ("square", x["c"]))],
        lambda level: [1.0, 1.0, -round(level, 1)],
    )
    concept = sympy.sympify("(u + v)/(1 + u*v/c**2)", locals={s.name: s for s in task.symbols})
    assert any(recovered(e, concept, task.domain, level=level) for e, _ in found), found


def test_a_sum_with_no_number_to_state_is_not_rewritten_with_its_level():
    # t**2 - x**2 - y**2 - z**2 equals its level on the surface too, but moving that level into a
    # quotient would add a number, (t**2 + 2/3)/(x**2 + y**2 + z**2), not remove one
    _, _, found = _quotients_on_level_set(
        "spacetime",
        lambda x: [("square", x[v]) for v in "txyz"],
        lambda level: [1.0, -1.0, -1.0, -1.0],
    )
    assert found and all(np.allclose(np.abs(numbers), 1) for _, numbers in found), found


def test_a_quotient_is_not_offered_where_its_denominator_changes_sign():
    # the sum a - b + c split every way: on [-1, 2] each denominator (c - b, c, b) changes sign
    from sksymgrad.search.engine import SearchSettings, _quotient_candidates

    rng = np.random.default_rng(0)
    G = np.tile([1.0, -1.0, 1.0], (400, 1)) * (1 + 0.03 * rng.normal(size=(400, 3)))
    G /= np.linalg.norm(G, axis=1, keepdims=True)
    settings = SearchSettings(binary_ops=(), unary_ops=())
    ops = operator_table(settings)
    sums = [([("x", 0), ("x", 1), ("x", 2)], np.array([1.0, -1.0, 1.0]), 1e-3)]
    for low, n_offered in [(-1.0, 0), (1.0, 2)]:
        X = rng.uniform(low, 2.0, (400, 3))
        found, _ = _quotient_candidates(sums, X, G, np.ones(400), ops, settings, rng, lambda msg: None)
        assert len(found) == n_offered and all(source == "quotient" for _, _, source in found)


def test_the_front_squares_a_formula_only_where_it_keeps_one_sign_on_the_labelled_points():
    # I.18.14's shape: f = (r*v*sin(theta) - theta)/sqrt(m) changes sign on the data, not on its
    # decision surface; squaring it would fold f and -f onto one boundary (1128 of 4000 labels wrong).
    from sksymgrad.search.engine import front_from_candidates
    from sksymgrad.search.labels import LabelledPoints

    rng = np.random.default_rng(0)
    data = rng.uniform(1, 5, (2000, 4))
    m, r, v, theta = data.T
    f = (r * v * np.sin(theta) - theta) / np.sqrt(m)
    labels = (f > np.median(f)).astype(int)
    on_surface = data[np.abs(f - np.median(f)) < 0.05]
    tree = ("/", ("-", ("*", ("*", ("x", 1), ("x", 2)), ("sin", ("x", 3))), ("x", 3)), ("sqrt", ("x", 0)))
    symbols = sympy.symbols("m r v theta")
    weights = np.ones(len(on_surface))
    target = np.ones_like(on_surface)  # the loss is given with the candidate; the target is not read
    args = ([(tree, 1e-5, "evolution")], symbols, OPERATORS, "gradient", on_surface, target, weights)
    assert abs(np.median(f)) > 0.5 and not (np.all(f > 0) or np.all(f < 0))
    labelled = LabelledPoints(data, labels, OPERATORS)
    assert front_from_candidates(*args, labelled)["equation"].tolist() == ["(r*v*sin(theta) - theta)/sqrt(m)"]
    # on the surface alone f keeps one sign, so the square is the same boundary there
    assert front_from_candidates(*args)["equation"].tolist() == ["(r*v*sin(theta) - theta)**2/m"]


def test_the_label_search_finds_the_boundary_a_look_alike_seed_misses():
    # the direction search's front offers x0 + x1 (a look-alike); the labels are those of x0*x1/x2
    from sksymgrad.search.engine import SearchSettings, label_candidates
    from sksymgrad.search.labels import LabelledPoints
    from sksymgrad.search.operators import resolve_operators

    rng = np.random.default_rng(0)
    X = rng.uniform(1, 3, (1500, 3))
    f = X[:, 0] * X[:, 1] / X[:, 2]
    labelled = LabelledPoints(X, (f > np.median(f)).astype(int), OPERATORS)
    settings = SearchSettings(
        binary_ops=resolve_operators(("+", "-", "*", "/"), 2), unary_ops=(), niterations=6, populations=2
    )
    seed = ("+", ("x", 0), ("x", 1))
    found = label_candidates([seed], labelled, operator_table(settings), settings, random_state=0)
    wrong = labelled.misclassified([seed] + found).sum(axis=1)
    assert wrong[0] > 150 and wrong[1:].min() == 0, wrong
    x0, x1, x2 = sympy.symbols("x0 x1 x2")
    exprs = [to_sympy(t, [x0, x1, x2], OPERATORS) for t in found]
    assert any(sympy.simplify(e * x2 / (x0 * x1)).is_number for e in exprs), exprs  # the concept, up to a factor
    again = label_candidates([seed], labelled, operator_table(settings), settings, random_state=0)
    assert again == found


def _relativistic_momentum(n_labelled=3000, n_surface=300, noise=0.02, seed=0, name="I.15.1"):
    """Surface points, noisy unit directions there, and labels of ``m*v/sqrt(1 - v**2/c**2)`` (``I.15.1``)."""
    from sksymgrad.search.labels import LabelledPoints

    task = get_task(name)
    rng = np.random.default_rng(seed)
    P = task.sample(n_labelled, rng)
    f = sympy.lambdify(task.variables, task.expression)(*P.T)
    level = np.median(f)
    X = P[np.argsort(np.abs(f / level - 1))[:n_surface]]
    G = task.gradients(X) * X.std(axis=0)  # the search's unit-free frame
    G = G / np.linalg.norm(G, axis=1, keepdims=True) + noise * rng.normal(size=G.shape)
    target = G / np.linalg.norm(G, axis=1, keepdims=True)
    return task, X, target, LabelledPoints(P, (f > level).astype(int), OPERATORS)


def _ratio_settings(X):
    from sksymgrad.search.engine import SearchSettings
    from sksymgrad.search.operators import resolve_operators

    return SearchSettings(
        binary_ops=resolve_operators(("+", "-", "*", "/"), 2),
        unary_ops=resolve_operators(("square", "sqrt", "inv"), 1),
        scale=X.std(axis=0),
        trim=0.1,
    )


def test_the_labels_pick_the_denominator_under_a_square_root_the_directions_cannot():
    from sksymgrad.search.engine import _ratio_candidates
    from sksymgrad.search.screens import label_denominators, label_screen

    task, X, target, labelled = _relativistic_momentum()
    settings = _ratio_settings(X)
    ops = operator_table(settings)
    m, v, c = sympy.symbols(task.variables)

    def run(labels):
        found, _ = _ratio_candidates(
            X, target, np.ones(len(X)), ops, settings, np.random.default_rng(0), None, lambda _: None, labels
        )
        return [to_sympy(tree, [m, v, c], ops) for tree, _, _ in found]

    with_labels = run(labelled)
    assert any(recovered(e, task.expression, task.domain, tol=1e-8) for e in with_labels), with_labels
    assert not any(recovered(e, task.expression, task.domain, tol=1e-8) for e in run(None))

    # the pick itself, among all the denominators of two of these terms: sqrt(c**2 - v**2), positive
    from itertools import combinations

    x = [("x", k) for k in range(3)]
    terms = x + [("square", t) for t in x] + [("*", a, b) for a, b in combinations(x, 2)]
    terms.append(("*", ("*", x[0], x[1]), x[2]))
    # (m*v*c)**2/(c**2 - v**2) separates the labels as well: the simpler quotient goes first
    terms.append(("*", ("*", ("square", x[0]), ("square", x[1])), ("square", x[2])))
    denominators = [((i,), (1.0,)) for i in range(9)]
    denominators += [((i, j), (1.0, s)) for i, j in combinations(range(9), 2) for s in (1.0, -1.0)]
    picked = label_denominators(terms, denominators, label_screen(terms, X, labelled, ops), (1.0, 0.5), 2)
    assert picked[0] == ((4, 5), (-1.0, 1.0), 0.5), picked
    # one term cannot tell sqrt(B) from B (t**2/B has the level sets of t/sqrt(B)): the base comes at both
    assert picked[1] == ((4, 5), (1.0, -1.0), 1.0) and len(picked) == 4, picked


def test_a_denominator_the_labels_pick_that_vanishes_at_a_surface_point_is_skipped(monkeypatch):
    import sksymgrad.search.engine as engine
    from sksymgrad.search.operators import resolve_operators

    _, X, target, labelled = _relativistic_momentum()
    settings = engine.SearchSettings(
        binary_ops=resolve_operators(("+", "-", "*", "/"), 2),
        unary_ops=resolve_operators(("sqrt",), 1),
        scale=X.std(axis=0),
    )
    # sqrt(m - 2) is undefined at the surface points where m < 2: no numerator is usable under it
    monkeypatch.setattr(engine, "label_denominators", lambda terms, *_: [((terms.index(("x", 0)),), (1.0,), 0.5)])
    monkeypatch.setattr(engine, "RATIO_DENOMINATORS", 1)
    X = X.copy()
    X[:, 0] -= 2.0
    found, best = engine._ratio_candidates(
        X, target, np.ones(len(X)), operator_table(settings), settings, np.random.default_rng(0), None, print, labelled
    )
    assert np.isfinite(best) and all(tree[2][0] != "sqrt" for tree, _, _ in found)


def test_the_labels_pick_the_doppler_factor_no_single_denominator_has(monkeypatch):
    import sksymgrad.search.engine as engine
    from sksymgrad.search.engine import _ratio_candidates
    from sksymgrad.search.screens import label_factors, label_screen

    # omega_0*(1 + v/c)/sqrt(1 - v**2/c**2): the level sets of omega_0**2*(c + v)/(c - v); directions
    # this noisy no longer pick its denominator c - v (they do at noise 0.2)
    task, X, target, labelled = _relativistic_momentum(noise=0.3, name="I.34.14")
    settings = _ratio_settings(X)
    ops = operator_table(settings)
    symbols = sympy.symbols(task.variables)

    def run():
        found, _ = _ratio_candidates(
            X, target, np.ones(len(X)), ops, settings, np.random.default_rng(0), None, lambda _: None, labelled
        )
        return [to_sympy(tree, symbols, ops) for tree, _, _ in found]

    exprs = run()
    assert any(recovered(e, task.expression, task.domain, tol=1e-8) for e in exprs), exprs
    monkeypatch.setattr(engine, "RATIO_LABEL_FACTORS", 0)
    assert not any(recovered(e, task.expression, task.domain, tol=1e-8) for e in run())

    c, v, omega = (("x", task.variables.index(name)) for name in ("c", "v", "omega_0"))
    terms = [c, v, omega, ("square", omega), ("*", c, v)]
    (top, bottom), *_ = label_factors(terms, [(0, 1), (0, 4), (2, 4)], label_screen(terms, X, labelled, ops), 1)
    # (c + v)/(c - v), or its inverse the other way up: c*v and omega_0*c*v would not separate the labels
    assert {top, bottom} == {((0, 1), (1.0, 1.0)), ((0, 1), (1.0, -1.0))}, (top, bottom)


def test_the_labels_multiply_a_found_numerator_by_the_lorentz_factor():
    from sksymgrad.search.engine import multiplied_candidates

    # x - u*t is what the directions give for (x - u*t)/sqrt(1 - u**2/c**2) (I.15.3x): the factor spans 1 to
    # 1.34 here; the search leaves the additive constant it never fitted (-2)
    task, X, _, labelled = _relativistic_momentum(name="I.15.3x")
    settings = _ratio_settings(X)
    ops = operator_table(settings)
    x, u, c, t = (("x", task.variables.index(name)) for name in ("x", "u", "c", "t"))
    found = ("+", ("-", ("c", -2.0), x), ("*", u, t))
    (tree,) = multiplied_candidates([found, x, ("*", u, t)], X, labelled, ops, settings)
    expr = to_sympy(tree, sympy.symbols(task.variables), ops)
    assert recovered(expr, task.expression, task.domain, tol=1e-8), expr
    assert labelled.misclassified([tree]).sum() == 0 < labelled.misclassified([found]).sum()
    # nothing to multiply: a lone variable times t/B is a one-term quotient, the ratio path's
    assert multiplied_candidates([x], X, labelled, ops, settings) == []


def test_the_last_front_keeps_a_formula_without_constants_beside_a_shorter_one_with_them(monkeypatch):
    from sksymgrad.search.labels import LabelledPoints

    # I.48.2 seed 2: 1/(m*(c**2 + a*v**2)), a refitted to the labels, misclassified none, so the 11-node
    # c**3*m/sqrt(c**2 - v**2) (no constant, none wrong) that the factor step wrote was dropped from the front
    X = np.random.default_rng(0).uniform(1.0, 2.0, size=(200, 2))
    labelled = LabelledPoints(X, (X[:, 0] * X[:, 1] > 2.25).astype(int), OPERATORS)
    monkeypatch.setattr(labelled, "refit", lambda tree: tree)
    monkeypatch.setattr(labelled, "misclassified", lambda trees: np.zeros((len(trees), len(X)), bool))
    x0, x1 = ("x", 0), ("x", 1)
    short = ("*", x0, ("+", x1, ("c", 0.6)))
    longer = ("+", ("*", x0, ("square", x1)), x0)
    symbols = sympy.symbols("x0 x1", positive=True)

    def sources(candidates, count_constants):
        front = front_from_candidates(
            candidates, symbols, OPERATORS, "gradient", X, None, None, labelled, count_constants
        )
        return list(front["source"])

    candidates = [(short, 1e-3, "a"), (longer, 2e-3, "b")]
    assert sources(candidates, count_constants=True) == ["a", "b"]
    assert sources(candidates, count_constants=False) == ["a"]  # the fronts that seed later searches
    # a shorter formula without constants that misclassifies no more beats it
    assert sources([(("*", x0, x1), 1e-3, "a"), (longer, 2e-3, "b")], count_constants=True) == ["a"]
