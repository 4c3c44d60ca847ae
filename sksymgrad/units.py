"""Formulas back in raw units when a scaler sits before the interpreter in a Pipeline."""

import numpy as np
import sympy

__all__ = ["affine_map", "raw_unit_formula"]


def affine_map(transformer, n_features):
    """``(center, scale)`` with ``z = (x - center) / scale`` for a fitted per-column scaler.

    Supports ``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler``,
    ``RobustScaler``, an identity ``FunctionTransformer`` and ``'passthrough'``;
    anything else raises ``TypeError`` (its output is not an affine map of each
    column, so no formula in raw units follows from it).
    """
    from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

    zero, one = np.zeros(n_features), np.ones(n_features)
    if transformer in (None, "passthrough") or (
        isinstance(transformer, FunctionTransformer) and transformer.func is None
    ):
        return zero, one
    if isinstance(transformer, StandardScaler):
        center = transformer.mean_ if transformer.with_mean else zero
        return center, transformer.scale_ if transformer.with_std else one
    if isinstance(transformer, MinMaxScaler):  # z = x * scale_ + min_
        return -transformer.min_ / transformer.scale_, 1.0 / transformer.scale_
    if isinstance(transformer, MaxAbsScaler):
        return zero, transformer.scale_
    if isinstance(transformer, RobustScaler):
        center = transformer.center_ if transformer.with_centering else zero
        return center, transformer.scale_ if transformer.with_scaling else one
    raise TypeError(
        f"cannot express {type(transformer).__name__} as a per-column affine map; only scalers "
        "(StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler) can be undone in a formula"
    )


def raw_unit_formula(pipeline, expr=None, step=-1):
    """The interpreter's formula in the pipeline's input units.

    Every step before ``step`` (the interpreter, by default the last) must be
    a per-column scaler (see :func:`affine_map`); their maps are composed and
    substituted into the formula, whose symbols keep the column names.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Fitted, with a :class:`~sksymgrad.GradientSymbolicInterpreter` at ``step``.
    expr : sympy.Expr or None
        A formula of the interpreter (default: its selected one).
    step : int or str, default=-1

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sksymgrad import SymbolicGradientRegressor
    >>> X = np.random.default_rng(0).uniform(100, 300, (200, 2))
    >>> pipe = make_pipeline(StandardScaler(), SymbolicGradientRegressor(max_time=5, random_state=0))
    >>> Z = pipe[0].fit_transform(X)
    >>> _ = pipe[1].fit(Z, np.column_stack([X[:, 1], X[:, 0]]) * pipe[0].scale_)  # gradient of x0*x1 in z
    >>> raw_unit_formula(pipe)
    x0*x1
    """
    from .search.simplify import simplest_form

    final = pipeline[step]
    expr = final.sympy() if expr is None else expr
    symbols = final._symbols() if hasattr(final, "_symbols") else final.symbols_
    n = len(symbols)
    steps = list(pipeline.steps)
    stop = steps.index(next(s for s in steps if s[1] is final))
    center, scale = np.zeros(n), np.ones(n)
    for _, transformer in steps[:stop]:
        c, s = affine_map(transformer, n)
        center, scale = center + c * scale, scale * s  # x -> (x - c)/s applied after the earlier maps
    sub = {
        sym: (sym - sympy.Float(c)) / sympy.Float(s) for sym, c, s in zip(symbols, center, scale) if (c, s) != (0, 1)
    }
    raw = sympy.expand(expr.xreplace(sub))
    if raw.is_Add:
        # Coefficients rounded to about four digits in scaled units leave terms of that relative
        # size in raw units: drop those below 1e-4 of the largest term at the data's centre
        # (and one scale away).
        at = [dict(zip(symbols, center + k * scale)) for k in (0.0, 1.0)]
        size = [max(abs(float(t.evalf(subs=p))) for p in at) for t in raw.args]
        raw = sympy.Add(*[t for t, v in zip(raw.args, size) if v >= 1e-4 * max(size)])
    return simplest_form(raw, invariant=True)
