"""The latent-space paper's experiments as a benchmark suite (``--suite latent-paper``).

Patel & Wetzel train Siamese networks on groups of samples that share
invariants: similar matrices (trace, determinant, principal minors),
states of one trajectory of an oscillator or a central potential (energy,
angular momentum), events related by Lorentz transformations (the
interval), electromagnetic fields in different frames (the two Lorentz
invariants). Each system here is rebuilt from that description in our own
code: a sampler of groups, the true invariants, and as many latent units as
invariants. A system is recovered when the formulas' gradients span the
true invariants' gradient subspace: the 99th percentile of ``sin^2`` of the
largest principal angle is below 1e-4 (for one invariant: the usual
direction criterion).
"""

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy

from .generators import (
    _box,
    _solve_for_entry,
    _trajectory_groups,
    det2_groups,
    oscillator_groups,
    pendulum_groups,
    similar2_groups,
    trace3_groups,
)

__all__ = ["LatentSystem", "SYSTEMS", "get_system", "run_system"]


@dataclass(frozen=True)
class LatentSystem:
    """Groups of samples sharing ``invariants`` (sympy strings in ``variables``)."""

    name: str
    variables: tuple
    invariants: tuple
    sampler: Callable = field(compare=False)  # (n_groups, group_size, random_state) -> (X, groups)

    @property
    def symbols(self):
        return [sympy.Symbol(v, real=True) for v in self.variables]

    @property
    def expressions(self):
        local = {s.name: s for s in self.symbols}
        return [sympy.sympify(e, locals=local) for e in self.invariants]


def _matrix_names(n):
    return tuple(f"a{i}{j}" for i in range(1, n + 1) for j in range(1, n + 1))


def _trace_groups(n):
    def sampler(n_groups, group_size, random_state):
        diag = [i * (n + 1) for i in range(n)]
        return _solve_for_entry(
            n_groups,
            group_size,
            np.random.default_rng(random_state),
            n * n,
            lambda P: P[:, diag].sum(axis=1),
            lambda P, v: v - P[:, diag[:-1]].sum(axis=1),
        )

    return sampler


def _det3_groups(n_groups, group_size, random_state):
    # det is linear in a33 (the last entry): det = a33 * minor33 + rest.
    def det(P):
        return np.linalg.det(P.reshape(-1, 3, 3))

    def solve(P, v):
        Q = P.copy()
        Q[:, -1] = 0.0
        minor = P[:, 0] * P[:, 4] - P[:, 1] * P[:, 3]
        return (v - det(Q)) / minor

    return _solve_for_entry(n_groups, group_size, np.random.default_rng(random_state), 9, det, solve)


def _minors3_groups(n_groups, group_size, random_state):
    # sum of principal 2x2 minors; linear in a33: a33 * (a11 + a22) + rest.
    def minors(P):
        a = P.reshape(-1, 3, 3)
        return (
            a[:, 0, 0] * a[:, 1, 1]
            - a[:, 0, 1] * a[:, 1, 0]
            + a[:, 0, 0] * a[:, 2, 2]
            - a[:, 0, 2] * a[:, 2, 0]
            + a[:, 1, 1] * a[:, 2, 2]
            - a[:, 1, 2] * a[:, 2, 1]
        )

    def solve(P, v):
        Q = P.copy()
        Q[:, -1] = 0.0
        return (v - minors(Q)) / (P[:, 0] + P[:, 4])

    return _solve_for_entry(n_groups, group_size, np.random.default_rng(random_state), 9, minors, solve)


def _oscillator(force, energy_box, start):
    def sampler(n_groups, group_size, random_state):
        return _trajectory_groups(
            lambda t, s: [s[1], force(s[0])],
            start,
            _box(*energy_box),
            n_groups,
            group_size,
            np.random.default_rng(random_state),
            t_max=20.0,
        )

    return sampler


