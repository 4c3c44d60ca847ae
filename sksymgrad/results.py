"""The result of interpreting one neuron, or several together."""

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
import sympy

__all__ = ["Interpretation", "SubspaceInterpretation"]


#: A noise level (mean ``1 - |cos|`` between two networks' directions) above
#: which the networks disagree by about 18 degrees or more: any formula within
#: ``noise_tolerance`` times that is a loose fit, and a stable choice among
#: them says little. A reading aid, not a calibrated threshold.
NOISY = 0.05


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
    n_networks : int
        Networks whose gradients were combined.
    stability : float or None
        Fraction of resamples of the networks that select this same formula
        (``None`` with one network: nothing to resample). Near 1: the
        networks agree on it; well below 1: it is a guess, see
        :attr:`runners_up`.
    noise_level : float or None
        The networks' mean disagreement with their combined direction (mean
        ``1 - |cos|``): a formula with a loss far below this is fitting noise.
    label_errors : int or None
        A binary classifier's decision function: how many of the
        ``n_labelled`` labelled points the formula misclassifies at its best
        threshold (``None`` for other neurons). Near 0 on clean labels: its
        boundary is the classifier's.
    n_labelled : int or None
    """

    neuron: str
    expression: sympy.Expr
    equations: pd.DataFrame = field(repr=False)
    loss: float
    complexity: int
    n_points: int
    n_effective: float
    regressor: object = field(repr=False, compare=False)
    n_networks: int = 1
    stability: Optional[float] = None
    noise_level: Optional[float] = None
    label_errors: Optional[int] = None
    n_labelled: Optional[int] = None

    @property
    def runners_up(self):
        """Other formulas the resampled networks select, most often first (DataFrame)."""
        if "stability" not in self.equations:
            return self.equations.iloc[0:0]
        others = self.equations[(self.equations["stability"] > 0) & (self.equations["sympy_format"] != self.expression)]
        return others.sort_values("stability", ascending=False)

    @property
    def confidence(self):
        """One line on how sure the answer is: stability, networks, noise level, runner-up."""
        if self.stability is None:
            return "stability not measured (one network: train several with n_networks)"
        verdict = "solid" if self.stability >= 0.9 else "fairly stable" if self.stability >= 0.6 else "a guess"
        if self.noise_level is not None and self.noise_level > NOISY:
            verdict = "weakly determined: the networks disagree, so many formulas fit within their noise"
        text = (
            f"stability {self.stability:.0%} over resampled networks ({verdict}); {self.n_networks} networks, "
            f"noise level {self.noise_level:.2g}"
        )
        runner = self.runners_up
        if len(runner):
            text += f"; runner-up {runner.iloc[0]['equation']} ({runner.iloc[0]['stability']:.0%})"
        if self.label_errors is not None:
            text += f"; misclassifies {self.label_errors} of {self.n_labelled} labelled points"
        return text

    def __str__(self):
        return (
            f"neuron {self.neuron}: {self.expression}\n"
            f"  loss (mean 1-|cos|) {self.loss:.3g}, complexity {self.complexity}, "
            f"{self.n_points} points ({self.n_effective:.0f} effective)\n"
            f"  {self.confidence}"
        )

    def _repr_html_(self):
        table = self.equations.drop(columns=["sympy_format"]).to_html(index=False, float_format=lambda v: f"{v:.3g}")
        return (
            f"<p><b>neuron {self.neuron}</b>: ${sympy.latex(self.expression)}$<br>"
            f"loss {self.loss:.3g}, complexity {self.complexity}, {self.n_points} points "
            f"({self.n_effective:.0f} effective)<br>{self.confidence}</p>{table}"
        )

    def plot(self, ax=None):
        """Pareto front of this interpretation, selected formula marked; returns ``ax``.

        The other plots (direction agreement, direction field) are in
        :mod:`sksymgrad.plotting`.
        """
        from .plotting import plot_pareto_front

        return plot_pareto_front(self.equations, selected=self.regressor.best_index_, ax=ax)


@dataclass(frozen=True)
class SubspaceInterpretation:
    """What several neurons compute together: formulas spanning their gradients' subspace.

    Attributes
    ----------
    neurons : list of str
        The neurons' addresses (e.g. the coordinates of a latent space).
    expressions : list of sympy.Expr
        One formula per dimension of the subspace, in the order found.
    equations : list of pandas.DataFrame
        Each formula's Pareto front.
    explained : list of float
        Fraction of the subspace spanned by the first 1, 2, ... formulas
        (mean over points; 1 means all of it).
    residual : numpy.ndarray
        Per point, ``sin^2`` of the largest principal angle between the
        formulas' gradients and the neurons' (0 where they span the same
        subspace).
    singular_values : numpy.ndarray
        Median relative singular values of the neurons' Jacobian: how many
        independent directions the neurons carry (see
        :func:`~sksymgrad.search.subspace.estimate_rank`).
    """

    neurons: list
    expressions: list
    equations: list = field(repr=False)
    explained: list
    residual: object = field(repr=False)
    singular_values: object = field(repr=False)

    @property
    def n_formulas(self):
        return len(self.expressions)

    def __str__(self):
        lines = [f"neurons {', '.join(self.neurons)}: a {self.n_formulas}-dimensional concept"]
        for k, (expr, frac) in enumerate(zip(self.expressions, self.explained), start=1):
            lines.append(f"  g{k} = {expr}    (with the formulas before it: {frac:.1%} of the subspace)")
        q99 = float(np.quantile(self.residual, 0.99)) if len(self.residual) else float("nan")
        profile = ", ".join(f"{s:.2g}" for s in self.singular_values)
        lines.append(
            f"  largest principal angle: 99th percentile of sin^2 {q99:.2g}; relative singular values {profile}"
        )
        return "\n".join(lines)
