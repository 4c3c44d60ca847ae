import numpy as np

from sksymgrad.search.labels import LabelledPoints
from sksymgrad.search.operators import OPERATORS
from sksymgrad.search.screens import label_multipliers, label_screen, without_offset


def _points_and_labels(concept, n=2000, seed=0):
    X = np.random.default_rng(seed).uniform(1.0, 3.0, size=(n, 2))
    f = concept(*X.T)
    return X, LabelledPoints(X, (f > np.median(f)).astype(int), OPERATORS)


def test_the_labels_pick_the_factor_a_found_numerator_lacks():
    # labels of (a + b)*b/(a + b**2): a + b alone misclassifies many, its product with b/(a + b**2) none
    X, labelled = _points_and_labels(lambda a, b: (a + b) * b / (a + b**2))
    a, b = ("x", 0), ("x", 1)
    terms = [a, b, ("square", a), ("square", b)]
    denominators = [((i,), (1.0,)) for i in range(4)] + [((0, 1), (1.0, -1.0)), ((0, 3), (1.0, 1.0))]
    screen = label_screen(terms, X, labelled, OPERATORS)
    found = ("+", a, b)
    alone = labelled.misclassified([found]).sum()
    picked = label_multipliers([(found, X.sum(axis=1))], terms, [0, 1], denominators, screen, (1.0, 0.5), 1)
    assert alone > 100 and picked == [(found, 1, (0, 3), (1.0, 1.0), 1.0)], (alone, picked)
    # the concept itself misclassifies none: no factor can do better, so nothing is proposed
    concept = X.sum(axis=1) * X[:, 1] / (X[:, 0] + X[:, 1] ** 2)
    assert label_multipliers([(found, concept)], terms, [0, 1], denominators, screen, (1.0,), 1) == []


def test_without_offset_keeps_the_variables_of_a_sum():
    x, y = ("x", 0), ("x", 1)
    assert without_offset(("-", ("+", x, ("c", 2.0)), y)) == ("-", x, y)
    assert without_offset(("-", ("c", 1.0), ("*", x, y))) == ("neg", ("*", x, y))
    assert without_offset(("*", ("c", 3.0), x)) == ("*", ("c", 3.0), x)  # a factor is not an offset
    assert without_offset(("+", ("c", 1.0), ("c", 2.0))) is None
