"""Seeds owned by estimators, never by the global random state."""

from contextlib import contextmanager

__all__ = ["torch_seed_context"]


@contextmanager
def torch_seed_context(seed):
    """Seed torch inside ``fork_rng`` so the caller's global RNG is untouched."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield
