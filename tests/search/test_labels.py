import numpy as np
import pytest
import sympy

from sksymgrad.search.engine import front_from_candidates
from sksymgrad.search.labels import (
    LabelledPoints,
    binary_labels,
    misclassified,
    refit_to_labels,
    significantly_worse,
    threshold_misclassified,
)
from sksymgrad.search.operators import OPERATORS


def _brute_force_errors(values, labels):
    best = len(values)
    for t in np.concatenate([[-np.inf], np.unique(values)]):
        above = values > t
        best = min(best, int((above != labels).sum()), int((above == labels).sum()))
    return best


@pytest.mark.parametrize("seed", range(5))
def test_threshold_errors_are_the_fewest_over_thresholds_and_orientations(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 12, size=60).astype(float)  # ties included
    labels = rng.integers(0, 2, size=60)
    wrong = threshold_misclassified(values, labels)
    assert wrong.sum() == _brute_force_errors(values, labels)
    # the points it calls wrong are those a single cut misclassifies: flipping them separates the labels
    fixed = np.where(wrong, 1 - labels, labels)
    assert _brute_force_errors(values, fixed) == 0


def test_undefined_values_count_as_misclassified():
    values = np.array([0.1, np.nan, 0.9, np.inf])
    assert threshold_misclassified(values, np.array([0, 1, 1, 0])).tolist() == [False, True, False, True]
    assert threshold_misclassified(np.full(3, np.nan), np.array([0, 1, 1])).all()


def test_binary_labels_names_the_problem():
    assert binary_labels([2.0, 5.0, 5.0]).tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match="exactly two classes"):
        binary_labels([0, 1, 2])


def _linear_concept(n=2000, flip=0.0, seed=0):
    """Points, labels of ``2a - 3b + c > 0`` with a fraction ``flip`` of the labels flipped."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 3))
    y = (2 * X[:, 0] - 3 * X[:, 1] + X[:, 2] > 0).astype(int)
    noisy = rng.random(n) < flip
    return X, np.where(noisy, 1 - y, y)


CONCEPT = ("+", ("-", ("*", ("c", 2.0), ("x", 0)), ("*", ("c", 3.0), ("x", 1))), ("x", 2))
# b/(2a + c): the same line as the concept where both are level, the other order wherever 2a + c < 0
LOOK_ALIKE = ("/", ("x", 1), ("+", ("*", ("c", 2.0), ("x", 0)), ("x", 2)))
NEAR = ("+", ("-", ("*", ("c", 2.0), ("x", 0)), ("*", ("c", 3.05), ("x", 1))), ("x", 2))


@pytest.mark.parametrize("flip", [0.0, 0.1])
def test_mcnemar_sets_aside_a_look_alike_but_not_the_concept(flip):
    X, y = _linear_concept(flip=flip)
    wrong = misclassified([CONCEPT, LOOK_ALIKE, NEAR], X, y, OPERATORS)
    worse = significantly_worse(wrong)
    assert worse.tolist() == [False, True, False]


def test_a_formula_as_good_as_the_best_is_rarely_set_aside():
    # Two formulas of equal worth (each sees one half of the concept, labels 20 % flipped): the
    # level bounds how often the first is found worse by chance (alpha = 0.05 here, 100 draws).
    rng = np.random.default_rng(0)
    found = 0
    for _ in range(100):
        X = rng.uniform(-1, 1, (400, 2))
        y = (X.sum(axis=1) > 0).astype(int)
        y = np.where(rng.random(400) < 0.2, 1 - y, y)
        found += significantly_worse(misclassified([("x", 0), ("x", 1)], X, y, OPERATORS))[0]
    assert found <= 8


def test_a_long_front_does_not_shield_a_formula_with_clearly_more_errors():
    """Holm's step-down: the rows far worse are rejected first, the 7-error row then at alpha / 2."""
    wrong = np.zeros((14, 4000), bool)
    wrong[0, :7] = True  # 7 more errors than the best: p = 0.0078 > 0.05 / 13, < 0.05 / 2
    wrong[1, 10:12] = True  # 2 more: chance
    for i in range(2, 13):
        wrong[i, 100 * i : 100 * i + 30 + i] = True
    assert significantly_worse(wrong).tolist() == [True, False] + [True] * 11 + [False]


def test_a_formula_as_good_as_the_best_stays_safe_behind_clearly_worse_rows():
    # Holm's step-down rejects the clearly worse rows first and then tests at a looser level: the
    # concept, tied with three look-alikes, must still be set aside by chance at about alpha at most.
    rng = np.random.default_rng(2)
    found = 0
    for _ in range(200):
        wrong = rng.random((12, 2000)) < 0.03
        wrong[4:] |= rng.random((8, 2000)) < 0.03
        found += significantly_worse(wrong)[0]
    assert found <= 16  # measured 4.75 % of 400 draws


def test_front_keeps_the_formula_the_labels_prefer():
    X, y = _linear_concept()
    symbols = [sympy.Symbol(s, real=True) for s in "abc"]
    target = np.tile([2.0, -3.0, 1.0], (len(X), 1)) / np.sqrt(14)
    weights = np.ones(len(X))
    # the look-alike is simpler and (here, by fiat) fits the directions better
    candidates = [(CONCEPT, 1e-3, "linear"), (LOOK_ALIKE, 1e-4, "ratio")]
    plain = front_from_candidates(candidates, symbols, OPERATORS, "gradient", X, target, weights)
    assert plain["equation"].tolist() == ["b/(2*a + c)"]
    labelled = LabelledPoints(X, y, OPERATORS)
    labelled = front_from_candidates(candidates, symbols, OPERATORS, "gradient", X, target, weights, labelled)
    assert sorted(labelled["equation"]) == ["2*a - 3*b + c", "b/(2*a + c)"]


