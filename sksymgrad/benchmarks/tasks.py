"""Concept-recovery tasks: a registry users can extend."""

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import sympy

__all__ = ["Task", "register_task", "get_task", "list_tasks", "list_suites", "TASKS"]


@dataclass(frozen=True)
class Task:
    """A known concept, where it lives, and how a network learns it.

    Parameters
    ----------
    name : str
    kind : {'classifier', 'latent'}
        ``'classifier'``: label = concept > its median on the sample.
        ``'latent'``: groups of samples sharing the concept (Siamese net).
    concept : str
        The ground truth, in the variables' names (sympy syntax).
    domain : dict
        ``{variable: (low, high)}``, in the order of the data's columns.
    group_sampler : callable or None
        Latent tasks: ``f(n_groups, group_size, rng) -> (X, groups)`` keeping
        the concept constant inside a group.
    suite : str, default='public'
        The suite the task belongs to (``'public'``: the package's own 12
        tasks; ``'feynman'``: the AI Feynman "I." table).
    """

    name: str
    kind: str
    concept: str
    domain: dict
    group_sampler: Optional[Callable] = field(default=None, compare=False)
    suite: str = "public"

    @property
    def variables(self):
        return list(self.domain)

    @property
    def symbols(self):
        return [sympy.Symbol(v, real=True) for v in self.domain]

    @property
    def expression(self):
        """The concept as a sympy expression of real symbols."""
        return sympy.sympify(self.concept, locals={s.name: s for s in self.symbols})

    def sample(self, n_samples, random_state=None):
        """Uniform points of the domain, shape (n_samples, n_variables)."""
        rng = np.random.default_rng(random_state)
        return np.column_stack([rng.uniform(lo, hi, n_samples) for lo, hi in self.domain.values()])

    def values(self, X):
        from ..export import expression_values

        return expression_values(self.expression, self.symbols, X)

    def gradients(self, X):
        from ..export import expression_gradients

        return expression_gradients(self.expression, self.symbols, X)


TASKS = {}


def register_task(task, overwrite=False):
    """Add a :class:`Task` to the registry (``overwrite=True`` to replace)."""
    if task.kind not in ("classifier", "latent"):
        raise ValueError(f"task kind must be 'classifier' or 'latent', got {task.kind!r}")
    if task.name in TASKS and not overwrite:
        raise ValueError(f"a task named {task.name!r} is already registered (pass overwrite=True)")
    task.expression  # fail early on a concept that does not parse
    TASKS[task.name] = task
    return task


def get_task(name):
    """The registered task ``name``; unknown names list the valid ones."""
    if isinstance(name, Task):
        return name
    if name not in TASKS:
        from ..utils.validation import suggest

        raise KeyError(f"unknown task {name!r}{suggest(name, TASKS)}; registered tasks: {sorted(TASKS)}")
    return TASKS[name]


def list_tasks(kind=None, suite="public"):
    """Names of the registered tasks of one suite (``None``: all), optionally of one kind."""
    return [n for n, t in TASKS.items() if (kind is None or t.kind == kind) and (suite is None or t.suite == suite)]


def list_suites():
    """Names of the suites with registered tasks."""
    return list(dict.fromkeys(t.suite for t in TASKS.values()))


_U = (-1.0, 1.0)
for _task in [
    Task("circle", "classifier", "x**2 + y**2", {"x": _U, "y": _U}),
    Task("linear", "classifier", "2*a - 3*b + c", {"a": _U, "b": _U, "c": _U}),
    Task("spacetime", "classifier", "t**2 - x**2 - y**2 - z**2", {"t": _U, "x": _U, "y": _U, "z": _U}),
    Task("gravity", "classifier", "m1*m2/r**2", {"m1": (1.0, 5.0), "m2": (1.0, 5.0), "r": (1.0, 3.0)}),
    Task("mech_energy", "classifier", "m*(v**2/2 + 9.81*h)", {"m": (1.0, 3.0), "v": (0.0, 2.0), "h": (0.0, 1.0)}),
    Task("dot_EB", "classifier", "Ex*Bx + Ey*By + Ez*Bz", {k: _U for k in ("Ex", "Ey", "Ez", "Bx", "By", "Bz")}),
]:
    register_task(_task)


def _register_latent_tasks():
    from . import generators as gen

    entries = {f"a{i}{j}": _U for i in (1, 2, 3) for j in (1, 2, 3)}
    for task in [
        Task("det2", "latent", "a*d - b*c", {k: _U for k in "abcd"}, gen.det2_groups),
        Task("trace3", "latent", "a11 + a22 + a33", entries, gen.trace3_groups),
        Task("oscillator", "latent", "v**2/2 + 2*x**2", {"x": _U, "v": _U}, gen.oscillator_groups),
        Task(
            "pendulum",
            "latent",
            "w**2/2 - cos(theta)",
            {"theta": (-np.pi, np.pi), "w": (-1.5, 1.5)},
            gen.pendulum_groups,
        ),
        Task("kepler_L", "latent", "x*vy - y*vx", {k: _U for k in ("x", "y", "vx", "vy")}, gen.kepler_L_groups),
        Task(
            "lotka_volterra",
            "latent",
            "x - log(x) + 4*y/3 - 2*log(y)/3",
            {"x": (0.2, 3.0), "y": (0.2, 3.0)},
            gen.lotka_volterra_groups,
        ),
    ]:
        register_task(task)


_register_latent_tasks()


def _register_feynman_tasks():
    from .feynman import load_feynman_tasks

    for task in load_feynman_tasks():
        register_task(task)


_register_feynman_tasks()
