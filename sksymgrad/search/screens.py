"""Screens that rank candidate factors of a formula by a binary classifier's labels.

Through networks the direction screens cannot rank denominators: every one
fits the networks' directions to within their error. The labels carry no
network error, and a formula with no coefficient to fit (a quotient of a
library term by a denominator, a product of a formula the search found with
such a quotient) costs one sort to score: the fewest labels it
misclassifies at its best threshold. These screens rank such candidates on
the labelled points nearest the decision surface; the searches that call
them fit what is left and the selection judges the result.
"""

from typing import NamedTuple

import numpy as np
from scipy.spatial import cKDTree

from .expressions import complexity, evaluate_value
from .labels import count_misclassified_columns

__all__ = ["LabelScreen", "crosses_zero", "label_screen", "label_denominators", "label_factors", "label_multipliers"]


def crosses_zero(denominator):
    """Whether a denominator changes sign or nears zero on the data: then it is not a concept's."""
    return np.sign(denominator).min() != np.sign(denominator).max() or np.abs(denominator).min() < (
        1e-3 * np.median(np.abs(denominator))
    )


#: The labels the denominators are ranked on: those nearest the decision surface.
LABEL_SCREEN_POINTS = 500


class LabelScreen(NamedTuple):
    """What the label screens score on (:func:`label_screen`), computed once for both."""

    every: np.ndarray  # (n_labelled, K): the terms' values (not finite where a term is undefined)
    at: np.ndarray  # the labelled points nearest the surface, where candidate boundaries differ
    labels: np.ndarray  # their labels
    sizes: np.ndarray  # (K,): the terms' complexities


def label_screen(terms, X, labelled, ops):
    """The :class:`LabelScreen` of ``terms``: its points are the :data:`LABEL_SCREEN_POINTS` labelled points
    nearest the surface points ``X`` (standardised distance)."""
    scale = labelled.points.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    distance, _ = cKDTree(X / scale).query(labelled.points / scale)
    at = np.argsort(distance, kind="stable")[:LABEL_SCREEN_POINTS]
    n = len(labelled.points)
    with np.errstate(all="ignore"):
        every = np.column_stack([np.broadcast_to(evaluate_value(t, labelled.points, ops), (n,)) for t in terms])
    return LabelScreen(every, at, labelled.labels[at], np.array([complexity(t) for t in terms]))


def label_denominators(terms, denominators, screen, powers, count):
    """The ``count`` denominators ``B`` under which one library term best separates the labels, at every power.

    The direction screen of :func:`_ratio_candidates` fits every numerator
    term at once, so through networks it cannot rank: every denominator
    fits their directions to within their error. The labels carry no
    network error, and a quotient ``t/B**p`` with a single term ``t`` has
    no coefficient to fit, so each candidate costs one sort: the
    denominators are ranked by the fewest labels that one such quotient
    misclassifies at its best threshold, ties going to the simpler quotient
    (``c*m/sqrt(c**2 - v**2)`` before ``c**2*m**2/(c**2 - v**2)``). The
    labels counted are the ``screen``'s (:func:`label_screen`): the
    :data:`LABEL_SCREEN_POINTS` nearest the surface, where candidate
    boundaries differ.
    ``p = 1/2`` reaches the level sets of ``t/sqrt(B)``
    (``m*c**3/sqrt(c**2 - v**2)``, a relativistic factor), which no ratio
    of sums has.

    Each denominator picked comes back at every power, the one it was
    picked at first: a one-term quotient cannot tell the powers apart
    (``t**2/B`` is ``t/sqrt(B)`` squared), a numerator of several terms can
    (the one-term quotients that best separate the labels of
    ``c**2*(u + v)/(c**2 + u*v)`` are under ``sqrt(c**2 + u*v)``).

    Returns
    -------
    list of (index, coefs, power)
        Denominator ``B = sum(coefs * terms[index])``, positive on the
        labelled points where ``power != 1``; ``count`` of them, each at
        every power.
    """
    every, at, labels, sizes = screen
    values = every[at]
    ranked = []
    for index, coefs in denominators:
        B = every[:, index] @ np.asarray(coefs)
        if not np.all(np.isfinite(B)) or crosses_zero(B):  # on all the data, not only near the surface
            continue
        oriented = tuple(float(c) for c in np.sign(B[0]) * np.asarray(coefs))
        for power in powers:
            with np.errstate(all="ignore"):
                errors = count_misclassified_columns(values / np.abs(B[at])[:, None] ** power, labels)
            if power == 1:
                errors[list(index)] = len(at)  # t_i/(t_i + t_j) has the level sets of t_j/t_i: no denominator
            fewest = errors == errors.min()
            size = min(sizes[fewest]) + sum(complexity(terms[i]) for i in index) + (1 if power == 1 else 2)
            ranked.append((int(errors.min()), size, index, coefs, oriented, power))
    ranked.sort(key=lambda r: r[:2])
    picked = []
    for _, _, index, coefs, oriented, power in ranked:
        if len(picked) == count * len(powers):
            break
        if all(index != other for other, _, _ in picked):
            for p in sorted(powers, key=lambda p: p != power):  # the power it was picked at first
                picked.append((index, coefs if p == 1 else oriented, p))
    return picked


