"""A real dataset: which closed-form combination does a breast-cancer classifier use?

scikit-learn's Wisconsin breast-cancer data has 30 features. We keep the six
"worst" ones a pathologist reads first, train the default network, and ask
for the formula behind its decision. Then we compare the network's accuracy
with a 1-D threshold on the formula alone (``predict``), on held-out data.
"""

import os

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from sksymgrad import GradientSymbolicInterpreter

SMALL = os.environ.get("SKSYMGRAD_EXAMPLES_SMALL") == "1"

data = load_breast_cancer(as_frame=True)
columns = [
    "worst radius",
    "worst texture",
    "worst smoothness",
    "worst concavity",
    "worst concave points",
    "worst symmetry",
]
X = data.frame[columns].rename(columns=lambda c: c.replace("worst ", "").replace(" ", "_"))
y = data.target
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)

interp = GradientSymbolicInterpreter(random_state=0)
interp.set_params(regressor__max_time=10 if SMALL else 60, regressor__max_terms=4)
if SMALL:
    interp.set_params(net__max_epochs=20)
interp.fit(X_train, y_train)

print(interp.summary())
print()
print("formula:", interp.sympy())
print(f"network accuracy on held-out data:       {interp.net_.score(X_test.to_numpy(), y_test):.3f}")
print(f"threshold on the formula alone:          {(interp.predict(X_test) == y_test).mean():.3f}")
print(f"neuron variation explained (isotonic R2): {interp.score(X_test):.3f}")
