from pathlib import Path

import numpy as np
import pytest

from sksymgrad.search.labels import LabelledPoints, threshold_misclassified
from sksymgrad.search.operators import OPERATORS
from sksymgrad.search.selection import (
    acceptable,
    combine_member_directions,
    description_length,
    round_with_members,
    select_by_members,
    selection_frequencies,
)


def _members(rng, X, grad, n_members=5, sigma=0.02):
    G = grad(X)
    G = G / np.linalg.norm(G, axis=1, keepdims=True)
    return np.stack([G + sigma * rng.normal(size=G.shape) for _ in range(n_members)])


def test_combined_direction_is_sign_aligned_and_spread_measures_noise():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 2))
    clean = _members(rng, X, lambda X: 2 * X, sigma=0.0)
    flipped = clean * np.array([1, -1, 1, -1, 1])[:, None, None]
    mean, spread = combine_member_directions(flipped)
    assert np.allclose(np.abs(np.einsum("nd,nd->n", mean, clean[0])), 1.0)
    assert np.allclose(spread, 0.0, atol=1e-12)
    noisy = _members(rng, X, lambda X: 2 * X, sigma=0.05)
    _, spread = combine_member_directions(noisy)
    # 1 - cos ~ angle**2 / 2 with a per-member angle of about sigma (one free direction in 2-D)
    assert 0.2 * 0.05**2 / 2 < spread.mean() < 2 * 0.05**2 / 2


def test_rows_set_aside_are_neither_selected_nor_the_reference():
    L = np.array([[0.010, 0.020, 0.012, 0.030], [0.0010, 0.0012, 0.0011, 0.0013], [0.011, 0.016, 0.013, 0.027]])
    assert select_by_members([3, 9, 12], L) == 1  # the members find the first worse than the second
    eligible = np.array([True, False, True])
    assert acceptable(L, eligible=eligible).tolist() == [True, False, True]
    assert select_by_members([3, 9, 12], L, eligible=eligible) == 0
    # nothing eligible with finite losses: the mask is ignored
    assert select_by_members([3, 9, 12], L, eligible=np.zeros(3, bool)) == 1


def test_acceptable_rejects_what_every_member_finds_worse():
    L = np.array([[0.30, 0.31, 0.29, 0.30], [0.010, 0.020, 0.012, 0.030], [0.011, 0.016, 0.013, 0.027]])
    assert acceptable(L).tolist() == [False, True, True]
    assert select_by_members([1, 3, 9], L) == 1
    # one member: nothing to test, only the best row
    assert acceptable(L[:, :1]).tolist() == [False, True, False]


def test_labels_prefer_the_simpler_formula_the_members_shared_error_rejects():
    """A longer row fits every member a little better (their shared error); the labels find it no better."""
    tau = 1e-3
    L = np.array(
        [
            [0.30, 0.31, 0.29, 0.30, 0.30],  # too simple
            [5.0e-3, 5.1e-3, 5.0e-3, 5.1e-3, 5.0e-3],  # the concept: 5 tau, beyond NOISE_TOLERANCE
            [3.8e-3, 3.9e-3, 3.8e-3, 3.9e-3, 3.8e-3],  # longer, within 4 tau
        ]
    )
    complexity = [1, 5, 15]
    assert select_by_members(complexity, L, tau=tau) == 2
    assert select_by_members(complexity, L, tau=tau, label_errors=[300, 0, 4]) == 1
    assert select_by_members(complexity, L, tau=tau, label_errors=[300, 4, 4]) == 1  # ties go to the simpler
    # the labels find the simpler one worse, the labels set it aside, or it loses more than the noise at 1 %
    assert select_by_members(complexity, L, tau=tau, label_errors=[300, 5, 4]) == 2
    assert select_by_members(complexity, L, tau=tau, eligible=[False, False, True], label_errors=[300, 0, 4]) == 2
    further = L.copy()
    further[1] += 6.2e-3 - 5.05e-3  # 6.2 tau: the excess over the choice (3.84 tau) is 2.4 tau
    assert select_by_members(complexity, further, tau=tau, label_errors=[300, 0, 4]) == 1
    further[1] += 4e-3  # the excess is 6.4 tau
    assert select_by_members(complexity, further, tau=tau, label_errors=[300, 0, 4]) == 2
    # a row far outside the networks' noise is not preferred however few labels it misclassifies
    assert select_by_members(complexity, L, tau=tau, label_errors=[0, 0, 4]) == 1
    freq = selection_frequencies(complexity, L, pairwise=np.full((5, 5), tau), label_errors=[300, 0, 4])
    assert freq[1] == pytest.approx(1.0)
    # equally simple and both within the noise: the labels break the tie before the loss does
    tie = [1, 9, 9]
    L = np.array([[0.30] * 5, [3.0e-3, 3.1e-3, 3.0e-3, 3.1e-3, 3.0e-3], [2.9e-3, 3.0e-3, 2.9e-3, 3.0e-3, 2.9e-3]])
    assert select_by_members(tie, L, tau=tau) == 2
    assert select_by_members(tie, L, tau=tau, label_errors=[300, 0, 6]) == 1


