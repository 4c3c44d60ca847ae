"""Quickstart: what concept does a spacetime-interval classifier use?

Events ``(t, x, y, z)`` are labelled time-like when the interval
``t**2 - x**2 - y**2 - z**2`` is above its median. A neural network learns
the labels; its logit is some squashed, distorted function of the interval,
so regressing the logit on the inputs does not give the formula. Symbolic
gradients do: the formula whose gradient directions match the logit's.

Run ``python examples/quickstart.py`` (about half a minute on 2 CPU cores).
"""

import os

from sksymgrad import GradientSymbolicInterpreter
from sksymgrad.benchmarks import get_task, make_task_data, recovered

SMALL = os.environ.get("SKSYMGRAD_EXAMPLES_SMALL") == "1"  # set by the test suite

task = get_task("spacetime")
X, labels, level = make_task_data(task, n_samples=800 if SMALL else 3000, random_state=0)

interp = GradientSymbolicInterpreter(random_state=0)
if SMALL:
    interp.set_params(net__max_epochs=20, regressor__max_time=10)
interp.fit(X, labels)

print(interp.summary())
print()
print("recovered formula:", interp.sympy())
check = recovered(interp.sympy(), task.expression, task.domain, level=level)
print(
    f"matches {task.concept} on its decision surface: {check.recovered} "
    f"(99th percentile of 1-|cos| = {check.quantile_error:.1e})"
)
print(
    f"network accuracy {interp.net_.score(X.to_numpy(), labels):.3f}, "
    f"1-D surrogate on the formula {(interp.predict(X) == labels).mean():.3f}"
)
