"""Run the search strategies, fastest first, and merge them into one front."""

import time
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import scipy.linalg.lapack
import sympy

from .evolution import EvolutionConfig, evolve
from .expressions import complexity, constants_of, evaluate, evaluate_value, to_sympy
from .library import build_term_library, monomials
from .linear import DirectionProblem, ValueProblem, beam_search, fit_batched, round_coefficients, term_matrix
from .pareto import equations_frame, nondominated, pareto_front
from .screens import crosses_zero, label_denominators, label_factors, label_multipliers, label_screen, without_offset
from .simplify import (
    drop_negligible_terms,
    in_differences,
    one_signed_on,
    oriented_by_labels,
    simplest_form,
    sympy_complexity,
)

__all__ = [
    "SearchSettings",
    "operator_table",
    "run_search",
    "label_candidates",
    "multiplied_candidates",
    "linear_tree",
    "front_from_candidates",
]


@dataclass
class SearchSettings:
    """Resolved settings of one search (built by the regressor in ``fit``)."""

    binary_ops: tuple
    unary_ops: tuple
    maxsize: int = 20
    max_terms: int = 6
    max_degree: object = "auto"
    strategies: tuple = ("linear", "ratio", "evolution")
    niterations: int = 20
    populations: int = 4
    population_size: int = 40
    parsimony: float = 0.02
    early_stop_loss: float = 1e-12
    rounding_rtol: float = None
    trim: float = 0.0
    max_time: float = None
    n_jobs: int = 1
    sign: str = "point"
    scale: np.ndarray = None  # gradient components are compared after multiplying by this (the unit-free frame)
    projector: np.ndarray = None  # (n, d, d): term gradients are projected by this first (subspace search)
    ratio_terms: bool = False  # log(1 - x**2)-type terms for ratios (the variables of a scaling reduction)


def operator_table(settings):
    """The operator table (name -> Operator) a search with ``settings`` evaluates trees with."""
    from .operators import OPERATORS

    ops = dict(OPERATORS)
    ops.update({op.name: op for op in settings.binary_ops + settings.unary_ops})
    return ops


def _product_tree(terms, subset, exponents):
    """``prod x_j ** e_j`` for a subset of ``log(x_j)`` terms."""
    num, den = [], []
    for k, e in zip(subset, exponents):
        x = terms[k][1]
        mag = abs(float(e))
        if mag == 1:
            f = x
        elif mag == 2:
            f = ("square", x)
        elif mag == 3:
            f = ("cube", x)
        elif mag == 0.5:
            f = ("sqrt", x)
        else:
            f = ("^", x, ("c", mag))
        (num if e > 0 else den).append(f)

    def prod(fs):
        tree = fs[0]
        for f in fs[1:]:
            tree = ("*", tree, f)
        return tree

    if not den:
        return prod(num)
    return ("/", prod(num) if num else ("c", 1.0), prod(den))


def linear_tree(terms, subset, coefs, intercept=None):
    """Tree of ``intercept + sum_k coefs_k * terms[subset_k]``.

    A sum of logarithms of variables (and nothing else, no intercept) is
    returned as the product of powers it encodes: ``log m1 + log m2 - 2 log r``
    becomes ``m1*m2/r**2``, the same concept.
    """
    if intercept is None and all(terms[k][0] == "log" and terms[k][1][0] == "x" for k in subset):
        return _product_tree(terms, subset, coefs)
    order = sorted(range(len(subset)), key=lambda i: coefs[i] < 0)
    tree = None
    for i in order:
        c, term = float(coefs[i]), terms[subset[i]]
        piece = term if abs(c) == 1 else ("*", ("c", abs(c)), term)
        if tree is None:
            tree = piece if c > 0 else ("*", ("c", c), term) if abs(c) != 1 else ("neg", term)
        else:
            tree = ("+" if c > 0 else "-", tree, piece)
    if intercept is not None and intercept != 0:
        tree = ("+", tree, ("c", float(intercept)))
    return tree


