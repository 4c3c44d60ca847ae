import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import sympy

from sksymgrad import SymbolicGradientRegressor
from sksymgrad.plotting import plot_direction_agreement, plot_direction_field, plot_pareto_front


def test_plots_draw_labelled_axes(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(-1, 1, (200, 2)), columns=["x", "y"])
    G = 2 * X.to_numpy()
    reg = SymbolicGradientRegressor(max_time=5, random_state=0).fit(X, G)
    ax = plot_pareto_front(reg.equations_, selected=reg.best_index_)
    assert ax.get_xlabel().startswith("complexity") and "x^{2}" in ax.get_title()
    ax.figure.savefig(tmp_path / "front.png")
    assert (tmp_path / "front.png").stat().st_size > 5000

    ax = plot_direction_agreement(reg.sympy(), reg.symbols_, X.to_numpy(), G + 0.05 * rng.normal(size=G.shape))
    assert "median |cos|" in ax.get_title()
    x, y = reg.symbols_
    ax = plot_direction_field(x**2 + y**2, reg.symbols_, lambda P: 2 * P, bounds=[(-1, 1), (-1, 1)])
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "y"
    assert isinstance(reg.sympy(), sympy.Expr)


def test_a_long_formula_title_is_wrapped_inside_the_figure():
    x, y, z = sympy.symbols("x y z")
    long = sum(sympy.Rational(k + 1, 7) * x ** (k % 3) * sympy.cos(y * k) + z / (k + 2) for k in range(6))
    X = np.random.default_rng(0).uniform(1, 2, (50, 3))
    ax = plot_direction_agreement(long, [x, y, z], X, X)
    lines = ax.get_title().split("\n")
    assert len(lines) > 2 and max(len(line) for line in lines) <= 60 and lines[-1].startswith("median |cos|")
    ax.figure.tight_layout()
    renderer = ax.figure.canvas.get_renderer()
    title = ax.title.get_window_extent(renderer)
    assert title.x0 >= 0 and title.x1 <= ax.figure.bbox.width  # nothing clipped at the sides
