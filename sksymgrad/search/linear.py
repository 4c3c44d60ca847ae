"""The linear-in-parameters fast path.

For ``h = sum_k c_k t_k(x)`` the gradient is ``G(x) c`` with ``G`` the matrix
of term gradients, and "parallel to the target direction ``n_i``" is the
linear condition ``(I - n_i n_i^T) G(x_i) c = 0``. Minimising the weighted
sum of ``sin^2`` of the angles is the generalised eigenproblem

    min_c  c^T A c / c^T B c,   A = sum_i w_i G_i^T P_i G_i,  B = sum_i w_i G_i^T G_i

re-weighted with ``w_i = 1 / |G_i c|^2`` (floored) so that every point counts
equally. Subsets of terms are scored in batches (every pair, then a beam), the
best of each size polished on all points, and the coefficients rounded to
simple numbers when a test on the loss allows it.
"""

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .expressions import evaluate, evaluate_value
from .losses import trim_weights

__all__ = ["DirectionProblem", "ValueProblem", "beam_search", "fit_batched", "LinearFit", "round_coefficients"]

_FLOOR = 1e-3  # reweighting floor, relative to the median squared gradient norm


def _pointwise_from_sin2(sin2):
    # 1 - cos written without cancellation.
    sin2 = np.clip(sin2, 0.0, 1.0)
    return sin2 / (1.0 + np.sqrt(1.0 - sin2))


def _smallest_generalized_eigvec(Ma, Mt):
    """Batched ``argmin c^T Ma c / c^T Mt c`` for symmetric (P, s, s) stacks."""
    s = Mt.shape[-1]
    trace = np.trace(Mt, axis1=-2, axis2=-1)[:, None, None]
    eye = np.eye(s)[None]
    Mt = Mt + 1e-10 * trace / s * eye + 1e-300 * eye
    try:
        L = np.linalg.cholesky(Mt)
    except np.linalg.LinAlgError:
        if not np.all(np.isfinite(Mt)):
            return np.full(Ma.shape[:2], np.nan)
        vals, vecs = np.linalg.eigh(Mt)
        vals = np.maximum(vals, 1e-12 * np.abs(vals).max(axis=-1, keepdims=True) + 1e-300)
        L = vecs * np.sqrt(vals)[:, None, :]
        L = np.linalg.qr(L.swapaxes(-1, -2))[1].swapaxes(-1, -2)
    try:
        with np.errstate(all="ignore"):
            Linv = np.linalg.inv(L)
            C = Linv @ Ma @ Linv.swapaxes(-1, -2)
            C = 0.5 * (C + C.swapaxes(-1, -2))
            _, vecs = np.linalg.eigh(np.where(np.isfinite(C), C, 0.0))
    except np.linalg.LinAlgError:  # a numerically hopeless batch: its candidates score as invalid
        return np.full(Ma.shape[:2], np.nan)
    c = np.einsum("pts,pt->ps", Linv, vecs[:, :, 0])
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def _weighted_gram(columns, w):
    """``sum_n w[n, P] p[n, P] p[n, P]^T`` (P, s, s) as one batched matmul.

    ``columns`` are the projections ``p`` (n, P, s, k) laid out once as
    (P, s, n*k) (:func:`_projection_columns`); only the weights change
    between the fit's iterations.
    """
    k = columns.shape[-1] // w.shape[0]
    weighted = columns * np.repeat(w.T, k, axis=1)[:, None, :]
    return weighted @ columns.swapaxes(-1, -2)


def _projection_columns(p):
    """Projections ``p`` (n, P, s, k) as (P, s, n*k): per subset, one column per point and direction."""
    n, P, s, k = p.shape
    return np.moveaxis(p, 0, 2).reshape(P, s, n * k)