def _linear_candidates(X, target, weights, mode, ops, settings, rng, deadline, log):
    tiers = build_term_library(
        X[weights > 0],  # points without weight do not decide which terms are on offer
        [op.name for op in settings.binary_ops],
        [op.name for op in settings.unary_ops],
        max_degree=settings.max_degree,
        ratios=settings.ratio_terms and mode == "gradient",
    )
    n_eff = weights.sum() ** 2 / (weights**2).sum()
    out, library, seed_sets, sums, best_loss = [], [], [], [], np.inf
    for t, tier in enumerate(tiers):
        library += tier
        M, ok = term_matrix(library, X, ops, gradients=(mode == "gradient"))
        terms = [term for term, keep in zip(library, ok) if keep]
        M = M[..., ok]
        if not terms:
            continue
        if mode == "gradient" and settings.scale is not None:
            M = M * settings.scale[None, :, None]
        if mode == "gradient" and settings.projector is not None:
            M = settings.projector @ M
        if mode == "gradient":
            problem = DirectionProblem(M, target, weights, trim=settings.trim)
        else:
            problem = ValueProblem(M, target, weights)
        index = {term: i for i, term in enumerate(terms)}
        seeds = [tuple(index[term] for term in s) for s in seed_sets if all(term in index for term in s)]
        fits = beam_search(
            problem,
            len(terms),
            max_terms=settings.max_terms,
            seeds=seeds,
            exact_loss=settings.early_stop_loss,
            random_state=rng.integers(2**31),
            deadline=deadline,
        )
        for fit in fits:
            if mode == "gradient":
                coefs, loss = round_coefficients(
                    lambda c, s=fit.subset: problem.loss(s, c), fit.coefs, fit.loss, n_eff, rtol=settings.rounding_rtol
                )
                tree = linear_tree(terms, fit.subset, coefs)
                sums.append(([terms[k] for k in fit.subset], np.asarray(coefs, dtype=float), loss))
            else:
                coefs, loss = fit.coefs, fit.loss
                tree = linear_tree(terms, fit.subset, coefs, problem.intercept(fit.subset, coefs))
            out.append((tree, loss, f"linear/tier{t}"))
        seed_sets = [tuple(terms[k] for k in f.subset) for f in fits]
        best_loss = min(best_loss, min(f.loss for f in fits))
        log(f"linear tier {t}: {len(terms)} terms, best loss {best_loss:.3g}")
        if best_loss < settings.early_stop_loss or (deadline is not None and time.monotonic() > deadline):
            break
    return out, best_loss, sums


#: Sums per number of terms (the best by loss) whose splits into quotients are tried.
QUOTIENT_SUMS_PER_SIZE = 3
#: Splits of each sum whose quotient gets its constants refitted (the best by loss as split), and as
#: many again with the sum's level moved in (:func:`_surface_level`).
QUOTIENT_SPLITS_PER_SUM = 2


def _quotient_candidates(sums, X, target, weights, ops, settings, rng, log):
    """Quotients ``N / D`` with the level set of a fitted sum ``N - D``.

    A classifier's gradients pin its concept down on its decision surface
    only, and there a quotient ``g / h`` (``h`` of one sign) and the sum
    ``g - L h`` have the same directions: ``grad(g/h) = (grad g - L grad h) / h``
    where ``g / h = L``. The linear path writes the sum, with the level ``L``
    as a constant the networks' noise blurs (``m1*r1 - 3*m1 + m2*r2 - 3*m2``
    for ``(m1*r1 + m2*r2)/(m1 + m2)``, 3 standing for the level 3.02); the
    quotient needs no level and is often shorter. Each sum's terms are split
    into numerator and denominator every way (one of ``N/D`` and ``D/N``,
    whose directions agree), the best splits as they stand get their
    constants refitted and rounded, and the front decides as for any other
    formula. Where the sum takes a value other than 0 on the surface (a
    constant its gradient lost, :func:`_surface_level`), each split is also
    offered with that value moved into one side, if that leaves no number to
    state. A split whose denominator changes sign or nears zero on the data
    is skipped, as in the ratio path. It costs a fraction of a second (a few
    sums, a few constants each), so it runs even when the linear path used
    up the time.
    """
    from .evolution import _Fitness, _optimize_constants, round_tree_constants

    keep = weights > 0
    rows = rng.choice(np.flatnonzero(keep), size=min(int(keep.sum()), 250), replace=False)
    screen = _Fitness(
        X[rows],
        target[rows],
        weights[rows] / weights[rows].sum(),
        "gradient",
        ops,
        trim=settings.trim,
        scale=settings.scale,
    )
    full = _Fitness(X, target, weights / weights.sum(), "gradient", ops, trim=settings.trim, scale=settings.scale)
    n_eff = weights.sum() ** 2 / (weights**2).sum()
    by_size = {}
    for terms, coefs, loss in sorted(sums, key=lambda s: s[2]):
        key = tuple(sorted(map(str, terms)))
        group = by_size.setdefault(len(terms), {})
        if len(terms) >= 2 and key not in group and len(group) < QUOTIENT_SUMS_PER_SIZE:
            group[key] = (terms, coefs)
    out = []
    for group in by_size.values():
        for terms, coefs in group.values():
            # a sum with no number to state is already level-free: moving its value in only adds one
            level = _surface_level(terms, coefs, X[rows], ops) if _free_numbers(coefs / coefs[0]) else 0.0
            split_losses = []
            for size in range(1, len(terms)):
                for rest in combinations(range(1, len(terms)), size - 1):
                    top = (0,) + rest
                    bottom = tuple(k for k in range(len(terms)) if k not in top)
                    for side in (None, "top", "bottom") if level else (None,):
                        tree = _quotient_tree(terms, coefs, top, bottom, level, side)
                        with np.errstate(all="ignore"):
                            if crosses_zero(evaluate_value(tree[2], X[rows], ops)):
                                continue
                        split_losses.append((screen(tree), side, tree))
            # the splits as they stand and those with the level moved in compete for separate slots:
            # the latter are kept only if no number is left after rounding, which a refit must show first
            ranked = sorted(split_losses, key=lambda s: s[0])
            chosen = [s for s in ranked if s[1] is None][:QUOTIENT_SPLITS_PER_SUM]
            chosen += [s for s in ranked if s[1] is not None][:QUOTIENT_SPLITS_PER_SUM]
            for _, side, tree in chosen:
                tree = _optimize_constants(tree, screen, max_nfev=20)
                tree, loss = round_tree_constants(tree, full, full(tree), n_eff, settings.rounding_rtol)
                # With the sum's value moved in, the quotient is the sum written otherwise on the surface:
                # worth offering only where that leaves no number at all (the level gone), not where one
                # stays (t**2 - x**2 as (t**2 + 2/3)/x**2, whose constant fits the networks' own level).
                if side is not None and _free_numbers(constants_of(tree)) > 0:
                    continue
                if np.isfinite(loss):
                    out.append((tree, loss, "quotient"))
    best = min((loss for _, loss, _ in out), default=np.inf)
    log(f"quotient: {len(out)} quotients of {sum(map(len, by_size.values()))} sums, best loss {best:.3g}")
    return out, best


