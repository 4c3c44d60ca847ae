"""Operators of the expression language: value, exact derivative and sympy form.

Every operator bundles three faces of one function so that an expression can be
evaluated on arrays, differentiated exactly (forward mode) and shown as sympy
without ever parsing a string.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy

__all__ = [
    "Operator",
    "make_operator",
    "OPERATORS",
    "DEFAULT_BINARY_OPERATORS",
    "DEFAULT_UNARY_OPERATORS",
    "resolve_operators",
]


@dataclass(frozen=True)
class Operator:
    """A unary or binary function with its derivative and sympy form.

    Use :func:`make_operator` to build one; it checks the pieces fit.

    Parameters
    ----------
    name : str
        Name used in ``binary_operators`` / ``unary_operators``.
    arity : int
        1 or 2.
    func : callable
        ``func(a)`` or ``func(a, b)`` on float arrays.
    derivative : callable
        Unary: ``derivative(a, out)`` returns ``f'(a)``. Binary:
        ``derivative(a, b, out)`` returns ``(df/da, df/db)``; ``out`` is
        ``func``'s value, passed so that derivatives can reuse it.
    sympy_func : callable
        Maps sympy arguments to the sympy expression.
    monotone : bool
        Unary only: strictly monotone on its domain. An outer monotone
        operator never changes a concept, so the search never puts one at the
        root.
    """

    name: str
    arity: int
    func: Callable
    derivative: Callable
    sympy_func: Callable
    monotone: bool = False


def make_operator(name, func, derivative, sympy_func, arity=None, monotone=False):
    """Build a validated, picklable :class:`Operator`.

    The functions must be module-level (not lambdas) for the operator to
    pickle. ``arity`` defaults to what ``sympy_func`` accepts.

    Examples
    --------
    >>> import numpy as np, sympy
    >>> def softplus(a): return np.logaddexp(0.0, a)
    >>> def d_softplus(a, out): return 1.0 / (1.0 + np.exp(-a))
    >>> def sp_softplus(a): return sympy.log(1 + sympy.exp(a))
    >>> op = make_operator("softplus", softplus, d_softplus, sp_softplus)
    >>> op.arity
    1
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"operator name must be an identifier, got {name!r}")
    for label, f in (("func", func), ("derivative", derivative), ("sympy_func", sympy_func)):
        if not callable(f):
            raise TypeError(f"operator {name!r}: {label} must be callable, got {f!r}")
    if arity is None:
        import inspect

        arity = len(inspect.signature(sympy_func).parameters)
    if arity not in (1, 2):
        raise ValueError(f"operator {name!r}: arity must be 1 or 2, got {arity}")
    probe = [np.linspace(0.5, 1.5, 4) for _ in range(arity)]
    with np.errstate(all="ignore"):
        out = np.asarray(func(*probe), dtype=float)
        if out.shape != (4,):
            raise ValueError(f"operator {name!r}: func must map arrays of shape (n,) to shape (n,), got {out.shape}")
        der = derivative(*probe, out)
    parts = der if arity == 2 else (der,)
    if arity == 2 and (not isinstance(der, tuple) or len(der) != 2):
        raise ValueError(f"operator {name!r}: a binary derivative must return a pair (df/da, df/db)")
    for p in parts:
        if np.broadcast_shapes(np.shape(p), (4,)) != (4,):
            raise ValueError(f"operator {name!r}: derivative has shape {np.shape(p)}, expected (n,)")
    syms = sympy.symbols(f"a0:{arity}", real=True)
    if not isinstance(sympy_func(*syms), sympy.Basic):
        raise TypeError(f"operator {name!r}: sympy_func must return a sympy expression")
    return Operator(name, arity, func, derivative, sympy_func, monotone)


# --- the built-in operators (module-level functions so that they pickle) ---


def _add(a, b):
    return a + b


def _d_add(a, b, out):
    return 1.0, 1.0


def _sub(a, b):
    return a - b


def _d_sub(a, b, out):
    return 1.0, -1.0


def _mul(a, b):
    return a * b


def _d_mul(a, b, out):
    return b, a


def _div(a, b):
    return a / b


