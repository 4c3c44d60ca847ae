"""Direction targets and the losses the search minimises."""

import warnings

import numpy as np

from ..exceptions import DeadNeuronError, SksymgradWarning

__all__ = [
    "direction_targets",
    "pointwise_direction_loss",
    "direction_loss",
    "trim_weights",
    "value_loss",
]


def direction_targets(G, rtol=1e-3, warn_fraction=0.5, what="target gradients"):
    """Unit gradient directions of the informative points.

    A point is degenerate when its gradient norm is below ``rtol`` times the
    median norm (or is zero / not finite): a saturated or dead region says
    nothing about direction.

    Parameters
    ----------
    G : ndarray of shape (n_samples, n_features)
    rtol : float, default=1e-3
    warn_fraction : float, default=0.5
        Warn when more than this fraction of points is dropped.
    what : str
        How to call ``G`` in messages.

    Returns
    -------
    mask : ndarray of bool, shape (n_samples,)
        Points kept.
    N : ndarray of shape (n_kept, n_features)
        Unit directions of the kept points.

    Raises
    ------
    DeadNeuronError
        When no point has a usable gradient.

    Examples
    --------
    >>> import numpy as np
    >>> mask, N = direction_targets(np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]]))
    >>> mask.tolist(), N[0].tolist()
    ([True, False, True], [0.6, 0.8])
    """
    G = np.asarray(G, dtype=float)
    norms = np.linalg.norm(G, axis=1)
    finite = np.isfinite(norms) & (norms > 0)
    if not finite.any():
        raise DeadNeuronError(
            f"all {len(G)} {what} are zero or not finite, so there is no direction to match. "
            "If these come from a neuron, it is dead or saturated on these points: interpret "
            "another neuron, use points where it is active, or retrain with a smooth activation."
        )
    median = np.median(norms[finite])
    mask = finite & (norms > rtol * median)
    n_drop = int((~mask).sum())
    if mask.sum() == 0:
        raise DeadNeuronError(f"no point of the {what} has a usable norm (rtol={rtol}).")
    if n_drop > warn_fraction * len(G):
        warnings.warn(
            f"{n_drop} of {len(G)} points ({n_drop / len(G):.0%}) have a degenerate gradient "
            f"(norm below {rtol:g} x median) and were left out of the direction fit.",
            SksymgradWarning,
            stacklevel=3,
        )
    return mask, G[mask] / norms[mask, None]


def pointwise_direction_loss(grad, N, sign="point"):
    """Per-point ``1 - |cos|`` between ``grad`` and unit directions ``N``.

    ``sign="global"`` uses ``1 - s cos`` with one sign ``s`` for all points.
    Points where ``grad`` is zero or not finite get the worst value (1, or 2
    for the global variant's wrong side).
    """
    with np.errstate(all="ignore"):
        norm = np.linalg.norm(grad, axis=1)
        cos = np.einsum("ij,ij->i", grad, N) / norm
    bad = ~np.isfinite(cos)
    cos = np.where(bad, 0.0, np.clip(cos, -1.0, 1.0))
    if sign == "global":
        s = 1.0 if cos.sum() >= 0 else -1.0
        return 1.0 - s * cos
    return 1.0 - np.abs(cos)


def trim_weights(per_point, weights, trim):
    """Weights with the worst ``trim`` fraction (by weight) of points set to 0.

    ``per_point`` is (n,) or (n, P) (one column per candidate); ``weights``
    is (n,). Gradients of a trained network have heavy-tailed errors (a few
    points far off), and a trimmed mean keeps them from steering the fit.
    Ties are cut in the points' order.
    """
    per_point = np.asarray(per_point)
    w = np.broadcast_to(weights[:, None] if per_point.ndim == 2 else weights, per_point.shape)
    if trim <= 0:
        return np.array(w, dtype=float)
    if len(weights) and weights.min() == weights.max() and not np.isnan(per_point).any():
        # Equal weights (points on a decision surface): the kept points are the k smallest, found by
        # partitioning in linear time; sorting every column was a sixth of a search's time.
        before = np.cumsum(weights) - weights  # as the sorted path computes it, so the same k
        keep = _smallest(per_point, int(np.count_nonzero(before < (1.0 - trim) * weights.sum())))
    else:
        keep = _kept_by_sorting(per_point, w, trim)
    return np.where(keep, w, 0.0)


def _kept_by_sorting(per_point, w, trim):
    order = np.argsort(per_point, axis=0, kind="stable")
    w_sorted = np.take_along_axis(w, order, axis=0)
    before = np.cumsum(w_sorted, axis=0) - w_sorted
    keep_sorted = before < (1.0 - trim) * w_sorted.sum(axis=0)
    keep = np.empty_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=0)
    return keep


def _smallest(values, k):
    """Mask of the ``k`` smallest values along axis 0, ties taken in order (as a stable sort would)."""
    if k >= len(values):
        return np.ones(values.shape, dtype=bool)
    if k <= 0:
        return np.zeros(values.shape, dtype=bool)
    kth = np.partition(values, k - 1, axis=0)[k - 1]
    below = values < kth
    room = k - below.sum(axis=0)
    tied = values == kth
    if np.all(tied.sum(axis=0) <= room):  # the usual case: no tie to cut, and no running count to take
        return below | tied
    return below | (tied & (np.cumsum(tied, axis=0) <= room))


def direction_loss(grad, N, weights=None, sign="point", trim=0.0):
    """Weighted (and optionally trimmed) mean of :func:`pointwise_direction_loss`; ``inf`` if invalid."""
    if not np.all(np.isfinite(grad)):
        return np.inf
    per_point = pointwise_direction_loss(grad, N, sign)
    w = np.ones(len(per_point)) if weights is None else weights
    w = trim_weights(per_point, w, trim)
    return float(np.average(per_point, weights=w))


def value_loss(pred, y, weights=None):
    """``1 - R^2`` after the best affine rescaling of ``pred`` (PySR-like)."""
    if not np.all(np.isfinite(pred)):
        return np.inf
    w = np.ones_like(y) if weights is None else weights
    w = w / w.sum()
    ym = np.dot(w, y)
    pm = np.dot(w, pred)
    yc, pc = y - ym, pred - pm
    vy = np.dot(w, yc * yc)
    vp = np.dot(w, pc * pc)
    if vy == 0:
        return 0.0
    if vp <= 1e-300:
        return 1.0
    cov = np.dot(w, yc * pc)
    return float(max(1.0 - cov * cov / (vy * vp), 0.0))
