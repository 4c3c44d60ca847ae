import numpy as np

from sksymgrad.search.evolution import EvolutionConfig, LabelErrors, evolve
from sksymgrad.search.expressions import evaluate
from sksymgrad.search.labels import LabelledPoints, threshold_misclassified
from sksymgrad.search.operators import OPERATORS

PRODUCT = ("*", ("x", 0), ("x", 1))


def _product_labels(n=2000, seed=0):
    X = np.random.default_rng(seed).uniform(1, 3, (n, 2))
    values = X[:, 0] * X[:, 1]
    return X, (values > np.median(values)).astype(np.int8)


def test_label_errors_count_on_the_points_nearest_the_boundary():
    X, y = _product_labels()
    errors = LabelErrors.near(X, y, OPERATORS, PRODUCT, n_points=200)
    assert len(errors.points) == 200
    # the kept points straddle the boundary: both classes, values close to the median
    values = errors.points[:, 0] * errors.points[:, 1]
    assert set(errors.labels) == {0, 1}
    low, high = np.quantile(X[:, 0] * X[:, 1], [0.44, 0.56])
    assert low < values.min() and values.max() < high
    assert errors(PRODUCT) == 0
    wrong = ("+", ("x", 0), ("x", 1))
    assert errors(wrong) == threshold_misclassified(errors.points.sum(axis=1), errors.labels).sum() > 0


def test_the_evolution_keeps_the_form_the_labels_prefer_when_the_gradients_point_elsewhere():
    # directions of x0 + 2*x1 (a look-alike the gradients favour), labels of x0*x1 > median
    X, y = _product_labels()
    _, g = evaluate(("+", ("x", 0), ("*", ("c", 2.0), ("x", 1))), X, OPERATORS)
    target = g / np.linalg.norm(g, axis=1, keepdims=True)
    cfg = EvolutionConfig(
        binary=("+", "-", "*", "/"),
        unary=(),
        niterations=10,
        populations=2,
        population_size=40,
        early_stop_loss=-1.0,  # search on past the exact look-alike
    )
    args = (X, target, np.ones(len(X)), "gradient", OPERATORS, cfg)
    labelled = LabelledPoints(X, y, OPERATORS)

    def fewest_errors(found):
        return min(labelled.misclassified([tree for tree, _ in found]).sum(axis=1))

    assert fewest_errors(evolve(*args, random_state=0)) > 20
    assert fewest_errors(evolve(*args, random_state=0, labelled=labelled)) == 0
