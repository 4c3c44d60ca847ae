"""Selection on recorded network gradients (fixtures), where the single-network rule failed.

Each fixture (``tests/fixtures/ensembles``, see its README) holds points on the
decision surface of a five-network ensemble (default MLPNet, 4000 labelled
points, seed 0, label = concept > median) and every member's input gradients
there. The earlier rule
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
from sksymgrad.benchmarks.ensembles import load_ensemble
from sksymgrad.search.selection import combine_member_directions

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _load(name):
    return load_ensemble(FIXTURES / "ensembles" / f"{name.replace('.', '_')}.npz")


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


def _concept_loss_over_tau(folder):
    """The concept's mean loss against the members, in units of their disagreement, per recording."""
    from sksymgrad.export import expression_gradients
    from sksymgrad.search.losses import direction_loss
    from sksymgrad.search.selection import network_disagreement, pairwise_member_losses

    ratios = []
    for path in sorted(folder.glob("*.npz")):
        data = np.load(path)
        task = get_task(str(data["task"]))
        points, members = data["points"].astype(float), data["members"].astype(float)
        scale = points.std(axis=0)  # the regressor's unit-free frame
        unit = members * scale / np.linalg.norm(members * scale, axis=2, keepdims=True)
        w = np.full(len(points), 1.0 / len(points))
        true = expression_gradients(task.expression, task.symbols, points) * scale
        tau = network_disagreement(pairwise_member_losses(unit, w, trim=0.1))
        ratios.append(np.mean([direction_loss(true, u, w, trim=0.1) for u in unit]) / tau)
    return np.array(ratios)


def test_noise_tolerances_are_the_calibrated_quantiles_of_the_recorded_ensembles():
    """NOISE_TOLERANCE and LABELLED_NOISE_TOLERANCE re-derived from the recordings (docs/method.md)."""
    from sksymgrad.search.selection import LABELLED_NOISE_TOLERANCE, NOISE_TOLERANCE

    seed0 = _concept_loss_over_tau(FIXTURES / "ensembles")
    assert len(seed0) == 56
    q95 = np.quantile(seed0, 0.95)
    assert abs(q95 - NOISE_TOLERANCE) < 0.5, q95  # 4.14 on these subsamples, 4.12 on the full points
    both = np.concatenate([seed0, _concept_loss_over_tau(FIXTURES / "ensembles" / "seed1")])
    assert len(both) == 112
    q99 = np.quantile(both, 0.99)
    assert abs(q99 - LABELLED_NOISE_TOLERANCE) < 0.5, q99  # 5.74


def test_structure_tests_find_the_true_symmetry_through_the_recorded_networks():
    """The selection's noise angle as the symmetry tolerance (docs/method.md, "Structure through networks").

    With the members' angular spread as tolerance and an untrimmed fit the
    first reduction step was a symmetry of the concept on 7 of the 56
    recordings; with the noise angle and the loss's trimmed fraction, 33
    (seed 1, held out: 6 and 29).
    """
    from sksymgrad.export import expression_gradients
    from sksymgrad.search.selection import network_disagreement, noise_angle, pairwise_member_losses
    from sksymgrad.search.structure import find_symmetries, ranked_symmetries

    def key(s):
        return s.kind, tuple(sorted(s.coefs.items()))

    true_first = spurious_first = 0
    for path in sorted((FIXTURES / "ensembles").glob("*.npz")):
        task, X, members, _ = load_ensemble(path)
        points = X.to_numpy()
        scale = points.std(axis=0)
        w = np.full(len(points), 1.0 / len(points))
        mean, _ = combine_member_directions(members * scale)
        tol = noise_angle(network_disagreement(pairwise_member_losses(members * scale, w, trim=0.1)))
        exact = expression_gradients(task.expression, task.symbols, points)
        truth = {key(s) for kind in ("translation", "scaling") for s in find_symmetries(points, exact, kind, 1e-6)}
        found = ranked_symmetries(points, mean / scale, tol, trim=0.1)
        if found:
            true_first += key(found[0]) in truth
            spurious_first += key(found[0]) not in truth
    assert true_first >= 30 and spurious_first <= 12, (true_first, spurious_first)


