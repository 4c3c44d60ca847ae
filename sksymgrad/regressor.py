"""SymbolicGradientRegressor: scikit-learn face of the search engine."""

import sys
import time
import warnings
from dataclasses import replace

import numpy as np
import sympy
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .export import expression_gradients, expression_values, to_latex
from .search.engine import (
    SearchSettings,
    front_from_candidates,
    label_candidates,
    multiplied_candidates,
    operator_table,
    run_search,
)
from .search.expressions import evaluate
from .search.labels import LabelledPoints, binary_labels, significantly_worse
from .search.losses import direction_loss, direction_targets, pointwise_direction_loss
from .search.operators import (
    DEFAULT_BINARY_OPERATORS,
    DEFAULT_UNARY_OPERATORS,
    resolve_operators,
)
from .search.pareto import select_allowed
from .search.selection import (
    NOISE_TOLERANCE,
    acceptable,
    description_length,
    member_losses,
    network_disagreement,
    noise_angle,
    pairwise_member_losses,
    round_with_members,
    select_by_members,
    selection_frequencies,
)
from .search.simplify import constant_digits
from .search.structure import reduce_by_symmetries, substitute
from .utils.validation import (
    ParamErrors,
    check_constant_columns,
    check_dependent_columns,
    check_feature_frame,
    check_finite_columns,
    symbol_names,
)

__all__ = ["SymbolicGradientRegressor"]

_STRATEGIES = ("linear", "ratio", "evolution", "labels")
_SELECTIONS = ("auto", "members", "best", "knee", "accuracy", "score")


