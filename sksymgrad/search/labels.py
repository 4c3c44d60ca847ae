"""What a binary classifier's labels say about candidate formulas.

Gradient directions are blind to two things the labels see. A direction
has no sign, so ``b/(2*a + c)`` matches ``2*a - 3*b + c`` on the line where
both are level, although it orders the points the other way wherever
``2*a + c < 0``. And the networks' shared error bends their directions
where the data end, so formulas that follow those bends fit the gradients
better than the concept while drawing a worse boundary. The labels the
networks were trained on carry neither error: for a binary classifier's
decision function, a formula is read as a classifier at its best threshold
(either orientation), and its misclassified points are compared with those
of the formula that misclassifies fewest.

The comparison is McNemar's exact test on the points where the two
formulas disagree about the label: under "equally good", each such point is
equally likely to favour either, so a formula that is wrong on ``b`` of
them and right on ``c`` is significantly worse when
``P(Binomial(b + c, 1/2) >= b)`` is below the level. The level is shared
by the rows tested with Holm's step-down procedure, so that a true formula
is set aside by chance with probability about ``alpha`` at most: the
correction is owed only to the rows that could be the best, and rows far
worse are set aside first.

Constants are refitted to the labels (:func:`refit_to_labels`): the
networks' shared error shifts the constants a gradient fit finds, the
labels put the boundary where it is.
"""

import numpy as np
from scipy import stats
from scipy.optimize import minimize
from scipy.special import expit

from .expressions import constants_of, evaluate, evaluate_value, replace_constants, var, with_constants

__all__ = [
    "binary_labels",
    "threshold_misclassified",
    "count_misclassified",
    "count_misclassified_columns",
    "tree_values",
    "misclassified",
    "significantly_worse",
    "refit_to_labels",
    "LabelledPoints",
]


def binary_labels(y):
    """``y`` as 0/1 (the second of its two sorted classes is 1); ``ValueError`` unless it has two classes.

    Examples
    --------
    >>> binary_labels(["cat", "dog", "dog"]).tolist()
    [0, 1, 1]
    """
    y = np.asarray(y)
    classes = np.unique(y)
    if y.ndim != 1 or len(classes) != 2:
        raise ValueError(
            f"labels must be a 1d array with exactly two classes, got shape {y.shape} with {len(classes)} "
            "class(es); the label check reads a formula as a binary classifier's decision function."
        )
    return (y == classes[1]).astype(np.int8)


def threshold_misclassified(values, labels):
    """Which points ``values`` misclassifies at its best threshold and orientation.

    The formula predicts class 1 above the threshold (or below it, whichever
    errs less). Points where ``values`` is not finite count as misclassified.

    Parameters
    ----------
    values : ndarray of shape (n,)
    labels : ndarray of shape (n,) of 0/1

    Returns
    -------
    wrong : ndarray of shape (n,), bool

    Examples
    --------
    >>> import numpy as np
    >>> values = np.array([0.1, 0.2, 0.9, 0.3, 0.15, 0.22])  # class 1 below 0.25, but for 0.15
    >>> threshold_misclassified(values, np.array([1, 1, 0, 0, 0, 1])).tolist()
    [False, False, False, False, True, False]
    """
    values = np.asarray(values, dtype=float)
    labels = np.asarray(labels)
    finite = np.isfinite(values)
    wrong = ~finite
    if not finite.any():
        return wrong
    ys = labels[finite]
    order, errors_up, errors_down = _cut_errors(values[finite], ys)
    if errors_up.min() <= errors_down.min():
        k, predicted_one_above = int(np.argmin(errors_up)), True
    else:
        k, predicted_one_above = int(np.argmin(errors_down)), False
    predicted = np.zeros(len(ys), dtype=np.int8)
    predicted[k:] = 1
    if not predicted_one_above:
        predicted = 1 - predicted
    inner = np.empty(len(ys), dtype=bool)
    inner[order] = predicted != ys[order]
    wrong[finite] = inner
    return wrong


