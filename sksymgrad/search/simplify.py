"""Simplest representatives and sympy presentation.

Under the gradient-direction objective, ``h``, ``a*h + b`` and ``phi(h)`` for
monotone ``phi`` are the same concept. The search never explores those
disguises (:func:`strip_invariances`), and results are shown in their
simplest form (:func:`simplest_form`).
"""

import math
from itertools import combinations

import numpy as np
import sympy
from scipy import stats
from sympy.polys.polyerrors import BasePolynomialError

from ..export import expression_values
from .expressions import evaluate
from .linear import constant_cost

__all__ = [
    "strip_invariances",
    "sympy_complexity",
    "simplest_form",
    "one_signed_on",
    "oriented_by_labels",
    "drop_negligible_terms",
    "in_differences",
    "FUNCTION_COMPLEXITY",
]

#: Nodes charged for a transcendental function (sin, cos, exp, log, ...), as
#: PySR's ``complexity_of_operators`` would: a single threshold pins down one
#: level set only, and there ``cos(x) + cos(y)`` can mimic ``x**2 + y**2``;
#: charging functions more lets parsimony pick the polynomial.
FUNCTION_COMPLEXITY = 2


def strip_invariances(tree, ops):
    """Remove what the direction loss cannot see at the root of ``tree``.

    Outer unary operators (their derivative only rescales the gradient, and
    flips its sign at most), additive constants and constant factors or
    divisors go; ``c / g`` becomes ``g``. Applied until nothing changes.

    Examples
    --------
    >>> from sksymgrad.search.operators import OPERATORS
    >>> t = ("exp", ("+", ("c", 3.0), ("*", ("c", 2.0), ("x", 0))))
    >>> strip_invariances(t, OPERATORS)
    ('x', 0)
    """
    while True:
        head = tree[0]
        if head in ("x", "c"):
            return tree
        op = ops[head]
        if op.arity == 1:
            tree = tree[1]
            continue
        left, right = tree[1], tree[2]
        if head in ("+", "-", "*", "/") and right[0] == "c":
            tree = left
        elif head in ("+", "-", "*", "/") and left[0] == "c":
            tree = right
        else:
            return tree


def sympy_complexity(expr):
    """Node count of a sympy expression in PySR's convention.

    Subtraction and division count one node (``x - y`` is 3, ``x/y`` is 3),
    small integer powers count as ``square``/``cube``/``inv`` (``x**2`` is 2,
    ``1/x**2`` is 3), every number is one constant, and a function such as
    ``cos`` counts :data:`FUNCTION_COMPLEXITY` nodes.

    Examples
    --------
    >>> import sympy
    >>> m1, m2, r = sympy.symbols("m1 m2 r", positive=True)
    >>> sympy_complexity(m1 * m2 / r**2)
    6
    >>> x, y = sympy.symbols("x y")
    >>> sympy_complexity(2 * x - 3 * y)
    7
    >>> sympy_complexity(1 / (x * y)), sympy_complexity(-1 / (x + y)), sympy_complexity(x * y)
    (4, 4, 3)
    """
    if expr.is_Atom:
        return 1
    if expr.is_Add:
        return len(expr.args) - 1 + sum(_signed_complexity(a) for a in expr.args)
    if expr.is_Mul:
        coeff, factors = expr.as_coeff_mul()
        total = 0 if coeff in (1, -1) else 1
        parts = [total] if total else []
        divisors = [f.is_Pow and f.exp.is_Rational and f.exp < 0 for f in factors]
        for f, divisor in zip(factors, divisors):
            parts.append(_pow_complexity(f.base, -f.exp) if divisor else sympy_complexity(f))
        # with nothing to divide, the first division is an ``inv`` node: 1/(m1*m2) is 4, as 1/m1 is 2
        return sum(parts) + len(parts) - 1 + (not total and all(divisors))
    if expr.is_Pow:
        if expr.exp.is_Rational and expr.exp < 0:
            return 1 + _pow_complexity(expr.base, -expr.exp)
        return _pow_complexity(expr.base, expr.exp)
    return FUNCTION_COMPLEXITY + sum(sympy_complexity(a) for a in expr.args)


