"""The PySR backend: lazy and loud everywhere, exercised where Julia exists."""

import importlib.util
import shutil
import subprocess
import sys

import numpy as np
import pytest

from sksymgrad.backends import get_backend
from sksymgrad.backends.pysr import PySRGradientRegressor, julia_direction_objective
from sksymgrad.exceptions import BackendUnavailableError

HAVE_PYSR = importlib.util.find_spec("pysr") is not None and shutil.which("julia") is not None


def test_importing_sksymgrad_never_imports_pysr_or_torch_for_the_engine():
    code = (
        "import sys, sksymgrad, sksymgrad.backends.pysr; "
        "assert 'pysr' not in sys.modules; "
        "import sksymgrad.search; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_search_engine_and_regressor_import_without_torch():
    code = (
        "import sys, sksymgrad.search.engine; from sksymgrad import SymbolicGradientRegressor; "
        "assert 'torch' not in sys.modules, 'torch was imported'; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


@pytest.mark.skipif(HAVE_PYSR, reason="PySR and Julia are installed here")
def test_missing_pysr_is_a_clear_error():
    reg = get_backend("pysr")()
    with pytest.raises(BackendUnavailableError, match=r"pip install 'sksymgrad\[pysr\]'.*Julia"):
        reg.fit(np.random.rand(10, 2), np.random.rand(10, 2))
    assert isinstance(BackendUnavailableError("x"), ImportError)


def test_objective_embeds_the_directions_and_the_native_formula():
    N = np.array([[0.6, 0.8], [1.0, 0.0], [0.0, -1.0]])
    src = julia_direction_objective(N)
    # Targets are stored feature-major (d x n) so column i is point i's direction.
    assert "0.6 1.0 0.0;\n    0.8 0.0 -1.0" in src
    assert "eval_grad_tree_array(tree, X, options.operators; variable=true)" in src
    assert "one(L) - min(abs(c) / nrm, one(L))" in src  # 1 - |cos|, as the native loss
    assert "dataset.y[j]" in src  # the row index, never a feature


@pytest.mark.skipif(not HAVE_PYSR, reason="needs PySR and a working Julia (not installable on this machine)")
def test_real_fit_on_circle():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 2))
    reg = PySRGradientRegressor(niterations=20, random_state=0).fit(X, 2 * X)
    assert reg.score(X, 2 * X) > 0.999
