import pandas as pd

from sksymgrad.search.pareto import select_equation


def test_knee_on_rows_whose_scores_are_all_negative_takes_the_lowest_loss():
    # rows kept off the loss front (e.g. for their label errors): each fits worse than the one before
    eq = pd.DataFrame({"complexity": [3, 5, 8], "loss": [0.60, 0.65, 0.70], "score": [-0.10, -0.04, -0.02]})
    eq.index = [4, 7, 9]
    assert select_equation(eq, "knee", window=30.0) == 4
    assert select_equation(eq, "best", window=30.0) == 9  # PySR's rule: the highest score in the window