def constant_digits(expr):
    """Decimal digits of the numbers ``expr`` states, as rounding counts them.

    Each number that :func:`sympy_complexity` counts as a constant costs
    what :func:`~sksymgrad.search.linear.simple_values` charges for it
    (digits of numerator and denominator, or of a decimal and its point);
    1 and the powers that count as ``square``, ``cube``, ``sqrt`` and
    ``inv`` cost nothing.

    Examples
    --------
    >>> import sympy
    >>> x, y = sympy.symbols("x y")
    >>> constant_digits(3 * x / 10 - y**2), constant_digits(0.318 * x + 2), constant_digits(x / sympy.sqrt(y))
    (2, 5, 0)
    """
    if expr.is_Number:
        return constant_cost(float(expr))
    if expr.is_Atom:
        return 0
    if expr.is_Pow and expr.exp.is_Rational and abs(expr.exp) in (1, 2, 3, sympy.Rational(1, 2)):
        return constant_digits(expr.base)
    return sum(constant_digits(a) for a in expr.args)


def _signed_complexity(term):
    # A leading -1 is the subtraction already counted by the Add.
    coeff, rest = term.as_coeff_Mul()
    if coeff == -1:
        return sympy_complexity(rest)
    return sympy_complexity(term)


def _pow_complexity(base, exp):
    inner = sympy_complexity(base)
    if exp == 1:
        return inner
    if exp in (2, 3, sympy.Rational(1, 2)):
        return 1 + inner
    return 2 + inner


def simplest_form(expr, invariant=True, one_signed=None):
    """Simplest representative of ``expr``, cheaply (no unbounded simplify).

    Candidates are the expression itself, ``factor_terms`` of it, for a
    quotient with exact coefficients also ``together`` and ``factor`` of it
    (``(t**2*u**2 - 2*t*u*x + x**2)/(1 - u**2/c**2)`` is
    ``c**2*(x - t*u)**2/(c**2 - u**2)``), and, when ``invariant`` (gradient
    objective), the same without an overall numeric factor or an additive
    constant, a product of powers raised to integer exponents, and the
    reciprocal of a one-signed product of powers where that is simpler
    (``Nn*mu`` for ``1/(Nn*mu)``). The one of least :func:`sympy_complexity`
    wins.

    Every candidate has the level sets of ``expr``. An even power keeps them
    only where what it raises keeps one sign (``x/sqrt(m)`` is not
    ``x**2/m`` where ``x`` changes sign): ``one_signed(base)`` says whether a
    base does on the data (:func:`one_signed_on`); without it, the symbols'
    assumptions decide.

    Examples
    --------
    >>> import sympy
    >>> x, y = sympy.symbols("x y")
    >>> simplest_form(3 * (x**2 - 2*x*y + y**2) / (x + y) + 1)
    (x - y)**2/(x + y)
    """
    candidates = [expr]
    try:
        candidates.append(sympy.factor_terms(expr))
    except Exception:  # pragma: no cover - sympy corner cases
        pass
    if invariant:
        candidates += _without_invariances(candidates)
        product = _exp_of_log_sum(expr)
        if product is not None:
            candidates.append(product)
        if one_signed is None:
            one_signed = _one_signed_by_assumptions
        candidates += [p for p in (_integer_powers(c, one_signed) for c in candidates) if p is not None]
        candidates += _simpler_reciprocals(candidates, one_signed)
    best = min(candidates, key=_preference)
    if not best.has(sympy.Float) and _has_denominator(best) and _factorable(best):
        # Milliseconds each: tried only on a quotient with exact coefficients, where they can pay off.
        try:
            factored = sympy.factor(best)
            # factor() splits c**2 - u**2 into (c - u)*(c + u); a person keeps the difference.
            numerator, denominator = sympy.fraction(factored)
            rewritten = [sympy.together(best), factored, numerator / sympy.expand(denominator)]
        except Exception:  # pragma: no cover - sympy corner cases
            rewritten = []
        candidates += rewritten
        if invariant:
            candidates += _without_invariances(rewritten)
    return min(candidates, key=_preference)


