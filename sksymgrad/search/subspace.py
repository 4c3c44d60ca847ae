"""Several formulas for several neurons: interpreting a gradient subspace.

When data share ``k`` invariants (trace and determinant of similar
matrices, energy and angular momentum), a k-dimensional latent space holds
them in an arbitrary, non-linear mixture: no single coordinate is a closed
form, but at every point the coordinates' gradients span the same
k-dimensional subspace as the invariants' gradients (the row space of the
Jacobian). The concept is that subspace, and ``k`` formulas whose gradients
span it are the interpretation.

The search adds one formula at a time. Formula ``m + 1`` must have its
gradient inside the subspace and must add something the first ``m`` do not:
with ``P`` the projector onto the complement of the found formulas'
gradients, the linear path fits ``P grad h`` to the subspace's part ``P Q``
(``sin^2`` of its angle to that part, see
:class:`~sksymgrad.search.linear.DirectionProblem`), so a formula that
repeats an earlier one has no direction left and scores the worst loss.
"""

from dataclasses import dataclass, replace

import numpy as np

from .engine import run_search
from .expressions import constants_of, evaluate, to_sympy, with_constants
from .linear import simple_values
from .losses import trim_weights
from .pareto import select_equation
from .selection import NOISE_TOLERANCE, acceptable, network_disagreement, select_by_members
from .simplify import one_signed_on, simplest_form

__all__ = [
    "subspace_basis",
    "singular_value_profile",
    "estimate_rank",
    "explained_fraction",
    "subspace_residual",
    "SubspaceStep",
    "fit_subspace",
    "mean_subspace",
]


def subspace_basis(J, rank=None):
    """Orthonormal basis (n, d, r) of the row space of each point's Jacobian ``J`` (n, k, d).

    ``rank`` (default ``k``) keeps the leading ``r`` right singular vectors.
    """
    J = np.asarray(J, dtype=float)
    _, _, Vt = np.linalg.svd(np.nan_to_num(J), full_matrices=False)
    r = J.shape[1] if rank is None else rank
    return np.swapaxes(Vt[:, :r, :], 1, 2)


def singular_value_profile(J):
    """Median over points of the Jacobian's singular values, each relative to the largest."""
    s = np.linalg.svd(np.nan_to_num(np.asarray(J, dtype=float)), compute_uv=False)
    with np.errstate(all="ignore"):
        rel = s / s[:, :1]
    return np.nanmedian(rel[np.isfinite(rel).all(axis=1)], axis=0)


def estimate_rank(J, rtol=0.05):
    """How many independent directions the neurons' gradients span (at the median point).

    A singular value below ``rtol`` times the largest counts as noise: a
    latent coordinate that only re-expresses the others (or carries
    nothing) adds no invariant.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> g = rng.normal(size=(50, 1, 3))
    >>> estimate_rank(np.concatenate([g, 2 * g], axis=1)), estimate_rank(rng.normal(size=(50, 2, 3)))
    (1, 2)
    """
    return int(max(1, np.sum(singular_value_profile(J) > rtol)))


def _orthonormal(U):
    Q, R = np.linalg.qr(np.nan_to_num(U))
    return Q


def explained_fraction(U, Q):
    """Mean fraction of the subspace ``Q`` (n, d, r) that gradients ``U`` (n, d, m) span.

    1 when ``U`` spans ``Q`` at every point; ``m / r`` at most.
    """
    overlap = np.swapaxes(Q, 1, 2) @ _orthonormal(U)
    return float(np.mean(np.sum(overlap**2, axis=(1, 2))) / Q.shape[2])


def subspace_residual(U, Q):
    """Per point, ``sin^2`` of the largest principal angle between span(U) and span(Q).

    0 where the two subspaces coincide; with as many formulas as the
    subspace's dimension, the quantile of this is the recovery criterion.
    """
    s = np.linalg.svd(np.swapaxes(Q, 1, 2) @ _orthonormal(U), compute_uv=False)
    return np.clip(1.0 - s[:, -1] ** 2, 0.0, 1.0)


