import numpy as np
import pytest

from sksymgrad import GradientSymbolicInterpreter
from sksymgrad.benchmarks.ensembles import load_ensemble, load_labels, main, record_ensemble, save_ensemble
from sksymgrad.networks import MLPNet
from sksymgrad.search.selection import combine_member_directions


def _small_interpreter():
    return GradientSymbolicInterpreter(net=MLPNet(hidden_units=(16,), max_epochs=15), random_state=0)


def test_a_recording_holds_every_members_gradients_on_the_decision_surface(tmp_path):
    record = record_ensemble("circle", seed=0, n_samples=400, n_points=50, interpreter=_small_interpreter())
    assert record["points"].shape == (50, 2) and record["members"].shape == (5, 50, 2)
    assert record["level"] == pytest.approx(np.median(np.sum(record["points"] ** 2, axis=1)), rel=0.5)
    path = save_ensemble(record, tmp_path)
    task, X, members, level = load_ensemble(path)
    assert task.name == "circle" and list(X.columns) == ["x", "y"] and level == record["level"]
    np.testing.assert_allclose(members, record["members"], rtol=1e-6)  # float32 on disk
    # the labelled points the decision function's search checks: the labels are the concept's side of its median
    P, labels = load_labels(path)
    assert P.shape == (len(record["labels"]), 2) and set(np.unique(labels)) == {0, 1}
    np.testing.assert_array_equal(labels, np.sum(P**2, axis=1) > level)
    # the members see a circle: directions close to radial
    mean, _ = combine_member_directions(members)
    radial = X.to_numpy() / np.linalg.norm(X.to_numpy(), axis=1, keepdims=True)
    assert np.median(np.abs(np.sum(mean * radial, axis=1))) > 0.9


def test_latent_tasks_and_single_networks_are_refused():
    with pytest.raises(ValueError, match="classifier tasks"):
        record_ensemble("det2")
    one = GradientSymbolicInterpreter(net=MLPNet(hidden_units=(8,), max_epochs=2), n_networks=1, random_state=0)
    with pytest.raises(ValueError, match="n_networks > 1"):
        record_ensemble("circle", n_samples=200, interpreter=one)


def test_command_line_writes_one_file_per_task(tmp_path, monkeypatch):
    import sksymgrad.benchmarks.ensembles as ensembles

    def fake(name, seed, n_samples, n_points, out):
        return save_ensemble(
            {
                "task": name,
                "points": np.ones((2, 2)),
                "members": np.ones((5, 2, 2)),
                "level": 1.0,
                "network_accuracy": 1.0,
            },
            out,
        )

    monkeypatch.setattr(ensembles, "_record_quietly", fake)
    assert main(["--out", str(tmp_path), "--tasks", "circle", "I.12.1"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["I_12_1.npz", "circle.npz"]
    assert load_labels(tmp_path / "circle.npz") is None  # recorded without labelled points
