"""Candidate terms for the linear-in-parameters search, in complexity tiers.

A concept that is a sum ``h = sum_k c_k t_k(x)`` of known terms is found by
linear algebra alone; the library decides which terms are on offer. Terms
come in tiers searched smallest first, so that simple formulas are preferred
and the search stops early when a tier already fits exactly.
"""

from itertools import combinations, combinations_with_replacement

import numpy as np

from .expressions import var

__all__ = ["build_term_library", "monomials", "variable_signs", "AUTO_QUARTIC_FEATURES"]

#: ``max_degree="auto"`` offers the quartic monomials up to this many variables (at most 35 terms,
#: in the last tier: searched only when the simpler tiers leave a gap) and stops at cubic ones above.
AUTO_QUARTIC_FEATURES = 4


def variable_signs(X):
    """+1 for columns that are strictly positive, -1 strictly negative, else 0."""
    signs = np.zeros(X.shape[1], dtype=int)
    signs[X.min(axis=0) > 0] = 1
    signs[X.max(axis=0) < 0] = -1
    return signs


def _product(factors):
    """Tree for the product of feature indices (with repetition)."""
    counts = {}
    for j in factors:
        counts[j] = counts.get(j, 0) + 1
    parts = []
    for j, k in sorted(counts.items()):
        x = var(j)
        parts.append(x if k == 1 else ("square", x) if k == 2 else ("cube", x) if k == 3 else ("square", ("square", x)))
    tree = parts[0]
    for p in parts[1:]:
        tree = ("*", tree, p)
    return tree


def monomials(d, degree):
    """Trees of every monomial of exactly ``degree`` in ``d`` variables."""
    return [_product(f) for f in combinations_with_replacement(range(d), degree)]


def build_term_library(X, binary_operators, unary_operators, max_degree="auto", max_terms_per_tier=600, ratios=False):
    """Term trees, grouped in tiers of increasing complexity.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Used only for the sign of each variable: logs and square roots are
        offered for positive variables, reciprocals for variables that never
        change sign.
    binary_operators, unary_operators : sequence of str
        Names of the allowed operators; a term is offered only if it can be
        written with them.
    max_degree : int or 'auto', default='auto'
        Highest total degree of the polynomial monomials (fourth-degree ones
        come in the last tier). ``'auto'``: 4 for up to
        :data:`AUTO_QUARTIC_FEATURES` variables, else 3.
    max_terms_per_tier : int, default=600
        Tiers are cut to this size (largest-degree terms dropped first) so the
        search stays tractable with many features.
    ratios : bool, default=False
        Offer ``log(1 - x**2)``, ``log(1 - x)``, ``log(1 + x)`` for variables
        inside (-0.95, 0.95), the form a dimensionless ratio such as ``v/c``
        takes in relativistic formulas. The regressor asks for them only in a
        problem reduced by scaling symmetries, whose variables are such
        ratios (on raw data, centred columns would get them too).

    Returns
    -------
    tiers : list of list of tuple
        ``tiers[t]`` holds the terms new in tier ``t``.
    """
    d = X.shape[1]
    if max_degree == "auto":
        max_degree = 4 if d <= AUTO_QUARTIC_FEATURES else 3
    signs = variable_signs(X)
    binary, unary = set(binary_operators), set(unary_operators)
    has_mul = "*" in binary
    has_div = "/" in binary or "inv" in unary
    u = lambda name: name in unary  # noqa: E731
    tiers = [[], [], [], [], []]

    def inv(tree):
        return ("inv", tree) if "inv" in unary else ("/", ("c", 1.0), tree)

    # Tier 0: the quadratic world and logs (products of powers come from logs).
    tiers[0] += [var(j) for j in range(d)]
    if has_mul and max_degree >= 2:
        tiers[0] += [("square", var(j)) if u("square") else ("*", var(j), var(j)) for j in range(d)]
        tiers[0] += [("*", var(j), var(k)) for j, k in combinations(range(d), 2)]
    nonzero = [j for j in range(d) if signs[j] != 0]
    positive = [j for j in range(d) if signs[j] > 0]
    if has_div:
        tiers[0] += [inv(var(j)) for j in nonzero]
    if u("log"):
        tiers[0] += [("log", var(j)) for j in positive]
        # Lorentz-like composites of a ratio, where they stay away from their singularity.
        unit_interval = [j for j in range(d) if np.abs(X[:, j]).max() < 0.95]
        if ratios and "-" in binary and "+" in binary:
            one = ("c", 1.0)
            for j in unit_interval:
                square = ("square", var(j)) if u("square") else ("*", var(j), var(j))
                tiers[0] += [("log", ("-", one, square)), ("log", ("-", one, var(j))), ("log", ("+", one, var(j)))]

    # Tier 1: cubic monomials, negative powers, ratios, square roots.
    if has_mul and max_degree >= 3:
        tiers[1] += monomials(d, 3)
    if has_div and has_mul:
        tiers[1] += [inv(_product((j, j))) for j in nonzero]
        tiers[1] += [("/", var(j), var(k)) for j in range(d) for k in nonzero if j != k]
    if u("sqrt"):
        tiers[1] += [("sqrt", var(j)) for j in positive]

    # Tier 2: trigonometric and exponential terms of single variables, squared ratios, products of two ratios.
    for name in ("sin", "cos", "exp"):
        if u(name):
            tiers[2] += [(name, var(j)) for j in range(d)]
    if u("exp") and u("neg"):
        tiers[2] += [("exp", ("neg", var(j))) for j in range(d)]
    if has_div and has_mul:
        # A dimensionless ratio often enters squared (a Gaussian's (x/sigma)**2, a resonance's
        # (omega/omega_0)**2); with logs, a sum of these reaches exp(-(x/s)**2/2)/s.
        square = (lambda t: ("square", t)) if u("square") else (lambda t: ("*", t, t))
        tiers[2] += [square(("/", var(j), var(k))) for j in range(d) for k in nonzero if j != k]
        # Two ratios over one variable, a group of the same order (u*v/c**2 in relativistic velocity addition).
        tiers[2] += [
            ("/", ("*", var(i), var(j)), square(var(k)))
            for i, j in combinations(range(d), 2)
            for k in nonzero
            if k not in (i, j)
        ]

    # Tier 3: one variable (in small problems also a product of two) times a trigonometric function of another.
    if has_mul:
        for name in ("sin", "cos"):
            if u(name):
                tiers[3] += [("*", var(j), (name, var(k))) for j in range(d) for k in range(d)]
                if d <= 4:
                    tiers[3] += [
                        ("*", ("*", var(j), var(k)), (name, var(m)))
                        for j, k in combinations(range(d), 2)
                        for m in range(d)
                        if m not in (j, k)
                    ]
        if u("log"):
            tiers[3] += [("*", var(j), ("log", var(k))) for j in range(d) for k in positive]

    # Tier 4: quartic monomials, last: with them in an earlier tier, their many near-polynomial fits
    # crowd the beam (measured: the latent `exponential` system lost `v**2/2 - x + exp(x)`).
    if has_mul and max_degree >= 4:
        tiers[4] += monomials(d, 4)
    return [tier[:max_terms_per_tier] for tier in tiers if tier]