@dataclass
class SubspaceStep:
    """One formula of a subspace interpretation.

    Attributes
    ----------
    equations : pandas.DataFrame
        The Pareto front of this step (its loss: the formula's part outside
        the subspace, after removing the earlier formulas' directions).
    best_index : int
    tree : tuple
        The selected formula's expression tree.
    explained : float
        Fraction of the subspace spanned by this and the earlier formulas.
    """

    equations: object
    best_index: int
    tree: tuple
    explained: float


def fit_subspace(
    X,
    J,
    settings,
    ops,
    symbols,
    n_formulas=None,
    weights=None,
    model_selection="best",
    selection_window=1.5,
    member_jacobians=None,
    alpha=0.05,
    tolerance=NOISE_TOLERANCE,
    random_state=None,
):
    """Formulas whose gradients span the row space of ``J``, added one at a time.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    J : ndarray of shape (n, k, d)
        The neurons' input gradients (one row per neuron).
    settings : SearchSettings
        The search's settings (the linear path is used).
    ops : dict
    symbols : list of sympy.Symbol
    n_formulas : int, default=None
        Dimension of the subspace; ``None`` estimates it (:func:`estimate_rank`).
    weights : ndarray of shape (n,), default=None
    model_selection, selection_window :
        How each step's formula is chosen from its front without members
        (:func:`~sksymgrad.search.pareto.select_equation`).
    member_jacobians : list of ndarray of shape (n, k, d), default=None
        Several networks' Jacobians (their latent spaces are unrelated
        mixtures; their subspaces are comparable). The target is their mean
        subspace, and each step selects the simplest formula within the
        networks' disagreement, as :func:`~sksymgrad.search.selection.select_by_members`
        does for one neuron (``alpha``, ``tolerance``).

    Returns
    -------
    steps : list of SubspaceStep
    residual : ndarray of shape (n,)
        :func:`subspace_residual` of the selected formulas at each point.

    Examples
    --------
    >>> import numpy as np, sympy
    >>> from sksymgrad.search.engine import SearchSettings
    >>> from sksymgrad.search.operators import OPERATORS, resolve_operators
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(300, 3))
    >>> a, b, c = X.T
    >>> # two latent coordinates mixing the invariants a + b and a*c: z1 = a + b + a*c, z2 = (a + b) * a*c
    >>> J = np.stack([np.column_stack([1 + c, np.ones_like(a), a]),
    ...               np.column_stack([2*a*c + b*c, a*c, a*(a + b)])], axis=1)
    >>> settings = SearchSettings(resolve_operators(("+", "-", "*", "/"), 2), resolve_operators(("square",), 1),
    ...                           strategies=("linear",), max_time=20)
    >>> steps, residual = fit_subspace(X, J, settings, OPERATORS, sympy.symbols("a b c"), random_state=0)
    >>> sorted(str(s.equations.loc[s.best_index, "sympy_format"]) for s in steps), bool(residual.max() < 1e-12)
    (['a + b', 'a*c'], True)
    """
    X = np.asarray(X, dtype=float)
    scale = X.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    Js = np.asarray(J, dtype=float) * scale  # the unit-free frame, as in the regressor
    r = estimate_rank(Js) if n_formulas is None else int(n_formulas)
    if member_jacobians is not None:
        member_bases = [subspace_basis(np.asarray(Jm, dtype=float) * scale, r) for Jm in member_jacobians]
        Q = mean_subspace(member_bases)
    else:
        member_bases, Q = None, subspace_basis(Js, r)
    w = np.ones(len(X)) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    rng = np.random.default_rng(random_state)
    settings = replace(settings, scale=scale, strategies=("linear",))
    steps, found = [], []
    d = X.shape[1]
    for m in range(r):
        P = None
        if found:
            U = _orthonormal(np.stack(found, axis=2))
            P = np.eye(d)[None] - U @ np.swapaxes(U, 1, 2)
        front, _ = run_search(
            X,
            _remaining(Q, P, r - m),
            w,
            "gradient",
            ops,
            replace(settings, projector=P),
            symbols,
            rng.integers(2**31),
        )
        if len(front) == 0:
            break
        equations = front.drop(columns=["tree"]).reset_index(drop=True)
        if member_bases is None:
            best = int(select_equation(equations, model_selection, selection_window))
            tree = front["tree"].iloc[best]
        else:
            # Noise-calibrated, as for one neuron (sksymgrad.search.selection): each formula's loss against
            # every network's own subspace, and the networks' disagreement as the unit.
            targets = [_remaining(Qm, P, r - m) for Qm in member_bases]
            grads = [evaluate(t, X, ops)[1] * scale for t in front["tree"]]
            losses = np.array([[_subspace_loss(g, T, P, w, settings.trim) for T in targets] for g in grads])
            pairwise = np.array(
                [
                    [_basis_loss(Tj, Tk, w, settings.trim) if j != k else 0.0 for k, Tk in enumerate(targets)]
                    for j, Tj in enumerate(targets)
                ]
            )
            tau = network_disagreement(pairwise)
            best = select_by_members(equations["complexity"].to_numpy(), losses, alpha, tau, tolerance)
            equations["member_loss"] = losses.mean(axis=1)
            tree = _round(
                front["tree"].iloc[best],
                losses[best],
                X,
                ops,
                scale,
                targets,
                P,
                w,
                settings.trim,
                alpha,
                tau,
                tolerance,
            )
            if tree is not front["tree"].iloc[best]:
                expr = simplest_form(to_sympy(tree, symbols, ops), one_signed=one_signed_on(X, symbols))
                equations.loc[best, ["equation", "sympy_format"]] = [str(expr), expr]
        found.append(evaluate(tree, X, ops)[1] * scale)
        steps.append(SubspaceStep(equations, best, tree, explained_fraction(np.stack(found, axis=2), Q)))
    residual = subspace_residual(np.stack(found, axis=2), Q) if found else np.ones(len(X))
    return steps, residual