def _free_numbers(values):
    """How many of ``values`` are numbers other than 0 and +-1 (constants a formula has to state)."""
    return int(sum(not np.isclose(abs(v), 1.0) and not np.isclose(v, 0.0) for v in values))


def _surface_level(terms, coefs, X, ops):
    """The value ``H`` a fitted sum takes on the decision surface, or 0 where it is negligible.

    A constant has no gradient, so the linear path's sums have none: on the
    surface ``g/(1 + k) = L`` it fits ``g - L*k``, which equals ``L`` there,
    not 0, and the split ``g/k`` misses the ``1``; :func:`_quotient_tree`
    puts ``H`` back on one side. ``H`` is the sum's median on the points,
    taken as 0 below a hundredth of its terms' typical size.
    """
    with np.errstate(all="ignore"):
        parts = np.array([c * evaluate_value(t, X, ops) for t, c in zip(terms, coefs)])
    level = float(np.median(parts.sum(axis=0)))
    size = float(np.median(np.abs(parts)))
    return level if np.isfinite(level) and abs(level) > 1e-2 * size else 0.0


def _quotient_tree(terms, coefs, top, bottom, level=0.0, side=None):
    """``sum(coefs[top] * terms[top]) / sum(coefs[bottom] * terms[bottom])``, each side rescaled to a leading 1.

    Scaling either side leaves the quotient's directions as they are, so the
    rescaling only saves two constants. ``level``: the sum's value ``H`` on
    the surface (:func:`_surface_level`), moved to the ``side`` ``'top'`` or
    ``'bottom'``, so that the quotient is constant where the sum equals ``H``.
    """
    top_coefs = coefs[list(top)] / coefs[top[0]]
    bottom_coefs = coefs[list(bottom)] / coefs[bottom[0]]
    numerator, denominator = linear_tree(terms, top, top_coefs), linear_tree(terms, bottom, bottom_coefs)
    # sum = a*N + b*D = H on the surface: N/(D - H/b) and (N - H/a)/D are constant there
    if side == "top":
        numerator = ("-", numerator, ("c", level / coefs[top[0]]))
    elif side == "bottom":
        denominator = ("-", denominator, ("c", level / coefs[bottom[0]]))
    return ("/", numerator, denominator)


#: The ratio path runs in problems of up to this many variables (its denominators grow as d**4).
RATIO_MAX_FEATURES = 5
#: Denominators kept after screening, each searched with the beam.
RATIO_DENOMINATORS = 3
#: Up to this many variables numerators also get the quartic monomials (the square of a quadratic,
#: as in ``(t - q*r)**2/(1 - q**2)``, the square of a Lorentz transformation).
RATIO_QUARTIC_FEATURES = 3
#: Denominators the labels pick (:func:`~sksymgrad.search.screens.label_denominators`), searched beside the screen's.
RATIO_LABEL_DENOMINATORS = 2
#: Front formulas up to this complexity are multiplied by factors the labels pick (:func:`multiplied_candidates`).
MULTIPLIED_MAX_COMPLEXITY = 10
#: Products the labels pick there.
LABEL_MULTIPLIERS = 1
#: Factors ``(t_i + t_j)/(t_i - t_j)`` the labels pick (:func:`~.screens.label_factors`), searched as multipliers.
RATIO_LABEL_FACTORS = 1


