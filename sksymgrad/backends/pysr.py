"""PySR backend: SymbolicRegression.jl driven by the gradient-direction loss.

``pysr`` is imported inside ``fit`` only; without it (or without a working
Julia) ``fit`` raises :class:`~sksymgrad.exceptions.BackendUnavailableError`.

How the directions reach Julia: PySR fits ``X -> y``. We pass the features as
``X`` and only the row index ``0..n-1`` as ``y``. Expressions see ``X`` alone,
so the search cannot use the index as a feature; the custom objective reads
``dataset.y`` to look up each row's unit target direction in a constant matrix
written into the Julia source. Input derivatives of the candidate come from
``eval_grad_tree_array(...; variable=true)``, never from finite differences.
"""

import numpy as np
import pandas as pd
import sympy
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..exceptions import BackendUnavailableError
from ..export import expression_gradients, expression_values
from ..search.losses import direction_targets, pointwise_direction_loss
from ..search.pareto import select_equation

__all__ = ["PySRGradientRegressor", "julia_direction_objective"]

_INSTALL_HINT = (
    "The PySR backend needs the optional 'pysr' package and a working Julia: "
    "pip install 'sksymgrad[pysr]' (PySR installs Julia on first import, which needs internet access). "
    "The native SymbolicGradientRegressor needs neither."
)


def julia_direction_objective(N, name="sksymgrad_direction_loss"):
    """Julia source of PySR's ``loss_function`` for unit target directions ``N`` (n, d).

    Per point ``1 - |cos(grad h, n_i)|``, a zero or non-finite gradient
    counting 1 -- the native engine's :func:`~sksymgrad.search.losses.direction_loss`.
    """
    N = np.asarray(N, dtype=float)
    rows = ";\n    ".join(" ".join(repr(float(v)) for v in row) for row in N.T)
    # A let block returns the function with the targets captured, so a second
    # fit in the same Julia session does not redefine a global constant.
    return f"""
let SKSYMGRAD_TARGETS = [
    {rows}
]
    function {name}(tree, dataset::Dataset{{T,L}}, options)::L where {{T,L}}
        X = dataset.X
        _, grad, ok = eval_grad_tree_array(tree, X, options.operators; variable=true)
        !ok && return L(Inf)
        total = zero(L)
        for j in 1:size(X, 2)
            i = Int(round(dataset.y[j])) + 1
            nrm = sqrt(sum(abs2, view(grad, :, j)))
            if !(nrm > 0) || !isfinite(nrm)
                total += one(L)
                continue
            end
            c = zero(L)
            for k in 1:size(X, 1)
                c += grad[k, j] * SKSYMGRAD_TARGETS[k, i]
            end
            total += one(L) - min(abs(c) / nrm, one(L))
        end
        return total / size(X, 2)
    end
end
"""


def _import_pysr():
    try:
        import pysr  # noqa: F401  (lazy on purpose: it starts Julia)
    except Exception as exc:  # ImportError, or Julia failing to start/download
        raise BackendUnavailableError(f"{_INSTALL_HINT} (import failed: {exc!r})") from exc
    return pysr


class PySRGradientRegressor(RegressorMixin, BaseEstimator):
    """The :class:`~sksymgrad.SymbolicGradientRegressor` contract on PySR.

    Parameters
    ----------
    binary_operators : sequence of str, default=None
        ``None`` means ``("+", "-", "*", "/")``.
    unary_operators : sequence of str, default=None
        ``None`` means ``("square", "cube", "exp", "log", "sin", "cos")``.
    maxsize : int, default=20
    niterations : int, default=40
    model_selection : {'best', 'accuracy', 'score'}, default='best'
    random_state : int or None, default=None
    pysr_params : dict or None, default=None
        Passed to ``pysr.PySRRegressor`` as is.

    Attributes
    ----------
    model_ : pysr.PySRRegressor
    equations_ : pandas.DataFrame
        ``complexity, loss, score, equation, sympy_format``.
    expression_ : sympy.Expr
    symbols_ : list of sympy.Symbol
    """

    def __init__(
        self,
        *,
        binary_operators=None,
        unary_operators=None,
        maxsize=20,
        niterations=40,
        model_selection="best",
        random_state=None,
        pysr_params=None,
    ):
        self.binary_operators = binary_operators
        self.unary_operators = unary_operators
        self.maxsize = maxsize
        self.niterations = niterations
        self.model_selection = model_selection
        self.random_state = random_state
        self.pysr_params = pysr_params

    def fit(self, X, y, sample_weight=None):
        """Search formulas whose gradient directions match ``y`` (n, d)."""
        pysr = _import_pysr()
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        if y.ndim != 2 or y.shape[1] != X.shape[1]:
            raise ValueError(f"y must be target gradients of shape (n_samples, {X.shape[1]}), got {y.shape}")
        mask, N = direction_targets(y)
        X = X[mask]
        names = getattr(self, "feature_names_in_", None)
        names = [str(n) for n in names] if names is not None else [f"x{j}" for j in range(X.shape[1])]
        self.symbols_ = [sympy.Symbol(n, real=True) for n in names]
        params = dict(
            binary_operators=list(self.binary_operators or ("+", "-", "*", "/")),
            unary_operators=list(self.unary_operators or ("square", "cube", "exp", "log", "sin", "cos")),
            maxsize=self.maxsize,
            niterations=self.niterations,
            loss_function=julia_direction_objective(N),
            random_state=self.random_state,
            deterministic=self.random_state is not None,
            parallelism="serial" if self.random_state is not None else "multithreading",
            model_selection=self.model_selection,
        )
        params.update(self.pysr_params or {})
        self.model_ = pysr.PySRRegressor(**params)
        self.model_.fit(X, np.arange(len(X), dtype=float), variable_names=names)
        eq = self.model_.equations_
        by_name = {s.name: s for s in self.symbols_}
        exprs = [e.xreplace({s: by_name.get(s.name, s) for s in e.free_symbols}) for e in eq["sympy_format"]]
        self.equations_ = pd.DataFrame(
            {
                "complexity": eq["complexity"].astype(int),
                "loss": eq["loss"].astype(float),
                "score": eq["score"].astype(float),
                "equation": [sympy.sstr(e) for e in exprs],
                "sympy_format": exprs,
            }
        )
        self.best_index_ = int(select_equation(self.equations_, self.model_selection))
        self.expression_ = self.equations_.loc[self.best_index_, "sympy_format"]
        return self

    def sympy(self, index=None):
        check_is_fitted(self)
        return self.expression_ if index is None else self.equations_.loc[index, "sympy_format"]

    def predict(self, X, index=None):
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return expression_values(self.sympy(index), self.symbols_, X)

    def score(self, X, y, sample_weight=None):
        """Mean ``|cos|`` between the formula's and the target gradients."""
        X = validate_data(self, X, reset=False, dtype=np.float64)
        mask, N = direction_targets(np.asarray(y, dtype=float))
        grad = expression_gradients(self.sympy(), self.symbols_, X[mask])
        return float(np.mean(1.0 - pointwise_direction_loss(grad, N)))