def count_misclassified(values, labels):
    """``threshold_misclassified(values, labels).sum()``, without saying which points.

    Examples
    --------
    >>> import numpy as np
    >>> count_misclassified(np.array([0.1, 0.2, 0.9, 0.3, 0.15, 0.22]), np.array([1, 1, 0, 0, 0, 1]))
    1
    """
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    if not finite.any():
        return len(values)
    _, errors_up, errors_down = _cut_errors(values[finite], np.asarray(labels)[finite])
    return int(min(errors_up.min(), errors_down.min()) + (~finite).sum())


def count_misclassified_columns(values, labels):
    """:func:`count_misclassified` of each column of ``values`` at once.

    A column with a value that is not finite counts every point as
    misclassified (the screens that call this skip such candidates).

    Parameters
    ----------
    values : ndarray of shape (n, k)
    labels : ndarray of shape (n,) of 0/1

    Returns
    -------
    counts : ndarray of shape (k,) of int

    Examples
    --------
    >>> import numpy as np
    >>> values = np.array([[0.1, 0.2, 0.9, 0.3, 0.15, 0.22], [1, 2, 3, 4, 5, 6]]).T
    >>> count_misclassified_columns(values, np.array([1, 1, 0, 0, 0, 1])).tolist()
    [1, 1]
    """
    values = np.asarray(values, dtype=float)
    _, errors_up, errors_down = _cut_errors(values, np.asarray(labels))
    best = np.minimum(errors_up.min(axis=0), errors_down.min(axis=0))
    return np.where(np.all(np.isfinite(values), axis=0), best, len(values)).astype(int)


def _cut_errors(v, y):
    """Sort order of ``v``, and the errors of each cut with class 1 above it and below it.

    Cut ``k`` puts the ``k`` smallest values in one class; cuts fall only
    between distinct values (the others get the largest integer). A 2-d
    ``v`` is cut column by column (axis 0).
    """
    order = np.argsort(v, axis=0, kind="stable")
    ys = y[order]
    n = len(ys)
    ones_below = np.zeros((n + 1,) + ys.shape[1:], dtype=np.int64)
    np.cumsum(ys, axis=0, dtype=np.int64, out=ones_below[1:])
    below = np.arange(n + 1).reshape((-1,) + (1,) * (ys.ndim - 1))
    # class 1 above cut k errs on the ones below it and on the zeros above it
    errors_up = 2 * ones_below - below + (n - ones_below[-1])
    errors_down = n - errors_up
    vs = v[order] if v.ndim == 1 else np.take_along_axis(v, order, axis=0)
    allowed = np.ones((n + 1,) + vs.shape[1:], dtype=bool)
    allowed[1:-1] = vs[1:] > vs[:-1]
    never = np.iinfo(np.int64).max
    return order, np.where(allowed, errors_up, never), np.where(allowed, errors_down, never)


def misclassified(trees, X, labels, ops):
    """:func:`threshold_misclassified` of each tree's values at ``X``, shape (n_trees, n)."""
    out = np.ones((len(trees), len(X)), dtype=bool)
    for i, tree in enumerate(trees):
        out[i] = threshold_misclassified(tree_values(tree, X, ops), labels)
    return out