def _sums_of_two(indices, signs):
    """Denominators ``(index, coefs)``: each term alone, and each pair as ``t_i + s*t_j`` for ``s`` in ``signs``."""
    return [((i,), (1.0,)) for i in indices] + [
        ((i, j), (1.0, sign)) for i, j in combinations(indices, 2) for sign in signs
    ]


def _independent_columns(U, rtol=1e-5):
    """Indices of columns of ``U`` (n, d, K) that are not numerically combinations of the others.

    With many numerator terms some quotients are nearly dependent (a sum of
    ``sqrt(w)``, ``log(w)`` and powers of ``w`` can nearly cancel), and the
    screen's eigenproblem, regularised at about this relative size, then
    returns noise. A pivoted Cholesky factorisation of the columns' Gram
    matrix (rank-revealing, like pivoted QR but at the cost of one matrix
    product) keeps a well-conditioned subset that spans the same space to
    within ``rtol``.
    """
    S = U.reshape(-1, U.shape[-1])
    gram = S.T @ S
    gram /= np.sqrt(np.outer(np.diag(gram), np.diag(gram)))
    _, pivots, rank, _ = scipy.linalg.lapack.dpstrf(gram, lower=1, tol=rtol**2)
    return np.sort(pivots[:rank] - 1)


def _ratio_candidates(X, target, weights, ops, settings, rng, deadline, log, labelled=None):
    """Formulas ``A / B`` with ``A`` a sum of library terms and ``B`` a term or a sum or difference of two.

    For a fixed denominator the direction of ``grad(A/B)`` is linear in the
    coefficients of ``A``: the terms ``t_k / B`` have gradients
    ``(B grad t_k - t_k grad B) / B**2``, so the linear path applies
    unchanged. Every sign-constant denominator is screened with all numerator
    terms at once (one eigenproblem each, on a subsample), and the beam
    search runs for the best few. This reaches ``(u + v)/(1 + u*v/c**2)`` and
    ``(m1*r1 + m2*r2)/(m1 + m2)``, which no sum of terms and no short tree is.

    In a problem reduced by scaling symmetries (``settings.ratio_terms``),
    whose variables are dimensionless, the constant 1 is a term too:
    denominators ``1 + t`` and ``1 - t`` (``1 - w**2`` with ``w = v/c``) and
    numerators ``1 + ...`` (``(1 + a**2 + b**2)/p``).

    With ``labelled`` (a binary classifier's labels), the denominators the
    labels pick are searched too (:func:`~sksymgrad.search.screens.label_denominators`), with
    ``A/sqrt(B)`` among them, and so is ``A * (t_i + t_j)/(t_i - t_j)`` for
    the factor they pick (:func:`~sksymgrad.search.screens.label_factors`).
    """
    binary = [op.name for op in settings.binary_ops]
    if "/" not in binary or "+" not in binary or "-" not in binary or "*" not in binary:
        return [], np.inf
    keep = weights > 0
    tiers = build_term_library(X[keep], binary, [op.name for op in settings.unary_ops], settings.max_degree)
    library = [t for tier in tiers[:2] for t in tier]
    if X.shape[1] <= RATIO_QUARTIC_FEATURES and "*" in binary:
        library += [t for t in monomials(X.shape[1], 4) if t not in library]
    one = ("c", 1.0)
    if settings.ratio_terms:
        library.append(one)
    with np.errstate(all="ignore"):
        evaluated = [evaluate(t, X, ops) for t in library]
    values = np.stack([np.broadcast_to(v, X.shape[:1]) for v, _ in evaluated], axis=-1)
    grads = np.stack([g for _, g in evaluated], axis=-1)
    ok = np.all(np.isfinite(values), axis=0) & np.all(np.isfinite(grads), axis=(0, 1))
    ok &= (np.abs(grads).max(axis=(0, 1)) > 0) | np.array([t == one for t in library])
    terms = [t for t, k in zip(library, ok) if k]
    values, grads = values[:, ok], grads[..., ok]
    polynomial = [i for i, t in enumerate(terms) if t in tiers[0] and t[0] in ("x", "square", "*")]
    denominators = _sums_of_two(polynomial, (1.0, -1.0))
    if one in terms:
        denominators += [((terms.index(one), i), (1.0, sign)) for i in polynomial for sign in (1.0, -1.0)]
    scale = np.ones(X.shape[1]) if settings.scale is None else settings.scale
    rows = rng.choice(len(X), size=min(len(X), 200), replace=False)

    def divided(index, coefs, at=slice(None), power=1.0, top=None):
        """Gradients (n, d, K) of ``t_k / B**power`` (``t_k * N / B`` with ``top = N``) in the unit-free frame.

        Up to a factor common to the columns.
        """
        B = values[at][:, index] @ np.asarray(coefs)
        gB = grads[at][:, :, index] @ np.asarray(coefs)
        V, G = values[at], grads[at]
        if top is not None:
            N = values[at][:, top[0]] @ np.asarray(top[1])
            gN = grads[at][:, :, top[0]] @ np.asarray(top[1])
            with np.errstate(all="ignore"):
                U = B[:, None, None] * (N[:, None, None] * G + V[:, None, :] * gN[:, :, None])
                U = (U - (V * N[:, None])[:, None, :] * gB[:, :, None]) / (B * B)[:, None, None]
            return U * scale[None, :, None]
        with np.errstate(all="ignore"):
            U = (G * B[:, None, None] - power * V[:, None, :] * gB[:, :, None]) / (
                B * B if power == 1 else B ** (power + 1)
            )[:, None, None]
        if power == 1:
            # The denominator's first term is left out: with it the numerators span B itself, whose quotient
            # is a constant (a null direction of the eigenproblem), and A - t_i changes A/B by a constant only.
            U[:, :, index[0]] = 0.0
        return U * scale[None, :, None]

    screened = []
    for index, coefs in denominators:
        if deadline is not None and time.monotonic() > deadline:
            break
        if crosses_zero(values[rows][:, index] @ np.asarray(coefs)):
            continue
        U = divided(index, coefs, rows)
        usable = np.all(np.isfinite(U), axis=(0, 1)) & (np.abs(U).max(axis=(0, 1)) > 0)
        if usable.sum() < 1:
            continue
        U = U[..., usable]
        problem = DirectionProblem(U[..., _independent_columns(U)], target[rows], weights[rows], trim=settings.trim)
        _, loss = fit_batched(problem, [tuple(range(problem.T.shape[-1]))], None, n_iter=3)
        screened.append((float(loss[0]), index, coefs))
    # Below the exact-fit level the screen's losses are ties (with all numerators at once several
    # denominators fit exactly): the simpler denominator goes first.
    screened.sort(key=lambda s: (max(s[0], settings.early_stop_loss), sum(complexity(terms[i]) for i in s[1])))
    searched = [(index, coefs, 1.0, None) for _, index, coefs in screened[:RATIO_DENOMINATORS]]
    if labelled is not None:
        powers = (1.0, 0.5) if "sqrt" in [op.name for op in settings.unary_ops] else (1.0,)
        screen = label_screen(terms, X[keep], labelled, ops)
        picked = label_denominators(terms, denominators, screen, powers, RATIO_LABEL_DENOMINATORS)
        searched += [(index, coefs, power, None) for index, coefs, power in picked]
        searched = list(dict.fromkeys(searched))
        factors = label_factors(terms, combinations(polynomial, 2), screen, RATIO_LABEL_FACTORS)
        searched += [(*bottom, 1.0, top) for top, bottom in factors]
    n_eff = weights.sum() ** 2 / (weights**2).sum()
    out, best_loss = [], np.inf
    for index, coefs, power, top in searched:
        if deadline is not None and time.monotonic() > deadline:
            break
        U = divided(index, coefs, power=power, top=top)
        usable = np.all(np.isfinite(U), axis=(0, 1)) & (np.abs(U).max(axis=(0, 1)) > 0)
        if not usable.any():  # a denominator the labels picked can vanish at a surface point
            continue
        numerators = [t for t, k in zip(terms, usable) if k]
        problem = DirectionProblem(U[..., usable], target, weights, trim=settings.trim)
        fits = beam_search(
            problem,
            len(numerators),
            max_terms=min(settings.max_terms, 4),
            exact_loss=settings.early_stop_loss,
            random_state=rng.integers(2**31),
            deadline=deadline,
        )
        denominator = linear_tree(terms, index, coefs)
        if power != 1:
            denominator = ("sqrt", denominator)
        for fit in fits:
            c, loss = round_coefficients(
                lambda c, s=fit.subset: problem.loss(s, c), fit.coefs, fit.loss, n_eff, rtol=settings.rounding_rtol
            )
            numerator = linear_tree(numerators, fit.subset, c)
            if top is not None:
                numerator = ("*", numerator, linear_tree(terms, *top))
            out.append((("/", numerator, denominator), loss, "ratio"))
            best_loss = min(best_loss, loss)
    log(f"ratio: {len(screened)} denominators screened, best loss {best_loss:.3g}")
    return out, best_loss


def multiplied_candidates(trees, X, labelled, ops, settings):
    """Formulas of ``trees`` times the factor ``t / B**p`` that the labels pick.

    The search through networks finds ``x - u*t`` where the concept is
    ``(x - u*t)/sqrt(1 - u**2/c**2)``: a factor that spans 1 to 1.34 on the
    data moves the networks' directions less than their error, and the
    ratio path's screens score one-term numerators only. Each formula of up
    to :data:`MULTIPLIED_MAX_COMPLEXITY` nodes (without its additive
    constant, which the directions never fixed) is multiplied by every
    ``t / B**p`` of the ratio path's polynomial terms and denominators, and
    the labels rank the products
    (:func:`~sksymgrad.search.screens.label_multipliers`); the best
    :data:`LABEL_MULTIPLIERS` are returned as candidates, for the front and
    the selection to judge like any other.

    Parameters
    ----------
    trees : list of tuple
        The formulas found so far (the front's).
    X : ndarray of shape (n, d)
        The surface points (the labelled points nearest them are screened).
    labelled : LabelledPoints
    ops : dict
    settings : SearchSettings

    Returns
    -------
    list of tuple
        Trees, ``A * t / B`` or ``A * t / sqrt(B)``.
    """
    binary = [op.name for op in settings.binary_ops]
    if X.shape[1] > RATIO_MAX_FEATURES or "*" not in binary or "/" not in binary or "+" not in binary:
        return []
    unary = [op.name for op in settings.unary_ops]
    tiers = build_term_library(X, binary, unary, settings.max_degree)
    terms = [t for t in tiers[0] if t[0] in ("x", "square", "*")]
    denominators = _sums_of_two(range(len(terms)), (1.0, -1.0) if "-" in binary else (1.0,))
    numerators = []
    for tree in dict.fromkeys(without_offset(t) for t in trees):
        # a lone variable times t/B**p is a one-term quotient, the ratio path's
        if tree is None or tree[0] == "x" or complexity(tree) > MULTIPLIED_MAX_COMPLEXITY:
            continue
        with np.errstate(all="ignore"):
            values = np.broadcast_to(evaluate_value(tree, labelled.points, ops), labelled.labels.shape)
        if np.all(np.isfinite(values)):
            numerators.append((tree, values))
    if not numerators:
        return []
    powers = (1.0, 0.5) if "sqrt" in unary else (1.0,)
    screen = label_screen(terms, X, labelled, ops)
    out = []
    # a factor of one ratio w = t_j/t_i, (1 - w)**-p up to t_i**-p, needs a multiplier of degree p*deg(B): 1 or 2
    multipliers = [k for k, t in enumerate(terms) if t[0] == "x" or (t[0] == "square" and t[1][0] == "x")]
    for tree, k, index, coefs, power in label_multipliers(
        numerators, terms, multipliers, denominators, screen, powers, LABEL_MULTIPLIERS
    ):
        numerator = tree if k is None else ("*", tree, terms[k])
        denominator = linear_tree(terms, index, coefs)
        out.append(("/", numerator, denominator if power == 1 else ("sqrt", denominator)))
    return out