def test_refit_moves_a_shifted_coefficient_to_where_the_labels_put_it():
    # m*(c*h + v**2): networks' gradients put c at 24, the labels at 9.81 * 2
    rng = np.random.default_rng(0)
    X = rng.uniform([1, 0, 0], [3, 2, 1], (2000, 3))
    f = X[:, 0] * (19.62 * X[:, 2] + X[:, 1] ** 2)
    y = (f > np.median(f)).astype(int)
    tree = ("*", ("x", 0), ("+", ("*", ("c", 24.0), ("x", 2)), ("square", ("x", 1))))
    refit = refit_to_labels(tree, X, y, OPERATORS)
    assert refit[2][1][1][1] == pytest.approx(19.62, abs=0.3)
    assert misclassified([refit], X, y, OPERATORS).sum() <= 2 < misclassified([tree], X, y, OPERATORS).sum()


def test_refit_leaves_trees_without_constants_or_without_gain():
    X, y = _linear_concept()
    assert refit_to_labels(("x", 0), X, y, OPERATORS) == ("x", 0)
    assert refit_to_labels(CONCEPT, X, y, OPERATORS) == CONCEPT  # already separates the labels


def test_labelled_points_refit_once_and_map_through_variables():
    X, y = _linear_concept(n=500)
    labelled = LabelledPoints(X, y, OPERATORS)
    assert labelled.refit(NEAR) is labelled.refit(NEAR)
    assert labelled.misclassified([labelled.refit(NEAR)]).sum() <= labelled.misclassified([NEAR]).sum()
    # in the variables (2a - 3b, c) the concept is y0 + y1
    mapped = labelled.in_variables([("-", ("*", ("c", 2.0), ("x", 0)), ("*", ("c", 3.0), ("x", 1))), ("x", 2)])
    assert mapped.misclassified([("+", ("x", 0), ("x", 1))]).sum() == 0
    assert labelled.in_variables([("log", ("x", 0))]) is None  # undefined where a < 0


def test_count_misclassified_is_the_number_threshold_misclassified_marks():
    from sksymgrad.search.labels import count_misclassified

    rng = np.random.default_rng(0)
    for n in (1, 2, 50, 400):
        values = rng.integers(0, 6, n).astype(float)  # many ties
        values[rng.random(n) < 0.1] = np.nan
        labels = rng.integers(0, 2, n)
        assert count_misclassified(values, labels) == threshold_misclassified(values, labels).sum()
    assert count_misclassified(np.full(3, np.inf), np.array([0, 1, 1])) == 3


def test_count_misclassified_columns_counts_each_column_as_count_misclassified_does():
    from sksymgrad.search.labels import count_misclassified, count_misclassified_columns

    rng = np.random.default_rng(1)
    values = rng.integers(0, 8, (300, 6)).astype(float)  # many ties
    values[:, 0] = rng.normal(size=300)
    values[:, 1] = 2.0  # one value: no cut separates anything
    values[5, 2] = np.inf  # the screens skip such a column: every point counts
    labels = (rng.random(300) < 0.4).astype(int)
    expected = [count_misclassified(values[:, k], labels) for k in (0, 1, 3, 4, 5)]
    counts = count_misclassified_columns(values, labels)
    assert counts[[0, 1, 3, 4, 5]].tolist() == expected
    assert counts[1] == min(labels.sum(), 300 - labels.sum()) and counts[2] == 300


@pytest.mark.parametrize("class_one_high", [True, False])
def test_the_front_writes_a_product_of_powers_the_way_round_that_is_larger_on_class_one(class_one_high):
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, (400, 3))
    m1, m2, r = X.T
    f = m1 * m2 / r**2
    y = (f > np.median(f)) if class_one_high else (f < np.median(f))
    symbols = list(sympy.symbols("m1 m2 r", positive=True))
    G = np.column_stack([m2 / r**2, m1 / r**2, -2 * m1 * m2 / r**3])
    target = G / np.linalg.norm(G, axis=1, keepdims=True)
    inverse = ("/", ("square", ("x", 2)), ("*", ("x", 0), ("x", 1)))  # r**2/(m1*m2), what rounding left
    shifted = ("+", ("x", 0), ("x", 2))  # not a product of powers: written as found
    candidates = [(inverse, 1e-12, "linear"), (shifted, 0.1, "linear")]
    plain = front_from_candidates(candidates, symbols, OPERATORS, "gradient", X, target, np.ones(400))
    assert plain["equation"].tolist() == ["m1 + r", "r**2/(m1*m2)"]
    labelled = LabelledPoints(X, y.astype(int), OPERATORS)
    front = front_from_candidates(candidates, symbols, OPERATORS, "gradient", X, target, np.ones(400), labelled)
    assert front["equation"].tolist() == ["m1 + r", "m1*m2/r**2" if class_one_high else "r**2/(m1*m2)"]
