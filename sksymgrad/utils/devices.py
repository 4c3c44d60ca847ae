"""Which torch device a network trains or runs on."""

__all__ = ["resolve_device", "module_device"]


def resolve_device(device="auto"):
    """``'auto'``: ``'cuda'`` when a GPU is available, else ``'cpu'``; any other value as given.

    Examples
    --------
    >>> resolve_device("cpu")
    'cpu'
    """
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def module_device(module):
    """The device of a module's first parameter (or buffer); CPU for a module with neither."""
    import torch

    for tensor in module.parameters():
        return tensor.device
    for tensor in module.buffers():
        return tensor.device
    return torch.device("cpu")