def run_search(
    X, target, weights, mode, ops, settings, feature_symbols, random_state=None, progress=None, labelled=None
):
    """Search closed forms for ``target`` and return the Pareto front.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    target : ndarray
        Unit directions (n, d) (``mode="gradient"``) or values (n,).
    weights : ndarray of shape (n,)
    mode : {'gradient', 'value'}
    ops : dict
        Operator table used to evaluate trees.
    settings : SearchSettings
    feature_symbols : list of sympy.Symbol
    progress : callable or None
        ``progress(message)`` for log lines.
    labelled : LabelledPoints or None
        The labelled points of a binary classifier whose decision function
        ``target`` is the gradient of: see :func:`front_from_candidates`.

    Returns
    -------
    equations : pandas.DataFrame
        The front: ``complexity, loss, score, equation, sympy_format, tree, source``.
    history : list of dict
        What each strategy did and how long it took.
    """
    start = time.monotonic()
    deadline = None if settings.max_time is None else start + settings.max_time
    rng = np.random.default_rng(random_state)
    log = progress or (lambda msg: None)
    history = []
    candidates = []
    best = np.inf
    if "linear" in settings.strategies:
        found, best, sums = _linear_candidates(X, target, weights, mode, ops, settings, rng, deadline, log)
        candidates += found
        history.append({"strategy": "linear", "seconds": time.monotonic() - start, "best_loss": best})
        # one direction per point (a subspace search's target is a basis per point, see subspace.py)
        one_direction = mode == "gradient" and target.ndim == 2 and settings.projector is None
        if one_direction and best >= settings.early_stop_loss:
            t0 = time.monotonic()
            found, quotient_best = _quotient_candidates(
                sums, X, target, weights, ops, settings, _own_stream(random_state, 2), log
            )
            candidates += found
            best = min(best, quotient_best)
            history.append({"strategy": "quotient", "seconds": time.monotonic() - t0, "best_loss": quotient_best})
    out_of_time = deadline is not None and time.monotonic() > deadline
    if (
        "ratio" in settings.strategies
        and mode == "gradient"
        and 2 <= X.shape[1] <= RATIO_MAX_FEATURES
        and best >= settings.early_stop_loss
        and not out_of_time
    ):
        t0 = time.monotonic()
        found, ratio_best = _ratio_candidates(
            X, target, weights, ops, settings, _own_stream(random_state, 1), deadline, log, labelled
        )
        candidates += found
        best = min(best, ratio_best)
        history.append({"strategy": "ratio", "seconds": time.monotonic() - t0, "best_loss": ratio_best})
    out_of_time = deadline is not None and time.monotonic() > deadline
    if "evolution" in settings.strategies and best >= settings.early_stop_loss and not out_of_time:
        t0 = time.monotonic()
        cfg = EvolutionConfig(
            binary=tuple(op.name for op in settings.binary_ops),
            unary=tuple(op.name for op in settings.unary_ops),
            maxsize=settings.maxsize,
            niterations=settings.niterations,
            populations=settings.populations,
            population_size=settings.population_size,
            parsimony=settings.parsimony,
            early_stop_loss=settings.early_stop_loss,
            trim=settings.trim,
            scale=settings.scale if mode == "gradient" else None,
            rounding_rtol=settings.rounding_rtol,
            # Sums of terms seed the evolution; quotients do not: their low losses would draw it into
            # their basin (measured: I.6.2 and I.50.26 found by the evolution before, missed with them).
            seeds=[
                tree
                for tree, _, source in sorted(candidates, key=lambda c: c[1])
                if source not in ("ratio", "quotient")
            ][:8],
        )
        found = evolve(
            X,
            target,
            weights,
            mode,
            ops,
            cfg,
            random_state=rng.integers(2**31),
            n_jobs=settings.n_jobs,
            deadline=deadline,
            progress=lambda b: log(f"evolution: best loss {b:.3g}"),
        )
        candidates += [(tree, loss, "evolution") for tree, loss in found]
        history.append(
            {
                "strategy": "evolution",
                "seconds": time.monotonic() - t0,
                "best_loss": min([loss for _, loss in found], default=np.inf),
            }
        )
    if history:
        history[-1]["timed_out"] = deadline is not None and time.monotonic() > deadline
    front = front_from_candidates(candidates, feature_symbols, ops, mode, X, target, weights, labelled)
    return front, history