def _without_invariances(candidates):
    """Each candidate without an additive constant or an overall numeric factor, and negated."""
    more = []
    for c in candidates:
        if c.is_Add:
            const, rest = c.as_coeff_Add()
            if const != 0:
                c = rest
                more.append(c)
        if c.is_Mul:
            coeff, rest = c.as_coeff_Mul()
            if coeff.is_Number and coeff != 1 and coeff != 0:
                more.append(rest)
                c = rest
        more.append(-c)  # the sign is invisible to the loss too
    return more


def _preference(expr):
    # Least complex first; among equals, the form a person writes: leading term positive, then fewest
    # minus signs.
    text = sympy.sstr(expr)  # printed once: printing is most of what choosing a form costs
    return sympy_complexity(expr), text.startswith("-"), text.count("-"), len(text)


def _simpler_reciprocals(candidates, one_signed):
    """``Nn*mu`` for ``1/(Nn*mu)``: the reciprocal of a one-signed product of powers, where it is simpler.

    Only where strictly simpler: a tie (``m1*m2/r**2`` and ``r**2/(m1*m2)``)
    is left to the form found, or to the labels
    (:func:`oriented_by_labels`).
    """
    return [
        1 / c
        for c in candidates
        if _power_product(c) and sympy_complexity(1 / c) < sympy_complexity(c) and one_signed(c)
    ]


def _integer_powers(expr, one_signed):
    """``sqrt(m1*m2)/r`` as ``m1*m2/r**2``: a product of powers raised to clear its fractional exponents.

    ``None`` when there is nothing to clear, or when the power is even and a
    base that can be negative (odd numerator and denominator in its
    exponent) is not ``one_signed``: the product could change sign, and its
    even power would fold both signs onto one level set.
    """
    powers = expr.as_powers_dict() if expr.is_Mul or expr.is_Pow else {}
    if not powers or not all(e.is_Rational for e in powers.values()):
        return None
    exponents = [sympy.Rational(e) for e in powers.values()]
    k = math.lcm(*[int(e.q) for e in exponents])
    if k == 1:
        return None
    if k % 2 == 0:
        signed = [b for b, e in zip(powers, exponents) if e.p % 2 and e.q % 2 and not b.is_Number]
        if not all(one_signed(b) for b in signed):
            return None
    return sympy.Mul(*[b ** (e * k) for b, e in powers.items()])


def _one_signed_by_assumptions(expr):
    return bool(expr.is_nonnegative or expr.is_nonpositive)


def one_signed_on(X, symbols):
    """``one_signed(expr)``: whether ``expr`` keeps one sign at the rows of ``X``.

    Decided by interval arithmetic over the columns' ranges when that
    suffices (microseconds), else by the values at the rows; answers are
    memoised, since a search's candidates share their bases.

    Parameters
    ----------
    X : ndarray of shape (n_points, n_features)
        The data; columns in ``symbols`` order.
    symbols : sequence of sympy.Symbol

    Examples
    --------
    >>> import numpy as np, sympy
    >>> a, b = sympy.symbols("a b")
    >>> one_signed = one_signed_on(np.array([[1.0, 2.0], [3.0, 5.0]]), [a, b])
    >>> one_signed(b - a), one_signed(a - 2)
    (True, False)
    """
    X = np.asarray(X, dtype=float)
    if len(X) == 0:
        return _one_signed_by_assumptions
    bounds = {s: sympy.AccumBounds(lo, hi) for s, lo, hi in zip(symbols, X.min(axis=0), X.max(axis=0))}
    known = {}

    def one_signed(expr):
        if expr not in known:
            known[expr] = _bounded_one_sign(expr, bounds) or _valued_one_sign(expr, symbols, X)
        return known[expr]

    return one_signed


