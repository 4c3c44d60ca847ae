import os
import warnings

import numpy as np
import pytest
import sympy
import torch
from threadpoolctl import threadpool_limits

from sksymgrad.benchmarks import get_task


def analytic_gradients(task_name, n=1000, noise=0.0, seed=0):
    """Points of a task's domain, the concept's exact unit gradients (+ noise)."""
    task = get_task(task_name)
    rng = np.random.default_rng(seed)
    X = task.sample(n, rng)
    G = task.gradients(X)
    G = G / np.linalg.norm(G, axis=1, keepdims=True)
    if noise:
        G = G + noise * rng.normal(size=G.shape)
    return task, X, G


def pytest_configure(config):
    # Under pytest-xdist each worker has a core of its own: one thread per worker
    # (BLAS, OpenMP, torch, and the example scripts' subprocesses) keeps the
    # workers from competing for the cores and slowing each other's searches.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = "1"
        threadpool_limits(1)
        torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _quiet_skorch():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        yield


# A user-defined operator for the make_operator tests: module-level so it pickles.
def softplus(a):
    return np.logaddexp(0.0, a)


def d_softplus(a, out):
    return 1.0 / (1.0 + np.exp(-a))


def sp_softplus(a):
    return sympy.log(1 + sympy.exp(a))
