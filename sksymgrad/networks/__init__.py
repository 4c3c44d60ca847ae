"""Default networks (skorch): MLP, Siamese embedder, autoencoder."""

from .mlp import MLPNet, StandardizedMLP

__all__ = ["MLPNet", "StandardizedMLP"]
