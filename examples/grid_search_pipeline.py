"""Grid search over interpretation hyperparameters inside a Pipeline.

``GridSearchCV`` tunes the network (``net__...``) and the search
(``regressor__...``) of a GradientSymbolicInterpreter like any estimator; its
``score`` is how much of the neuron's behaviour a monotone function of the
formula explains on held-out folds.
"""

import os

import pandas as pd
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from sksymgrad import GradientSymbolicInterpreter
from sksymgrad.benchmarks import make_task_data

SMALL = os.environ.get("SKSYMGRAD_EXAMPLES_SMALL") == "1"

X, y, _ = make_task_data("circle", n_samples=600 if SMALL else 1500, random_state=0)
pipe = Pipeline(
    [
        # Any feature-preserving preprocessing can come first; names flow through.
        ("identity", FunctionTransformer(feature_names_out="one-to-one")),
        ("interp", GradientSymbolicInterpreter(n_points=500, random_state=0)),
    ]
)
grid = {
    "interp__regressor__maxsize": [8, 16],
    "interp__net__hidden_units": [(16,), (64, 64)],
}
if SMALL:
    pipe.set_params(interp__net__max_epochs=20, interp__regressor__max_time=5, interp__regressor__niterations=5)
search = GridSearchCV(pipe, grid, cv=2).fit(X, y)

results = pd.DataFrame(search.cv_results_)[["params", "mean_test_score"]]
print(results.to_string(index=False))
print("best:", search.best_params_)
print("formula of the refitted best model:", search.best_estimator_[-1].sympy())
