"""Data generators: labelled samples for classifier tasks, groups for latent tasks.

Each latent generator returns ``(X, groups)`` where the samples of one group
share the named invariant and nothing else: matrices are drawn at random and
one entry is solved for so that the invariant takes the group's value;
dynamical systems are integrated with scipy and a group is one trajectory.
"""

import numpy as np
import pandas as pd
from scipy.integrate import solve_ivp

__all__ = [
    "make_task_data",
    "det2_groups",
    "trace3_groups",
    "kepler_L_groups",
    "oscillator_groups",
    "pendulum_groups",
    "lotka_volterra_groups",
    "similar2_groups",
]


def _solve_for_entry(n_groups, group_size, rng, n_vars, invariant, solve, low=-1.0, high=1.0):
    """Groups of points in ``[low, high]^n_vars`` sharing ``invariant``.

    ``solve(P, value)`` fills the last column of ``P`` so that the invariant
    equals ``value``; draws that leave the box are rejected.
    """
    X, groups = [], []
    for g in range(n_groups):
        value = invariant(rng.uniform(low, high, (1, n_vars)))[0]
        rows = []
        while len(rows) < group_size:
            P = rng.uniform(low, high, (4 * group_size, n_vars))
            with np.errstate(all="ignore"):
                P[:, -1] = solve(P, value)
            ok = np.all((P >= low) & (P <= high), axis=1)
            rows.extend(P[ok][: group_size - len(rows)])
        X.append(np.array(rows))
        groups.append(np.full(group_size, g))
    return np.vstack(X), np.concatenate(groups)


def det2_groups(n_groups=200, group_size=10, random_state=None):
    """2x2 matrices ``(a, b, c, d)`` sharing the determinant ``a*d - b*c``."""
    rng = np.random.default_rng(random_state)
    return _solve_for_entry(
        n_groups,
        group_size,
        rng,
        4,
        lambda P: P[:, 0] * P[:, 3] - P[:, 1] * P[:, 2],
        lambda P, v: (v + P[:, 1] * P[:, 2]) / P[:, 0],
    )


def similar2_groups(n_groups=200, group_size=10, random_state=None):
    """2x2 matrices ``(a, b, c, d)`` sharing trace ``a + d`` and determinant ``a*d - b*c`` (similarity classes).

    Two invariants: for :meth:`GradientSymbolicInterpreter.interpret_subspace`
    on a two-dimensional latent space.
    """
    rng = np.random.default_rng(random_state)
    X, groups = [], []
    for g in range(n_groups):
        a, b, c, d = rng.uniform(-1, 1, 4)
        trace, det = a + d, a * d - b * c
        rows = []
        while len(rows) < group_size:
            A = rng.uniform(-1, 1, (8 * group_size, 2))  # a and b; d and c follow
            D = trace - A[:, 0]
            with np.errstate(all="ignore"):
                C = (A[:, 0] * D - det) / A[:, 1]
            P = np.column_stack([A[:, 0], A[:, 1], C, D])
            ok = np.all(np.abs(P) <= 1, axis=1)
            rows.extend(P[ok][: group_size - len(rows)])
        X.append(np.array(rows))
        groups.append(np.full(group_size, g))
    return np.vstack(X), np.concatenate(groups)


def trace3_groups(n_groups=200, group_size=10, random_state=None):
    """3x3 matrices (row-major ``a11..a33``) sharing only the trace."""
    rng = np.random.default_rng(random_state)
    # a33 is the last entry, the one solved for.
    return _solve_for_entry(
        n_groups,
        group_size,
        rng,
        9,
        lambda P: P[:, 0] + P[:, 4] + P[:, 8],
        lambda P, v: v - P[:, 0] - P[:, 4],
    )


def kepler_L_groups(n_groups=200, group_size=10, random_state=None):
    """Planar states ``(x, y, vx, vy)`` sharing the angular momentum ``x*vy - y*vx``."""
    rng = np.random.default_rng(random_state)
    return _solve_for_entry(
        n_groups,
        group_size,
        rng,
        4,
        lambda P: P[:, 0] * P[:, 3] - P[:, 1] * P[:, 2],
        lambda P, v: (v + P[:, 1] * P[:, 2]) / P[:, 0],
    )


