"""Collect-then-raise parameter validation and data checks with the fix in the message."""

import difflib

import numpy as np

__all__ = [
    "ParamErrors",
    "suggest",
    "check_finite_columns",
    "check_constant_columns",
    "check_feature_frame",
    "symbol_names",
    "warn_if_scaled",
]


def suggest(name, valid):
    """``" (did you mean 'x'?)"`` or ``""``."""
    close = difflib.get_close_matches(str(name), [str(v) for v in valid], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class ParamErrors:
    """Gather every parameter problem, then raise one ``ValueError``.

    Examples
    --------
    >>> errors = ParamErrors("SymbolicGradientRegressor")
    >>> errors.check(5 > 0, "maxsize must be positive")
    >>> errors.raise_if_any()
    """

    def __init__(self, owner):
        self.owner = owner
        self.messages = []

    def check(self, ok, message):
        if not ok:
            self.messages.append(message)

    def check_int(self, name, value, minimum=1):
        """``value`` must be an integer (not a bool) of at least ``minimum``."""
        ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= minimum
        self.check(ok, f"{name} must be an integer >= {minimum}, got {value!r}")

    def raise_if_any(self):
        if self.messages:
            lines = "\n".join(f"  - {m}" for m in self.messages)
            raise ValueError(f"{self.owner} got invalid parameters:\n{lines}")


def _names(n_features, feature_names):
    if feature_names is None:
        return [f"x{j}" for j in range(n_features)]
    return [str(f) for f in feature_names]


def check_finite_columns(X, feature_names=None, what="X"):
    """Raise a ``ValueError`` naming the columns with NaN or inf values."""
    X = np.asarray(X)
    if X.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(X)
    if bad.any():
        names = _names(X.shape[1], feature_names)
        cols = np.flatnonzero(bad.any(axis=0))
        detail = ", ".join(f"{names[j]!r} ({int(bad[:, j].sum())} rows)" for j in cols[:10])
        raise ValueError(
            f"Input {what} contains NaN or infinity in column(s) {detail}. "
            "Drop or impute those rows first (e.g. sklearn.impute.SimpleImputer in a Pipeline)."
        )


def check_constant_columns(X, feature_names=None):
    """Raise a ``ValueError`` naming constant columns (no formula can use them)."""
    if X.shape[0] < 2:
        return
    const = np.flatnonzero(np.ptp(X, axis=0) == 0)
    if len(const):
        names = _names(X.shape[1], feature_names)
        detail = ", ".join(f"{names[j]!r} (always {X[0, j]:g})" for j in const[:10])
        raise ValueError(
            f"column(s) {detail} of X are constant: their effect cannot be told from the data. "
            "Remove them, or sample points where they vary."
        )


def check_dependent_columns(X, feature_names=None, rtol=1e-8):
    """Warn, naming them, about columns that are linear combinations of the others.

    Such columns (antisymmetric matrices stored whole, a total next to its
    parts) leave the gradient along the dependent directions undefined by the
    data: any formula can use either copy. Returns the indices of the
    dependent columns (those the pivoted QR decomposition finds last).

    Examples
    --------
    >>> import numpy as np, warnings
    >>> X = np.random.default_rng(0).normal(size=(50, 3)); X[:, 2] = X[:, 0] - 2 * X[:, 1]
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     dependent = check_dependent_columns(X, ["a", "b", "c"])
    >>> dependent.tolist(), "'c' = a - 2*b" in str(w[0].message)
    ([2], True)
    """
    import warnings

    import sympy
    from scipy.linalg import qr

    from ..exceptions import SksymgradWarning

    if X.shape[0] <= X.shape[1] or X.shape[1] < 2:
        return np.array([], dtype=int)
    Z = X - X.mean(axis=0)
    scale = np.sqrt(np.mean(Z**2, axis=0))
    Z = Z / np.where(scale > 0, scale, 1.0)
    if not np.all(np.isfinite(Z)):
        return np.array([], dtype=int)
    _, R, pivot = qr(Z, mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > rtol * diag[0])) if diag[0] > 0 else 0
    dependent = np.sort(pivot[rank:])
    if len(dependent):
        names = _names(X.shape[1], feature_names)
        independent = np.sort(pivot[:rank])
        examples = []
        for j in dependent[:5]:
            coef_z, *_ = np.linalg.lstsq(Z[:, independent], Z[:, j], rcond=None)
            coef = coef_z * scale[j] / scale[independent]  # back to raw units
            tidy = [int(round(c)) if abs(c - round(c)) < 1e-6 else float(f"{c:.3g}") for c in coef]
            keep = np.abs(coef_z) > 1e-3 * np.abs(coef_z).max()  # terms that matter, in standardised units
            expr = sum(c * sympy.Symbol(names[k]) for c, k, ok in zip(tidy, independent, keep) if ok)
            examples.append(f"{names[j]!r} = {expr}")
        warnings.warn(
            f"{len(dependent)} column(s) of X are linear combinations of the others ({'; '.join(examples)}"
            f"{'; ...' if len(dependent) > 5 else ''}): the data span {rank} of {X.shape[1]} dimensions, so a "
            "gradient along the dependent directions is not defined by them. Drop the dependent columns "
            "(keep the independent entries) for a unique formula.",
            SksymgradWarning,
            stacklevel=3,
        )
    return dependent


