"""Evolutionary search over expression trees (the fallback strategy).

Islands of age-regularised populations (PySR-style: the oldest member is
replaced, tournaments pick parents) evolve trees by mutation and crossover;
constants are tuned on the loss itself with scipy; a hall of fame keeps the
best tree of each complexity. Three objectives: gradient directions, values,
and a binary classifier's labels (the points a tree misclassifies at its
best threshold, :func:`~sksymgrad.search.labels.count_misclassified`).
Candidates are reduced to their simplest representative before scoring (no
outer monotone map, offset or scale), and trees that encode the same concept
-- the same gradient directions on a few probe points -- are kept once.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from .expressions import (
    complexity,
    constants_of,
    evaluate,
    evaluate_value,
    fold_constants,
    variables_of,
    with_constants,
)
from .labels import count_misclassified, tree_values
from .linear import simple_values
from .losses import direction_loss, value_loss
from .simplify import strip_invariances

__all__ = ["EvolutionConfig", "evolve"]


@dataclass
class EvolutionConfig:
    """Budget and shape of the evolutionary search."""

    binary: tuple
    unary: tuple
    maxsize: int = 20
    niterations: int = 20
    populations: int = 4
    population_size: int = 40
    parsimony: float = 0.02
    tournament_size: int = 5
    n_eval_points: int = 250
    optimize_every: int = 2
    early_stop_loss: float = 1e-12
    trim: float = 0.0
    scale: np.ndarray = None
    rounding_rtol: float = None
    seeds: list = field(default_factory=list)


class _Fitness:
    """Loss of a tree on a fixed subsample: direction, value or label objective.

    With ``mode="labels"`` the target is 0/1 labels and the loss is the
    fraction misclassified at the tree's best threshold (plus half a point,
    so that a perfect separation still ranks by size in the tournaments'
    ``log(loss)``). It is a step function of the constants: they are not
    tuned here but refitted to the labels afterwards
    (:func:`~sksymgrad.search.labels.refit_to_labels`).
    """

    def __init__(self, X, target, weights, mode, ops, sign="point", trim=0.0, scale=None):
        self.X, self.target, self.weights, self.mode, self.ops = X, target, weights, mode, ops
        self.sign, self.trim, self.scale = sign, trim, (1.0 if scale is None else scale)
        self._label_losses = {}

    def __call__(self, tree):
        if self.mode == "gradient":
            _, g = evaluate(tree, self.X, self.ops)
            return direction_loss(g * self.scale, self.target, self.weights, self.sign, self.trim)
        if self.mode == "labels":
            if tree not in self._label_losses:  # a tree is often bred again; its labels do not change
                wrong = count_misclassified(tree_values(tree, self.X, self.ops), self.target)
                self._label_losses[tree] = (wrong + 0.5) / len(self.X)
            return self._label_losses[tree]
        return value_loss(evaluate_value(tree, self.X, self.ops), self.target, self.weights)

    def residuals(self, tree):
        if self.mode == "gradient":
            _, g = evaluate(tree, self.X, self.ops)
            g = g * self.scale
            with np.errstate(all="ignore"):
                u = g / np.linalg.norm(g, axis=1, keepdims=True)
                r = u - np.einsum("nd,nd->n", u, self.target)[:, None] * self.target
            r = r * np.sqrt(self.weights)[:, None]
            return np.where(np.isfinite(r), r, 1.0).ravel()
        v = evaluate_value(tree, self.X, self.ops)
        if not np.all(np.isfinite(v)):
            return np.full(len(v), 1e3)
        w = self.weights
        A = np.column_stack([np.ones_like(v), v])
        with np.errstate(all="ignore"):
            coef = np.linalg.lstsq(A * np.sqrt(w)[:, None], self.target * np.sqrt(w), rcond=None)[0]
            r = (A @ coef - self.target) * np.sqrt(w)
        return np.where(np.isfinite(r), r, 1e3)


def _paths(tree, prefix=()):
    yield prefix
    if tree[0] not in ("x", "c"):
        for i, child in enumerate(tree[1:], start=1):
            yield from _paths(child, prefix + (i,))


def _get(tree, path):
    for i in path:
        tree = tree[i]
    return tree


def _put(tree, path, new):
    if not path:
        return new
    i = path[0]
    return tree[:i] + (_put(tree[i], path[1:], new),) + tree[i + 1 :]


class _Mutator:
    def __init__(self, cfg, n_features, rng):
        self.cfg, self.d, self.rng = cfg, n_features, rng

    def leaf(self):
        if self.rng.random() < 0.75:
            return ("x", int(self.rng.integers(self.d)))
        return ("c", float(np.round(self.rng.normal(0, 2), 2)) or 1.0)

    def random_tree(self, depth):
        rng, cfg = self.rng, self.cfg
        if depth <= 0 or rng.random() < 0.3:
            return self.leaf()
        if cfg.unary and rng.random() < 0.3:
            return (cfg.unary[rng.integers(len(cfg.unary))], self.random_tree(depth - 1))
        op = cfg.binary[rng.integers(len(cfg.binary))]
        return (op, self.random_tree(depth - 1), self.random_tree(depth - 1))

    def mutate(self, tree):
        rng, cfg = self.rng, self.cfg
        paths = list(_paths(tree))
        path = paths[rng.integers(len(paths))]
        node = _get(tree, path)
        kind = rng.integers(6)
        if kind == 0:  # replace a subtree
            return _put(tree, path, self.random_tree(2))
        if kind == 1 and node[0] == "c":  # perturb a constant
            return _put(tree, path, ("c", node[1] * float(np.exp(rng.normal(0, 0.5))) + rng.normal(0, 0.1)))
        if kind == 2 and cfg.unary:  # wrap in a unary operator
            return _put(tree, path, (cfg.unary[rng.integers(len(cfg.unary))], node))
        if kind == 3:  # combine with a new leaf
            op = cfg.binary[rng.integers(len(cfg.binary))]
            pair = (node, self.leaf()) if rng.random() < 0.5 else (self.leaf(), node)
            return _put(tree, path, (op,) + pair)
        if kind == 4 and node[0] not in ("x", "c"):  # delete: keep one child
            return _put(tree, path, node[1 + rng.integers(len(node) - 1)])
        if node[0] not in ("x", "c"):  # swap the operator for one of the same arity
            pool = cfg.unary if len(node) == 2 else cfg.binary
            if pool:
                return _put(tree, path, (pool[rng.integers(len(pool))],) + node[1:])
        return _put(tree, path, self.leaf())

    def crossover(self, a, b):
        pa = list(_paths(a))
        pb = list(_paths(b))
        return _put(a, pa[self.rng.integers(len(pa))], _get(b, pb[self.rng.integers(len(pb))]))


def _optimize_constants(tree, fitness, max_nfev=40):
    consts = constants_of(tree)
    if not consts or fitness.mode == "labels":
        return tree
    x0 = np.asarray(consts, dtype=float)

    def resid(c):
        return fitness.residuals(with_constants(tree, c))

    try:
        with np.errstate(all="ignore"):
            sol = least_squares(resid, x0, method="trf", max_nfev=max_nfev * len(x0))
    except (ValueError, FloatingPointError):
        return tree
    if not np.all(np.isfinite(sol.x)):
        return tree
    return with_constants(tree, sol.x)


def _fingerprint(tree, probe, ops, mode):
    if mode == "gradient":
        _, g = evaluate(tree, probe, ops)
        with np.errstate(all="ignore"):
            u = g / np.linalg.norm(g, axis=1, keepdims=True)
        u = np.where(np.isfinite(u), u, 0.0)
        # Sign-invariant per point: flip so the first non-zero entry is positive.
        first = np.take_along_axis(u, np.argmax(np.abs(u) > 1e-9, axis=1)[:, None], axis=1)
        u = u * np.where(first < 0, -1.0, 1.0)
        return np.round(u, 6).tobytes()
    with np.errstate(all="ignore"):
        v = evaluate_value(tree, probe, ops)
        v = (v - v.mean()) / (v.std() + 1e-300)
    return np.round(np.where(np.isfinite(v), v, 0.0), 6).tobytes()


def _evolve_island(members, cfg, fitness, probe, n_gens, seed, n_features):
    """Run one island for ``n_gens`` generations; returns (members, hall_of_fame)."""
    rng = np.random.default_rng(seed)
    mut = _Mutator(cfg, n_features, rng)
    ops, mode = fitness.ops, fitness.mode
    hof = {}

    def consider(tree):
        if mode in ("gradient", "labels"):  # both read only the level sets
            tree = strip_invariances(tree, ops)
        size = complexity(tree)
        if size > cfg.maxsize or not variables_of(tree):
            return None
        loss = fitness(tree)
        if not np.isfinite(loss):
            return None
        old = hof.get(size)
        if old is None or loss < old[0]:
            key = _fingerprint(tree, probe, ops, mode)
            if not any(k == key and s <= size for s, (_, _, k) in hof.items()):
                hof[size] = (loss, tree, key)
        return tree, loss, size

    def fit_key(m):
        return np.log(max(m[1], 1e-16)) + cfg.parsimony * m[2]

    members = [m for m in (consider(t) for t in members) if m is not None]
    while len(members) < cfg.population_size:
        m = consider(mut.random_tree(3))
        if m is not None:
            members.append(m)
    for gen in range(n_gens):
        for _ in range(cfg.population_size):
            picks = [members[i] for i in rng.integers(len(members), size=cfg.tournament_size)]
            parent = min(picks, key=fit_key)
            if rng.random() < 0.2:
                other = min((members[i] for i in rng.integers(len(members), size=cfg.tournament_size)), key=fit_key)
                child = mut.crossover(parent[0], other[0])
            else:
                child = mut.mutate(parent[0])
            m = consider(child)
            if m is not None:
                members.pop(0)  # age-regularised: the oldest goes
                members.append(m)
        if gen % cfg.optimize_every == 0:
            best = sorted(range(len(members)), key=lambda i: fit_key(members[i]))[:3]
            for i in best:
                m = consider(_optimize_constants(members[i][0], fitness))
                if m is not None and m[1] < members[i][1]:
                    members[i] = m
        if min(m[1] for m in members) < cfg.early_stop_loss:
            break
    return members, {s: (loss, tree) for s, (loss, tree, _) in hof.items()}


def evolve(X, target, weights, mode, ops, cfg, random_state=None, n_jobs=1, deadline=None, progress=None):
    """Evolve expression trees; returns a list of ``(tree, loss)`` candidates.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    target : ndarray
        Unit directions (n, d) for ``mode="gradient"``, 0/1 labels (n,) for
        ``mode="labels"``, values (n,) otherwise.
    weights : ndarray of shape (n,)
        Ignored by the label objective (every point counts once).
    mode : {'gradient', 'value', 'labels'}
    ops : dict
        Operator table.
    cfg : EvolutionConfig
    deadline : float or None
        ``time.monotonic()`` value after which no new round starts.
    progress : callable or None
        Called with the best loss so far after every round.
    """
    import time

    from joblib import Parallel, delayed

    rng = np.random.default_rng(random_state)
    n = len(X)
    rows = np.sort(rng.choice(n, min(n, cfg.n_eval_points), replace=False))
    w = weights[rows] / weights[rows].sum()
    fitness = _Fitness(X[rows], target[rows], w, mode, ops, trim=cfg.trim, scale=cfg.scale)
    probe = X[rng.choice(n, min(n, 8), replace=False)] * (1 + 1e-3 * np.arange(1, X.shape[1] + 1))
    islands = [list(cfg.seeds) for _ in range(cfg.populations)]
    hof = {}
    n_rounds = max(1, int(np.ceil(cfg.niterations / 5)))
    gens = [5] * (n_rounds - 1) + [cfg.niterations - 5 * (n_rounds - 1)]
    for r, g in enumerate(gens):
        seeds = rng.integers(2**31, size=len(islands))
        jobs = [
            delayed(_evolve_island)(isl, cfg, fitness, probe, g, int(s), X.shape[1]) for isl, s in zip(islands, seeds)
        ]
        if n_jobs == 1:
            results = [f(*a, **k) for f, a, k in jobs]
        else:
            results = Parallel(n_jobs=n_jobs)(jobs)
        islands = []
        for members, island_hof in results:
            islands.append([m[0] for m in members])
            for size, (loss, tree) in island_hof.items():
                if size not in hof or loss < hof[size][0]:
                    hof[size] = (loss, tree)
        # Migration: every island receives the current best few of the hall of fame.
        elite = [t for _, t in sorted(hof.values(), key=lambda lt: lt[0])[:3]]
        islands = [isl[len(elite) :] + elite for isl in islands]
        best = min(loss for loss, _ in hof.values()) if hof else np.inf
        if progress is not None:
            progress(best)
        if best < cfg.early_stop_loss or (deadline is not None and time.monotonic() > deadline):
            break
    # Re-polish and re-score the hall of fame on all points, then round the
    # constants as the linear path does, so polished floats never crowd out
    # the simple numbers a test on the loss allows. Constant subtrees (sin(c))
    # are folded first: rounding must see the coefficient they make.
    full = _Fitness(X, target, weights / weights.sum(), mode, ops, trim=cfg.trim, scale=cfg.scale)
    n_eff = weights.sum() ** 2 / (weights**2).sum()
    out = []
    for loss, tree in hof.values():
        tree = _optimize_constants(fold_constants(tree, ops), full, max_nfev=20)
        tree, loss = round_tree_constants(tree, full, full(tree), n_eff, cfg.rounding_rtol)
        out.append((tree, loss))
    return out


def round_tree_constants(tree, loss_fn, loss, n_eff, rtol=None, atol=1e-12):
    """Replace each constant by the simplest number the loss allows (else six digits)."""
    consts = constants_of(tree)
    if not consts:
        return tree, loss
    rtol = 3.0 * len(consts) / max(n_eff, 1.0) if rtol is None else rtol
    threshold = loss * (1.0 + rtol) + atol
    values = list(consts)
    for j, c in enumerate(consts):
        for _, v in simple_values(c) + [(0, float(f"{c:.6g}"))]:
            trial = values[:j] + [v] + values[j + 1 :]
            if loss_fn(with_constants(tree, trial)) <= threshold or v == float(f"{c:.6g}"):
                values = trial
                break
    tree = with_constants(tree, values)
    return tree, loss_fn(tree)
