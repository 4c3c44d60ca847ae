"""Addressing a neuron of a torch module, and its input gradients.

Addresses:

* ``"output"`` -- the network output (a single-output net: that output; a
  binary classifier: the logit of the positive class);
* ``k`` (int) -- unit ``k`` of the network output (multi-class logits, latent
  coordinates);
* ``"name[k]"`` -- unit ``k`` of the output of submodule ``name`` (as in
  ``module.named_modules()``), read with a forward hook;
* ``"name"`` -- a submodule whose output has a single unit.
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from .exceptions import NeuronNotFoundError
from .utils.devices import module_device
from .utils.validation import suggest

__all__ = [
    "NeuronAddress",
    "parse_neuron",
    "list_neurons",
    "capture",
    "neuron_gradients",
    "layer_gradients",
    "project_to_level_set",
    "ExpectedClassIndex",
    "LogitDifference",
    "MeanOutput",
]

_ADDRESS = re.compile(r"^(?P<name>[^\[\]]+?)(\[(?P<unit>-?\d+)\])?$")


@dataclass(frozen=True)
class NeuronAddress:
    """A parsed neuron address: submodule name (``None`` = network output) and unit."""

    module: Optional[str]
    unit: Optional[int]

    def __str__(self):
        base = "output" if self.module is None else self.module
        return base if self.unit is None else f"{base}[{self.unit}]" if self.module else str(self.unit)


def parse_neuron(address):
    """Parse ``"output"``, ``3``, ``"hidden.2[5]"`` or ``"encoder"``.

    Examples
    --------
    >>> parse_neuron("hidden.2[5]")
    NeuronAddress(module='hidden.2', unit=5)
    >>> parse_neuron(1)
    NeuronAddress(module=None, unit=1)
    """
    if isinstance(address, NeuronAddress):
        return address
    if isinstance(address, (int, np.integer)) and not isinstance(address, bool):
        return NeuronAddress(None, int(address))
    if not isinstance(address, str):
        raise NeuronNotFoundError(f"a neuron address is 'output', an int or 'module.name[k]', got {address!r}")
    m = _ADDRESS.match(address.strip())
    if m is None:
        raise NeuronNotFoundError(f"cannot parse neuron address {address!r}; use 'output', an int, or 'module.name[k]'")
    name, unit = m.group("name"), m.group("unit")
    unit = None if unit is None else int(unit)
    if name == "output":
        return NeuronAddress(None, unit)
    return NeuronAddress(name, unit)


@contextmanager
def capture(module, name):
    """Record the output of submodule ``name`` during forward passes.

    Yields a dict whose ``"out"`` entry holds the latest output; the hook is
    removed on exit, also after errors.
    """
    modules = dict(module.named_modules())
    if name not in modules or name == "":
        valid = [n for n in modules if n]
        raise NeuronNotFoundError(
            f"the network has no submodule {name!r}{suggest(name, valid)}. Valid submodule names: {valid}"
        )
    store = {}

    def hook(mod, inputs, output):
        store["out"] = output[0] if isinstance(output, tuple) else output

    handle = modules[name].register_forward_hook(hook)
    try:
        yield store
    finally:
        handle.remove()


def _select_unit(out, address):
    out = out.reshape(out.shape[0], -1) if out.ndim > 1 else out[:, None]
    width = out.shape[1]
    unit = address.unit
    if unit is None:
        if width != 1:
            where = "the network output" if address.module is None else f"submodule {address.module!r}"
            raise NeuronNotFoundError(
                f"{where} has {width} units; name one, e.g. "
                f"{(str(0) if address.module is None else address.module + '[0]')!r}"
            )
        unit = 0
    if not -width <= unit < width:
        where = "the network output" if address.module is None else f"submodule {address.module!r}"
        raise NeuronNotFoundError(f"unit {unit} does not exist: {where} has {width} units (0..{width - 1})")
    return out[:, unit]


def layer_gradients(module, X, layer=None, max_elements=2**24):
    """Values and input gradients of every unit of a layer, from one forward pass per batch.

    The units' gradients come from one batched vector-Jacobian product
    (``is_grads_batched``), so a layer of 64 units costs about one forward
    and one vectorised backward pass, not 64. Batches are sized so that the
    gradients held at once stay below ``max_elements`` numbers.

    Parameters
    ----------
    module : torch.nn.Module
    X : ndarray of shape (n_samples, n_features)
    layer : str or None, default=None
        Submodule name; ``None`` means the network's output.

    Returns
    -------
    values : ndarray of shape (n_samples, n_units)
    gradients : ndarray of shape (n_samples, n_units, n_features)

    Examples
    --------
    >>> import numpy as np, torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    >>> v, g = layer_gradients(net, np.zeros((5, 3)), "0")
    >>> v.shape, g.shape, np.allclose(g[0], net[0].weight.detach().numpy())
    ((5, 4), (5, 4, 3), True)
    """
    X = np.asarray(X, dtype=np.float32)
    device = module_device(module)
    was_training = module.training
    module.eval()

    def forward(xb):
        if layer is None:
            out = module(xb)
            return out[0] if isinstance(out, tuple) else out
        with capture(module, layer) as store:
            module(xb)
        if "out" not in store:
            raise NeuronNotFoundError(f"submodule {layer!r} was not called in the forward pass")
        return store["out"]

    values, grads = [], []
    try:
        with torch.enable_grad():
            probe = forward(torch.tensor(X[:1], device=device))
            k = int(np.prod(probe.shape[1:])) if probe.ndim > 1 else 1
            batch = int(max(1, min(4096, max_elements // max(k * X.shape[1], 1))))
            for start in range(0, len(X), batch):
                xb = torch.tensor(X[start : start + batch], device=device, requires_grad=True)
                out = forward(xb).reshape(len(xb), -1)
                g = _unit_gradients(out, xb, k)
                values.append(out.detach().double().cpu().numpy())
                grads.append(g.detach().double().cpu().numpy().transpose(1, 0, 2))
    finally:
        module.train(was_training)
    return np.concatenate(values), np.concatenate(grads)


def _unit_gradients(out, xb, k):
    """``d out[:, u] / d xb`` for every unit ``u``, shape (k, n, d): one batched pass, or one per unit."""
    eye = torch.eye(k, dtype=out.dtype, device=out.device)[:, None, :].expand(k, len(xb), k)
    try:
        (g,) = torch.autograd.grad(
            out, xb, grad_outputs=eye, is_grads_batched=True, allow_unused=True, retain_graph=True
        )
    except RuntimeError:  # an operation vmap cannot batch: one backward pass per unit instead
        grads = []
        for u in range(k):
            (gu,) = torch.autograd.grad(out[:, u].sum(), xb, allow_unused=True, retain_graph=True)
            grads.append(torch.zeros_like(xb) if gu is None else gu)
        return torch.stack(grads)
    return torch.zeros(k, *xb.shape, device=xb.device) if g is None else g


def neuron_gradients(module, X, address="output", batch_size=4096):
    """Values and input gradients of one neuron, by autograd in eval mode.

    Parameters
    ----------
    module : torch.nn.Module
        Called as ``module(X)`` on a float32 tensor on the module's own device
        (CPU, CUDA, MPS); results come back as float64 numpy.
    X : ndarray of shape (n_samples, n_features)
        Raw inputs (the gradient is with respect to these).
    address : str, int or NeuronAddress, default='output'
    batch_size : int, default=4096
        Points per backward pass, so memory stays bounded.

    Returns
    -------
    values : ndarray of shape (n_samples,)
    gradients : ndarray of shape (n_samples, n_features)

    Examples
    --------
    >>> import numpy as np, torch
    >>> lin = torch.nn.Linear(2, 1)
    >>> with torch.no_grad():
    ...     _ = lin.weight.copy_(torch.tensor([[2.0, -1.0]]))
    >>> v, g = neuron_gradients(lin, np.zeros((3, 2)))
    >>> g.tolist()
    [[2.0, -1.0], [2.0, -1.0], [2.0, -1.0]]
    """
    address = parse_neuron(address)
    X = np.asarray(X, dtype=np.float32)
    device = module_device(module)
    was_training = module.training
    module.eval()
    values, grads = [], []
    try:
        with torch.enable_grad():
            for start in range(0, len(X), batch_size):
                xb = torch.tensor(X[start : start + batch_size], device=device, requires_grad=True)
                if address.module is None:
                    out = module(xb)
                    if isinstance(out, tuple):
                        out = out[0]
                else:
                    with capture(module, address.module) as store:
                        module(xb)
                    if "out" not in store:
                        raise NeuronNotFoundError(f"submodule {address.module!r} was not called in the forward pass")
                    out = store["out"]
                unit = _select_unit(out, address)
                (g,) = torch.autograd.grad(unit.sum(), xb, allow_unused=True)
                if g is None:
                    g = torch.zeros_like(xb)
                values.append(unit.detach().double().cpu().numpy())
                grads.append(g.detach().double().cpu().numpy())
    finally:
        module.train(was_training)
    return np.concatenate(values), np.concatenate(grads)


def list_neurons(module, X):
    """Addressable neurons: ``{address: n_units}`` for the output and every submodule.

    One forward pass on the first row of ``X`` measures the widths.
    """
    X = torch.tensor(np.asarray(X[:1], dtype=np.float32), device=module_device(module))
    widths = {}
    handles = []
    for name, sub in module.named_modules():
        if not name:
            continue

        def hook(mod, inputs, output, name=name):
            out = output[0] if isinstance(output, tuple) else output
            if isinstance(out, torch.Tensor):
                widths[name] = int(np.prod(out.shape[1:])) if out.ndim > 1 else 1

        handles.append(sub.register_forward_hook(hook))
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            out = module(X)
    finally:
        for h in handles:
            h.remove()
        module.train(was_training)
    out = out[0] if isinstance(out, tuple) else out
    result = {"output": int(np.prod(out.shape[1:])) if out.ndim > 1 else 1}
    result.update(widths)
    return result


def project_to_level_set(
    module, X, address="output", level=0.0, n_steps=25, max_step=None, low=None, high=None, tol=1e-3
):
    """Move points onto the neuron's level set ``f(x) = level`` by Newton steps.

    A single-threshold classifier pins down its concept only on its decision
    surface, where its gradients are also most accurate; far from it the
    logit saturates and its directions are noise. Interpreting on points of
    the surface uses every point where the network knows most.

    Parameters
    ----------
    module : torch.nn.Module
    X : ndarray of shape (n, d)
        Starting points.
    address : neuron address, default='output'
    level : float, default=0.0
        0 is the decision surface of a binary classifier's logit.
    n_steps : int, default=25
    max_step : ndarray of shape (d,) or None
        Largest move per step and feature (default: a tenth of the range of ``X``).
    low, high : ndarray of shape (d,) or None
        Box the points must stay in (default: the range of ``X``).
    tol : float, default=1e-3
        Points whose value ends further than this from ``level`` are dropped.

    Returns
    -------
    ndarray of shape (m, d)
        The points that reached the level set inside the box (``m <= n``).
    """
    X = np.asarray(X, dtype=np.float64).copy()
    low = X.min(axis=0) if low is None else np.asarray(low, dtype=float)
    high = X.max(axis=0) if high is None else np.asarray(high, dtype=float)
    max_step = (high - low) / 10.0 if max_step is None else np.asarray(max_step, dtype=float)
    for _ in range(n_steps):
        v, g = neuron_gradients(module, X, address)
        with np.errstate(all="ignore"):
            step = ((v - level) / np.einsum("ij,ij->i", g, g))[:, None] * g
        step = np.where(np.isfinite(step), step, 0.0)
        step = np.clip(step, -max_step, max_step)
        X = np.clip(X - step, low, high)
    v, _ = neuron_gradients(module, X, address)
    return X[np.abs(v - level) < tol]


class ExpectedClassIndex(torch.nn.Module):
    """``sum_k k * softmax(logits)_k``: one scalar for a multi-class classifier.

    With ordinal labels (a concept cut at several thresholds) this is a
    monotone function of the concept, and every threshold's level set shapes
    it, which pins the concept down better than a single threshold can.
    """

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, X):
        logits = self.module(X)
        probs = torch.softmax(logits, dim=-1)
        return probs @ torch.arange(logits.shape[-1], dtype=probs.dtype, device=probs.device)


class LogitDifference(torch.nn.Module):
    """``logit_1 - logit_0`` of a two-output binary classifier: its decision function, 0 on the boundary."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, X):
        logits = self.module(X)
        logits = logits[0] if isinstance(logits, tuple) else logits
        return logits[..., 1] - logits[..., 0]


class MeanOutput(torch.nn.Module):
    """The mean output of several networks (an ensemble's neuron).

    Projecting onto the level set of the ensemble's mean logit puts the points
    where all members are most accurate, without favouring any one of them.
    """

    def __init__(self, members):
        super().__init__()
        self.members = torch.nn.ModuleList(members)

    def forward(self, X):
        outs = [m(X) for m in self.members]
        outs = [o[0] if isinstance(o, tuple) else o for o in outs]
        return torch.stack(outs).mean(dim=0)
