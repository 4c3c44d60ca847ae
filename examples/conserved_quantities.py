"""Conserved quantities of dynamical systems from trajectories.

Points of one trajectory share the energy (oscillator, pendulum) or the
Lotka-Volterra invariant. A Siamese network trained to tell trajectories apart
encodes that quantity in its latent neuron.
"""

import os

from sksymgrad import GradientSymbolicInterpreter, SiameseEmbedder
from sksymgrad.benchmarks import get_task, make_task_data, recovered

SMALL = os.environ.get("SKSYMGRAD_EXAMPLES_SMALL") == "1"

for name in ("oscillator", "pendulum", "lotka_volterra"):
    task = get_task(name)
    X, groups, _ = make_task_data(name, n_samples=600 if SMALL else 2000, random_state=0)
    interp = GradientSymbolicInterpreter(net=SiameseEmbedder(), neuron=0, random_state=0)
    if SMALL:
        interp.set_params(net__max_epochs=20, regressor__max_time=5)
    interp.fit(X, groups)
    check = recovered(interp.sympy(), task.expression, task.domain)
    print(f"{name}: {interp.sympy()}   (true {task.concept}; recovered: {check.recovered})")
