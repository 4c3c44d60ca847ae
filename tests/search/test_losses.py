"""Direction losses and trimming (sksymgrad.search.losses)."""

import numpy as np
import pytest

from sksymgrad.search.losses import _kept_by_sorting, trim_weights


@pytest.mark.parametrize("shape", [(200,), (200, 7), (1, 3), (2,)])
@pytest.mark.parametrize("trim", [0.05, 0.1, 0.5, 0.999])
@pytest.mark.parametrize("ties", [True, False])
def test_equal_weights_are_trimmed_as_a_stable_sort_would(shape, trim, ties):
    # the partition path must keep exactly the points the sorting path keeps, ties and infinities included
    rng = np.random.default_rng(0)
    if ties:
        values = rng.choice([0.0, 0.25, 1.0, np.inf], size=shape) * rng.integers(1, 3, size=shape)
    else:
        values = rng.uniform(size=shape)
    weights = np.full(shape[0], 1.0 / shape[0])
    w = np.broadcast_to(weights[:, None] if values.ndim == 2 else weights, values.shape)
    expected = np.where(_kept_by_sorting(values, w, trim), w, 0.0)
    np.testing.assert_array_equal(trim_weights(values, weights, trim), expected)


def test_trimming_drops_the_worst_fraction_by_weight():
    values = np.array([5.0, 0.1, 0.3, 9.0, 0.2])
    assert trim_weights(values, np.ones(5), 0.4).tolist() == [0, 1, 1, 0, 1]
    # unequal weights: a point is kept when the weight of the better points is under the kept 60 %
    assert trim_weights(values, np.array([4, 1, 1, 1, 1.0]), 0.4).tolist() == [4, 1, 1, 0, 1]
    assert trim_weights(values, np.ones(5), 0.0).tolist() == [1, 1, 1, 1, 1]
    # a point that cannot be scored is trimmed first
    assert trim_weights(np.array([np.nan, 0.1, 0.2]), np.ones(3), 0.4).tolist() == [0, 1, 1]