def _round(tree, current, X, ops, scale, targets, P, w, trim, alpha, tau, tolerance):
    """Constants of ``tree`` replaced by simpler numbers the networks cannot tell apart (as for one neuron)."""
    values = list(constants_of(tree))
    for j, c in enumerate(values):
        if float(c).is_integer():
            continue
        for _, v in simple_values(c):
            trial = with_constants(tree, values[:j] + [v] + values[j + 1 :])
            g = evaluate(trial, X, ops)[1] * scale
            losses = np.array([_subspace_loss(g, T, P, w, trim) for T in targets])
            if np.all(np.isfinite(losses)) and acceptable(np.vstack([current, losses]), alpha, tau, tolerance)[1]:
                values[j], current = v, losses
                break
    return with_constants(tree, values) if values != list(constants_of(tree)) else tree


def mean_subspace(bases):
    """The r-dimensional subspace closest to several (n, d, r) bases: top eigenvectors of the mean projector."""
    r = bases[0].shape[2]
    projector = np.mean([B @ np.swapaxes(B, 1, 2) for B in bases], axis=0)
    _, vecs = np.linalg.eigh(projector)
    return vecs[:, :, ::-1][:, :, :r]


def _remaining(Q, P, k):
    """Orthonormal basis (n, d, k) of the part of span(Q) that the projector P keeps (all of it for None)."""
    if P is None:
        return Q[:, :, :k]
    left, _, _ = np.linalg.svd(P @ Q, full_matrices=False)
    return left[:, :, :k]


def _sin2_outside(g, T):
    q = np.einsum("nd,nd->n", g, g)
    inside = np.einsum("nd,ndk->nk", g, T)
    with np.errstate(all="ignore"):
        return np.where(q > 0, 1.0 - np.einsum("nk,nk->n", inside, inside) / q, 1.0)


def _mean_loss(sin2, w, trim):
    sin2 = np.clip(np.nan_to_num(sin2, nan=1.0), 0.0, 1.0)
    per_point = sin2 / (1.0 + np.sqrt(1.0 - sin2))  # 1 - cos, as the linear path
    weights = trim_weights(per_point, w, trim)
    return float(per_point @ weights / weights.sum())


def _subspace_loss(g, T, P, w, trim):
    """Loss of gradients ``g`` (n, d), projected by ``P``, against the subspace ``T`` (n, d, k)."""
    return _mean_loss(_sin2_outside(g if P is None else np.einsum("nij,nj->ni", P, g), T), w, trim)


def _basis_loss(Tj, Tk, w, trim):
    """How far one network's subspace is from another's: the mean loss of its basis vectors against it."""
    return float(np.mean([_mean_loss(_sin2_outside(Tj[:, :, i], Tk), w, trim) for i in range(Tj.shape[2])]))