def _trajectory_groups(rhs, sample_start, in_domain, n_groups, group_size, rng, t_max=30.0, wrap=None):
    X, groups = [], []
    g = 0
    while g < n_groups:
        y0 = sample_start(rng)
        sol = solve_ivp(rhs, (0.0, t_max), y0, rtol=1e-11, atol=1e-12, dense_output=True)
        times = np.sort(rng.uniform(0.0, t_max, 8 * group_size))
        P = sol.sol(times).T
        if wrap is not None:
            P = wrap(P)
        P = P[in_domain(P)]
        if len(P) < group_size:
            continue
        X.append(P[rng.choice(len(P), group_size, replace=False)])
        groups.append(np.full(group_size, g))
        g += 1
    return np.vstack(X), np.concatenate(groups)


def _box(low, high):
    low, high = np.asarray(low), np.asarray(high)
    return lambda P: np.all((P >= low) & (P <= high), axis=1)


def oscillator_groups(n_groups=200, group_size=10, random_state=None):
    """``(x, v)`` on trajectories of ``x'' = -4 x``: energy ``v**2/2 + 2*x**2``."""
    rng = np.random.default_rng(random_state)
    return _trajectory_groups(
        lambda t, s: [s[1], -4.0 * s[0]],
        lambda r: r.uniform(-1, 1, 2) * [0.5, 1.0],
        _box([-1, -1], [1, 1]),
        n_groups,
        group_size,
        rng,
        t_max=10.0,
    )


def pendulum_groups(n_groups=200, group_size=10, random_state=None):
    """``(theta, w)`` on pendulum trajectories: energy ``w**2/2 - cos(theta)``."""
    rng = np.random.default_rng(random_state)

    def wrap(P):
        P = P.copy()
        P[:, 0] = (P[:, 0] + np.pi) % (2 * np.pi) - np.pi
        return P

    return _trajectory_groups(
        lambda t, s: [s[1], -np.sin(s[0])],
        lambda r: np.array([r.uniform(-np.pi, np.pi), r.uniform(-1.5, 1.5)]),
        _box([-np.pi, -1.5], [np.pi, 1.5]),
        n_groups,
        group_size,
        rng,
        t_max=30.0,
        wrap=wrap,
    )


def lotka_volterra_groups(n_groups=200, group_size=10, random_state=None):
    """``(x, y)`` on Lotka-Volterra orbits ``x' = 2x/3 - 4xy/3, y' = xy - y``.

    The conserved quantity is ``x - log(x) + 4*y/3 - 2*log(y)/3``.
    """
    rng = np.random.default_rng(random_state)
    return _trajectory_groups(
        lambda t, s: [2 * s[0] / 3 - 4 * s[0] * s[1] / 3, s[0] * s[1] - s[1]],
        lambda r: r.uniform(0.4, 2.0, 2),
        _box([0.2, 0.2], [3.0, 3.0]),
        n_groups,
        group_size,
        rng,
        t_max=40.0,
    )


def make_task_data(task, n_samples=2000, random_state=None, group_size=10):
    """Training data for a task, as a DataFrame named after its variables.

    Classifier tasks: uniform points, ``y = concept > median`` (0/1).
    Latent tasks: ``n_samples // group_size`` groups; ``y`` = group ids.

    Returns
    -------
    X : pandas.DataFrame
    y : ndarray of int
    level : float or None
        The decision level of a classifier task (``None`` for latent tasks).
    """
    from .tasks import get_task

    task = get_task(task)
    if task.kind == "classifier":
        X = task.sample(n_samples, random_state)
        values = task.values(X)
        level = float(np.median(values))
        return pd.DataFrame(X, columns=task.variables), (values > level).astype(int), level
    if task.group_sampler is None:
        raise ValueError(f"latent task {task.name!r} has no group_sampler")
    X, groups = task.group_sampler(max(2, n_samples // group_size), group_size, random_state)
    return pd.DataFrame(X, columns=task.variables), groups.astype(int), None
