from itertools import combinations

import numpy as np
import pytest

from sksymgrad.search.linear import DirectionProblem, fit_batched


def _problem_data(k, seed=0, n=300, d=4, K=8):
    """Random term gradients (n, d, K) and unit target directions (k = 1) or orthonormal 2-planes (k = 2)."""
    rng = np.random.default_rng(seed)
    T = rng.normal(size=(n, d, K))
    N = rng.normal(size=(n, d, k))
    N = np.linalg.qr(N)[0]
    return T, (N[..., 0] if k == 1 else N)


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("trim", [0.0, 0.1])
def test_a_batch_reports_the_loss_of_the_coefficients_it_returns(k, trim):
    T, N = _problem_data(k)
    problem = DirectionProblem(T, N, np.ones(len(T)), trim=trim)
    for size in (1, 2, 3):
        subsets = list(combinations(range(T.shape[-1]), size))
        coefs, losses = fit_batched(problem, subsets, None, n_iter=3)
        assert coefs.shape == (len(subsets), size)
        again = [problem.loss(s, c) for s, c in zip(subsets, coefs)]
        np.testing.assert_allclose(losses, again, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("k", [1, 2])
def test_exact_directions_are_fitted_to_round_off_with_their_coefficients(k):
    T, N = _problem_data(k, seed=1)
    g = T[..., [2, 5]] @ np.array([1.0, -0.25])
    target = g / np.linalg.norm(g, axis=1, keepdims=True)
    if k == 2:  # a plane per point that holds the gradient
        target = np.linalg.qr(np.stack([target, N[..., 1]], axis=-1))[0]
    problem = DirectionProblem(T, target, np.ones(len(T)), trim=0.1)
    coefs, losses = fit_batched(problem, [(2, 5), (2, 6), (1, 5)], None, n_iter=3)
    assert losses[0] < 1e-12
    assert losses[1:].min() > 1e-3
    np.testing.assert_allclose(coefs[0] / coefs[0][0], [1.0, -0.25], rtol=1e-9)


def test_the_screening_rows_cache_gives_the_fit_without_it():
    T, N = _problem_data(1, seed=2, n=500)
    rows = np.arange(0, 500, 3)
    subsets = list(combinations(range(T.shape[-1]), 2))
    cached = DirectionProblem(T, N, np.ones(500), trim=0.1)
    cached.screening_rows(rows)
    plain = DirectionProblem(T, N, np.ones(500), trim=0.1)
    for a, b in zip(fit_batched(cached, subsets, rows, 3), fit_batched(plain, subsets, rows, 3)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-15)
