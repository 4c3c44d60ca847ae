"""Selecting a formula with the noise of an ensemble of networks.

Networks trained on the same data disagree about the gradient directions of
their concept; a formula that fits their mean better than they agree with
each other is fitting their distortions. The unit of noise is the
disagreement of two networks, ``tau`` (the mean loss of one member's
directions against another's). A formula ``h`` is *acceptable* when its
mean loss against the members is at most ``NOISE_TOLERANCE * tau`` (it
disagrees with a network no more than networks disagree with each other,
up to the calibrated factor), or when the members cannot tell it apart from
the best formula on the front (a one-sided paired t-test on the per-member
losses). The simplest acceptable formula is selected; resampling the
members gives the stability of that choice.

The members share part of their error (they learnt from the same labels),
so a longer formula can fit it and look significantly better to every
member. Where the labels the networks learnt from are known, they are a
second witness that error does not enter: a simpler formula is preferred to
the choice when it misclassifies no more labels and its loss exceeds the
choice's by no more than the networks' noise at the 1 % level
(``LABELLED_NOISE_TOLERANCE * tau``). With the labels, "simplest" means the
shortest description (:func:`description_length`): the bits that state the
formula plus those that name the labelled points it misclassifies, so a
formula a few nodes longer that misclassifies none beats a look-alike that
misclassifies several.
"""

import numpy as np
from scipy import stats
from scipy.special import gammaln

from .expressions import evaluate
from .losses import direction_loss

__all__ = [
    "NOISE_TOLERANCE",
    "LABELLED_NOISE_TOLERANCE",
    "combine_member_directions",
    "member_losses",
    "pairwise_member_losses",
    "network_disagreement",
    "noise_angle",
    "acceptable",
    "description_length",
    "select_by_members",
    "selection_frequencies",
    "round_with_members",
]


#: Calibrated on the AI Feynman "I." suite (see docs/method.md): how many times
#: ``tau`` the true formula's loss against the members reaches, at the 95th percentile.
NOISE_TOLERANCE = 4.0

#: The same ratio at the 99th percentile, over the recorded ensembles of seeds 0 and 1
#: (5.7 over 112; docs/method.md): how much more than the choice a simpler formula the labels
#: find no worse may lose against the members.
LABELLED_NOISE_TOLERANCE = 6.0


def _unit(G):
    with np.errstate(all="ignore"):
        U = G / np.linalg.norm(G, axis=-1, keepdims=True)
    return np.where(np.isfinite(U), U, 0.0)


def combine_member_directions(member_gradients):
    """Sign-aligned mean direction of several networks' gradients, and their spread.

    Parameters
    ----------
    member_gradients : ndarray of shape (n_members, n_points, n_features)

    Returns
    -------
    mean : ndarray of shape (n_points, n_features)
        Unit mean of the members' unit directions, each first flipped to
        agree with the first member (the sign of a direction is arbitrary).
    spread : ndarray of shape (n_points,)
        Mean ``1 - |cos|`` between a member and the mean: the per-point noise
        level, in the loss's own units.

    Examples
    --------
    >>> import numpy as np
    >>> G = np.array([[[1.0, 0.0]], [[-1.0, -0.1]], [[1.0, -0.1]]])  # the second points the other way
    >>> mean, spread = combine_member_directions(G)
    >>> mean.round(3).tolist(), bool(spread[0] > 0)
    ([[1.0, 0.0]], True)
    """
    U = _unit(np.asarray(member_gradients, dtype=float))
    signs = np.sign(np.einsum("mnd,nd->mn", U, U[0]))
    signs[signs == 0] = 1.0
    mean = _unit((signs[..., None] * U).sum(axis=0))
    spread = 1.0 - np.abs(np.einsum("mnd,nd->mn", U, mean)).mean(axis=0)
    return mean, spread


def member_losses(trees, X, member_directions, weights, ops, trim=0.0, sign="point", scale=None):
    """Loss of each tree against each member's directions, shape (n_trees, n_members).

    ``scale`` multiplies the trees' gradient components (the frame the member
    directions are given in).
    """
    return _losses_against_units(trees, X, _unit(member_directions), weights, ops, trim, sign, scale)


