"""Symmetries of a direction field, found before any search.

A concept ``f`` is invariant under a one-parameter group of transformations
of its inputs exactly when its gradient is orthogonal to the group's
generator at every point. That holds for ``f`` and for any monotone function
of it, so the test works on unit directions alone, through a classifier or a
latent neuron. Two groups cover most of physics:

* **scaling** ``x_i -> lambda**a_i * x_i``: ``sum_i a_i x_i df/dx_i = 0``
  everywhere means ``f`` depends on these variables only through monomials
  such as ``v/c`` or ``m*c**2`` (a dimensionless group);
* **translation** ``x_i -> x_i + b_i t``: ``sum_i b_i df/dx_i = 0``
  everywhere means ``f`` depends on them only through combinations such as
  ``x2 - x1`` or ``u + v``.

Each found symmetry removes one variable: the others in its support are
replaced by invariant combinations (``v -> v/c``, ``x1 -> x1 - x2``) and
the pivot is dropped. Applied until none is left, the problem shrinks to
the concept's essential variables, where the search is much easier; a
formula found there maps back by substitution.

Worked example: ``m_0/sqrt(1 - v**2/c**2)`` has the scaling generator
``(0, 1, 1)`` (``v`` and ``c`` scaled together), so the problem becomes
``F(m_0, w)`` with ``w = v/c``, and ``F = m_0/sqrt(1 - w**2)`` is a
product of two one-variable factors.
"""

from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from math import comb

import numpy as np

from .expressions import var

__all__ = ["Symmetry", "Reduction", "find_symmetries", "ranked_symmetries", "reduce_by_symmetries", "substitute"]

#: Generator components are rounded to these ratios (of the smallest one):
#: dimensionless groups in physics use small integer and half-integer powers.
_RATIOS = tuple(sorted({Fraction(p, q) for p in range(1, 7) for q in (1, 2) if Fraction(p, q) <= 4}))


@dataclass(frozen=True)
class Symmetry:
    """A generator under which the direction field is invariant.

    Attributes
    ----------
    kind : {'scaling', 'translation'}
    coefs : dict
        Feature index -> generator component (a Fraction), over the support.
    residual : float
        RMS of the generator's (column-normalised) inner product with the
        directions: 0 for an exact symmetry, about the directions' angular
        noise for a true one.
    """

    kind: str
    coefs: dict
    residual: float


@dataclass
class Reduction:
    """The variables a problem was reduced to.

    Attributes
    ----------
    columns : list of tuple
        For each reduced variable, its tree in the original features.
    symmetries : list of Symmetry
        What was found, in the order applied (indices refer to the variables
        of the step they were found in).
    """

    columns: list
    symmetries: list


def _unit_rows(G):
    with np.errstate(all="ignore"):
        U = G / np.linalg.norm(G, axis=-1, keepdims=True)
    return np.where(np.isfinite(U), U, 0.0)


def _generator_matrix(X, G, kind):
    """Rows whose product with a generator vanishes at an exact symmetry, columns normalised."""
    scale = X.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    U = _unit_rows(G * scale)  # the unit-free frame: no column's units decide its weight
    A = U / scale  # proportional to the raw gradient at each point
    if kind == "scaling":
        A = A * X
    norms = np.sqrt(np.mean(A**2, axis=0))
    usable = norms > 0
    return np.where(usable, A / np.where(usable, norms, 1.0), 0.0), np.where(usable, norms, np.inf)


def _rational_generator(v, norms):
    """Round a null vector (in normalised columns) to small rational components, or None."""
    a = v / norms
    smallest = np.min(np.abs(a))
    if smallest <= 0 or not np.all(np.isfinite(a)):
        return None
    ratios = a / smallest * np.sign(a[0])  # a generator's sign is arbitrary: first component positive
    out = []
    for r in ratios:
        best = min(_RATIOS, key=lambda q: abs(abs(r) - q))
        if abs(abs(r) - best) > 0.1 * best:
            return None
        out.append(best if r > 0 else -best)
    return out


def _trimmed_null_direction(sub, trim):
    """Smallest right singular vector of ``sub`` and the rows it is fitted to.

    With ``trim > 0`` the vector is refitted once without the ``trim``
    fraction of rows it leaves the largest residual on: network directions
    are worst at a few points (the data's edges), and those would otherwise
    decide the generator.
    """
    _, sv, Vt = np.linalg.svd(sub, full_matrices=False)
    rows = np.arange(len(sub))
    if trim > 0:
        keep = max(int(np.ceil((1.0 - trim) * len(sub))), sub.shape[1] + 1)
        rows = np.argsort(np.abs(sub @ Vt[-1]))[:keep]
        _, sv, Vt = np.linalg.svd(sub[rows], full_matrices=False)
    return sv[-1] / np.sqrt(len(rows)), Vt[-1], rows


