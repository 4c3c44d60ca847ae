"""Numeric and LaTeX exports of sympy expressions."""

import numpy as np
import sympy

__all__ = ["expression_values", "expression_gradients", "to_latex"]


def _as_columns(X, n_symbols):
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != n_symbols:
        raise ValueError(f"X must have shape (n_samples, {n_symbols}), got {X.shape}")
    return [X[:, j] for j in range(n_symbols)]


def expression_values(expr, symbols, X):
    """Values of ``expr`` at the rows of ``X`` (columns in ``symbols`` order).

    Examples
    --------
    >>> import numpy as np, sympy
    >>> x, y = sympy.symbols("x y", real=True)
    >>> expression_values(x * y, [x, y], np.array([[2.0, 3.0]])).tolist()
    [6.0]
    """
    f = sympy.lambdify(symbols, expr, modules="numpy")
    with np.errstate(all="ignore"):
        v = f(*_as_columns(X, len(symbols)))
    return np.broadcast_to(np.asarray(v, dtype=float), (len(X),)).copy()


def expression_gradients(expr, symbols, X):
    """Exact input gradients of ``expr`` (symbolic differentiation), shape (n, d)."""
    derivs = [sympy.diff(expr, s) for s in symbols]
    f = sympy.lambdify(symbols, derivs, modules="numpy")
    with np.errstate(all="ignore"):
        cols = f(*_as_columns(X, len(symbols)))
    return np.column_stack([np.broadcast_to(np.asarray(c, dtype=float), (len(X),)) for c in cols])


def to_latex(expr, precision=3):
    """LaTeX of ``expr`` with floats shown to ``precision`` significant digits."""
    rounded = expr.xreplace({f: sympy.Float(f, precision) for f in expr.atoms(sympy.Float)})
    return sympy.latex(rounded)