def label_factors(terms, pairs, screen, count):
    """The ``count`` factors ``(t_i + t_j)/(t_i - t_j)`` by which one library term best separates the labels.

    A quotient of two sums over the same two terms is a Moebius function
    of their ratio, ``(1 + w)/(1 - w)`` with ``w = t_j/t_i`` (a Doppler
    factor, ``(c + v)/(c - v)``), and ``t * (1 + w)/(1 - w)`` has level
    sets that neither a single-term quotient ``t/B`` nor a sum of terms
    has, so neither the denominators of :func:`label_denominators` nor the
    direction screen reach it. Scored as there: each ``t * F`` has no
    coefficient to fit, so the factors ``F`` (and their inverses) are ranked
    by the fewest labels, near the surface, that one such product
    misclassifies at its best threshold, ties going to the simpler product.
    Factors whose sum or difference nears zero on the data are skipped.

    Returns
    -------
    list of (top, bottom)
        ``F = sum(coefs * terms[index])`` over ``sum(...)``, each a pair
        ``(index, coefs)``.
    """
    every, at, labels, sizes = screen
    values = every[at]
    ranked = []
    for i, j in pairs:
        plus, minus = every[:, i] + every[:, j], every[:, i] - every[:, j]
        if any(not np.all(np.isfinite(b)) or crosses_zero(b) for b in (plus, minus)):
            continue
        for top, bottom, factor in (((1.0, 1.0), (1.0, -1.0), plus / minus), ((1.0, -1.0), (1.0, 1.0), minus / plus)):
            errors = count_misclassified_columns(values * factor[at, None], labels)
            fewest = errors == errors.min()
            size = min(sizes[fewest]) + 2 * (complexity(terms[i]) + complexity(terms[j])) + 3
            ranked.append((int(errors.min()), size, ((i, j), top), ((i, j), bottom)))
    ranked.sort(key=lambda r: r[:2])
    return [(top, bottom) for _, _, top, bottom in ranked[:count]]


def without_offset(tree):
    """``tree`` without the constants of its top-level sum, or None when nothing else is left.

    The direction loss cannot see an additive constant, so a search leaves
    whatever it fitted there (``-2 - x + u*t``); in a product that constant
    changes the level sets.

    Examples
    --------
    >>> without_offset(("+", ("-", ("c", -2.0), ("x", 0)), ("x", 1)))
    ('+', ('neg', ('x', 0)), ('x', 1))
    """
    if tree[0] == "c":
        return None
    if tree[0] in ("+", "-"):
        left, right = without_offset(tree[1]), without_offset(tree[2])
        if right is None:
            return left
        if left is None:
            return right if tree[0] == "+" else ("neg", right)
        return (tree[0], left, right)
    return tree


def label_multipliers(numerators, terms, multipliers, denominators, screen, powers, count):
    """The ``count`` products ``A * t / B**p`` that best separate the labels, for ``A`` among ``numerators``.

    A formula the direction search found can be right up to a factor the
    networks barely show: ``x - u*t`` for the Lorentz transformation
    ``(x - u*t)/sqrt(1 - u**2/c**2)``, whose factor spans 1 to 1.34 on the
    data. The product ``A * t / B**p`` of a found formula ``A``, a library
    term ``t`` (or 1) and a denominator ``B**p`` has no coefficient to fit
    beyond ``A``'s, so each costs one sort, as in
    :func:`label_denominators` (which is the case ``A = 1``): ranked by the
    fewest labels misclassified near the surface at the best threshold, ties
    to the simpler product, and kept only where it misclassifies fewer than
    ``A`` alone.

    Parameters
    ----------
    numerators : list of (tree, ndarray)
        Each formula ``A`` and its values on every labelled point.
    terms : list of tuple
        The terms of the denominators and the multipliers; ``screen`` holds their values.
    multipliers : list of int
        Indices of the terms ``t`` tried (1 is always tried).
    denominators : list of (index, coefs)
        ``B = sum(coefs * terms[index])``; those that change sign or near zero on the data are skipped.
    screen : LabelScreen
    powers : tuple of float
    count : int

    Returns
    -------
    list of (A, k, index, coefs, power)
        ``A * terms[k] / B**power`` (``k`` is None for ``A / B**power``), ``B`` positive on the data.
    """
    every, at, labels, sizes = screen
    blocks, shapes, block_sizes = [], [], []
    for index, coefs in denominators:
        B = every[:, index] @ np.asarray(coefs)
        if not np.all(np.isfinite(B)) or crosses_zero(B):
            continue
        oriented = tuple(float(c) for c in np.sign(B[0]) * np.asarray(coefs))
        size = sum(sizes[i] for i in index) + len(index) - 1
        for power in powers:
            with np.errstate(all="ignore"):
                scaled = np.abs(B[at]) ** -power
                blocks.append(np.column_stack([scaled, every[at][:, multipliers] * scaled[:, None]]))
            own = np.r_[0, sizes[multipliers] + 1] + size + (1 if power == 1 else 2)
            if power == 1 and len(index) == 1 and index[0] in multipliers:
                own[1 + multipliers.index(index[0])] = np.iinfo(int).max  # A * t / t is A
            shapes.append((index, oriented, power))
            block_sizes.append(own)
    if not blocks:
        return []
    factors, factor_sizes = np.concatenate(blocks, axis=1), np.concatenate(block_sizes)
    width = len(multipliers) + 1
    ranked = []
    for tree, values in numerators:
        a = values[at]
        alone = count_misclassified_columns(a[:, None], labels)[0]
        with np.errstate(all="ignore"):
            errors = count_misclassified_columns(factors * a[:, None], labels)
        best = np.lexsort((factor_sizes, errors))[0]
        if errors[best] < alone and factor_sizes[best] < np.iinfo(int).max:
            index, oriented, power = shapes[best // width]
            k = best % width - 1
            ranked.append(
                (int(errors[best]), complexity(tree) + int(factor_sizes[best]), tree, k, index, oriented, power)
            )
    ranked.sort(key=lambda r: r[:2])
    return [
        (tree, None if k < 0 else multipliers[k], index, coefs, power)
        for _, _, tree, k, index, coefs, power in ranked[:count]
    ]
