"""The latent-space paper's systems: samplers keep their invariants within groups."""

import numpy as np
import pytest

from sksymgrad.benchmarks.latent_paper import SYSTEMS, get_system, run_system
from sksymgrad.export import expression_values


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.name)
def test_groups_share_every_invariant_and_differ_between_groups(system):
    X, groups = system.sampler(12, 5, 0)
    assert X.shape == (60, len(system.variables)) and np.all(np.isfinite(X))
    for expr in system.expressions:
        values = expression_values(expr, system.symbols, X)
        within = max(np.ptp(values[groups == g]) for g in np.unique(groups))
        assert within < 1e-8 * max(1.0, np.ptp(values)), (system.name, expr, within)
        assert np.ptp(values) > 0.05  # groups differ


def test_a_system_runs_end_to_end():
    row = run_system("interval", seed=0, n_groups=150, budget=10)
    assert row["n_invariants"] == 1 and row["n_formulas"] == 1
    assert row["recovered"], row


def test_unknown_system_is_named():
    with pytest.raises(ValueError, match="no latent-paper system 'nope'"):
        get_system("nope")