class DirectionProblem:
    """Term-gradient data for the gradient-direction objective.

    Parameters
    ----------
    T : ndarray of shape (n, d, K)
        Gradients of the K library terms at n points.
    N : ndarray of shape (n, d) or (n, d, k)
        Unit target directions, or an orthonormal basis of a target subspace
        per point (the gradient should lie in it: ``sin^2`` is then the part
        of the gradient outside the subspace).
    weights : ndarray of shape (n,)
        Point weights (normalised to sum 1 internally).
    trim : float, default=0.0
        Fraction of worst-fitting points left out of fit and loss (a trimmed
        mean, robust to a network's heavy-tailed gradient errors).
    """

    def __init__(self, T, N, weights, trim=0.0):
        # Each term's gradients are scaled to unit RMS: the loss does not see a
        # term's scale, and kelvin- or 1e12-sized columns would otherwise make
        # the eigenproblems overflow. Coefficients go in and out in raw units.
        with np.errstate(all="ignore"):
            norms = np.sqrt(np.mean(T * T, axis=(0, 1)))
        self.term_norms = np.where(np.isfinite(norms) & (norms > 0), norms, 1.0)
        self.T = T / self.term_norms
        self.N = N[..., None] if N.ndim == 2 else N  # (n, d, k): a basis of k directions per point
        self.weights = weights / weights.sum()
        self.trim = trim
        self._grams = None

    def fit(self, subsets, rows=None, n_iter=3):
        """Coefficients (P, s) and losses (P,) of a batch of subsets (P, s)."""
        subsets = np.asarray(subsets, dtype=int)
        if rows is not None and self._grams is not None and self._grams[0] is rows:
            _, Gt_pairs, proj_all = self._grams
            K, (P, s) = proj_all.shape[1], subsets.shape
            # one row per (subset, row, column) of the Grams, points along the row: the gather copies whole
            # rows, and the points stay the innermost axis as the sums over them below want
            pairs = (subsets[:, :, None] * K + subsets[:, None, :]).reshape(-1)
            Gt = np.moveaxis(Gt_pairs[pairs].reshape(P, s, s, -1), 3, 0)  # (n, P, s, s)
            p = proj_all[:, subsets]  # (n, P, s, k)
        else:
            T = self.T if rows is None else self.T[rows]
            TS = np.moveaxis(T[:, :, subsets], 1, 3)  # (n, P, s, d)
            Gt = TS @ TS.swapaxes(-1, -2)
            p = np.einsum("ndk,npsd->npsk", self.N if rows is None else self.N[rows], TS)
        n, P, s = Gt.shape[:3]
        # Per-point Grams flattened to (n, P, s*s): every sum over points below is then one batched dot
        # product (np.einsum over a (s, s) pair of output axes is an order of magnitude slower).
        Gt_flat = Gt.reshape(n, P, s * s)
        p_columns = _projection_columns(p)
        w0 = self.weights if rows is None else self.weights[rows]
        w0 = w0 / w0.sum()
        q = np.trace(Gt, axis1=-2, axis2=-1)  # (n, P): start with equal weight per point
        w = np.broadcast_to(w0[:, None], q.shape)

        def sin2_of(c, q):
            pc = np.einsum("npsk,ps->npk", p, c)
            with np.errstate(all="ignore"):
                return np.where(q > 0, 1.0 - np.einsum("npk,npk->np", pc, pc) / q, 1.0)

        c = None
        for it in range(max(n_iter, 1) + (2 if self.trim > 0 else 0)):
            if self.trim > 0 and it >= max(n_iter, 1):
                w = trim_weights(sin2_of(c, q), w0, self.trim)
            wt = w / np.maximum(q, _FLOOR * q.mean(axis=0) + 1e-300)
            Mt = np.einsum("np,npk->pk", wt, Gt_flat).reshape(P, s, s)
            Ma = Mt - _weighted_gram(p_columns, wt)  # sum_i w_i T_i^T (I - N_i N_i^T) T_i
            c = _smallest_generalized_eigvec(Ma, Mt)
            q = np.einsum("npk,pk->np", Gt_flat, (c[:, :, None] * c[:, None, :]).reshape(P, s * s))
        sin2 = sin2_of(c, q)
        w = trim_weights(sin2, w0, self.trim)
        losses = np.einsum("np,np->p", _pointwise_from_sin2(sin2), w) / w.sum(axis=0)
        losses[~np.isfinite(losses)] = np.inf
        c = c / self.term_norms[subsets]
        return c / np.abs(c).max(axis=1, keepdims=True), losses

    def screening_rows(self, rows):
        """Cache the terms' per-point Gram matrices on the screening rows, as (K*K, n_rows): a row per pair."""
        T = self.T[rows]
        # (K, K, n), points innermost: fit() gathers whole rows of it (one per pair of terms), and its
        # sums over points want them contiguous; filled a term at a time (einsum with order="C" is 5x slower)
        by_term = np.ascontiguousarray(T.transpose(2, 1, 0))  # (K, d, n)
        grams = np.empty(by_term.shape[:1] * 2 + (len(T),))
        for k, column in enumerate(by_term):
            np.einsum("dn,ldn->ln", column, by_term, out=grams[k])
        self._grams = (rows, grams.reshape(-1, len(T)), np.einsum("ndj,ndk->nkj", self.N[rows], T))
        return rows

    def loss(self, subset, coefs):
        """Exact loss of one coefficient vector (raw units) on all points."""
        subset = list(subset)
        g = self.T[:, :, subset] @ (np.asarray(coefs, dtype=float) * self.term_norms[subset])
        q = np.einsum("nd,nd->n", g, g)
        pc = np.einsum("nd,ndk->nk", g, self.N)
        with np.errstate(all="ignore"):
            sin2 = np.where(q > 0, 1.0 - np.einsum("nk,nk->n", pc, pc) / q, 1.0)
        per_point = _pointwise_from_sin2(sin2)
        w = trim_weights(per_point, self.weights, self.trim)
        return float(per_point @ w / w.sum())


