"""What do hidden neurons of a classifier compute?

The output of a network trained on the gravity concept ``m1*m2/r**2`` encodes
the concept; its hidden units each compute some simpler feature. Any unit is
addressable as ``"submodule[k]"``.
"""

import os

from sksymgrad import GradientSymbolicInterpreter
from sksymgrad.benchmarks import make_task_data

SMALL = os.environ.get("SKSYMGRAD_EXAMPLES_SMALL") == "1"

X, y, _ = make_task_data("gravity", n_samples=800 if SMALL else 3000, random_state=0)
interp = GradientSymbolicInterpreter(random_state=0)
interp.set_params(net__hidden_units=(8, 8))
if SMALL:
    interp.set_params(net__max_epochs=20, regressor__max_time=5)
interp.fit(X, y)

print("addressable neurons:", interp.list_neurons())
print("output:", interp.sympy())
for result in interp.interpret([f"hidden.1[{k}]" for k in range(4)], n_jobs=2):
    print(f"{result.neuron:12s} {str(result.expression):40s} loss {result.loss:.2e}")
