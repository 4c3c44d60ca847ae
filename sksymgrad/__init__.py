"""sksymgrad: closed-form interpretation of neural network neurons with symbolic gradients."""

from importlib.metadata import PackageNotFoundError, version

from .regressor import SymbolicGradientRegressor
from .units import raw_unit_formula

try:
    __version__ = version("sksymgrad")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AutoencoderEmbedder",
    "GradientSymbolicInterpreter",
    "SiameseEmbedder",
    "SymbolicGradientRegressor",
    "raw_unit_formula",
    "__version__",
]

# The network side needs torch; load it on first use so that the search engine
# (numpy, scipy, sympy) imports without it.
_LAZY = {
    "GradientSymbolicInterpreter": "interpreter",
    "SiameseEmbedder": "networks",
    "AutoencoderEmbedder": "networks",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