def test_description_length_charges_label_errors_by_how_clean_the_labels_are():
    L = np.array([[3.0e-3, 3.1e-3, 3.0e-3, 3.1e-3, 3.0e-3], [3.0e-3, 3.1e-3, 3.0e-3, 3.1e-3, 3.0e-3]])
    complexity, counts = [5, 8], {"n_labelled": 4000, "n_symbols": 17}

    def chosen(errors, digits=(0, 0)):
        bits = description_length(complexity, digits, errors, **counts)
        return select_by_members(complexity, L, tau=1e-3, label_errors=errors, description_bits=bits)

    assert chosen([3, 0]) == 1  # clean labels: 3 errors (about 30 bits) cost more than 3 nodes (12 bits)
    assert chosen([403, 400]) == 0  # noisy labels: 3 errors more among 400 cost about 10 bits
    bits = description_length(complexity, [0, 0], [403, 400], **counts)
    assert 0 < bits[1] - bits[0] < 3 * np.log2(17)
    # the longer formula's numbers count too: 3 nodes and 7 digits (0.0006 and 0.3183: 36 bits) outweigh 3 errors
    assert chosen([3, 0], digits=(0, 7)) == 0
    # without the bits, fewer errors only break ties (the rule before the description length)
    assert select_by_members(complexity, L, tau=1e-3, label_errors=[3, 0]) == 0


def test_description_length_selects_the_concept_on_a_recorded_front():
    """``I.48.2`` seed 0 (fixtures/fronts/README.md): the look-alike is shorter, the concept misclassifies none."""
    from sympy import sympify

    from sksymgrad.search.simplify import constant_digits

    front = np.load(Path(__file__).parent.parent / "fixtures" / "fronts" / "I_48_2.npz")
    args = (front["complexity"], front["member_losses"], 0.05, float(front["tau"]))
    labels = {"eligible": front["eligible"], "label_errors": front["label_errors"]}
    by_nodes = select_by_members(*args, **labels)
    assert not front["recovered"][by_nodes] and front["label_errors"][by_nodes] == 5, front["formulas"][by_nodes]
    digits = [constant_digits(sympify(f)) for f in front["formulas"]]
    n_symbols = 4 + 9 + 3 + 1  # default binary and unary operators, m, v, c, a constant
    bits = description_length(front["complexity"], digits, front["label_errors"], int(front["n_labelled"]), n_symbols)
    chosen = select_by_members(*args, **labels, description_bits=bits)
    assert front["recovered"][chosen] and front["label_errors"][chosen] == 0, front["formulas"][chosen]


def test_selection_frequencies_sum_to_one_and_favour_the_clear_choice():
    L = np.array([[0.30, 0.31, 0.29, 0.30, 0.3], [0.01, 0.02, 0.012, 0.03, 0.02], [0.011, 0.016, 0.013, 0.027, 0.02]])
    freq = selection_frequencies([1, 3, 9], L, n_resamples=100)
    assert freq.sum() == pytest.approx(1.0) and freq.argmax() == 1 and freq[1] > 0.7


