"""The result of interpreting one neuron."""

from dataclasses import dataclass, field

import pandas as pd
import sympy

__all__ = ["Interpretation"]


@dataclass(frozen=True)
class Interpretation:
    """What one neuron computes, in closed form.

    Attributes
    ----------
    neuron : str
        The neuron's address.
    expression : sympy.Expr
        Selected formula, in the input features' names.
    equations : pandas.DataFrame
        Pareto front: ``complexity, loss, score, equation, sympy_format, source``.
    loss : float
        Mean ``1 - |cos|`` of the selected formula on the (weighted) points.
    complexity : int
    n_points : int
        Points whose neuron gradient was used.
    n_effective : float
        Effective number of points after weighting, ``(sum w)^2 / sum w^2``.
    regressor : SymbolicGradientRegressor
        The fitted search, for ``latex()``, ``predict`` and more rows.
    """

    neuron: str
    expression: sympy.Expr
    equations: pd.DataFrame = field(repr=False)
    loss: float
    complexity: int
    n_points: int
    n_effective: float
    regressor: object = field(repr=False, compare=False)

    def __str__(self):
        return (
            f"neuron {self.neuron}: {self.expression}\n"
            f"  loss (mean 1-|cos|) {self.loss:.3g}, complexity {self.complexity}, "
            f"{self.n_points} points ({self.n_effective:.0f} effective)"
        )

    def _repr_html_(self):
        table = self.equations.drop(columns=["sympy_format"]).to_html(index=False, float_format=lambda v: f"{v:.3g}")
        return (
            f"<p><b>neuron {self.neuron}</b>: ${sympy.latex(self.expression)}$<br>"
            f"loss {self.loss:.3g}, complexity {self.complexity}, {self.n_points} points "
            f"({self.n_effective:.0f} effective)</p>{table}"
        )

    def plot(self, ax=None):
        """Pareto front of this interpretation, selected formula marked; returns ``ax``.

        The other plots (direction agreement, direction field) are in
        :mod:`sksymgrad.plotting`.
        """
        from .plotting import plot_pareto_front

        return plot_pareto_front(self.equations, selected=self.regressor.best_index_, ax=ax)