def _d_div(a, b, out):
    return 1.0 / b, -out / b


def _pow(a, b):
    return np.power(a, b)


def _d_pow(a, b, out):
    return b * np.power(a, b - 1.0), out * np.log(a)


def _square(a):
    return a * a


def _d_square(a, out):
    return 2.0 * a


def _cube(a):
    return a * a * a


def _d_cube(a, out):
    return 3.0 * a * a


def _sqrt(a):
    return np.sqrt(a)


def _d_sqrt(a, out):
    return 0.5 / out


def _exp(a):
    return np.exp(a)


def _d_exp(a, out):
    return out


def _log(a):
    return np.log(a)


def _d_log(a, out):
    return 1.0 / a


def _sin(a):
    return np.sin(a)


def _d_sin(a, out):
    return np.cos(a)


def _cos(a):
    return np.cos(a)


def _d_cos(a, out):
    return -np.sin(a)


def _inv(a):
    return 1.0 / a


def _d_inv(a, out):
    return -out * out


def _neg(a):
    return -a


def _d_neg(a, out):
    return -1.0


def _tanh(a):
    return np.tanh(a)


def _d_tanh(a, out):
    return 1.0 - out * out


def _sp_add(a, b):
    return a + b


def _sp_sub(a, b):
    return a - b


def _sp_mul(a, b):
    return a * b


def _sp_div(a, b):
    return a / b


def _sp_pow(a, b):
    return a**b


def _sp_square(a):
    return a**2


def _sp_cube(a):
    return a**3


def _sp_inv(a):
    return 1 / a


def _sp_neg(a):
    return -a


OPERATORS = {
    op.name: op
    for op in [
        Operator("+", 2, _add, _d_add, _sp_add),
        Operator("-", 2, _sub, _d_sub, _sp_sub),
        Operator("*", 2, _mul, _d_mul, _sp_mul),
        Operator("/", 2, _div, _d_div, _sp_div),
        Operator("^", 2, _pow, _d_pow, _sp_pow),
        Operator("square", 1, _square, _d_square, _sp_square),
        Operator("cube", 1, _cube, _d_cube, _sp_cube, monotone=True),
        Operator("sqrt", 1, _sqrt, _d_sqrt, sympy.sqrt, monotone=True),
        Operator("exp", 1, _exp, _d_exp, sympy.exp, monotone=True),
        Operator("log", 1, _log, _d_log, sympy.log, monotone=True),
        Operator("sin", 1, _sin, _d_sin, sympy.sin),
        Operator("cos", 1, _cos, _d_cos, sympy.cos),
        Operator("inv", 1, _inv, _d_inv, _sp_inv, monotone=True),
        Operator("neg", 1, _neg, _d_neg, _sp_neg, monotone=True),
        Operator("tanh", 1, _tanh, _d_tanh, sympy.tanh, monotone=True),
    ]
}

DEFAULT_BINARY_OPERATORS = ("+", "-", "*", "/")
DEFAULT_UNARY_OPERATORS = ("square", "cube", "sqrt", "exp", "log", "sin", "cos", "inv", "neg")


def resolve_operators(names, arity):
    """Turn a sequence of names / :class:`Operator` objects into operators.

    Raises one ``ValueError`` naming every unknown operator, with the valid
    names, so the user sees the fix at once.
    """
    import difflib

    resolved, unknown = [], []
    for item in names:
        if isinstance(item, Operator):
            op = item
        elif item in OPERATORS:
            op = OPERATORS[item]
        else:
            unknown.append(item)
            continue
        if op.arity != arity:
            unknown.append(item)
            continue
        resolved.append(op)
    if unknown:
        valid = sorted(n for n, o in OPERATORS.items() if o.arity == arity)
        hints = []
        for u in unknown:
            close = difflib.get_close_matches(str(u), valid, n=1)
            hints.append(f"{u!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        kind = "binary" if arity == 2 else "unary"
        raise ValueError(
            f"unknown {kind} operator(s): {', '.join(hints)}. Valid {kind} operators: {valid}; "
            "or pass an Operator made with sksymgrad.search.make_operator."
        )
    return tuple(resolved)
