"""Default networks (skorch): MLP, Siamese embedder, autoencoder."""

from .autoencoder import AutoencoderEmbedder
from .mlp import MLPNet, StandardizedMLP
from .siamese import SiameseEmbedder

__all__ = ["AutoencoderEmbedder", "MLPNet", "SiameseEmbedder", "StandardizedMLP"]