def significantly_worse(wrong, alpha=0.05):
    """Rows that misclassify significantly more points than the row that misclassifies fewest.

    McNemar's exact one-sided test of each row against the best, at
    family-wise level ``alpha`` over the rows tested (Holm's step-down
    procedure: the smallest p-value is held to ``alpha / m``, the next to
    ``alpha / (m - 1)`` and so on, until one is not rejected; the same
    family-wise level as Bonferroni's ``alpha / m`` for all, never less
    powerful: a front of 14 rows no longer shields a formula with 7 more
    errors than the best, ``p = 0.008``, behind ``alpha / 13``).

    Parameters
    ----------
    wrong : ndarray of shape (n_rows, n_points), bool
        From :func:`misclassified`.
    alpha : float, default=0.05

    Returns
    -------
    worse : ndarray of shape (n_rows,), bool
        Never true for the best row.

    Examples
    --------
    >>> import numpy as np
    >>> wrong = np.zeros((3, 200), bool)
    >>> wrong[1, :3] = True    # 3 more errors: could be chance
    >>> wrong[2, :40] = True   # 40 more: a different boundary
    >>> significantly_worse(wrong).tolist()
    [False, False, True]
    """
    wrong = np.asarray(wrong, dtype=bool)
    n_rows = len(wrong)
    worse = np.zeros(n_rows, dtype=bool)
    if n_rows < 2:
        return worse
    best = int(np.argmin(wrong.sum(axis=1)))
    only_row = (wrong & ~wrong[best]).sum(axis=1)
    only_best = (~wrong & wrong[best]).sum(axis=1)
    p = stats.binom.sf(only_row - 1, only_row + only_best, 0.5)
    p[best] = np.inf
    tested = np.argsort(p, kind="stable")[: n_rows - 1]
    held = p[tested] >= alpha / np.arange(n_rows - 1, 0, -1)
    rejected = len(tested) if not held.any() else int(np.argmax(held))
    worse[tested[:rejected]] = True
    return worse


#: The constants are refitted on at most this many labelled points, those nearest the tree's boundary.
REFIT_POINTS = 1000


def refit_to_labels(tree, X, labels, ops, max_iter=100):
    """``tree`` with its constants refitted so that its level sets separate ``labels``.

    The constants, a scale ``s`` and a threshold ``t`` minimise the logistic
    loss of ``s * (tree(x) - t)`` (from the tree's own constants: a local
    refit). On separable labels the logistic fit tends to the boundary with
    the widest margin. Gradients fitted to networks inherit their shared
    error (a coefficient of 24 where the labels say 19.6, docs/method.md);
    the labels do not. Returns ``tree`` itself when it has no constants or
    the refit does not misclassify fewer points.

    Examples
    --------
    >>> import numpy as np
    >>> from sksymgrad.search.operators import OPERATORS
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 1, (500, 2))
    >>> y = (X[:, 0] + 0.5 * X[:, 1] > 0.7).astype(int)
    >>> tree = ("+", ("x", 0), ("*", ("c", 0.8), ("x", 1)))   # x0 + 0.8*x1, from noisy gradients
    >>> round(refit_to_labels(tree, X, y, OPERATORS)[2][1][1], 1)
    0.5
    """
    start = np.asarray(constants_of(tree), dtype=float)
    if len(start) == 0:
        return tree
    sign = 2.0 * np.asarray(labels, dtype=float) - 1.0
    f0 = tree_values(tree, X, ops)
    if not np.all(np.isfinite(f0)) or np.std(f0) == 0:
        return tree
    before = threshold_misclassified(f0, labels).sum()
    if before == 0:
        return tree
    center, unit = np.median(f0), np.std(f0)
    if f0[sign > 0].mean() < f0[sign < 0].mean():
        unit = -unit  # the tree grows towards class 0: the refit keeps its orientation
    # The constants become extra input columns: one forward-mode evaluation gives the values and their
    # derivatives in every constant, so the optimiser gets exact gradients instead of finite differences.
    d, k = X.shape[1], len(start)
    variable = replace_constants(tree, [var(d + j) for j in range(k)])  # k-th constant: column d + k

    def loss(p, at=slice(None), z=None):
        """Mean logistic loss of ``s * (z - t)`` (``p = (constants, log s, t)``) and its gradient."""
        s, t = np.exp(p[-2]), p[-1]
        if z is None:
            Xa = X[at]
            v, g = evaluate(variable, np.hstack([Xa, np.broadcast_to(p[:-2], (len(Xa), k))]), ops)
            z, dz = (v - center) / unit, g[:, d:] / unit
        if not np.all(np.isfinite(z)):
            return 1e10, np.zeros(len(p))
        margin = sign[at] * s * (z - t)
        weight = -expit(-margin) / len(margin)  # d loss / d margin
        grad = [weight @ margin, -s * (weight @ sign[at])]
        if len(p) > 2:
            grad = np.concatenate([(weight * sign[at] * s) @ dz, grad])
        return float(np.mean(np.logaddexp(0.0, -margin))), np.nan_to_num(np.asarray(grad, dtype=float))

    # On separable labels the logistic scale grows without bound and the loss turns into steps the
    # optimiser cannot follow. Its transition is kept no narrower than the gap between neighbouring
    # points (1/n of the tree's spread): the loss stays smooth, its optimum a wide-margin boundary.
    scale_bounds = [(np.log(0.1), np.log(max(len(X), 10))), (None, None)]
    z0 = (f0 - center) / unit
    with np.errstate(all="ignore"):
        # scale and threshold first, along the tree's own values; then the constants join, on the
        # points nearest the boundary (far ones add nothing to the loss but the time to evaluate them)
        cut = minimize(loss, [0.0, 0.0], args=(slice(None), z0), jac=True, method="L-BFGS-B", bounds=scale_bounds)
        near = np.sort(np.argsort(np.abs(z0 - cut.x[1]))[:REFIT_POINTS])
        fit = minimize(
            loss,
            np.concatenate([start, cut.x]),
            args=(near,),
            jac=True,
            method="L-BFGS-B",
            bounds=[(None, None)] * k + scale_bounds,
            options={"maxiter": max_iter},
        )
    refitted = with_constants(tree, fit.x[:-2])
    after = threshold_misclassified(tree_values(refitted, X, ops), labels).sum()
    return refitted if after < before else tree


