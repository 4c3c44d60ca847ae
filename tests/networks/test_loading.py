import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.data import DataLoader

from sksymgrad.networks.loading import batch_loader


def _batches(loader, seed):
    torch.manual_seed(seed)
    return [(X.clone(), y.clone()) for X, y in loader]


def test_batches_are_torch_s_own_in_the_same_order():
    rng = np.random.default_rng(0)
    data = Dataset(rng.normal(size=(203, 3)).astype(np.float32), rng.normal(size=(203, 2)).astype(np.float32))
    for shuffle in (True, False):
        ours = _batches(batch_loader(data, batch_size=16, shuffle=shuffle), seed=3)
        torch_s = _batches(DataLoader(data, batch_size=16, shuffle=shuffle), seed=3)
        assert len(ours) == len(torch_s) == 13
        for (Xa, ya), (Xb, yb) in zip(ours, torch_s):
            assert Xa.dtype == Xb.dtype and torch.equal(Xa, Xb) and torch.equal(ya, yb)
    # and the random state moves on as torch's loader moves it
    torch.manual_seed(3)
    list(batch_loader(data, batch_size=16, shuffle=True))
    after_ours = torch.rand(1)
    torch.manual_seed(3)
    list(DataLoader(data, batch_size=16, shuffle=True))
    assert torch.equal(after_ours, torch.rand(1))


def test_other_datasets_and_options_get_torch_s_loader():
    rows = [(np.float32(i), np.float32(-i)) for i in range(5)]
    loader = batch_loader(rows, batch_size=2)
    assert [y.tolist() for _, y in loader] == [[-0.0, -1.0], [-2.0, -3.0], [-4.0]]
    data = Dataset(np.zeros((4, 2), np.float32), np.zeros(4, np.float32))
    assert batch_loader(data, batch_size=2, drop_last=True).batch_size == 2
