"""Optional search backends, imported lazily (``get_backend("pysr")``)."""

__all__ = ["get_backend"]


def get_backend(name="native"):
    """The regressor class of a backend: ``"native"`` or ``"pysr"``."""
    if name == "native":
        from ..regressor import SymbolicGradientRegressor

        return SymbolicGradientRegressor
    if name == "pysr":
        from .pysr import PySRGradientRegressor

        return PySRGradientRegressor
    raise ValueError(f"unknown backend {name!r}; choose 'native' or 'pysr'")