def find_symmetries(X, G, kind, tol, max_support=4, max_subsets=300, trim=0.0):
    """Scaling or translation generators of the direction field of ``G``, best first.

    Every subset of up to ``max_support`` variables (as long as there are at
    most ``max_subsets`` of a size) is tested: its near-null direction,
    rounded to small rational components, is kept when the RMS residual
    stays within ``tol``. Only minimal supports are reported (a generator
    whose support contains a smaller one's is a combination of it).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    G : ndarray of shape (n, d)
        Gradients (any length, any sign per point).
    kind : {'scaling', 'translation'}
    tol : float
        Largest residual accepted: about 1e-6 for exact gradients, a few
        times the directions' angular noise for network gradients.
    trim : float, default=0.0
        Fraction of points left out of the fit and of the residual (those
        with the largest residual), as the loss's ``trim_fraction`` does.

    Returns
    -------
    list of Symmetry

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(1, 2, size=(200, 3))               # m, v, c
    >>> G = np.column_stack([np.ones(200), 1 / X[:, 2], -X[:, 1] / X[:, 2] ** 2])  # gradient of m + v/c
    >>> [(s.kind, {k: str(v) for k, v in s.coefs.items()}) for s in find_symmetries(X, G, "scaling", 1e-6)]
    [('scaling', {1: '1', 2: '1'})]
    """
    if kind == "scaling":
        X_ok = np.all(X != 0, axis=0)
    else:
        X_ok = np.ones(X.shape[1], bool)
    A, norms = _generator_matrix(X, G, kind)
    d = X.shape[1]
    found = []
    for size in range(2, min(max_support, d) + 1):
        if comb(d, size) > max_subsets:
            break
        for subset in combinations(range(d), size):
            if not X_ok[list(subset)].all() or any(set(s.coefs) <= set(subset) for s in found):
                continue
            sub = A[:, subset]
            try:
                smallest, null, rows = _trimmed_null_direction(sub, trim)
            except np.linalg.LinAlgError:
                continue
            if smallest > 10 * tol + 1e-12:
                continue
            coefs = _rational_generator(null, norms[list(subset)])
            if coefs is None:
                continue
            a = np.array([float(c) for c in coefs]) * norms[list(subset)]
            residual = float(np.linalg.norm(sub[rows] @ a) / np.linalg.norm(a) / np.sqrt(len(rows)))
            if residual <= tol:
                found.append(Symmetry(kind, dict(zip(subset, coefs)), residual))
    return sorted(found, key=lambda s: (len(s.coefs), s.residual))


def _power(tree, p):
    if p == 1:
        return tree
    if p == 2:
        return ("square", tree)
    if p == 3:
        return ("cube", tree)
    if p == Fraction(1, 2):
        return ("sqrt", tree)
    return ("^", tree, ("c", float(p)))


def _times_power(tree, pivot, p):
    """``tree * pivot**p`` as a tree (a division for negative ``p``)."""
    if p > 0:
        return ("*", tree, _power(pivot, p))
    return ("/", tree, _power(pivot, -p))


def _apply(symmetry, X, G, positive):
    """One reduction step: new columns (trees in the current variables), values, gradients, or None."""
    coefs = symmetry.coefs
    support = sorted(coefs)
    # Pivot (the variable dropped): the smallest component, so the other exponents are integers where
    # possible; a fractional power needs a positive pivot. Ties: the variable of the largest magnitude,
    # so that ratios are small numbers (``v/c`` for v < c, the form relativistic factors take).
    magnitude = np.median(np.abs(X), axis=0)
    order = sorted(support, key=lambda j: (abs(coefs[j]), -magnitude[j], -j))
    pivots = [
        j
        for j in order
        if symmetry.kind == "translation" or positive[j] or all((coefs[i] / coefs[j]).denominator == 1 for i in support)
    ]
    if not pivots:
        return None
    j = pivots[0]
    d = X.shape[1]
    columns, values, grads = [], [], []
    for i in range(d):
        if i == j:
            continue
        if i not in coefs:
            columns.append(var(i))
            values.append(X[:, i])
            grads.append(G[..., i])
        elif symmetry.kind == "scaling":
            p = -coefs[i] / coefs[j]  # y_i = x_i * x_j**p is invariant
            columns.append(_times_power(var(i), var(j), p))
            y = X[:, i] * np.abs(X[:, j]) ** float(p) * (np.sign(X[:, j]) ** int(p) if p.denominator == 1 else 1)
            values.append(y)
            with np.errstate(all="ignore"):
                grads.append(G[..., i] * X[:, i] / y)  # dF/dy_i = df/dx_i / (dy_i/dx_i)
        else:
            r = coefs[i] / coefs[j]  # y_i = x_i - r * x_j is invariant
            pivot = var(j) if r == 1 else ("neg", var(j)) if r == -1 else ("*", ("c", float(r)), var(j))
            columns.append(("-", var(i), pivot) if r != -1 else ("+", var(i), var(j)))
            values.append(X[:, i] - float(r) * X[:, j])
            grads.append(G[..., i])
    Y = np.column_stack(values)
    GY = np.stack(grads, axis=-1)
    if not (np.all(np.isfinite(Y)) and np.all(np.isfinite(GY))):
        return None
    return columns, Y, GY


