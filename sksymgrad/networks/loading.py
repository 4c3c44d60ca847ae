"""Mini-batches as slices of the arrays, for skorch's ``iterator_train`` and ``iterator_valid``.

torch's ``DataLoader`` fetches a batch row by row and stacks the rows; on
small tabular data that costs as much as the training step itself. Here one
fancy index per batch does the same work.
"""

import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

__all__ = ["batch_loader"]


class _BatchSlices(torch.utils.data.Dataset):
    """``dataset[rows]`` for a whole batch of row indices at once."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, rows):
        return torch.as_tensor(self.X[rows]), torch.as_tensor(self.y[rows])


def batch_loader(dataset, batch_size=128, shuffle=False, **kwargs):
    """A ``DataLoader`` that yields whole batches sliced from ``dataset``'s arrays.

    The batches are those of ``DataLoader(dataset, batch_size, shuffle)``, in
    the same order: the same samplers draw the same numbers from torch's
    random state, so training gives the same networks, bit for bit. A dataset
    that is not a pair of arrays (a skorch ``Dataset`` of numpy arrays), or
    any other loader option, gets torch's own ``DataLoader``.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset or torch Dataset
    batch_size : int, default=128
    shuffle : bool, default=False
    **kwargs
        Other ``DataLoader`` options (they select torch's own loader).

    Returns
    -------
    torch.utils.data.DataLoader

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> data = Dataset(np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5, dtype=np.float32))
    >>> [tuple(y.tolist()) for _, y in batch_loader(data, batch_size=2)]
    [(0.0, 1.0), (2.0, 3.0), (4.0,)]
    """
    X, y = getattr(dataset, "X", None), getattr(dataset, "y", None)
    if kwargs or not (isinstance(X, np.ndarray) and isinstance(y, np.ndarray) and len(X) == len(y)):
        return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, **kwargs)
    rows = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
    return DataLoader(_BatchSlices(X, y), sampler=BatchSampler(rows, batch_size, drop_last=False), batch_size=None)