def _losses_against_units(trees, X, U, weights, ops, trim=0.0, sign="point", scale=None):
    out = np.full((len(trees), len(U)), np.inf)
    for i, tree in enumerate(trees):
        _, g = evaluate(tree, X, ops)
        g = g if scale is None else g * scale
        if np.all(np.isfinite(g)):
            out[i] = [direction_loss(g, u, weights, sign, trim) for u in U]
    return out


def pairwise_member_losses(member_directions, weights, trim=0.0, sign="point"):
    """Loss of each member's directions against each other member's, shape (M, M), 0 on the diagonal."""
    U = _unit(member_directions)
    M = len(U)
    out = np.zeros((M, M))
    for j in range(M):
        for k in range(j + 1, M):
            out[j, k] = out[k, j] = direction_loss(U[j], U[k], weights, sign, trim)
    return out


def network_disagreement(pairwise, members=None):
    """``tau``: mean loss between two different members (of ``members``, default all)."""
    idx = np.arange(len(pairwise)) if members is None else np.asarray(members)
    sub = pairwise[np.ix_(idx, idx)]
    off = ~np.eye(len(idx), dtype=bool) & (idx[:, None] != idx[None, :])
    return float(sub[off].mean()) if off.any() else 0.0


def noise_angle(tau, tolerance=NOISE_TOLERANCE):
    """Largest angle (radians) between the directions and a formula :func:`acceptable` takes.

    A loss ``1 - |cos|`` of ``tolerance * tau`` is an angle of
    ``sqrt(2 * tolerance * tau)`` (for small angles). The structure tests
    accept a symmetry generator that is as orthogonal to the directions as
    that, so they and the selection share one noise model.

    Examples
    --------
    >>> round(noise_angle(0.0005), 3)  # networks disagreeing by 1 - cos = 5e-4
    0.063
    """
    return float(np.sqrt(2.0 * tolerance * tau))


def acceptable(losses, alpha=0.05, tau=None, tolerance=NOISE_TOLERANCE, eligible=None):
    """Which rows are within the networks' noise.

    ``losses`` is (n_formulas, n_members). A row is acceptable when its mean
    loss is at most ``tolerance * tau`` (``tau``: the networks' own
    disagreement, see :func:`network_disagreement`; skipped when ``None``),
    or when the members cannot tell it from the row with the lowest mean
    loss: its paired excess ``D_k = L_k(h) - L_k(h*)`` over members ``k`` is
    not significantly positive (one-sided t-test at level ``alpha``:
    ``mean(D) <= t * sd(D) / sqrt(M)``). With one member and no ``tau`` only
    the best row is acceptable.

    ``eligible`` (bool per row, default all) sets rows aside before the
    test: they are neither acceptable nor the reference ``h*`` (e.g. rows
    the labels reject, :func:`~sksymgrad.search.labels.significantly_worse`).
    It is ignored when it would leave no row with finite losses.
    """
    losses = _eligible_losses(losses, eligible)
    finite = np.all(np.isfinite(losses), axis=1)
    if not finite.any():
        return finite
    mean = np.where(finite, losses.mean(axis=1), np.inf)
    best = int(np.argmin(mean))
    M = losses.shape[1]
    within_noise = finite & (mean <= tolerance * tau) if tau is not None else np.zeros(len(losses), bool)
    if M < 2:
        return within_noise | (np.arange(len(losses)) == best)
    D = losses - losses[best]
    t_crit = stats.t.ppf(1.0 - alpha, M - 1)
    with np.errstate(invalid="ignore"):
        bound = t_crit * D.std(axis=1, ddof=1) / np.sqrt(M)
    return within_noise | (finite & (D.mean(axis=1) <= bound + 1e-15))


def _eligible_losses(losses, eligible):
    losses = np.asarray(losses, dtype=float)
    if eligible is None:
        return losses
    masked = np.where(np.asarray(eligible, dtype=bool)[:, None], losses, np.inf)
    return masked if np.all(np.isfinite(masked), axis=1).any() else losses


