"""Expression trees with exact, vectorised values and input gradients.

A tree is a nested tuple, hashable and cheap to copy:

* ``("x", j)`` -- input feature ``j``;
* ``("c", value)`` -- a constant;
* ``(name, child)`` / ``(name, left, right)`` -- an operator from an
  operator table (``dict`` name -> :class:`~sksymgrad.search.operators.Operator`).

Gradients are propagated in forward mode alongside the values: every node
returns ``(value (n,), gradient (n, d) or None)`` where ``None`` stands for an
identically zero gradient (constants), which keeps constant sub-trees free.
"""

import numpy as np
import sympy

__all__ = [
    "var",
    "const",
    "evaluate",
    "evaluate_value",
    "complexity",
    "to_sympy",
    "constants_of",
    "with_constants",
    "replace_constants",
    "variables_of",
    "fold_constants",
]


def var(j):
    """Leaf for input feature ``j``."""
    return ("x", int(j))


def const(value):
    """Leaf for a constant."""
    return ("c", float(value))


def evaluate(tree, X, ops):
    """Value and exact input gradient of ``tree`` at the rows of ``X``.

    Parameters
    ----------
    tree : tuple
        Expression tree.
    X : ndarray of shape (n_samples, n_features)
    ops : dict
        Operator table, name -> Operator.

    Returns
    -------
    value : ndarray of shape (n_samples,)
    grad : ndarray of shape (n_samples, n_features)
        Zeros for a constant expression. Invalid operations yield ``nan`` or
        ``inf`` entries rather than errors; callers turn them into an
        infinite loss.

    Examples
    --------
    >>> import numpy as np
    >>> from sksymgrad.search.operators import OPERATORS
    >>> t = ("*", ("x", 0), ("square", ("x", 1)))
    >>> v, g = evaluate(t, np.array([[2.0, 3.0]]), OPERATORS)
    >>> v.tolist(), g.tolist()
    ([18.0], [[9.0, 12.0]])
    """
    n, d = X.shape
    with np.errstate(all="ignore"):
        v, g = _eval(tree, X, ops, n, d)
    if np.ndim(v) == 0:
        v = np.full(n, float(v))
    if g is None:
        g = np.zeros((n, d))
    return v, g


def _eval(tree, X, ops, n, d):
    head = tree[0]
    if head == "x":
        j = tree[1]
        g = np.zeros((n, d))
        g[:, j] = 1.0
        return X[:, j], g
    if head == "c":
        return np.float64(tree[1]), None
    op = ops[head]
    if op.arity == 1:
        a, ga = _eval(tree[1], X, ops, n, d)
        out = op.func(a)
        if ga is None:
            return out, None
        da = op.derivative(a, out)
        return out, _scale(da, ga)
    a, ga = _eval(tree[1], X, ops, n, d)
    b, gb = _eval(tree[2], X, ops, n, d)
    out = op.func(a, b)
    if ga is None and gb is None:
        return out, None
    da, db = op.derivative(a, b, out)
    g = None
    if ga is not None:
        g = _scale(da, ga)
    if gb is not None:
        gb = _scale(db, gb)
        g = gb if g is None else g + gb
    return out, g


def _scale(factor, grad):
    factor = np.asarray(factor, dtype=float)
    if factor.ndim == 0:
        return grad * float(factor)
    return grad * factor[:, None]


def evaluate_value(tree, X, ops):
    """Value of ``tree`` at the rows of ``X`` (no gradient)."""
    n = X.shape[0]
    with np.errstate(all="ignore"):
        v = _eval_value(tree, X, ops)
    if np.ndim(v) == 0:
        v = np.full(n, float(v))
    return np.asarray(v, dtype=float)


def _eval_value(tree, X, ops):
    head = tree[0]
    if head == "x":
        return X[:, tree[1]]
    if head == "c":
        return np.float64(tree[1])  # numpy scalars give inf/nan where floats would raise
    op = ops[head]
    return op.func(*(_eval_value(child, X, ops) for child in tree[1:]))


def complexity(tree):
    """Number of nodes (PySR's default complexity)."""
    if tree[0] in ("x", "c"):
        return 1
    return 1 + sum(complexity(child) for child in tree[1:])


def variables_of(tree):
    """Set of feature indices the tree uses."""
    if tree[0] == "x":
        return {tree[1]}
    if tree[0] == "c":
        return set()
    out = set()
    for child in tree[1:]:
        out |= variables_of(child)
    return out


def constants_of(tree):
    """Constants of the tree in depth-first order."""
    if tree[0] == "c":
        return [tree[1]]
    if tree[0] == "x":
        return []
    out = []
    for child in tree[1:]:
        out.extend(constants_of(child))
    return out


def with_constants(tree, values):
    """Copy of ``tree`` with its constants replaced, in depth-first order."""
    return replace_constants(tree, (const(v) for v in values))


def replace_constants(tree, nodes):
    """Copy of ``tree`` with its constants replaced by the subtrees ``nodes``, in depth-first order.

    Examples
    --------
    >>> replace_constants(("*", ("c", 2.0), ("x", 0)), [("x", 1)])
    ('*', ('x', 1), ('x', 0))
    """
    return _replace_constants(tree, iter(nodes))


def _replace_constants(tree, it):
    if tree[0] == "c":
        return next(it)
    if tree[0] == "x":
        return tree
    return (tree[0],) + tuple(_replace_constants(child, it) for child in tree[1:])


def fold_constants(tree, ops):
    """Copy of ``tree`` with every variable-free subtree replaced by its value.

    An evolved ``sin(0.051)*x`` carries its coefficient inside a function:
    rounding its constant (0.051 to 0.05) moves the coefficient by the
    function's slope, and the printed formula shows the unrounded value of
    the function (0.0499791692706783). Folded, the coefficient is one
    constant that rounding sees as it is. Subtrees whose value is not finite
    stay as they are.

    Examples
    --------
    >>> from sksymgrad.search.operators import OPERATORS
    >>> fold_constants(("*", ("exp", ("c", 0.0)), ("x", 0)), OPERATORS)
    ('*', ('c', 1.0), ('x', 0))
    """
    if tree[0] in ("x", "c"):
        return tree
    children = tuple(fold_constants(child, ops) for child in tree[1:])
    if all(child[0] == "c" for child in children):
        with np.errstate(all="ignore"):
            value = ops[tree[0]].func(*(np.float64(child[1]) for child in children))
        if np.ndim(value) == 0 and np.isfinite(value):
            return const(value)
    return (tree[0],) + children


def to_sympy(tree, symbols, ops):
    """Sympy form of ``tree``; ``symbols[j]`` stands for feature ``j``.

    Constants that are (close to) integers or simple rationals come out as
    exact sympy numbers so that printed formulas stay clean.
    """
    head = tree[0]
    if head == "x":
        return symbols[tree[1]]
    if head == "c":
        return _sympy_number(tree[1])
    op = ops[head]
    return op.sympy_func(*(to_sympy(child, symbols, ops) for child in tree[1:]))


def _sympy_number(value):
    # Tolerances relative to the value itself: a coefficient of 1e-24 (a column
    # in other units) is a coefficient, not a zero.
    if np.isfinite(value) and abs(value) < 1e15 and abs(value - round(value)) <= 1e-12 * abs(value):
        return sympy.Integer(int(round(value)))
    if not 1e-6 < abs(value) < 1e15:
        return sympy.Float(float(value), 15)
    frac = sympy.Rational(value).limit_denominator(12)
    if frac != 0 and abs(float(frac) - value) < 1e-12 * abs(value):
        return frac
    return sympy.Float(float(value), 15)