def test_rounding_keeps_coefficients_the_members_can_tell_apart():
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (500, 2))
    w = np.full(len(X), 1.0 / len(X))
    tree = ("+", ("x", 0), ("*", ("c", 0.6667), ("x", 1)))  # true coefficient 2/3
    members = _members(rng, X, lambda X: np.column_stack([np.ones(len(X)), np.full(len(X), 2 / 3)]), sigma=0.01)
    rounded = round_with_members(tree, X, members, w, OPERATORS)
    assert rounded[2][1][1] == pytest.approx(2 / 3)  # not 3/5, not 1/2, not 1
    noisy = _members(rng, X, lambda X: np.column_stack([np.ones(len(X)), np.full(len(X), 2 / 3)]), sigma=1.0)
    loose = round_with_members(tree, X, noisy, w, OPERATORS)
    assert loose[2][1][1] != 0.6667  # very noisy members allow a simpler number


def test_rounding_keeps_coefficients_the_labels_can_tell_apart():
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (2000, 2))
    w = np.full(len(X), 1.0 / len(X))
    tree = ("+", ("x", 0), ("*", ("c", 0.6667), ("x", 1)))
    noisy = _members(rng, X, lambda X: np.column_stack([np.ones(len(X)), np.full(len(X), 2 / 3)]), sigma=1.0)
    y = (X[:, 0] + 2 / 3 * X[:, 1] > 0).astype(int)
    # the members allow a simpler number (above); the labels do not
    labelled = LabelledPoints(X, y, OPERATORS)
    assert round_with_members(tree, X, noisy, w, OPERATORS, labelled=labelled)[2][1][1] == pytest.approx(2 / 3)


def test_rounding_weighs_label_errors_by_the_digits_it_saves():
    """A level constant of 0.3183: clean labels pay for its digits, noisy ones do not (the description length)."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (2000, 2))
    w = np.full(len(X), 1.0 / len(X))
    tree = ("+", ("x", 0), ("*", ("c", 0.3183), ("x", 1)))
    noisy = _members(rng, X, lambda X: np.column_stack([np.ones(len(X)), np.full(len(X), 0.3183)]), sigma=1.0)
    assert round_with_members(tree, X, noisy, w, OPERATORS)[2][1][1] == pytest.approx(1 / 3)  # the members allow it
    clean = (X[:, 0] + 0.3183 * X[:, 1] > 0).astype(int)
    rounded = round_with_members(tree, X, noisy, w, OPERATORS, labelled=LabelledPoints(X, clean, OPERATORS))
    assert rounded[2][1][1] == pytest.approx(0.32)  # 1/3 saves 10 bits of digits; its 3 errors cost 30
    assert threshold_misclassified(X[:, 0] + 0.32 * X[:, 1], clean).sum() == 0
    flipped = np.where(rng.random(len(X)) < 0.2, 1 - clean, clean)
    rounded = round_with_members(tree, X, noisy, w, OPERATORS, labelled=LabelledPoints(X, flipped, OPERATORS))
    assert rounded[2][1][1] == pytest.approx(1 / 3)  # a few errors more among 400 are worth less than the digits


def test_rounding_sees_the_coefficient_a_constant_subtree_makes():
    """``sin(0.051)*x1`` is a coefficient of 0.0509779: rounded, it is a number, not ``sin`` of one."""
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (500, 2))
    w = np.full(len(X), 1.0 / len(X))
    tree = ("+", ("x", 0), ("*", ("sin", ("c", 0.051)), ("x", 1)))
    members = _members(rng, X, lambda X: np.column_stack([np.ones(len(X)), np.full(len(X), 0.05)]), sigma=0.01)
    rounded = round_with_members(tree, X, members, w, OPERATORS)
    assert rounded == ("+", ("x", 0), ("*", ("c", 0.05), ("x", 1)))
