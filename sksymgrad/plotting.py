"""Plots: the Pareto front and how well a formula's gradient directions agree.

matplotlib is optional (``pip install sksymgrad[plot]``) and imported only
when a plot is drawn. Every function takes ``ax=None`` and returns the axes.
"""

import numpy as np
import sympy

__all__ = ["plot_pareto_front", "plot_direction_agreement", "plot_direction_field"]


def _get_axes(ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'sksymgrad[plot]'") from exc
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def plot_pareto_front(equations, selected=None, ax=None):
    """Complexity against loss (log scale), the selected formula marked.

    Parameters
    ----------
    equations : pandas.DataFrame
        ``equations_`` of a fitted regressor (``complexity``, ``loss``, ``equation``).
    selected : int or None
        Row to highlight.
    ax : matplotlib Axes or None
    """
    ax = _get_axes(ax)
    loss = np.maximum(equations["loss"].to_numpy(dtype=float), 1e-16)
    ax.step(equations["complexity"], loss, where="post", color="0.6", lw=1)
    ax.scatter(equations["complexity"], loss, color="C0", zorder=3, label="Pareto front")
    if selected is not None:
        row = equations.loc[selected]
        ax.scatter(
            [row["complexity"]],
            [max(row["loss"], 1e-16)],
            s=160,
            facecolors="none",
            edgecolors="C3",
            lw=2,
            zorder=4,
            label="selected",
        )
        _set_formula_title(ax, row["sympy_format"] if "sympy_format" in row else row["equation"])
    ax.set_yscale("log")
    ax.set_xlabel("complexity (nodes)")
    ax.set_ylabel("loss (mean 1 - |cos|)")
    ax.legend(loc="upper right")
    return ax


def plot_direction_agreement(expression, symbols, X, G, ax=None, bins=40):
    """Histogram of ``|cos|`` between the formula's and the target gradients per point."""
    from .export import expression_gradients
    from .search.losses import pointwise_direction_loss

    ax = _get_axes(ax)
    g = expression_gradients(expression, symbols, np.asarray(X, dtype=float))
    G = np.asarray(G, dtype=float)
    norms = np.linalg.norm(G, axis=1)
    ok = norms > 0
    cos = 1.0 - pointwise_direction_loss(g[ok], G[ok] / norms[ok, None])
    ax.hist(cos, bins=np.linspace(max(0.0, cos.min()), 1.0, bins), color="C0")
    ax.set_xlabel("|cos| between formula and neuron gradient")
    ax.set_ylabel("points")
    _set_formula_title(ax, expression, f"median |cos| {np.median(cos):.4f}")
    return ax


def plot_direction_field(expression, symbols, gradient_fn, bounds, dims=(0, 1), fixed=None, ax=None, n=15):
    """Quiver of neuron vs formula directions on a 2-D slice, over the formula's level sets.

    Parameters
    ----------
    expression : sympy.Expr
    symbols : list of sympy.Symbol
    gradient_fn : callable
        ``gradient_fn(X) -> (n, d)`` gradients of the neuron (e.g. from
        :func:`~sksymgrad.neurons.neuron_gradients`).
    bounds : sequence of (low, high)
        Range of every feature; the slice spans ``dims``.
    dims : pair of int, default=(0, 1)
    fixed : array-like or None
        Values of the other features (default: centre of ``bounds``).
    """
    from .export import expression_gradients, expression_values

    ax = _get_axes(ax)
    bounds = np.asarray(bounds, dtype=float)
    centre = bounds.mean(axis=1) if fixed is None else np.asarray(fixed, dtype=float)
    i, j = dims
    a = np.linspace(*bounds[i], n)
    b = np.linspace(*bounds[j], n)
    A, B = np.meshgrid(a, b)
    X = np.tile(centre, (A.size, 1))
    X[:, i], X[:, j] = A.ravel(), B.ravel()
    fine = np.tile(centre, (80 * 80, 1))
    FA, FB = np.meshgrid(np.linspace(*bounds[i], 80), np.linspace(*bounds[j], 80))
    fine[:, i], fine[:, j] = FA.ravel(), FB.ravel()
    ax.contour(
        FA, FB, expression_values(expression, symbols, fine).reshape(FA.shape), levels=12, colors="0.75", linewidths=0.8
    )

    def unit(v):
        v = v[:, [i, j]]
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-300)

    g_net = unit(np.asarray(gradient_fn(X), dtype=float))
    g_formula = unit(expression_gradients(expression, symbols, X))
    g_formula *= np.sign(np.sum(g_net * g_formula, axis=1, keepdims=True) + 1e-300)
    ax.quiver(X[:, i], X[:, j], g_net[:, 0], g_net[:, 1], color="C0", label="neuron", alpha=0.8)
    ax.quiver(X[:, i], X[:, j], g_formula[:, 0], g_formula[:, 1], color="C3", label="formula", alpha=0.6)
    ax.set_xlabel(str(symbols[i]))
    ax.set_ylabel(str(symbols[j]))
    _set_formula_title(ax, expression)
    ax.legend(loc="upper right")
    return ax


#: Longer formulas are titled in plain text, wrapped, so the title stays inside the figure.
_TITLE_WIDTH = 60


def _set_formula_title(ax, expression, note=""):
    """Title an axes with a formula: typeset when short, wrapped plain text when long."""
    import textwrap

    plain = str(expression)
    if len(plain) <= _TITLE_WIDTH // 2 and isinstance(expression, sympy.Basic):
        title = f"${sympy.latex(expression)}$"
        ax.set_title(f"{title}: {note}" if note else title)
        return
    lines = textwrap.wrap(plain, _TITLE_WIDTH, break_on_hyphens=False) + ([note] if note else [])
    ax.set_title("\n".join(lines), fontsize=9 if len(lines) > 2 else None)
