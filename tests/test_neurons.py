import copy

import numpy as np
import pytest
import torch

from sksymgrad.exceptions import NeuronNotFoundError
from sksymgrad.networks.mlp import StandardizedMLP
from sksymgrad.neurons import (
    ExpectedClassIndex,
    capture,
    list_neurons,
    neuron_gradients,
    parse_neuron,
    project_to_level_set,
)


@pytest.fixture
def module():
    torch.manual_seed(0)
    m = StandardizedMLP(3, n_outputs=2, hidden_units=(5, 4))
    m.set_standardization(np.random.default_rng(0).normal(2.0, 3.0, (50, 3)))
    return m


def test_parse_addresses():
    assert parse_neuron("output") == parse_neuron("output")
    assert parse_neuron("output[1]").unit == 1 and parse_neuron("output[1]").module is None
    assert parse_neuron("hidden.1[3]").module == "hidden.1"
    assert str(parse_neuron("hidden.1[3]")) == "hidden.1[3]" and str(parse_neuron(2)) == "2"
    with pytest.raises(NeuronNotFoundError, match="cannot parse"):
        parse_neuron("hidden[x]")


def test_gradients_match_finite_differences_in_raw_units(module):
    X = np.random.default_rng(1).normal(2.0, 3.0, (7, 3))
    for address in (0, 1, "hidden.1[2]", "hidden.3[0]"):
        v, g = neuron_gradients(module, X, address, batch_size=3)
        eps = 1e-2
        for j in range(3):
            Xp, Xm = X.copy(), X.copy()
            Xp[:, j] += eps
            Xm[:, j] -= eps
            fd = (neuron_gradients(module, Xp, address)[0] - neuron_gradients(module, Xm, address)[0]) / (2 * eps)
            np.testing.assert_allclose(g[:, j], fd, rtol=2e-2, atol=1e-4)


def test_hooks_are_removed_even_after_errors(module):
    with pytest.raises(RuntimeError):
        with capture(module, "hidden.1"):
            raise RuntimeError("boom")
    assert all(not m._forward_hooks for m in module.modules())


def test_list_neurons_and_clear_errors(module):
    names = list_neurons(module, np.zeros((1, 3)))
    assert names["output"] == 2 and names["hidden.1"] == 5 and names["hidden.3"] == 4
    with pytest.raises(NeuronNotFoundError, match="has 2 units; name one"):
        neuron_gradients(module, np.zeros((2, 3)), "output")
    with pytest.raises(NeuronNotFoundError, match=r"unit 5 does not exist.*\(0..3\)"):
        neuron_gradients(module, np.zeros((2, 3)), "hidden.3[5]")
    with pytest.raises(NeuronNotFoundError, match="did you mean 'hidden.3'"):
        neuron_gradients(module, np.zeros((2, 3)), "hiden.3[0]")


def test_projection_lands_on_the_level_set():
    lin = torch.nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 2.0]]))
        lin.bias.fill_(-1.0)
    X = np.random.default_rng(0).uniform(-2, 2, (100, 2))
    P = project_to_level_set(lin, X, low=[-2, -2], high=[2, 2])
    assert len(P) > 80
    np.testing.assert_allclose(P @ [1.0, 2.0] - 1.0, 0.0, atol=1e-3)


def test_expected_class_index_is_monotone_in_the_logit_gap():
    lin = torch.nn.Linear(1, 3)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[-1.0], [0.0], [1.0]]))
        lin.bias.zero_()
    v, _ = neuron_gradients(ExpectedClassIndex(lin), np.linspace(-3, 3, 20)[:, None])
    assert np.all(np.diff(v) > 0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (none on this machine)")
def test_gradients_on_a_cuda_module_match_the_cpu():
    torch.manual_seed(0)
    cpu = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    gpu = copy.deepcopy(cpu).to("cuda")
    X = np.random.default_rng(0).normal(size=(50, 3))
    v_cpu, g_cpu = neuron_gradients(cpu, X)
    v_gpu, g_gpu = neuron_gradients(gpu, X)
    assert g_gpu.dtype == np.float64
    np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-4, atol=1e-6)


def test_module_device_is_where_the_parameters_are():
    from sksymgrad.utils.devices import module_device, resolve_device

    assert module_device(torch.nn.Linear(2, 1)).type == "cpu"
    assert module_device(torch.nn.Identity()).type == "cpu"
    assert module_device(torch.nn.Linear(2, 1, device="meta")).type == "meta"  # any device, not only cpu/cuda
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