@pytest.mark.parametrize(
    "name, strategies",
    [("linear", ("linear", "ratio", "evolution")), ("mech_energy", ("linear",))],
)
def test_labels_select_the_concept_where_the_members_alone_did_not(name, strategies):
    """Recordings with the labelled points (``fixtures/ensembles/labelled``, see its README)."""
    from sksymgrad.benchmarks.ensembles import load_labels
    from sksymgrad.search.labels import threshold_misclassified

    path = FIXTURES / "ensembles" / "labelled" / f"{name}.npz"
    task, X, members, level = load_ensemble(path)
    label_points, labels = load_labels(path)
    mean, _ = combine_member_directions(members)
    settings = dict(trim_fraction=0.1, max_time=30, random_state=0, strategies=strategies)
    alone = SymbolicGradientRegressor(**settings).fit(X, mean, member_gradients=members)
    assert not recovered(alone.sympy(), task.expression, task.domain, level=level)
    reg = SymbolicGradientRegressor(**settings).fit(
        X, mean, member_gradients=members, label_points=label_points, labels=labels
    )
    assert recovered(reg.sympy(), task.expression, task.domain, level=level), reg.summary()
    # what the labels saw: the look-alike misclassifies more of them than the formula chosen with them
    P = pd.DataFrame(label_points, columns=X.columns)
    wrong = [threshold_misclassified(r.predict(P), labels).sum() for r in (alone, reg)]
    assert wrong[1] < wrong[0] and reg.equations_.loc[reg.best_index_, "label_errors"] == wrong[1]


def _fit_labelled_recording(name, random_state, strategies):
    """The recording ``labelled/<name>.npz`` searched as the interpreter with ``random_state`` searches it."""
    from sksymgrad.benchmarks.ensembles import load_labels
    from sksymgrad.interpreter import fit_seeds

    path = FIXTURES / "ensembles" / "labelled" / f"{name}.npz"
    task, X, members, level = load_ensemble(path)
    label_points, labels = load_labels(path)
    mean, _ = combine_member_directions(members)
    settings = dict(trim_fraction=0.1, max_time=30, random_state=fit_seeds(random_state)[2], strategies=strategies)
    reg = SymbolicGradientRegressor(**settings).fit(
        X, mean, member_gradients=members, label_points=label_points, labels=labels
    )
    return task, level, reg


def test_the_selection_keeps_a_formula_without_constants_that_a_shorter_refitted_one_dominates():
    """I.48.2 seed 2 (``labelled/I_48_2_seed2.npz``, every surface point).

    Refitted to the labels and rounded, ``1/(m*(c**2 + 3*v**2/5))`` is shorter than the concept
    ``c**3*m/sqrt(c**2 - v**2)`` and fits the networks better; a front of complexity and loss dropped the
    concept before the selection, which weighs free constants and label errors, could see it.
    """
    from sksymgrad.search.simplify import constant_digits

    task, level, reg = _fit_labelled_recording("I_48_2_seed2", 2, ("linear", "labels"))
    assert recovered(reg.sympy(), task.expression, task.domain, level=level), reg.summary()
    chosen = reg.equations_.loc[reg.best_index_]
    assert constant_digits(chosen["sympy_format"]) == 0, chosen["sympy_format"]
    # the concept is dominated on the two criteria alone: a front of those would not hold it
    shorter = reg.equations_[(reg.equations_["complexity"] <= chosen["complexity"])]
    assert (shorter["member_loss"] < chosen["member_loss"]).any(), reg.equations_


def test_a_denominator_the_labels_pick_under_a_root_is_searched_without_it():
    """I.16.6 seed 2 (``labelled/I_16_6_seed2.npz``, every surface point), the ratio path alone.

    The one-term quotients that best separate the labels are under ``sqrt(c**2 + u*v)``; the concept
    ``c**2*(u + v)/(c**2 + u*v)`` is that base at power 1 with a numerator of two terms.
    """
    task, level, reg = _fit_labelled_recording("I_16_6_seed2", 2, ("ratio",))
    assert recovered(reg.sympy(), task.expression, task.domain, level=level), reg.summary()
