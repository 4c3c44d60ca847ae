"""Selection on recorded network gradients (fixtures), where the single-network rule failed.

Each fixture holds points on the decision surface of a five-network ensemble
(default MLPNet, 4000 labelled points, seed 0, label = concept > median,
AI Feynman suite) and every member's input gradients there. The earlier rule
(knee of the front in a 30x loss window, fitted to the members' mean) chose
long formulas that fit the networks' shared distortions, e.g.
``Nn**2 + 7*Nn*mu**2/10 - 0.016*exp(Nn) - 9*cos(Nn)/2 - 5*cos(mu)/2`` for
``mu*Nn``; the members' disagreement picks the concept.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sksymgrad import SymbolicGradientRegressor
from sksymgrad.benchmarks import get_task, recovered
from sksymgrad.search.selection import combine_member_directions

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _load(name):
    data = np.load(FIXTURES / f"network_{name.replace('.', '_')}.npz")
    task = get_task(name)
    X = pd.DataFrame(data["points"].astype(float), columns=task.variables)
    return task, X, data["members"].astype(float), float(data["level"])


@pytest.mark.parametrize("name", ["I.12.1", "I.14.4"])
def test_members_select_the_concept_where_the_knee_rule_did_not(name):
    task, X, members, level = _load(name)
    mean, spread = combine_member_directions(members)
    settings = dict(trim_fraction=0.1, max_time=30, random_state=0, strategies=("linear",))
    reg = SymbolicGradientRegressor(**settings).fit(X, mean, member_gradients=members)
    assert recovered(reg.sympy(), task.expression, task.domain, level=level), reg.summary()
    row = reg.equations_.loc[reg.best_index_]
    assert row["stability"] > 0.5 and reg.noise_level_ > 0
    legacy = SymbolicGradientRegressor(model_selection="knee", selection_window=30.0, rounding_rtol=0.2, **settings)
    legacy.fit(X, mean)
    assert not recovered(legacy.sympy(), task.expression, task.domain, level=level)
