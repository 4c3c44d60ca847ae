"""How results describe themselves."""

import pandas as pd
import sympy

from sksymgrad.results import Interpretation


def _result(stability, noise_level):
    x = sympy.Symbol("x")
    eq = pd.DataFrame({"complexity": [1], "loss": [0.1], "equation": ["x"], "sympy_format": [x], "stability": [1.0]})
    return Interpretation("output", x, eq, 0.1, 1, 100, 100.0, None, 5, stability, noise_level)


def test_confidence_words_follow_stability_and_noise():
    assert "(solid)" in _result(0.95, 0.001).confidence
    assert "a guess" in _result(0.3, 0.001).confidence
    # a choice that is stable only because every formula fits the networks' large disagreement
    assert "weakly determined" in _result(1.0, 0.22).confidence