#: Generations of the label search, per generation of the direction search (``niterations``): a
#: label evaluation is one pass of values (no gradients); measured on recorded ensembles, the concept
#: came out after about 100 generations where 20 left it out (docs/method.md, "What the labels know").
LABEL_GENERATIONS = 5
#: Labelled points the label search scores its trees on (a fixed random subset): it only ranks
#: candidates for the front; the check that judges them reads every labelled point.
LABEL_EVAL_POINTS = 2000


def label_candidates(seeds, labelled, ops, settings, random_state=None, deadline=None):
    """Trees evolved from ``seeds`` to separate a binary classifier's labels.

    The direction search reads the networks' gradients, which share the
    networks' error; the labels do not (:mod:`~sksymgrad.search.labels`).
    This evolution starts from the direction search's front (constants
    refitted to the labels) and scores each tree by the labelled points it
    misclassifies at its best threshold (a random :data:`LABEL_EVAL_POINTS`
    of them), for :data:`LABEL_GENERATIONS` times
    ``settings.niterations`` generations. Its trees are candidates like any
    other: they join the front of direction loss and of label errors, and
    the selection judges them with the rest.

    Parameters
    ----------
    seeds : list of tree
    labelled : LabelledPoints
    ops : dict
    settings : SearchSettings
        Its operators, ``maxsize`` and evolution budget are used.
    deadline : float or None
        ``time.monotonic()`` value after which no new round starts.

    Returns
    -------
    list of tree
    """
    if not seeds:
        return []
    n = len(labelled.points)
    cfg = EvolutionConfig(
        binary=tuple(op.name for op in settings.binary_ops),
        unary=tuple(op.name for op in settings.unary_ops),
        maxsize=settings.maxsize,
        niterations=LABEL_GENERATIONS * settings.niterations,
        populations=settings.populations,
        population_size=settings.population_size,
        parsimony=settings.parsimony,
        n_eval_points=min(n, LABEL_EVAL_POINTS),
        rounding_rtol=settings.rounding_rtol,
        seeds=[labelled.refit(tree) for tree in seeds],
    )
    found = evolve(
        labelled.points,
        labelled.labels,
        np.ones(n),
        "labels",
        ops,
        cfg,
        random_state=random_state,
        n_jobs=settings.n_jobs,
        deadline=deadline,
    )
    return [tree for tree, _ in found]


def _own_stream(random_state, k):
    """Strategy ``k``'s own random stream: adding a strategy must not reshuffle the evolution's search."""
    return np.random.default_rng(None if random_state is None else [int(random_state), k])