class ValueProblem:
    """Term-value data for ordinary (value) regression with an intercept."""

    def __init__(self, V, y, weights):
        self.weights = weights / weights.sum()
        self.mean_V = self.weights @ V
        self.mean_y = self.weights @ y
        self.V = V - self.mean_V
        self.y = y - self.mean_y
        self.var_y = max(self.weights @ (self.y * self.y), 1e-300)

    def fit(self, subsets, rows=None, n_iter=None):
        """Least-squares coefficients (P, s) and ``1 - R^2`` losses (P,)."""
        rows = slice(None) if rows is None else rows
        w = self.weights[rows]
        w = w / w.sum()
        VS = self.V[rows][:, subsets]  # (n, P, s)
        y = self.y[rows]
        Gram = np.einsum("n,nps,npt->pst", w, VS, VS)
        rhs = np.einsum("n,nps,n->ps", w, VS, y)
        s = Gram.shape[-1]
        Gram = Gram + 1e-12 * np.trace(Gram, axis1=-2, axis2=-1)[:, None, None] / s * np.eye(s)
        c = np.linalg.solve(Gram + 1e-300 * np.eye(s), rhs[..., None])[..., 0]
        resid = y[:, None] - np.einsum("nps,ps->np", VS, c)
        losses = (w @ (resid * resid)) / max(w @ (y * y), 1e-300)
        losses[~np.isfinite(losses)] = np.inf
        return c, np.minimum(losses, 1.0)

    def loss(self, subset, coefs):
        resid = self.y - self.V[:, list(subset)] @ np.asarray(coefs, dtype=float)
        return float(min(self.weights @ (resid * resid) / self.var_y, 1.0))

    def intercept(self, subset, coefs):
        return float(self.mean_y - self.mean_V[list(subset)] @ np.asarray(coefs, dtype=float))


