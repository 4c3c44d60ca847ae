import json
from pathlib import Path

import numpy as np
import pytest

from sksymgrad.benchmarks import get_task, make_task_data
from sksymgrad.benchmarks.ensembles import load_ensemble
from sksymgrad.benchmarks.misses import (
    CONCEPT_FITS_BETTER,
    NETWORKS_FAVOUR_IT,
    WITHIN_NETWORK_ERROR,
    explain_miss,
    explain_run,
    main,
)

ENSEMBLES = Path(__file__).parent.parent / "fixtures" / "ensembles"


def test_a_look_alike_nearer_the_concept_than_the_networks_is_within_their_error():
    # seed 0's networks chose v*(m_0 + 1/c) for m_0*v/sqrt(1 - v**2/c**2): ten times nearer the concept than they are
    task, X, members, _ = load_ensemble(ENSEMBLES / "I_15_1.npz")
    explained = explain_miss(task, "v*(m_0 + 1/c)", X, members)
    assert explained["verdict"] == WITHIN_NETWORK_ERROR
    assert explained["formula_to_concept"] < 0.2 * explained["networks_to_concept"]
    # the concept itself is as near as can be
    assert explain_miss(task, task.expression, X, members)["formula_to_concept"] < 1e-12
    # the training labels tell them apart: the concept misclassifies none, the look-alike some
    labelled = make_task_data(task, n_samples=4000, random_state=0)[:2]
    assert explain_miss(task, task.expression, X, members, labelled)["labels_misclassified"] == 0
    assert explain_miss(task, "v*(m_0 + 1/c)", X, members, labelled)["labels_misclassified"] > 0


def test_a_formula_the_networks_tell_apart_is_a_search_miss():
    task, X, members, _ = load_ensemble(ENSEMBLES / "I_15_1.npz")
    explained = explain_miss(task, "m_0 + v", X, members)
    assert explained["verdict"] == CONCEPT_FITS_BETTER
    assert explained["networks_to_concept"] < explained["formula_to_networks"]


def test_networks_whose_error_leans_to_the_formula_favour_it():
    # near (1, 1) the circle's directions are all about (1, 1); the networks lean to (1, 0.5)
    task = get_task("circle")
    rng = np.random.default_rng(0)
    X = rng.uniform(0.95, 1.05, size=(200, 2))
    lean = np.column_stack([np.ones(200), np.full(200, 0.5)])
    members = np.stack([lean + 0.01 * rng.normal(size=lean.shape) for _ in range(3)])
    assert explain_miss(task, "x + 0.4*y", X, members)["verdict"] == NETWORKS_FAVOUR_IT
    assert explain_miss(task, "x + 0.6*y", X, members)["verdict"] == WITHIN_NETWORK_ERROR


def _rows():
    return [
        {"task": "I.15.1", "seed": 0, "mode": "network", "recovered": False, "expression": "v*(m_0 + 1/c)"},
        {"task": "I.12.1", "seed": 0, "mode": "network", "recovered": True, "expression": "Nn*mu"},
        {"task": "I.9.18", "seed": 0, "mode": "network", "recovered": False, "expression": "G*m1"},
        {"task": "I.15.1", "seed": 0, "mode": "exact", "recovered": False, "expression": "v"},
    ]


def test_only_network_misses_with_a_recording_are_explained():
    explained = explain_run(_rows(), {0: str(ENSEMBLES)})
    assert [(e["task"], e["verdict"]) for e in explained] == [
        ("I.15.1", WITHIN_NETWORK_ERROR),
        ("I.9.18", CONCEPT_FITS_BETTER),
    ]
    # with an exact-mode run beside it, only what exact mode recovers
    exact = [{"task": "I.15.1", "seed": 0, "recovered": True}, {"task": "I.9.18", "seed": 0, "recovered": False}]
    assert [e["task"] for e in explain_run(_rows(), {0: str(ENSEMBLES)}, exact)] == ["I.15.1"]
    with pytest.warns(UserWarning, match="no recording of 'I.15.1' seed 0"):
        assert explain_run(_rows()[:1], {0: str(ENSEMBLES / "seed1" / "missing")}) == []


def test_command_line_prints_each_miss_and_the_counts(tmp_path, capsys):
    results = tmp_path / "network.json"
    results.write_text(json.dumps(_rows()))
    assert main([str(results), "--recordings", f"0={ENSEMBLES}"]) == 0
    out = capsys.readouterr().out
    assert "v*(m_0 + 1/c)" in out
    assert f"2 misses: 1 {WITHIN_NETWORK_ERROR}, 1 {CONCEPT_FITS_BETTER}" in out
    with pytest.raises(SystemExit):
        main([str(results), "--recordings", "nodirectory"])