def _affine(tree, X, y, weights, ops):
    """Least-squares ``a + b * tree`` for the value objective."""
    v = evaluate_value(tree, X, ops)
    w = weights / weights.sum()
    vm, ym = w @ v, w @ y
    var = w @ (v - vm) ** 2
    b = (w @ ((v - vm) * (y - ym))) / var if var > 0 else 0.0
    return ym - b * vm, b


def _label_front(complexities, free, errors, count_constants):
    """Rows non-dominated in (nodes, label errors); with ``count_constants``, in free constants too."""
    if count_constants:
        return nondominated(complexities, free, errors)
    return pareto_front(complexities, errors)


def front_from_candidates(candidates, symbols, ops, mode, X, target, weights, labelled=None, count_constants=False):
    """The Pareto front of ``(tree, loss, source)`` candidates, shown in simplest form.

    With ``labelled`` (:class:`~sksymgrad.search.labels.LabelledPoints`), the
    front of complexity against misclassified labels (at each formula's best
    threshold, constants refitted to the labels,
    :mod:`~sksymgrad.search.labels`) joins it: a formula whose
    directions fit worse but whose boundary separates the labels better
    than every simpler one stays in the running, since the networks' shared
    error can make the concept's directions look worse than a look-alike's.
    Candidates that simplify to the same expression (or to a number) are kept once;
    an even power is shown only where it keeps the level sets on the labelled
    points (or ``X``) (:func:`~sksymgrad.search.simplify.one_signed_on`).
    Summands that are numerically nil on ``X`` are dropped, and the front's
    polynomials are written in the differences of variables they depend on
    through (:func:`~sksymgrad.search.simplify.in_differences`).

    With ``count_constants`` the labelled front also keeps a formula that
    no other beats on nodes, free constants and label errors together: a
    constant refitted to the labels is spent on them, so a formula without
    it that misclassifies no more is not beaten by it, however many nodes
    shorter (the selection charges the constant's digits). The regressor
    asks for this on the last two fronts only: the one after the factor
    step, which the selection receives, and the one the selection rebuilds
    after refitting and rounding every row. The fronts that seed later
    searches keep the two criteria (widening them changes the label
    evolution's course, docs/method.md).
    """
    rows = []
    seen = set()
    one_signed = one_signed_on(X if labelled is None else labelled.points, symbols)
    orient = (
        None
        if labelled is None or mode != "gradient"
        else oriented_by_labels(labelled.points, labelled.labels, symbols)
    )
    for tree, loss, source in sorted(candidates, key=lambda c: c[1]):
        if not np.isfinite(loss):
            continue
        tree = drop_negligible_terms(tree, X, ops)
        if mode == "value":
            a, b = _affine(tree, X, target, weights, ops)
            if abs(b - 1) > 1e-9 or abs(a) > 1e-9 * max(1.0, abs(b)):
                tree = ("+", ("c", float(f"{a:.6g}")), ("*", ("c", float(f"{b:.6g}")), tree))
        expr = to_sympy(tree, symbols, ops)
        expr = simplest_form(expr, invariant=(mode == "gradient"), one_signed=one_signed)
        if orient is not None:
            expr = orient(expr)
        if not expr.free_symbols or expr in seen:
            continue
        seen.add(expr)
        rows.append(
            {
                "complexity": sympy_complexity(expr),
                "loss": float(loss),
                "equation": sympy.sstr(expr),
                "sympy_format": expr,
                "tree": tree,
                "source": source,
            }
        )
    if not rows:
        return equations_frame([]).reindex(
            columns=["complexity", "loss", "score", "equation", "sympy_format", "tree", "source"]
        )
    keep = pareto_front([r["complexity"] for r in rows], [r["loss"] for r in rows])
    if labelled is not None:
        # what each formula's form can do with its constants refitted (the selection refits them)
        errors = labelled.misclassified([labelled.refit(r["tree"]) for r in rows]).sum(axis=1)
        free = np.array([_free_numbers(constants_of(r["tree"])) for r in rows])
        keep = sorted(set(keep) | set(_label_front([r["complexity"] for r in rows], free, errors, count_constants)))
        errors, free = errors[keep], free[keep]
    rows = [rows[i] for i in keep]
    for row in rows:
        rewritten = in_differences(row["sympy_format"])
        if sympy_complexity(rewritten) < row["complexity"]:
            row.update(complexity=sympy_complexity(rewritten), equation=sympy.sstr(rewritten), sympy_format=rewritten)
    keep = pareto_front([r["complexity"] for r in rows], [r["loss"] for r in rows])
    if labelled is not None:
        keep = sorted(set(keep) | set(_label_front([r["complexity"] for r in rows], free, errors, count_constants)))
    eq = equations_frame([rows[i] for i in keep])
    return eq[["complexity", "loss", "score", "equation", "sympy_format", "tree", "source"]]