def check_feature_frame(X):
    """Clear errors for a DataFrame that cannot become a numeric feature matrix.

    Duplicate column names (each symbol of a formula must name one column)
    and non-numeric columns are named, with the fix; anything else passes.
    """
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "dtypes"):
        return
    names = [str(c) for c in columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(
            f"X has duplicate column names {dupes}: each becomes a symbol of the formula, so they must be "
            "unique. Rename or drop the duplicates (e.g. X.loc[:, ~X.columns.duplicated()])."
        )
    import pandas as pd

    text = [str(c) for c in columns if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))]
    if text:
        raise ValueError(
            f"X has non-numeric column(s) {text[:10]}: formulas need numbers. Encode them "
            "(e.g. sklearn.preprocessing.OneHotEncoder or OrdinalEncoder in a Pipeline) or drop them."
        )


def symbol_names(names):
    """Names safe to print in a formula: column names with spaces or symbols become identifiers.

    ``"mean concave points"`` -> ``"mean_concave_points"``,
    ``"od280/od315_of_diluted_wines"`` -> ``"od280_od315_of_diluted_wines"``; a
    name that would start with a digit gets a leading ``x``, and collisions a
    numeric suffix. Identifiers are kept as they are.

    Examples
    --------
    >>> symbol_names(["mean radius", "a/b", "a_b", "2x", "m1"])
    ['mean_radius', 'a_b', 'a_b_2', 'x2x', 'm1']
    """
    import re

    out, seen = [], set()
    for name in map(str, names):
        safe = re.sub(r"\W+", "_", name).strip("_") or "x"
        if safe[0].isdigit():
            safe = "x" + safe
        base, k = safe, 2
        while safe in seen:
            safe, k = f"{base}_{k}", k + 1
        seen.add(safe)
        out.append(safe)
    return out


def warn_if_scaled(X):
    """Warn when ``X`` looks like a scaler's output: a formula would be in scaled units."""
    import warnings

    from ..exceptions import SksymgradWarning

    if len(X) < 20:
        return
    standardized = np.allclose(X.mean(axis=0), 0.0, atol=1e-6) and np.allclose(X.std(axis=0), 1.0, atol=1e-6)
    unit_box = np.allclose(X.min(axis=0), 0.0, atol=1e-9) and np.allclose(X.max(axis=0), 1.0, atol=1e-9)
    if standardized or unit_box:
        how = "mean 0 and standard deviation 1" if standardized else "minimum 0 and maximum 1"
        warnings.warn(
            f"every column of X has {how}, as a scaler makes them: the formula will be in the scaled "
            "units, under the columns' names. In a Pipeline, sksymgrad.raw_unit_formula(pipeline) gives it "
            "in the input units; or drop the scaler (the default network standardises inside itself).",
            SksymgradWarning,
            stacklevel=3,
        )