def oriented_by_labels(points, labels, symbols):
    """``orient(expr)``: a product of powers written the way round that is larger on class 1.

    ``m1*m2/r**2`` and ``r**2/(m1*m2)`` have the same level sets and the same
    complexity, and their direction losses differ in the last digits only,
    so neither the search nor :func:`simplest_form` can choose between them.
    A binary classifier's labels can: as scikit-learn's
    ``decision_function`` is larger for the positive class, the reciprocal
    is written when the formula is smaller on class 1 (the mean rank of its
    values there below the overall mean rank). Only a product of powers of
    symbols, positive on every point, whose reciprocal is no more complex, is
    turned round; the rest is returned as it is (a decreasing concept such as
    ``1/(Nn + mu)`` stays so).

    Parameters
    ----------
    points : ndarray of shape (n_points, n_features)
        The labelled points; columns in ``symbols`` order.
    labels : ndarray of shape (n_points,) of 0/1
    symbols : sequence of sympy.Symbol

    Examples
    --------
    >>> import numpy as np, sympy
    >>> m, r = sympy.symbols("m r")
    >>> X = np.random.default_rng(0).uniform(1, 2, (200, 2))
    >>> orient = oriented_by_labels(X, X[:, 0] / X[:, 1] ** 2 > 0.5, [m, r])
    >>> orient(r**2 / m), orient(m / r**2), orient(m + r)
    (m/r**2, m/r**2, m + r)
    """
    points = np.asarray(points, dtype=float)
    ones = np.asarray(labels).astype(bool)
    column = {s: j for j, s in enumerate(symbols)}
    known = {}

    def orient(expr):
        if expr not in known:
            known[expr] = expr
            if ones.any() and not ones.all() and _power_product(expr):
                reciprocal = 1 / expr
                values = _power_product_values(expr, points, column)
                if sympy_complexity(reciprocal) <= sympy_complexity(expr) and np.all(values > 0):
                    ranks = stats.rankdata(values)
                    known[expr] = reciprocal if ranks[ones].mean() < ranks.mean() else expr
        return known[expr]

    return orient


def _power_product_values(expr, points, column):
    """Values of a product of powers of symbols at ``points`` (NaN where a symbol has no column)."""
    values = np.ones(len(points))
    with np.errstate(all="ignore"):
        for base, exponent in expr.as_powers_dict().items():
            if base.is_number:
                values = values * float(base) ** float(exponent)
            elif base in column:
                values = values * points[:, column[base]] ** float(exponent)
            else:
                return np.full(len(points), np.nan)
    return values


def _power_product(expr):
    """Whether ``expr`` is a number times powers of symbols (``2*m1*m2/r**2``)."""
    factors = expr.as_powers_dict()
    return bool(expr.free_symbols) and all(
        exponent.is_number and (base.is_number or base.is_Symbol) for base, exponent in factors.items()
    )


def _bounded_one_sign(expr, bounds):
    try:
        interval = expr.xreplace(bounds)
        lo, hi = (interval.min, interval.max) if isinstance(interval, sympy.AccumBounds) else (interval, interval)
        return bool(lo.is_nonnegative or hi.is_nonpositive)
    except Exception:  # pragma: no cover - interval arithmetic has no rule for every function
        return False


def _valued_one_sign(expr, symbols, X):
    # Where the values cannot be had, the answer is "no": the power is then not taken, and the
    # formula stays as found.
    try:
        values = expression_values(expr, list(symbols), X)
    except Exception:
        return False
    values = values[np.isfinite(values)]
    return bool(values.size) and bool(np.all(values >= 0) or np.all(values <= 0))


def _has_denominator(expr):
    return any(e.is_Pow and e.exp.is_Rational and e.exp < 0 for e in sympy.preorder_traversal(expr))


#: ``factor`` is tried when no generator of the quotient's numerator or denominator (a symbol, or a
#: function such as ``exp(x/49)``) has a higher degree than this (twice the library's quartic monomials).
#: Its cost grows with the degree per generator, not with the number of them: ``exp(-(x - 13/7)**3)``
#: becomes a polynomial of degree 2197 in ``exp(-1/343)`` and stalled it for minutes, while a
#: degree-10 monomial over a squared difference takes milliseconds.
FACTOR_MAX_DEGREE = 8


def _factorable(expr):
    """Whether ``sympy.factor`` is cheap on ``expr``: a quotient of low degree in each of its generators."""
    try:
        polys, _ = sympy.parallel_poly_from_expr(sympy.fraction(sympy.together(expr)))
    except BasePolynomialError:  # a number, or no polynomial form
        return False
    return all(max(p.degree_list(), default=0) <= FACTOR_MAX_DEGREE for p in polys)


