"""Pareto front (complexity vs loss), PySR scores and equation selection."""

import numpy as np
import pandas as pd

__all__ = [
    "LOSS_FLOOR",
    "KNEE_FRACTION",
    "pareto_front",
    "nondominated",
    "add_scores",
    "select_equation",
    "select_allowed",
]

#: ``'knee'`` selection: a formula counts as a real step down the front when
#: its score is at least this fraction of the largest score.
KNEE_FRACTION = 0.25

#: Losses below this are numerical noise: exact fits all tie here, so the
#: simplest exact fit wins.
LOSS_FLOOR = 1e-15


def pareto_front(complexities, losses):
    """Indices of the Pareto-optimal entries, by increasing complexity.

    An entry is kept when no entry of lower or equal complexity has a lower
    (floored) loss.
    """
    losses = np.maximum(np.asarray(losses, dtype=float), LOSS_FLOOR)
    order = np.lexsort((losses, np.asarray(complexities)))
    keep, best = [], np.inf
    for i in order:
        if losses[i] < best * (1 - 1e-9) or (not keep and np.isfinite(losses[i])):
            if keep and complexities[keep[-1]] == complexities[i]:
                continue
            keep.append(int(i))
            best = losses[i]
    return keep


def nondominated(*criteria):
    """Indices of the entries no other entry beats on every criterion (no worse on all, better on one).

    Examples
    --------
    >>> nondominated([10, 11, 12], [1, 0, 0], [0, 0, 1])  # nodes, free constants, label errors
    [0, 1]
    """
    values = np.column_stack([np.asarray(c, dtype=float) for c in criteria])
    keep = []
    for i, row in enumerate(values):
        beaten = np.all(values <= row, axis=1) & np.any(values < row, axis=1)
        if not beaten.any():
            keep.append(i)
    return keep


def add_scores(equations):
    """PySR's score: ``-d log(loss) / d complexity`` along the front."""
    if len(equations) == 0:
        return equations.assign(score=[])
    eq = equations.sort_values("complexity").reset_index(drop=True)
    loss = np.maximum(eq["loss"].to_numpy(dtype=float), LOSS_FLOOR)
    comp = eq["complexity"].to_numpy(dtype=float)
    score = np.zeros(len(eq))
    if len(eq) > 1:
        score[1:] = -np.diff(np.log(loss)) / np.maximum(np.diff(comp), 1)
    eq["score"] = score
    return eq


def select_equation(equations, model_selection="best", window=1.5):
    """Index (row label) of the selected equation.

    Parameters
    ----------
    equations : pandas.DataFrame
        With columns ``complexity``, ``loss`` and ``score``.
    model_selection : {'best', 'knee', 'accuracy', 'score'}, default='best'
        ``'accuracy'``: lowest loss. ``'score'``: highest score.
        ``'best'`` (PySR): highest score among equations whose loss is within
        ``window`` times the lowest. ``'knee'``: among those, the most complex
        one whose score is at least :data:`KNEE_FRACTION` of the highest --
        the last real step down the front, after which extra complexity buys
        only small gains (fitting a network's artifacts). It keeps the clean
        formula when a simpler look-alike scores higher but leaves most of the
        concept out.
    window : float, default=1.5
        PySR uses 1.5. Gradients of a trained network carry systematic
        errors that complex formulas learn to fit, so the regressor widens it
        (see ``SymbolicGradientRegressor.selection_window``).

    Examples
    --------
    >>> import pandas as pd
    >>> eq = pd.DataFrame({"complexity": [1, 3, 5], "loss": [0.5, 1e-3, 9e-4],
    ...                    "score": [0.0, 3.1, 0.05]})
    >>> int(select_equation(eq, "best")), int(select_equation(eq, "accuracy"))
    (1, 2)
    """
    if len(equations) == 0:
        raise ValueError("no equation to select from")
    loss = np.maximum(equations["loss"].astype(float), LOSS_FLOOR)
    if model_selection == "accuracy":
        return loss.idxmin()
    if model_selection == "score":
        return equations["score"].idxmax()
    ok = loss <= window * loss.min()
    if model_selection == "best":
        return equations.loc[ok, "score"].idxmax()
    if model_selection == "knee":
        scores = equations.loc[ok, "score"]
        steps = scores[scores >= KNEE_FRACTION * scores.max()]
        if steps.empty:  # every score negative: rows off the loss front (kept for another reason)
            return loss[ok].idxmin()
        return equations.loc[steps.index, "complexity"].idxmax()
    raise ValueError(f"model_selection must be 'best', 'knee', 'accuracy' or 'score', got {model_selection!r}")


def select_allowed(equations, allowed, model_selection="best", window=1.5):
    """:func:`select_equation` among the ``allowed`` rows, reading the steps of the loss front.

    ``equations`` may hold rows off the front of complexity against loss
    (kept for another reason, e.g. the labels); the PySR-style rules score
    the steps of the loss front alone, then choose among its allowed rows
    (among all allowed rows when none of the front's is).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> eq = pd.DataFrame({"complexity": [1, 3, 5, 7], "loss": [0.5, 1e-3, 2e-3, 9e-4]})
    >>> int(select_allowed(eq, np.array([True, False, True, True]), "best"))
    3
    """
    on_front = equations.iloc[pareto_front(equations["complexity"].to_numpy(), equations["loss"].to_numpy())]
    steps = add_scores(on_front).set_index(on_front.index)  # same order: by complexity
    steps = steps[allowed[steps.index]]
    if len(steps) == 0:
        steps = equations[allowed]
    return select_equation(steps, model_selection, window)


def equations_frame(rows):
    """DataFrame of the front from dicts with complexity, loss, equation, ..."""
    df = pd.DataFrame(rows)
    return add_scores(df)