def description_length(complexities, constant_digits, label_errors, n_labelled, n_symbols):
    """Bits of a two-part code: each formula, then the labelled points it misclassifies.

    A formula of ``k`` nodes, each one of ``n_symbols`` symbols (operators,
    variables, a constant), is stated in ``k * log2(n_symbols)`` bits (a
    uniform code per node; the symbols' arities delimit the tree), and its
    numbers in ``log2(10)`` bits per decimal digit (``constant_digits``, see
    :func:`~sksymgrad.search.simplify.constant_digits`: 3/10 is two digits,
    0.318 four). Given the formula and its best threshold, the labels follow
    once the ``e`` points it misclassifies among ``n_labelled`` are named:
    ``log2 C(n_labelled, e)`` bits, which is also minus the log marginal
    likelihood of ``e`` errors under a uniform prior on the error rate (up
    to a term common to all rows). The shorter total is the better
    explanation of the labels (Rissanen's minimum description length): on
    4000 points one error more costs about 12 bits when the best formula
    makes none, as much as three nodes, and about 5 bits at 100 errors
    (noisy labels), so the labels outweigh a node only where they are clean
    enough to tell.

    Examples
    --------
    >>> bits = description_length([8, 11], [0, 0], [5, 0], n_labelled=4000, n_symbols=17)
    >>> bits.round(1).tolist()  # a look-alike 3 nodes shorter with 5 errors, the concept with none
    [85.6, 45.0]
    """
    formula = np.asarray(complexities, float) * np.log2(n_symbols) + np.asarray(constant_digits) * np.log2(10)
    return formula + _error_bits(label_errors, n_labelled)


def _error_bits(label_errors, n_labelled):
    """``log2 C(n_labelled, e)``: the bits that name which points are misclassified."""
    e = np.asarray(label_errors, dtype=float)
    return (gammaln(n_labelled + 1) - gammaln(e + 1) - gammaln(n_labelled - e + 1)) / np.log(2)


def select_by_members(
    complexities,
    losses,
    alpha=0.05,
    tau=None,
    tolerance=NOISE_TOLERANCE,
    eligible=None,
    label_errors=None,
    labelled_tolerance=LABELLED_NOISE_TOLERANCE,
    description_bits=None,
):
    """Index of the simplest acceptable row (ties: lower mean loss); see :func:`acceptable`.

    With ``label_errors`` (labels each row misclassifies), ties go first to
    the row that misclassifies fewer labels, and (given ``tau``) a simpler
    ``eligible`` row replaces the choice when it misclassifies no more labels
    and its mean loss exceeds the choice's by at most ``labelled_tolerance *
    tau``: the members' shared error can make a longer formula significantly
    better for every member, the labels do not see that error. With
    ``description_bits`` (:func:`description_length` of each row) simpler
    means fewer bits rather than fewer nodes.

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[0.30, 0.31, 0.29, 0.30],    # too simple: worse on every member
    ...               [0.010, 0.020, 0.012, 0.030],  # the concept
    ...               [0.011, 0.016, 0.013, 0.027]]) # longer, within the members' noise
    >>> select_by_members([1, 3, 9], L)
    1
    """
    ok = acceptable(losses, alpha, tau, tolerance, eligible)
    mean = np.asarray(losses, dtype=float).mean(axis=1)
    errors = np.zeros(len(mean)) if label_errors is None else np.asarray(label_errors)
    size = np.asarray(complexities if description_bits is None else description_bits, dtype=float)

    def simplest(rows):  # ties: fewer labels misclassified, then lower loss
        return int(min(rows, key=lambda i: (size[i], errors[i], mean[i])))

    chosen = simplest(np.flatnonzero(ok))
    if label_errors is None or tau is None:
        return chosen
    allowed = np.ones(len(mean), bool) if eligible is None else np.asarray(eligible, dtype=bool)
    simpler = np.flatnonzero(
        allowed & (size < size[chosen]) & (errors <= errors[chosen]) & (mean - mean[chosen] <= labelled_tolerance * tau)
    )
    return simplest(simpler) if len(simpler) else chosen