class SymbolicGradientRegressor(RegressorMixin, BaseEstimator):
    """Closed-form expressions whose gradient directions match target gradients.

    ``fit(X, G)`` with ``G`` of shape (n_samples, n_features) searches for
    ``h(x)`` minimising ``mean_i (1 - |cos(grad h(x_i), G_i)|)``: the concept
    behind a neuron, whatever monotone function the neuron wraps around it.
    ``fit(X, y)`` with ``y`` of shape (n_samples,) does ordinary symbolic
    regression (``1 - R^2`` after the best affine rescaling), e.g. as a
    baseline.

    The search runs a linear-in-parameters path first (term libraries in
    complexity tiers, coefficients from a reweighted eigenproblem, every pair
    of terms scored, beam search, rounding to simple numbers), then, if no
    exact fit was found, an evolutionary search over expression trees. Both
    feed one Pareto front of complexity against loss.

    Parameters
    ----------
    binary_operators : sequence of str or Operator, default=None
        ``None`` means ``("+", "-", "*", "/")``.
    unary_operators : sequence of str or Operator, default=None
        ``None`` means ``("square", "cube", "sqrt", "exp", "log", "sin",
        "cos", "inv", "neg")``.
    maxsize : int, default=20
        Largest complexity (node count) the evolutionary search builds.
    max_terms : int, default=6
        Most terms of a linear-in-parameters candidate.
    max_degree : int or 'auto', default='auto'
        Highest degree of the polynomial terms in the linear library.
        ``'auto'``: 4 in problems of up to four features (a quartic
        potential, ``(x**2 + y**2)**2``), 3 above, where the quartic terms
        would outnumber the rest of the library.
    strategies : tuple of str, default=("linear", "ratio", "evolution", "labels")
        Which strategies run, fastest first; each later one only runs when
        the earlier ones found no fit below ``early_stop_loss``. ``'ratio'``
        (gradient objective, up to five features): ``A / B`` with ``A`` a sum
        of library terms and ``B`` a term or a sum or difference of two.
        ``'labels'`` (runs only with ``labels`` in ``fit``): an
        evolution from the front that scores trees by the labels they
        misclassify (:func:`~sksymgrad.search.engine.label_candidates`); it
        finds concepts the networks' directions hide (docs/method.md, "What
        the labels know").
    niterations : int, default=20
        Generations of the evolutionary search.
    populations : int, default=4
        Number of islands.
    population_size : int, default=40
    parsimony : float, default=0.02
        Per-node penalty added to ``log(loss)`` in tournaments.
    model_selection : {'auto', 'members', 'best', 'knee', 'accuracy', 'score'}, default='auto'
        How :attr:`best_index_` is chosen from the front. ``'members'``
        (needs ``member_gradients`` in ``fit``): the simplest formula within
        the members' noise: its mean loss against them is at most
        ``noise_tolerance`` times the loss between two members, or a
        one-sided paired t-test at level ``selection_alpha`` does not find it
        worse than the best formula (see :mod:`sksymgrad.search.selection`);
        coefficients are rounded only where that t-test allows. With labels
        (``label_points`` in ``fit``), a simpler formula that misclassifies no
        more of them replaces that choice when its loss exceeds the choice's
        by no more than the networks' noise at the 1 % level
        (``LABELLED_NOISE_TOLERANCE``, 6, times that loss): the members share
        part of their error, the labels do not. ``'auto'``: ``'members'``
        when member gradients are given, else ``'best'``. The others are
        PySR's rules and ``'knee'`` (see
        :func:`~sksymgrad.search.pareto.select_equation`).
    selection_window : float, default=1.5
        ``'best'`` and ``'knee'`` choose among equations whose loss is within
        this factor of the lowest (PySR's 1.5).
    selection_alpha : float, default=0.05
        Level of the members' test (``'members'`` selection): a formula
        beyond ``noise_tolerance`` is rejected when the members find it worse
        than the best at this level.
    noise_tolerance : float, default=4.0
        ``'members'`` selection: a formula whose mean loss against the
        members is at most this many times the loss between two members is
        within the networks' noise. The default is calibrated on the AI
        Feynman suite (the 95th percentile of the true formulas' ratio; see
        ``docs/method.md``).
    early_stop_loss : float, default=1e-12
        Stop as soon as a candidate's loss is below this.
    rounding_rtol : float, default=None
        Relative loss increase allowed when rounding coefficients to simple
        numbers; ``None`` means ``3 * n_terms / n_eff`` (what noise explains).
    trim_fraction : float, default=0.0
        Fraction of the worst-fitting points each candidate may leave out of
        its loss (a trimmed mean). Gradients of a trained network have
        heavy-tailed errors; trimming a tenth of the points keeps a few bad
        ones from steering the coefficients.
    gradient_rtol : float, default=1e-3
        Target gradients with a norm below ``gradient_rtol`` times the median
        norm carry no direction and are left out (the count is in
        :attr:`n_points_dropped_`).
    sign : {'point', 'global'}, default='point'
        ``'point'``: the loss ignores the sign of each gradient; ``'global'``:
        one sign for all points.
    structure : bool, default=True
        Also search the problem reduced by the direction field's symmetries
        (gradient objective): when the gradients are orthogonal to a scaling
        or translation generator everywhere, the concept depends on its
        variables only through invariant combinations (``v/c``,
        ``x2 - x1``), and a second search runs in those (see
        :mod:`sksymgrad.search.structure`). Its formulas join the same front.
        The reduction stops at two variables: a symmetry that would leave
        one (the least certain, found last) adds its combination as a formula.
    symmetry_tol : float or 'auto', default='auto'
        Largest residual (an angle) of an accepted symmetry. ``'auto'``:
        with ``member_gradients``, ``sqrt(2 * noise_tolerance * tau)``, the
        angle at which the selection stops accepting a formula (``tau``:
        the members' disagreement, see ``noise_level_``), with the loss's
        ``trim_fraction`` of points left out of the test; else 1e-5 (exact
        gradients).
    max_time : float, default=60
        Wall-clock cap in seconds (for each of the full and the reduced
        search). When it is hit the result depends on the machine's speed;
        budgets in ``niterations`` are reproducible.
    random_state : int, RandomState instance or None, default=None
    n_jobs : int, default=1
        Processes for the evolutionary islands (joblib).
    verbose : int, default=0
        Show a progress bar with the current best loss.

    Attributes
    ----------
    equations_ : pandas.DataFrame
        The Pareto front: ``complexity, loss, score, equation, sympy_format,
        source``; with member gradients also ``member_loss`` (mean loss
        against the members) and ``stability`` (how often resampled members
        select the row); with labels also ``label_errors`` and
        ``description_length`` (see ``fit``).
    best_index_ : int
        Row of :attr:`equations_` chosen by ``model_selection``.
    expression_ : sympy.Expr
        The selected expression.
    objective_ : str
        ``'gradient'`` or ``'value'``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.
    symbols_ : list of sympy.Symbol
        One real symbol per feature, named after the columns (names with
        spaces or symbols made identifiers, see :attr:`symbol_columns_`).
    symbol_columns_ : dict
        ``{symbol name: column name}`` for the columns whose symbol differs.
    feature_scale_ : ndarray of shape (n_features,)
        Standard deviation of each feature: gradient components are compared
        after multiplying by it (directions in the unit-free frame), so the
        formula does not depend on the columns' units. Formulas and their
        coefficients stay in raw units.
    n_points_used_ : int
    n_points_dropped_ : int
        Points whose target gradient was degenerate.
    timed_out_ : bool
        Whether ``max_time`` stopped a search before it finished (a
        ``ConvergenceWarning`` says so).
    reduction_ : Reduction or None
        The variables the symmetries of the direction field reduced the
        problem to (``structure=True``; two at least, where it had more),
        or ``None`` when none was found.
    history_ : list of dict
        Per strategy: seconds and best loss.
    noise_level_ : float
        ``'members'`` selection only: ``tau``, the mean loss between two
        members (mean ``1 - |cos|`` of one network's directions against
        another's), the scale below which a formula fits the networks' noise.
    member_losses_ : ndarray of shape (n_equations, n_members)
        ``'members'`` selection only: each formula's loss against each member.

    See Also
    --------
    GradientSymbolicInterpreter : trains a network and interprets its neurons.

    Examples
    --------
    >>> import numpy as np
    >>> from sksymgrad import SymbolicGradientRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(200, 2))
    >>> G = 2 * X  # gradient of x0**2 + x1**2
    >>> reg = SymbolicGradientRegressor(max_time=10, random_state=0).fit(X, G)
    >>> reg.sympy()
    x0**2 + x1**2
    """

    def __init__(
        self,
        *,
        binary_operators=None,
        unary_operators=None,
        maxsize=20,
        max_terms=6,
        max_degree="auto",
        strategies=_STRATEGIES,
        niterations=20,
        populations=4,
        population_size=40,
        parsimony=0.02,
        model_selection="auto",
        selection_window=1.5,
        selection_alpha=0.05,
        noise_tolerance=NOISE_TOLERANCE,
        early_stop_loss=1e-12,
        rounding_rtol=None,
        trim_fraction=0.0,
        gradient_rtol=1e-3,
        sign="point",
        structure=True,
        symmetry_tol="auto",
        max_time=60,
        random_state=None,
        n_jobs=1,
        verbose=0,
    ):
        self.binary_operators = binary_operators
        self.unary_operators = unary_operators
        self.maxsize = maxsize
        self.max_terms = max_terms
        self.max_degree = max_degree
        self.strategies = strategies
        self.niterations = niterations
        self.populations = populations
        self.population_size = population_size
        self.parsimony = parsimony
        self.model_selection = model_selection
        self.selection_window = selection_window
        self.selection_alpha = selection_alpha
        self.noise_tolerance = noise_tolerance
        self.early_stop_loss = early_stop_loss
        self.rounding_rtol = rounding_rtol
        self.trim_fraction = trim_fraction
        self.gradient_rtol = gradient_rtol
        self.sign = sign
        self.structure = structure
        self.symmetry_tol = symmetry_tol
        self.max_time = max_time
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _validate_params(self):
        errors = ParamErrors(type(self).__name__)
        for name in ("maxsize", "max_terms", "niterations", "populations", "population_size"):
            errors.check_int(name, getattr(self, name))
        errors.check(
            self.max_degree == "auto"
            or (isinstance(self.max_degree, (int, np.integer)) and not isinstance(self.max_degree, bool))
            and self.max_degree >= 2,
            f"max_degree must be 'auto' or an integer >= 2, got {self.max_degree!r}",
        )
        errors.check(
            self.model_selection in _SELECTIONS,
            f"model_selection must be one of {_SELECTIONS}, got {self.model_selection!r}",
        )
        errors.check(
            isinstance(self.noise_tolerance, (int, float)) and self.noise_tolerance >= 0,
            f"noise_tolerance must be a number >= 0, got {self.noise_tolerance!r}",
        )
        errors.check(
            isinstance(self.selection_alpha, (int, float)) and 0 < self.selection_alpha < 1,
            f"selection_alpha must be a number in (0, 1), got {self.selection_alpha!r}",
        )
        errors.check(self.sign in ("point", "global"), f"sign must be 'point' or 'global', got {self.sign!r}")
        errors.check(
            self.symmetry_tol == "auto" or (isinstance(self.symmetry_tol, (int, float)) and self.symmetry_tol >= 0),
            f"symmetry_tol must be 'auto' or a number >= 0, got {self.symmetry_tol!r}",
        )
        strategies = (self.strategies,) if isinstance(self.strategies, str) else tuple(self.strategies)
        unknown = [s for s in strategies if s not in _STRATEGIES]
        errors.check(
            not unknown and strategies,
            f"strategies must be a non-empty subset of {_STRATEGIES}, got {self.strategies!r}",
        )
        errors.check(
            isinstance(self.selection_window, (int, float)) and self.selection_window >= 1,
            f"selection_window must be a number >= 1, got {self.selection_window!r}",
        )
        errors.check(
            isinstance(self.trim_fraction, (int, float)) and 0 <= self.trim_fraction < 0.5,
            f"trim_fraction must be a number in [0, 0.5), got {self.trim_fraction!r}",
        )
        for name in ("parsimony", "early_stop_loss", "gradient_rtol"):
            value = getattr(self, name)
            errors.check(isinstance(value, (int, float)) and value >= 0, f"{name} must be a number >= 0, got {value!r}")
        errors.check(
            self.max_time is None or (isinstance(self.max_time, (int, float)) and self.max_time > 0),
            f"max_time must be a positive number of seconds or None, got {self.max_time!r}",
        )
        errors.check(
            self.rounding_rtol is None or (isinstance(self.rounding_rtol, (int, float)) and self.rounding_rtol >= 0),
            f"rounding_rtol must be None or a number >= 0, got {self.rounding_rtol!r}",
        )
        binary = unary = ()
        try:
            binary = resolve_operators(
                DEFAULT_BINARY_OPERATORS if self.binary_operators is None else self.binary_operators, 2
            )
        except ValueError as exc:
            errors.messages.append(str(exc))
        try:
            unary = resolve_operators(
                DEFAULT_UNARY_OPERATORS if self.unary_operators is None else self.unary_operators, 1
            )
        except ValueError as exc:
            errors.messages.append(str(exc))
        errors.raise_if_any()
        return SearchSettings(
            binary_ops=binary,
            unary_ops=unary,
            maxsize=self.maxsize,
            max_terms=self.max_terms,
            max_degree=self.max_degree,
            strategies=strategies,
            niterations=self.niterations,
            populations=self.populations,
            population_size=self.population_size,
            parsimony=self.parsimony,
            early_stop_loss=self.early_stop_loss,
            rounding_rtol=self.rounding_rtol,
            trim=self.trim_fraction,
            max_time=self.max_time,
            n_jobs=self.n_jobs,
            sign=self.sign,
        )

    def fit(self, X, y, sample_weight=None, member_gradients=None, label_points=None, labels=None):
        """Search expressions for gradient directions ``y`` (n, d) or values ``y`` (n,).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points; DataFrame column names become the formula's symbols.
        y : array-like of shape (n_samples, n_features) or (n_samples,)
            Target gradients (direction objective) or values (value objective).
        sample_weight : array-like of shape (n_samples,), default=None
            Relative importance of the points.
        member_gradients : array-like of shape (n_members, n_samples, n_features), default=None
            Several independent measurements of the target gradients, e.g.
            one per network of an ensemble (``y`` is then typically their
            combined direction, see
            :func:`~sksymgrad.search.selection.combine_member_directions`).
            Their disagreement calibrates selection and rounding
            (``model_selection='members'``).
        label_points : array-like of shape (n_labelled, n_features), default=None
            Points with two-class ``labels`` that the concept's level sets
            separate, e.g. the training data of the binary classifier whose
            decision function ``y`` is the gradient of (gradient objective
            only). Each formula is read as a classifier at its best
            threshold: the front also keeps formulas that misclassify fewer
            of them than every simpler one, constants are refitted to them,
            a formula that misclassifies significantly more of them than
            the best one is not selected (see :mod:`sksymgrad.search.labels`),
            and among the formulas within the members' noise the one with the
            shortest description wins (its nodes' bits plus the bits that name
            the points it misclassifies, see
            :func:`~sksymgrad.search.selection.description_length`).
            :attr:`equations_` gains the count, ``label_errors``, and the
            bits, ``description_length``.
        labels : array-like of shape (n_labelled,), default=None
            The two classes of ``label_points``.

        Returns
        -------
        self
        """
        # Overflow or 0/0 inside a candidate makes its loss infinite; it is never the user's concern.
        with np.errstate(all="ignore"):
            return self._fit(X, y, sample_weight, member_gradients, label_points, labels)

    def _fit(self, X, y, sample_weight, member_gradients, label_points=None, labels=None):
        settings = self._validate_params()
        check_feature_frame(X)
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64, ensure_all_finite=False)
        names = getattr(self, "feature_names_in_", None)
        check_finite_columns(X, names)
        if X.shape[0] < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 samples, got 1 sample.")
        check_constant_columns(X, names)
        check_dependent_columns(X, names)
        y = np.asarray(y, dtype=float)
        d = X.shape[1]
        if y.ndim == 2 and y.shape[1] == 1:
            # With one feature a gradient's direction is only a sign: values are meant.
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; it is treated as values "
                "(value objective). Pass gradients as an array of shape (n_samples, n_features).",
                DataConversionWarning,
                stacklevel=2,
            )
            y = y.ravel()
        if y.ndim == 2 and y.shape[1] != d:
            raise ValueError(
                f"y has shape {y.shape}: pass target gradients of shape (n_samples, {d}) for the "
                f"gradient-direction objective, or values of shape (n_samples,) for value regression."
            )
        w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if w.shape != (len(X),) or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"sample_weight must be {len(X)} finite non-negative numbers, got shape {w.shape}")
        if w.sum() <= 0:
            raise ValueError("sample_weight values are all zero: at least one point must carry weight")

        members = self._validate_members(member_gradients, X.shape, y.ndim)
        label_data = self._validate_labels(label_points, labels, d, y.ndim)
        columns = [str(n) for n in names] if names is not None else [f"x{j}" for j in range(d)]
        self.symbols_ = [sympy.Symbol(n, real=True) for n in symbol_names(columns)]
        self.symbol_columns_ = {s.name: c for s, c in zip(self.symbols_, columns) if s.name != c}
        self.objective_ = "gradient" if y.ndim == 2 else "value"
        # Directions are compared in the unit-free frame: each gradient component
        # times its feature's spread, so a column's units do not decide its weight.
        self.feature_scale_ = X.std(axis=0)
        if self.objective_ == "gradient":
            settings.scale = self.feature_scale_
            mask, target = direction_targets(y * self.feature_scale_, rtol=self.gradient_rtol)
            if members is not None:
                members = members * self.feature_scale_
            Xs, ws = X[mask], w[mask]
            if ws.sum() <= 0:
                raise ValueError("every point with a usable gradient has sample_weight 0")
        else:
            mask, target, Xs, ws = np.ones(len(X), bool), y, X, w
        members_used = None if members is None else members[:, mask]
        # The members' disagreement is the noise unit of both the structure tests and the selection.
        pairwise = None
        if members_used is not None:
            pairwise = pairwise_member_losses(members_used, ws / ws.sum(), self.trim_fraction, self.sign)
        self.n_points_used_ = int(mask.sum())
        self.n_points_dropped_ = int((~mask).sum())

        ops = operator_table(settings)
        labelled = None if label_data is None else LabelledPoints(*label_data, ops)
        bar = None
        if self.verbose:
            from tqdm.auto import tqdm

            bar = tqdm(total=None, desc="symbolic search", file=sys.stderr, bar_format="{desc}: {postfix} [{elapsed}]")
        progress = (lambda msg: (bar.set_postfix_str(msg), bar.update(0))) if bar is not None else None
        seed = check_random_state(self.random_state).randint(2**31)
        try:
            front, self.history_ = run_search(
                Xs, target, ws, self.objective_, ops, settings, self.symbols_, seed, progress, labelled
            )
        finally:
            if bar is not None:
                bar.close()
        self.reduction_ = None
        solved = len(front) > 0 and front["loss"].min() < settings.early_stop_loss
        if self.structure and self.objective_ == "gradient" and d > 1 and not solved:
            front = self._search_reduced(front, Xs, target, ws, pairwise, ops, settings, seed, progress, labelled)
        if "labels" in settings.strategies and labelled is not None and not solved and len(front):
            front = self._search_labels(front, Xs, target, ws, ops, settings, seed, progress, labelled)
        if len(front) == 0:
            raise ValueError(
                "the search found no valid expression (every candidate was undefined on these points). "
                "Allow more operators, or check the data."
            )
        selection = self.model_selection
        if selection == "auto":
            selection = "members" if members is not None else "best"
        if selection == "members":
            if members is None:
                raise ValueError(
                    "model_selection='members' needs member_gradients of shape (n_members >= 2, n_samples, "
                    "n_features) in fit; pass them or choose another model_selection."
                )
            # a node of a formula is one of these symbols: the unit of its description length
            n_symbols = len(settings.binary_ops) + len(settings.unary_ops) + Xs.shape[1] + 1
            front = self._select_with_members(front, Xs, target, ws, members_used, pairwise, ops, labelled, n_symbols)
        else:
            self.equations_ = front.drop(columns=["tree"]).reset_index(drop=True)
            # rows the labels added are off the loss front whose steps these rules read
            allowed = ~self._label_check(front, labelled)
            self.best_index_ = int(select_allowed(self.equations_, allowed, selection, self.selection_window))
        self.expression_ = self.equations_.loc[self.best_index_, "sympy_format"]
        self.timed_out_ = any(h.get("timed_out", False) for h in self.history_)
        if self.timed_out_ and self.equations_["loss"].min() >= settings.early_stop_loss:
            warnings.warn(
                f"the search stopped at max_time={self.max_time:g} s before it finished; longer formulas may be "
                "missing from the front. Raise max_time (or lower niterations) for a complete search.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _search_reduced(self, front, X, target, weights, pairwise, ops, settings, seed, progress, labelled=None):
        """Add the formulas of the search in the symmetries' invariant variables to ``front``."""
        scale = self.feature_scale_  # the target is in the unit-free frame; symmetries need raw units
        tol = self.symmetry_tol
        if tol == "auto":
            tol = 1e-5 if pairwise is None else noise_angle(network_disagreement(pairwise), self.noise_tolerance)
        # The search runs on two variables at least. The symmetry that would leave one is the least certain
        # (applied last, at the largest residual; through networks often a false one): its combination joins
        # the front as a formula, and the two-variable search, which finds a function of one combination
        # itself when it is the concept, still runs.
        steps = max(X.shape[1] - 2, 1)
        reduction, Y, GY, _ = reduce_by_symmetries(X, target / scale, tol, max_steps=steps, trim=self.trim_fraction)
        self.reduction_ = reduction
        if reduction is None:
            return front
        if Y.shape[1] == 1:  # two variables to start with
            trees = [reduction.columns[0]]  # the concept is a function of this one combination
        else:
            trees = []
            if Y.shape[1] == 2:
                last, _, _, _ = reduce_by_symmetries(Y, GY, tol, max_steps=1, trim=self.trim_fraction)
                if last is not None:
                    trees.append(substitute(last.columns[0], reduction.columns))
            scale_y = Y.std(axis=0)
            mask, target_y = direction_targets(GY * scale_y, rtol=self.gradient_rtol, warn_fraction=1.0)
            symbols = [sympy.Symbol(f"_y{k}", real=True) for k in range(Y.shape[1])]
            labelled_y = None if labelled is None else labelled.in_variables(reduction.columns)
            reduced, history = run_search(
                Y[mask],
                target_y,
                weights[mask],
                "gradient",
                ops,
                replace(settings, scale=scale_y, ratio_terms=True),
                symbols,
                seed,
                progress,
                labelled_y,
            )
            self.history_ += [dict(h, strategy=f"reduced/{h['strategy']}") for h in history]
            trees += [substitute(tree, reduction.columns) for tree in reduced["tree"]]
        return self._joined(front, trees, "structure", X, target, weights, ops, labelled)[0]

    def _search_labels(self, front, X, target, weights, ops, settings, seed, progress, labelled):
        """Add what the labels propose to ``front``: the label-driven evolution's formulas, seeded with
        ``front``, then the front's formulas times the factors the labels pick."""
        if progress is not None:
            progress("evolution on the labels")
        t0 = time.monotonic()
        deadline = None if self.max_time is None else t0 + self.max_time
        trees = label_candidates(list(front["tree"]), labelled, ops, settings, seed, deadline)
        timed_out = deadline is not None and time.monotonic() > deadline
        front, best = self._joined(front, trees, "labels", X, target, weights, ops, labelled)
        self.history_.append(
            {"strategy": "labels", "seconds": time.monotonic() - t0, "best_loss": best, "timed_out": timed_out}
        )
        t0 = time.monotonic()
        trees = multiplied_candidates(list(front["tree"]), X, labelled, ops, settings)
        front, best = self._joined(front, trees, "factor", X, target, weights, ops, labelled, count_constants=True)
        self.history_.append({"strategy": "label factors", "seconds": time.monotonic() - t0, "best_loss": best})
        return front

    def _joined(self, front, trees, source, X, target, weights, ops, labelled, count_constants=False):
        """``front`` rebuilt with ``trees`` among its candidates, and the trees' best direction loss."""
        losses = self._direction_losses(trees, X, target, weights, ops)
        candidates = list(zip(front["tree"], front["loss"], front["source"]))
        candidates += [(tree, loss, source) for tree, loss in zip(trees, losses)]
        front = front_from_candidates(
            candidates, self.symbols_, ops, "gradient", X, target, weights, labelled, count_constants
        )
        return front, min(losses, default=np.inf)

    def _direction_losses(self, trees, X, target, weights, ops):
        """Direction loss of each tree (in the original features) against ``target``."""
        w = weights / weights.sum()
        return [
            direction_loss(evaluate(tree, X, ops)[1] * self.feature_scale_, target, w, self.sign, self.trim_fraction)
            for tree in trees
        ]

    def _validate_members(self, member_gradients, shape, y_ndim):
        if member_gradients is None or (y_ndim == 1 and shape[1] == 1):
            return None  # one feature: gradients are only signs, the values are fitted (warned above)
        members = np.asarray(member_gradients, dtype=float)
        if y_ndim != 2 or members.ndim != 3 or members.shape[1:] != shape or members.shape[0] < 2:
            raise ValueError(
                f"member_gradients must have shape (n_members >= 2, {shape[0]}, {shape[1]}) and go with "
                f"target gradients y; got shape {members.shape}"
            )
        return members

    def _validate_labels(self, label_points, labels, d, y_ndim):
        """``(points, 0/1 labels)`` for the label check, or ``None``."""
        if label_points is None and labels is None:
            return None
        if label_points is None or labels is None:
            raise ValueError("label_points and labels go together: pass both (or neither).")
        if y_ndim != 2:
            raise ValueError(
                "label_points and labels check the level sets of a gradient search's formulas; with values y "
                "(value objective) fit the labels themselves instead."
            )
        P = np.asarray(label_points, dtype=float)
        if P.ndim != 2 or P.shape[1] != d or not np.all(np.isfinite(P)):
            raise ValueError(f"label_points must be finite, of shape (n_labelled, {d}); got shape {P.shape}")
        y = binary_labels(labels)
        if len(y) != len(P):
            raise ValueError(f"labels has {len(y)} entries for {len(P)} label_points; pass one label per point.")
        return P, y

    def _label_check(self, front, labelled):
        """Rows of ``front`` that misclassify the labels significantly more than the best row does.

        Adds ``label_errors`` to :attr:`equations_`; all False without labels.
        """
        if labelled is None:
            return np.zeros(len(front), dtype=bool)
        wrong = labelled.misclassified(list(front["tree"]))
        self.equations_["label_errors"] = wrong.sum(axis=1)
        return significantly_worse(wrong, self.selection_alpha)

    def _refit_to_labels(self, tree, X, members, weights, ops, labelled, tau):
        """``tree`` with constants refitted to the labels, when either the labels or the members allow it.

        The networks' shared error shifts the constants a gradient fit finds
        (a coefficient of 24 where the labels say 19.6, docs/method.md). The
        refit is taken when the labels find the gradient fit significantly
        worse (a boundary is where the labels change; its normal is the
        decision function's direction there), or when the members cannot
        tell the two apart.
        """
        refit = labelled.refit(tree)
        if refit is tree:
            return tree
        if labelled.significantly_worse([refit, tree], self.selection_alpha)[1]:
            return refit
        trees, trim, scale = [tree, refit], self.trim_fraction, self.feature_scale_
        losses = member_losses(trees, X, members, weights, ops, trim, self.sign, scale)
        return refit if acceptable(losses, self.selection_alpha, tau, self.noise_tolerance)[1] else tree

    def _select_with_members(self, front, X, target, weights, members, pairwise, ops, labelled=None, n_symbols=None):
        """Round, score and select the front's formulas with the members' disagreement."""
        alpha, trim, tol = self.selection_alpha, self.trim_fraction, self.noise_tolerance
        w = weights / weights.sum()
        tau = network_disagreement(pairwise)
        candidates = []
        for tree, source in zip(front["tree"], front["source"]):
            if labelled is not None:
                tree = self._refit_to_labels(tree, X, members, w, ops, labelled, tau)
            tree = round_with_members(tree, X, members, w, ops, trim, alpha, self.feature_scale_, tau, tol, labelled)
            loss = direction_loss(evaluate(tree, X, ops)[1] * self.feature_scale_, target, w, self.sign, trim)
            candidates.append((tree, loss, source))
        # Refitted and rounded, a shorter formula with a constant can beat the concept, which has none, on
        # complexity and loss alike; counting free constants keeps the concept for the description length.
        front = front_from_candidates(
            candidates, self.symbols_, ops, "gradient", X, target, weights, labelled, count_constants=True
        )
        losses = member_losses(list(front["tree"]), X, members, w, ops, trim, self.sign, self.feature_scale_)
        complexity = front["complexity"].to_numpy()
        self.equations_ = front.drop(columns=["tree"]).reset_index(drop=True)
        self.equations_["member_loss"] = losses.mean(axis=1)
        eligible = ~self._label_check(front, labelled)
        labels = {}
        if labelled is not None:
            errors = self.equations_["label_errors"].to_numpy()
            digits = [constant_digits(expr) for expr in self.equations_["sympy_format"]]
            bits = description_length(complexity, digits, errors, len(labelled.labels), n_symbols)
            self.equations_["description_length"] = bits
            labels = {"label_errors": errors, "description_bits": bits}
        self.equations_["stability"] = selection_frequencies(
            complexity, losses, alpha, pairwise, tol, eligible=eligible, **labels
        )
        self.best_index_ = select_by_members(complexity, losses, alpha, tau, tol, eligible, **labels)
        self.noise_level_ = tau
        self.member_losses_ = losses
        self.pairwise_member_losses_ = pairwise
        return front

    def _expr(self, index):
        check_is_fitted(self)
        if index is None:
            return self.expression_
        if index not in self.equations_.index:
            raise IndexError(f"index {index!r} is not a row of equations_ (0..{len(self.equations_) - 1})")
        return self.equations_.loc[index, "sympy_format"]

    def _validate_X(self, X):
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=False)
        check_finite_columns(X, getattr(self, "feature_names_in_", None))
        return X

    def sympy(self, index=None):
        """The selected expression, or row ``index`` of :attr:`equations_`."""
        return self._expr(index)

    def latex(self, index=None, precision=3):
        """LaTeX of the selected expression (floats to ``precision`` digits)."""
        return to_latex(self._expr(index), precision)

    def predict(self, X, index=None):
        """Values ``h(X)`` of the selected expression (or row ``index``)."""
        expr = self._expr(index)
        X = self._validate_X(X)
        return expression_values(expr, self.symbols_, X)

    def score(self, X, y, sample_weight=None):
        """Mean ``|cos|`` between formula and target gradients, or R^2 for values.

        With ``y`` of shape (n_samples, n_features) this is the gradient
        agreement (1 is perfect, 0 orthogonal on average); with ``y`` of shape
        (n_samples,) it is the coefficient of determination of :meth:`predict`.
        """
        check_is_fitted(self)
        y = np.asarray(y, dtype=float)
        if y.ndim == 2 and y.shape[1] == self.n_features_in_ and self.n_features_in_ > 1:
            X = self._validate_X(X)
            grad = expression_gradients(self.expression_, self.symbols_, X) * self.feature_scale_
            mask, N = direction_targets(y * self.feature_scale_, rtol=self.gradient_rtol)
            per_point = 1.0 - pointwise_direction_loss(grad[mask], N, self.sign)
            w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)[mask]
            return float(np.average(per_point, weights=w))
        return super().score(X, y, sample_weight=sample_weight)

    def summary(self):
        """The Pareto front as text, the selected row marked with ``>>>>``."""
        check_is_fitted(self)
        stable = "stability" in self.equations_
        head = f"{'':4} {'complexity':>10} {'loss':>11} {'score':>8}" + (f" {'stability':>9}" if stable else "")
        lines = [head + "  equation"]
        for i, row in self.equations_.iterrows():
            mark = ">>>>" if i == self.best_index_ else ""
            line = f"{mark:4} {row.complexity:>10d} {row.loss:>11.3e} {row.score:>8.3f}"
            lines.append(line + (f" {row.stability:>9.0%}" if stable else "") + f"  {row.equation}")
        if self.symbol_columns_:
            lines.append("symbols: " + ", ".join(f"{s} = column {c!r}" for s, c in self.symbol_columns_.items()))
        return "\n".join(lines)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = False
        return tags