def substitute(tree, columns):
    """Replace each variable ``("x", k)`` of ``tree`` by ``columns[k]``."""
    if tree[0] == "x":
        return columns[tree[1]]
    if tree[0] == "c":
        return tree
    return (tree[0],) + tuple(substitute(child, columns) for child in tree[1:])


def _best_first(symmetries, tol, kinds=("translation", "scaling")):
    """Smallest residual first (to a tenth of ``tol``), ties in the order of ``kinds``, then of support size.

    With noisy directions a spurious generator of one kind can pass the
    tolerance beside the true one of the other, which fits better; with
    exact gradients every residual rounds to 0 and the order is the kinds'
    (then minimal supports first, as :func:`find_symmetries` lists them).
    """
    rank = {kind: i for i, kind in enumerate(kinds)}
    return sorted(
        symmetries,
        key=lambda s: (round(s.residual / tol, 1) if tol > 0 else 0.0, rank.get(s.kind, len(rank)), len(s.coefs)),
    )


def _rivals_set_aside(symmetries):
    """``symmetries`` less each that a symmetry of another kind on the same two variables fits better.

    On two variables a translation and a scaling exclude each other: a
    gradient orthogonal to both ``(1, 1)`` and ``(x1, x2)`` is nil off the
    diagonal ``x1 = x2``. When both pass the tolerance, one symmetry is seen
    through noisy directions near that diagonal, where the two generators
    are nearly parallel, and the residual is the evidence for which. The
    order of :func:`_best_first` rounds residuals to a tenth of the
    tolerance and would take the translation by its kind alone (measured:
    ``log(V2/V1)`` of I.44.4 reduced to ``V2 - V1``, docs/method.md).
    """
    best = {}
    for s in symmetries:
        if len(s.coefs) == 2:
            pair = frozenset(s.coefs)
            if pair not in best or s.residual < best[pair].residual:
                best[pair] = s
    return [s for s in symmetries if len(s.coefs) != 2 or best[frozenset(s.coefs)].kind == s.kind]


def ranked_symmetries(X, G, tol, kinds=("translation", "scaling"), trim=0.0):
    """Every symmetry of ``kinds`` within ``tol``, the one a reduction step applies first.

    See :func:`find_symmetries` for the test and :func:`reduce_by_symmetries`
    for the order (smallest residual, ties in the order of ``kinds``). Of a
    translation and a scaling of the same two variables only the better
    fitting one is ranked (:func:`_rivals_set_aside`).
    """
    found = [s for kind in kinds for s in find_symmetries(X, G, kind, tol, trim=trim)]
    return _best_first(_rivals_set_aside(found), tol, kinds)


def reduce_by_symmetries(X, G, tol, member_gradients=None, kinds=("translation", "scaling"), max_steps=None, trim=0.0):
    """Remove one variable per symmetry found, until none is left.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    G : ndarray of shape (n, d)
        Gradients the symmetries are found in (e.g. the ensemble's mean).
    tol : float
        See :func:`find_symmetries`.
    member_gradients : ndarray of shape (m, n, d), optional
        Carried along to the reduced variables (same change of variables).
    kinds : tuple
        Which groups to test; at each step the symmetry applied is the one
        of smallest residual, ties going in this order.
    max_steps : int or None
        Most symmetries applied (default: until one variable is left).
    trim : float, default=0.0
        See :func:`find_symmetries`.

    Returns
    -------
    reduction : Reduction or None
        ``None`` when no symmetry was found.
    Y : ndarray of shape (n, k)
        The reduced variables' values (``k < d``).
    GY : ndarray of shape (n, k)
        Gradients with respect to them.
    members : ndarray of shape (m, n, k) or None

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(1, 2, size=(300, 3))                 # x1, x2, s
    >>> G = np.column_stack([-(X[:, 1] - X[:, 0]), X[:, 1] - X[:, 0], -X[:, 2] * 0 + 1])  # (x2 - x1)**2/2 + s
    >>> reduction, Y, GY, _ = reduce_by_symmetries(X, G, 1e-6)
    >>> [s.kind for s in reduction.symmetries], Y.shape[1]
    (['translation'], 2)
    """
    columns = [var(j) for j in range(X.shape[1])]
    symmetries = []
    members = None if member_gradients is None else np.asarray(member_gradients, dtype=float)
    Y, GY = np.asarray(X, dtype=float), np.asarray(G, dtype=float)
    steps = X.shape[1] - 1 if max_steps is None else max_steps
    while len(symmetries) < steps and Y.shape[1] > 1:
        positive = np.all(Y > 0, axis=0)
        step = None
        for sym in ranked_symmetries(Y, GY, tol, kinds, trim):
            step = _apply(sym, Y, np.concatenate([GY[None], members]) if members is not None else GY, positive)
            if step is not None:
                break
        if step is None:
            break
        new_columns, Y, stacked = step
        GY, members = (stacked[0], stacked[1:]) if members is not None else (stacked, None)
        columns = [substitute(c, columns) for c in new_columns]
        symmetries.append(sym)
    if not symmetries:
        return None, X, G, member_gradients
    return Reduction(columns, symmetries), Y, GY, members
