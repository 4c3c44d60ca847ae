"""sksymgrad: closed-form interpretation of neural network neurons with symbolic gradients."""

from importlib.metadata import PackageNotFoundError, version

from .interpreter import GradientSymbolicInterpreter
from .networks import AutoencoderEmbedder, SiameseEmbedder
from .regressor import SymbolicGradientRegressor

try:
    __version__ = version("sksymgrad")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AutoencoderEmbedder",
    "GradientSymbolicInterpreter",
    "SiameseEmbedder",
    "SymbolicGradientRegressor",
    "__version__",
]
