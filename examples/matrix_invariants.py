"""Matrix invariants from a Siamese network's latent space.

Pairs of 2x2 matrices with the same determinant (and nothing else in common)
train a Siamese network; its one latent unit encodes the determinant up to an
invertible function, and symbolic gradients read it out. Same for the trace
of 3x3 matrices.

Similar matrices share two invariants, trace and determinant. A two-unit
latent space holds both in some mixture; interpreted together
(``interpret_subspace``), its units give one formula per invariant.
"""

import os

import pandas as pd

from sksymgrad import GradientSymbolicInterpreter, SiameseEmbedder
from sksymgrad.benchmarks import get_task, make_task_data, recovered
from sksymgrad.benchmarks.generators import similar2_groups

SMALL = os.environ.get("SKSYMGRAD_EXAMPLES_SMALL") == "1"

for name in ("det2", "trace3"):
    task = get_task(name)
    X, groups, _ = make_task_data(name, n_samples=600 if SMALL else 2000, random_state=0)
    interp = GradientSymbolicInterpreter(net=SiameseEmbedder(latent_dim=1), neuron=0, random_state=0)
    if SMALL:
        interp.set_params(net__max_epochs=20, regressor__max_time=5)
    interp.fit(X, groups)
    check = recovered(interp.sympy(), task.expression, task.domain)
    print(f"{name}: latent neuron = {interp.sympy()}   (true {task.concept}; recovered: {check.recovered})")

# Two invariants, two latent units: similar 2x2 matrices share trace and determinant.
X, groups = similar2_groups(n_groups=100 if SMALL else 300, group_size=10, random_state=0)
X = pd.DataFrame(X, columns=["a", "b", "c", "d"])
interp = GradientSymbolicInterpreter(net=SiameseEmbedder(latent_dim=2), neuron=0, random_state=0)
interp.set_params(regressor__max_time=5 if SMALL else 30)
interp.fit(X, groups)
print(interp.interpret_subspace())
print("true invariants: a + d (trace), a*d - b*c (determinant)")