def selection_frequencies(
    complexities,
    losses,
    alpha=0.05,
    pairwise=None,
    tolerance=NOISE_TOLERANCE,
    n_resamples=200,
    random_state=0,
    eligible=None,
    label_errors=None,
    description_bits=None,
):
    """How often each row is selected when the members are resampled (bootstrap).

    Returns an array of shape (n_formulas,) summing to 1: the stability of the
    choice. A formula selected in nearly every resample is what the networks
    agree on; a spread-out distribution means the data do not decide. Rows
    not ``eligible`` (see :func:`acceptable`) are never selected;
    ``label_errors`` and ``description_bits`` as in :func:`select_by_members`.
    """
    losses = np.asarray(losses, dtype=float)
    M = losses.shape[1]
    counts = np.zeros(len(losses))
    labels = {"label_errors": label_errors, "description_bits": description_bits}
    if M < 2:
        tau = None if pairwise is None else network_disagreement(pairwise)
        counts[select_by_members(complexities, losses, alpha, tau, tolerance, eligible, **labels)] = 1.0
        return counts
    rng = np.random.default_rng(random_state)
    for _ in range(n_resamples):
        idx = rng.integers(M, size=M)
        if len(np.unique(idx)) < 2:
            idx = rng.permutation(M)
        tau = None if pairwise is None else network_disagreement(pairwise, idx)
        counts[select_by_members(complexities, losses[:, idx], alpha, tau, tolerance, eligible, **labels)] += 1
    return counts / counts.sum()


def _describes_worse(old, new, errors, n_labelled):
    """Whether a constant ``old`` made ``new`` lengthens the labels' description (``errors``: before, after)."""
    from .linear import constant_cost

    # the same nodes before and after: only the digits and the errors differ
    bits = description_length([0, 0], [constant_cost(old), constant_cost(new)], errors, n_labelled, n_symbols=2)
    return bits[1] > bits[0]


def round_with_members(
    tree,
    X,
    member_directions,
    weights,
    ops,
    trim=0.0,
    alpha=0.05,
    scale=None,
    tau=None,
    tolerance=NOISE_TOLERANCE,
    labelled=None,
):
    """Replace each constant of ``tree`` by the simplest number the members cannot tell apart.

    Constant subtrees are folded first (:func:`~sksymgrad.search.expressions.fold_constants`).
    A stand-in (small rational or short decimal, see
    :func:`~sksymgrad.search.linear.simple_values`, simplest and then nearest
    first) is accepted when the rounded formula is :func:`acceptable` beside
    the one it replaces: its loss is within ``tolerance * tau`` of the
    networks, or the members do not find it worse. Rounding follows the
    same noise model as selection (a rounded formula is a simpler formula),
    so a coefficient the networks all put at 1.04 becomes 1 when the
    networks' shared error explains the difference. With ``labelled``
    (:class:`~sksymgrad.search.labels.LabelledPoints` of a binary
    classifier), the stand-in must also describe the labels in no more bits
    (:func:`description_length`): the digits it saves, at ``log2(10)`` bits
    each, must pay for the points it misclassifies beyond the fitted
    constant's, so rounding and selection weigh a label error alike.
    """
    from .expressions import constants_of, fold_constants, with_constants
    from .linear import simple_values

    tree = fold_constants(tree, ops)
    values = list(constants_of(tree))
    if not values:
        return tree
    U = _unit(member_directions)  # once: the loop below scores many trial trees against the same members
    current = _losses_against_units([tree], X, U, weights, ops, trim, scale=scale)[0]
    if not np.all(np.isfinite(current)):
        return tree
    errors = None if labelled is None else int(labelled.misclassified([tree]).sum())
    for j, c in enumerate(values):
        if float(c).is_integer():
            continue
        stand_ins = [v for _, v in simple_values(c)] + [float(f"{c:.5g}")]
        for v in stand_ins:
            if v == c:
                break
            trial = values[:j] + [v] + values[j + 1 :]
            rounded = with_constants(tree, trial)
            losses = _losses_against_units([rounded], X, U, weights, ops, trim, scale=scale)[0]
            if not (np.all(np.isfinite(losses)) and acceptable(np.vstack([current, losses]), alpha, tau, tolerance)[1]):
                continue
            if labelled is not None:
                trial_errors = int(labelled.misclassified([rounded]).sum())
                if _describes_worse(c, v, [errors, trial_errors], len(labelled.labels)):
                    continue
                errors = trial_errors
            values, current = trial, losses
            break
        else:  # six significant digits at most: beyond that it is the optimiser's noise
            values[j] = float(f"{c:.6g}")
            if labelled is not None:
                errors = int(labelled.misclassified([with_constants(tree, values)]).sum())
    return with_constants(tree, values)