def _exp_of_log_sum(expr):
    """``prod a_k**c_k`` for ``sum c_k log(a_k)`` with rational ``c_k`` (exp is monotone), else None."""
    terms = expr.args if expr.is_Add else (expr,)
    factors = []
    for term in terms:
        coeff, rest = term.as_coeff_Mul()
        if not (isinstance(rest, sympy.log) and coeff.is_Rational):
            return None
        factors.append(rest.args[0] ** coeff)
    return sympy.Mul(*factors)


def drop_negligible_terms(tree, X, ops, rtol=1e-9):
    """``tree`` without the summands that change its value by less than ``rtol`` (relative) at every point.

    A fitted constant can leave a term that is numerically nil on the data
    (``- 1e-11/B`` beside terms of order one, ``(c + v)*exp(-632)``); it
    adds nodes, not meaning.

    Examples
    --------
    >>> import numpy as np
    >>> from sksymgrad.search.operators import OPERATORS
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> tree = ("-", ("*", ("x", 0), ("x", 1)), ("/", ("c", 1e-11), ("x", 1)))
    >>> drop_negligible_terms(tree, X, OPERATORS)
    ('*', ('x', 0), ('x', 1))
    """
    return _drop_negligible(tree, X, ops, rtol)[0]


def _drop_negligible(tree, X, ops, rtol):
    """``(tree without nil summands, its values)``, bottom up: each node is evaluated once."""
    head = tree[0]
    if head == "x":
        return tree, X[:, tree[1]]
    if head == "c":
        return tree, np.float64(tree[1])
    children, values = zip(*(_drop_negligible(child, X, ops, rtol) for child in tree[1:]))
    with np.errstate(all="ignore"):
        if head in ("+", "-"):
            left, right = (np.broadcast_to(v, X.shape[:1]) for v in values)
            if _negligible(children[1], right, children[0], left, X, ops, rtol):
                return children[0], values[0]
            if _negligible(children[0], left, children[1], right, X, ops, rtol):
                return (children[1], values[1]) if head == "+" else (("neg", children[1]), -values[1])
        return (head,) + children, ops[head].func(*values)


def _negligible(term, term_values, rest, rest_values, X, ops, rtol):
    """Whether ``term`` changes both the value and the gradient of ``term + rest`` by less than ``rtol``.

    The value alone is not enough: beside a large constant (``exp(exp(4))``,
    or ``a*d + 5.2e23`` once folded) every other summand is negligible in
    value, and ``- b*c`` would be dropped from a formula whose gradient it
    shapes; a constant carries no gradient, so nothing beside it is dropped.
    """
    if not np.all(np.abs(term_values) <= rtol * np.abs(rest_values)):
        return False
    term_gradient, rest_gradient = evaluate(term, X, ops)[1], evaluate(rest, X, ops)[1]
    return bool(np.all(np.linalg.norm(term_gradient, axis=1) <= rtol * np.linalg.norm(rest_gradient, axis=1)))


def in_differences(expr):
    """``expr`` written in the differences (or sums) of variables it depends on only through them.

    A polynomial fit returns ``x1**2 - 2*x1*x2 + x2**2 + y1**2 - 2*y1*y2 +
    y2**2``; its derivatives show it depends on ``x1 - x2`` and ``y1 - y2``
    only, and written so it is ``(x1 - x2)**2 + (y1 - y2)**2``. Only exact
    (rational) coefficients are rewritten.

    Examples
    --------
    >>> import sympy
    >>> a, b, c = sympy.symbols("a b c")
    >>> in_differences(a**2 - 2*a*b + b**2 + c)
    c + (a - b)**2
    """
    if expr.has(sympy.Float) or not expr.is_polynomial():
        return expr
    work, combinations_found = expr, {}
    for a, b in combinations(sorted(expr.free_symbols, key=str), 2):
        for sign in (1, -1):  # depends on a - b when d/da + d/db vanishes; on a + b when d/da - d/db does
            if a not in work.free_symbols or b not in work.free_symbols:
                continue
            if sympy.expand(sympy.diff(work, a) + sign * sympy.diff(work, b)) != 0:
                continue
            combined = sympy.Dummy()
            reduced = sympy.expand(work.subs(a, combined + sign * b))
            if b not in reduced.free_symbols:
                work, combinations_found[combined] = reduced, a - sign * b
    return work.subs(combinations_found, simultaneous=True)