def _central_groups(n_groups, group_size, random_state):
    # V = r**4/4: orbits precess and fill an annulus, so energy and angular
    # momentum are the only invariants (a harmonic or Kepler potential has more).
    def rhs(t, s):
        r2 = s[0] ** 2 + s[1] ** 2
        return [s[2], s[3], -r2 * s[0], -r2 * s[1]]

    return _trajectory_groups(
        rhs,
        lambda r: r.uniform(-1, 1, 4),
        _box([-1.5] * 4, [1.5] * 4),
        n_groups,
        group_size,
        np.random.default_rng(random_state),
        t_max=40.0,
    )


def _interval_groups(n_groups, group_size, random_state):
    # Events related by Lorentz transformations share t**2 - x**2 - y**2 - z**2 (and the sign of t):
    # solve for t on the same sheet of the hyperboloid.
    def solve(P, v):
        with np.errstate(invalid="ignore"):
            return np.sqrt(v + (P[:, 1:4] ** 2).sum(axis=1))

    rng = np.random.default_rng(random_state)
    X, groups = _solve_for_entry(
        n_groups,
        group_size,
        rng,
        4,
        lambda P: P[:, 3] ** 2 - (P[:, :3] ** 2).sum(axis=1),
        lambda P, v: solve(P[:, [3, 0, 1, 2]], v),
    )
    return X[:, [3, 0, 1, 2]], groups  # columns t, x, y, z


def _field_groups(n_groups, group_size, random_state):
    # (E, B) in different frames share E**2 - B**2 and E.B: given E, B lies on the circle where the
    # sphere |B|**2 = E**2 - I1 meets the plane E.B = I2.
    rng = np.random.default_rng(random_state)
    X, groups = [], []
    g = 0
    while g < n_groups:
        E0, B0 = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
        I1, I2 = E0 @ E0 - B0 @ B0, E0 @ B0
        E = rng.uniform(-1, 1, (40 * group_size, 3))
        e2 = (E * E).sum(axis=1)
        along = I2 / e2
        w2 = e2 - I1 - along**2 * e2
        ok = w2 > 0
        E, e2, along, w2 = E[ok], e2[ok], along[ok], w2[ok]
        # a random unit vector orthogonal to E
        R = rng.normal(size=E.shape)
        R -= (R * E).sum(axis=1, keepdims=True) / e2[:, None] * E
        R /= np.linalg.norm(R, axis=1, keepdims=True)
        B = along[:, None] * E + np.sqrt(w2)[:, None] * R
        P = np.column_stack([E, B])
        P = P[np.all(np.abs(P) <= 1, axis=1)]
        if len(P) < group_size:
            continue
        X.append(P[:group_size])
        groups.append(np.full(group_size, g))
        g += 1
    return np.vstack(X), np.concatenate(groups)