def fit_batched(problem, subsets, rows, n_iter, chunk_elems=4_000_000):
    """``problem.fit`` over many subsets in chunks of bounded memory; coefficients and losses."""
    subsets = np.asarray(subsets, dtype=int)
    n = problem.weights.shape[0] if rows is None else len(rows)
    per = n * subsets.shape[1] ** 2 * 4 + 1
    chunk = max(1, chunk_elems // per)
    coefs, losses = [], []
    for start in range(0, len(subsets), chunk):
        with np.errstate(all="ignore"):  # overflowing candidates come back with an infinite loss
            c, loss = problem.fit(subsets[start : start + chunk], rows=rows, n_iter=n_iter)
        coefs.append(c)
        losses.append(loss)
    return np.concatenate(coefs), np.concatenate(losses)


@dataclass
class LinearFit:
    """One subset of terms with fitted coefficients."""

    subset: tuple
    coefs: np.ndarray
    loss: float


def beam_search(
    problem,
    n_terms,
    max_terms=6,
    beam_width=24,
    max_pairs=30_000,
    n_screen=400,
    exact_loss=1e-12,
    seeds=(),
    random_state=None,
    deadline=None,
):
    """Best subsets of each size, screened on a subsample, polished on all points.

    Every single and every pair of terms is scored (or, with many terms, every
    pair that contains one of the best singles); larger subsets grow from a
    beam of the best smaller ones, and the best subset found is also pruned
    backwards one term at a time. Greedy forward selection alone fails here:
    a partial sum that misses a variable has a zero gradient component in it.

    ``seeds`` are subsets (tuples of term indices) that are always scored and
    kept in the beam, e.g. the winners of a smaller library.

    Returns
    -------
    fits : list of LinearFit
        The best polished subset of each size (at most ``max_terms``).
    """
    import time

    rng = np.random.default_rng(random_state)
    n = problem.weights.shape[0]
    # Per-point Gram matrices cost n * K^2 memory: screen on fewer points when K is large.
    n_screen = int(min(n_screen, max(100, 30_000_000 // max(n_terms, 1) ** 2)))
    rows = np.arange(n) if n <= n_screen else np.sort(rng.choice(n, n_screen, replace=False))
    if hasattr(problem, "screening_rows"):
        problem.screening_rows(rows)
    scored = {}  # subset -> screening loss

    def score(subsets):
        subsets = [s for s in subsets if s not in scored]
        if not subsets:
            return
        by_size = {}
        for s in subsets:
            by_size.setdefault(len(s), []).append(s)
        for group in by_size.values():
            _, losses = fit_batched(problem, group, rows, n_iter=3)
            scored.update(zip(group, losses.tolist()))

    def best_of_size(s, k):
        items = [(loss, sub) for sub, loss in scored.items() if len(sub) == s]
        items.sort()
        return [sub for _, sub in items[:k]]

    score([(k,) for k in range(n_terms)])
    # Good subsets from a smaller library stay candidates when the library grows.
    score([tuple(sorted(s)) for s in seeds if s])
    max_terms = min(max_terms, n_terms)
    if max_terms >= 2:
        if n_terms * (n_terms - 1) // 2 <= max_pairs:
            pairs = [(j, k) for j in range(n_terms) for k in range(j + 1, n_terms)]
        else:
            m = max(1, max_pairs // n_terms)
            leaders = best_of_size(1, m)
            pairs = sorted({tuple(sorted((s[0], k))) for s in leaders for k in range(n_terms) if k != s[0]})
        score(pairs)
    for size in range(3, max_terms + 1):
        if min(scored.values()) < exact_loss or (deadline is not None and time.monotonic() > deadline):
            break
        beam = best_of_size(size - 1, beam_width)
        beam += [s for s in seeds if len(s) == size - 1 and s not in beam]
        score({tuple(sorted(b + (k,))) for b in beam for k in range(n_terms) if k not in b})
    # Backward elimination from the best subset of the largest size reached.
    largest = max(len(s) for s in scored)
    current = best_of_size(largest, 1)[0]
    while len(current) > 1:
        drops = [tuple(t for t in current if t != k) for k in current]
        score(drops)
        current = min(drops, key=scored.get)

    fits = []
    for size in range(1, largest + 1):
        candidates = best_of_size(size, 3)
        coefs, losses = fit_batched(problem, candidates, None, n_iter=12)
        best = int(np.argmin(losses))
        fits.append(LinearFit(tuple(candidates[best]), coefs[best], float(losses[best])))
    return fits


# ---------------------------------------------------------------- rounding


def simple_values(x):
    """Simpler stand-ins for ``x`` (small rationals, short decimals), simplest first, with a cost each."""
    out = []
    if x == 0 or not np.isfinite(x):
        return out
    for den in (1, 2, 3, 4, 5, 6, 8, 10, 12):
        num = round(x * den)
        if num != 0:
            frac = Fraction(num, den)
            cost = len(str(abs(frac.numerator))) + (len(str(den)) if frac.denominator > 1 else 0)
            out.append((cost, float(frac)))
    for digits in range(1, 5):
        v = float(f"{x:.{digits}g}")
        text = f"{abs(v):g}".replace(".", "").lstrip("0")
        # A decimal point is a denominator too: 0.7 is no simpler than 2/3.
        out.append((len(text) + (not v.is_integer()), v))
    # Equally simple stand-ins: the nearest first.
    out.sort(key=lambda t: (t[0], abs(t[1] - x)))
    return out


def constant_cost(value):
    """Digits :func:`simple_values` charges for ``value`` (8 for one it does not list; 1 and -1 are free)."""
    if value in (1.0, -1.0):
        return 0
    return min((c for c, v in simple_values(value) if v == value), default=8)


def round_coefficients(loss_fn, coefs, loss, n_eff, rtol=None, atol=1e-12):
    """Rescale and round coefficients to the simplest numbers the data allow.

    The loss is invariant to overall scale, so each coefficient in turn is
    set to 1 and the others are replaced by the simplest rational or short
    decimal that keeps the loss within ``loss * (1 + rtol) + atol``. The
    default ``rtol = 3 * len(coefs) / n_eff`` covers the increase that noise
    in the targets explains for the true coefficients (measured: ``n * dL / L``
    stays below about 4.5 for two coefficients at 5 % direction noise); a
    larger tolerance trades accuracy for simpler numbers.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(coefs) -> float``.
    coefs : ndarray of shape (s,)
    loss : float
        Loss of ``coefs``.
    n_eff : float
        Effective number of points.

    Returns
    -------
    coefs : ndarray
        The rounded coefficients (or the scaled originals if nothing passes).
    loss : float
    """
    coefs = np.asarray(coefs, dtype=float)
    s = len(coefs)
    rtol = 3.0 * s / max(n_eff, 1.0) if rtol is None else rtol
    threshold = loss * (1.0 + rtol) + atol
    best = None
    for k in range(s):
        if coefs[k] == 0:
            continue
        for sign in (1.0, -1.0):
            scaled = sign * coefs / coefs[k]
            trial = scaled.copy()
            for j in np.argsort(-np.abs(scaled)):
                if j == k:
                    continue
                # Simplest stand-ins first; if none passes, the shortest decimal that
                # does (six digits at most: beyond that it is numerical noise).
                shorter = [(0, float(f"{scaled[j]:.{n}g}")) for n in (5, 6)]
                for _, v in simple_values(scaled[j]) + shorter:
                    attempt = trial.copy()
                    attempt[j] = v
                    if loss_fn(attempt) <= threshold or v == shorter[-1][1]:
                        trial = attempt
                        break
            trial_loss = loss_fn(trial)
            if trial_loss > threshold:
                continue
            # Fewer digits first, then more positive coefficients.
            key = (sum(constant_cost(v) for v in trial), int((trial < 0).sum()), k, -sign)
            if best is None or key < best[0]:
                best = (key, trial, trial_loss)
    if best is None:
        scaled = coefs / coefs[np.argmax(np.abs(coefs))]
        for digits in range(3, 16):  # shortest decimals that keep the loss
            short = np.array([float(f"{v:.{digits}g}") for v in scaled])
            if loss_fn(short) <= threshold:
                return short, loss_fn(short)
        return scaled, loss_fn(scaled)
    return best[1], best[2]


def term_matrix(terms, X, ops, gradients=True):
    """Stack term gradients (n, d, K) or values (n, K); mask of usable terms."""
    if gradients:
        cols = [evaluate(t, X, ops)[1] for t in terms]
        M = np.stack(cols, axis=-1) if cols else np.zeros(X.shape + (0,))
        ok = np.all(np.isfinite(M), axis=(0, 1)) & (np.abs(M).max(axis=(0, 1)) > 0)
    else:
        cols = [evaluate_value(t, X, ops) for t in terms]
        M = np.stack(cols, axis=-1) if cols else np.zeros((X.shape[0], 0))
        ok = np.all(np.isfinite(M), axis=0) & (M.std(axis=0) > 0)
    return M, ok