def tree_values(tree, X, ops):
    """Values of ``tree`` at every row of ``X`` (a constant tree broadcast), floating-point errors silenced."""
    with np.errstate(all="ignore"):
        return np.broadcast_to(evaluate_value(tree, X, ops), (len(X),))


class LabelledPoints:
    """A binary classifier's labelled points, for one search: label errors and memoised refits.

    Parameters
    ----------
    points : ndarray of shape (n, n_features)
    labels : ndarray of shape (n,) of 0/1
    ops : dict
        The operator table trees are evaluated with.

    Examples
    --------
    >>> import numpy as np
    >>> from sksymgrad.search.operators import OPERATORS
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
    >>> labelled = LabelledPoints(X, np.array([0, 0, 1, 1]), OPERATORS)
    >>> labelled.misclassified([("x", 0), ("x", 1)]).sum(axis=1).tolist()
    [0, 1]
    """

    def __init__(self, points, labels, ops):
        self.points = points
        self.labels = labels
        self.ops = ops
        self._refits = {}

    def misclassified(self, trees):
        """:func:`misclassified` of ``trees`` on these points."""
        return misclassified(trees, self.points, self.labels, self.ops)

    def significantly_worse(self, trees, alpha=0.05):
        """:func:`significantly_worse` of ``trees`` on these points."""
        return significantly_worse(self.misclassified(trees), alpha)

    def refit(self, tree):
        """:func:`refit_to_labels` of ``tree``, computed once per tree."""
        if tree not in self._refits:
            self._refits[tree] = refit_to_labels(tree, self.points, self.labels, self.ops)
        return self._refits[tree]

    def in_variables(self, columns):
        """The same labels at the points mapped through ``columns`` (trees), or ``None`` where undefined."""
        with np.errstate(all="ignore"):
            mapped = np.column_stack([evaluate_value(c, self.points, self.ops) for c in columns])
        return LabelledPoints(mapped, self.labels, self.ops) if np.all(np.isfinite(mapped)) else None