SYSTEMS = [
    LatentSystem("matrix2_similarity", tuple("abcd"), ("a + d", "a*d - b*c"), similar2_groups),
    LatentSystem("matrix2_trace", tuple("abcd"), ("a + d",), _trace_groups(2)),
    LatentSystem("matrix2_det", tuple("abcd"), ("a*d - b*c",), det2_groups),
    LatentSystem("matrix3_trace", _matrix_names(3), ("a11 + a22 + a33",), trace3_groups),
    LatentSystem(
        "matrix3_minors",
        _matrix_names(3),
        ("a11*a22 - a12*a21 + a11*a33 - a13*a31 + a22*a33 - a23*a32",),
        _minors3_groups,
    ),
    LatentSystem(
        "matrix3_det",
        _matrix_names(3),
        ("a11*(a22*a33 - a23*a32) - a12*(a21*a33 - a23*a31) + a13*(a21*a32 - a22*a31)",),
        _det3_groups,
    ),
    LatentSystem("matrix4_trace", _matrix_names(4), ("a11 + a22 + a33 + a44",), _trace_groups(4)),
    LatentSystem("harmonic", ("x", "v"), ("v**2/2 + 2*x**2",), oscillator_groups),
    LatentSystem(
        "quartic",
        ("x", "v"),
        ("v**2/2 + x**2/2 + x**4/4",),
        _oscillator(lambda x: -x - x**3, ([-1, -1], [1, 1]), lambda r: r.uniform(-0.7, 0.7, 2)),
    ),
    LatentSystem("pendulum", ("theta", "w"), ("w**2/2 - cos(theta)",), pendulum_groups),
    LatentSystem(
        "exponential",
        ("x", "v"),
        ("v**2/2 + exp(x) - x",),
        _oscillator(lambda x: 1.0 - np.exp(x), ([-1.5, -1.2], [1.0, 1.2]), lambda r: r.uniform(-0.6, 0.6, 2)),
    ),
    LatentSystem(
        "central_potential",
        ("x", "y", "vx", "vy"),
        ("(vx**2 + vy**2)/2 + (x**2 + y**2)**2/4", "x*vy - y*vx"),
        _central_groups,
    ),
    LatentSystem("interval", ("t", "x", "y", "z"), ("t**2 - x**2 - y**2 - z**2",), _interval_groups),
    LatentSystem(
        "field_tensor",
        ("Ex", "Ey", "Ez", "Bx", "By", "Bz"),
        ("Ex**2 + Ey**2 + Ez**2 - Bx**2 - By**2 - Bz**2", "Ex*Bx + Ey*By + Ez*Bz"),
        _field_groups,
    ),
]


def get_system(name):
    """The :class:`LatentSystem` called ``name``."""
    for system in SYSTEMS:
        if system.name == name:
            return system
    raise ValueError(f"no latent-paper system {name!r}; known: {[s.name for s in SYSTEMS]}")


def run_system(system, seed=0, n_groups=300, group_size=10, budget=30.0, tol=1e-4, n_networks=5):
    """Train a Siamese embedder with one latent unit per invariant and interpret its latent space.

    With several invariants, ``n_networks`` embedders are trained and their
    subspaces select the formulas (see :func:`~sksymgrad.search.subspace.fit_subspace`);
    one invariant uses one embedder.

    Returns a row: the formulas, the 99th percentile of the subspace residual
    against the true invariants on the samples, whether that is below
    ``tol``, and the rank the interpreter estimated.
    """
    import pandas as pd

    from ..export import expression_gradients
    from ..interpreter import GradientSymbolicInterpreter, default_regressor
    from ..networks import SiameseEmbedder
    from ..search.subspace import subspace_basis, subspace_residual

    system = get_system(system) if isinstance(system, str) else system
    start = time.perf_counter()
    X, groups = system.sampler(n_groups, group_size, seed)
    frame = pd.DataFrame(X, columns=list(system.variables))
    k = len(system.invariants)
    interp = GradientSymbolicInterpreter(
        net=SiameseEmbedder(latent_dim=k),
        neuron=0,
        regressor=default_regressor().set_params(max_time=budget),
        n_networks=n_networks if k > 1 else "auto",
        random_state=seed,
    )
    interp.fit(frame, groups)
    if k == 1:
        formulas, rank = [interp.sympy()], 1
    else:
        result = interp.interpret_subspace()
        formulas, rank = result.expressions, result.n_formulas
    symbols = interp._symbols()
    found = np.stack([expression_gradients(f, symbols, X) for f in formulas], axis=2)
    true = np.stack([expression_gradients(e, system.symbols, X) for e in system.expressions], axis=1)
    residual = subspace_residual(found, subspace_basis(true))
    q99 = float(np.quantile(residual, 0.99)) if len(formulas) == k else 1.0
    return {
        "task": system.name,
        "mode": "latent",
        "seed": seed,
        "n_invariants": k,
        "n_formulas": rank,
        "recovered": bool(q99 < tol),
        "expression": "; ".join(str(f) for f in formulas),
        "q99_error": q99,
        "seconds": time.perf_counter() - start,
    }
