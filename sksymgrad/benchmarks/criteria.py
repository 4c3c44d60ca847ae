"""When does an expression recover a concept? (DESIGN.md section 4)."""

from dataclasses import dataclass

import numpy as np
import sympy

from ..export import expression_gradients, expression_values
from ..search.losses import pointwise_direction_loss

__all__ = ["RecoveryResult", "recovered", "sample_domain", "project_to_level_set"]


@dataclass(frozen=True)
class RecoveryResult:
    """Outcome of :func:`recovered`; truthy when the concept is recovered."""

    recovered: bool
    quantile_error: float
    mean_error: float
    n_points: int

    def __bool__(self):
        return self.recovered


def sample_domain(domain, n_points, random_state=None):
    """Uniform points in a box ``{name: (low, high)}``, columns in its order."""
    rng = np.random.default_rng(random_state)
    return np.column_stack([rng.uniform(lo, hi, n_points) for lo, hi in domain.values()])


def project_to_level_set(concept, symbols, X, level, domain, n_steps=30):
    """Push points onto ``concept = level`` with Newton steps along the gradient.

    Points that end outside the domain or off the level set are dropped.
    """
    X = X.copy()
    for _ in range(n_steps):
        v = expression_values(concept, symbols, X) - level
        g = expression_gradients(concept, symbols, X)
        with np.errstate(all="ignore"):
            step = (v / np.einsum("ij,ij->i", g, g))[:, None] * g
        X = X - np.where(np.isfinite(step), step, 0.0)
    v = expression_values(concept, symbols, X) - level
    lo = np.array([b[0] for b in domain.values()])
    hi = np.array([b[1] for b in domain.values()])
    ok = np.all((X >= lo) & (X <= hi), axis=1) & (np.abs(v) < 1e-9 * max(1.0, abs(level)))
    return X[ok]


def recovered(expr, concept, domain, level=None, n_points=2000, tol=1e-4, quantile=0.99, random_state=0):
    """Check that ``expr`` has the gradient directions of ``concept``.

    ``expr`` recovers ``concept`` when the ``quantile`` (default 99th
    percentile) of ``1 - |cos(grad expr, grad concept)|`` over ``n_points``
    fresh points is below ``tol``. Gradients are exact (sympy); points where
    ``expr``'s gradient is zero or not finite count as 1. A percentile, not a
    mean, so that look-alikes with a heavy tail fail.

    Parameters
    ----------
    expr, concept : sympy.Expr or str
        Symbols are matched by name with the keys of ``domain``.
    domain : dict
        ``{variable name: (low, high)}``.
    level : float or None, default=None
        ``None``: uniform points of the box (latent tasks, several
        thresholds). A number: points on the level set ``concept = level``
        (single-threshold classifiers, which determine only that surface).
    n_points : int, default=2000
    tol : float, default=1e-4
        Use ``1e-8`` with exact analytic gradients.
    quantile : float, default=0.99
    random_state : int or None, default=0

    Returns
    -------
    RecoveryResult
        Truthy when recovered; also carries the quantile and mean errors.

    Examples
    --------
    >>> dom = {"x": (-1, 1), "y": (-1, 1)}
    >>> bool(recovered("exp(x**2 + y**2)", "x**2 + y**2", dom))
    True
    >>> bool(recovered("cos(x) + cos(y)", "x**2 + y**2", dom))
    False
    """
    symbols = [sympy.Symbol(name, real=True) for name in domain]
    by_name = {s.name: s for s in symbols}
    expr = _as_expr(expr, by_name)
    concept = _as_expr(concept, by_name)
    X = sample_domain(domain, n_points if level is None else 3 * n_points, random_state)
    if level is not None:
        X = project_to_level_set(concept, symbols, X, level, domain)[:n_points]
    g_true = expression_gradients(concept, symbols, X)
    norms = np.linalg.norm(g_true, axis=1)
    keep = norms > 1e-12 * np.median(norms)
    X, g_true = X[keep], g_true[keep] / norms[keep, None]
    g = expression_gradients(expr, symbols, X)
    errors = pointwise_direction_loss(g, g_true)
    errors = np.maximum(errors, 0.0)
    q = float(np.quantile(errors, quantile)) if len(errors) else 1.0
    return RecoveryResult(bool(q < tol), q, float(errors.mean()) if len(errors) else 1.0, int(len(errors)))


def _as_expr(e, by_name):
    if isinstance(e, str):
        e = sympy.sympify(e, locals=dict(by_name))
    # Rebind symbols by name so assumptions (real=True, positive=...) do not matter.
    return e.xreplace({s: by_name[s.name] for s in e.free_symbols if s.name in by_name})
