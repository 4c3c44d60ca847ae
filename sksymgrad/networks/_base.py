"""What the sksymgrad networks share: a skorch net trained in fit, its module, codes."""

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils.devices import module_device, resolve_device
from ..utils.random import torch_seed_context
from .mlp import TRAINING_LOOP, StandardizeInputs, network_param_errors, progress_callbacks

__all__ = ["EmbedderMixin", "train_skorch_net"]


def train_skorch_net(X, y, random_state, *, patience, verbose, device="auto", **params):
    """Build and train a skorch ``NeuralNet`` with input standardisation and early stopping.

    Early stopping watches the training loss (these nets have no validation
    split: a group or an unlabelled sample is not a held-out label).
    """
    from skorch import NeuralNet
    from skorch.callbacks import EarlyStopping

    progress, skorch_verbose = progress_callbacks(verbose)
    net = NeuralNet(
        train_split=None,
        callbacks=[
            ("standardize", StandardizeInputs()),
            ("early_stopping", EarlyStopping(monitor="train_loss", patience=patience, load_best=True)),
        ]
        + progress,
        verbose=skorch_verbose,
        device=resolve_device(device),
        **TRAINING_LOOP,
        **params,
    )
    with torch_seed_context(check_random_state(random_state).randint(2**31)):
        net.fit(X, y)
    return net


class EmbedderMixin:
    """Validation, ``module_`` and ``transform`` (the module's first output) for a fitted ``net_``."""

    def _validate_params(self):
        network_param_errors(self, ("latent_dim", "max_epochs", "batch_size", "patience")).raise_if_any()

    @property
    def module_(self):
        check_is_fitted(self, "net_")
        return self.net_.module_

    def transform(self, X):
        """Codes: the module's (first) output, shape (n_samples, n_units)."""
        check_is_fitted(self, "net_")
        X = validate_data(self, X, reset=False, dtype=np.float32)
        module = self.net_.module_
        module.eval()
        with torch.no_grad():
            out = module(torch.as_tensor(X, device=module_device(module)))
        out = out[0] if isinstance(out, tuple) else out
        return out.reshape(len(X), -1).double().cpu().numpy()
