"""Every unit of a hidden layer, interpreted on a dask cluster.

The searches of a whole layer are independent; the interpreter sends them
through joblib, so ``joblib.parallel_backend("dask")`` spreads them over a
``dask.distributed`` cluster without other changes. Here the cluster is a
local one with two single-threaded workers; point ``Client`` at a scheduler's
address to use a real one. Needs ``pip install "sksymgrad[distributed]"``.

Run ``python examples/dask_layer.py``.
"""

import os

import joblib
from dask.distributed import Client, LocalCluster

from sksymgrad import GradientSymbolicInterpreter
from sksymgrad.benchmarks import make_task_data
from sksymgrad.networks import MLPNet

SMALL = os.environ.get("SKSYMGRAD_EXAMPLES_SMALL") == "1"  # set by the test suite

if __name__ == "__main__":  # the workers are processes: guard the main script
    X, y, _ = make_task_data("gravity", n_samples=1000 if SMALL else 3000, random_state=0)
    width = 8 if SMALL else 64
    interp = GradientSymbolicInterpreter(net=MLPNet(hidden_units=(width, width)), n_networks=1, random_state=0)
    interp.set_params(regressor__max_time=5 if SMALL else 20)
    if SMALL:
        interp.set_params(net__max_epochs=30)
    interp.fit(X, y)  # trains the network and interprets its output

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster), joblib.parallel_backend("dask"):
            interp.interpret("hidden.1")  # every unit of the first hidden layer, searched on the workers

    table = interp.neuron_table()
    print(table.to_string(index=False, max_colwidth=70))
