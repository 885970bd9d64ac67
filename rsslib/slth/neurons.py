"""Neuron pruning of one ReLU neuron: which hidden neurons to keep, exactly and bounded.

The model (Ferre, Giroire, Mallmann-Trenn and Natale, 2026, read through its abstract; the
chapter ``book/beyond/structured_pruning`` states it): the random network is
``N(x) = relu(sum_i v_i relu(u_i . x))`` with ``u_i`` in R^d and ``v_i`` entries i.i.d.
uniform on [-1, 1], ``i = 1..m``; the target is ``f(x) = relu(w . x)`` with ``||w|| <= 1``.
The error of a pruned network is its largest deviation from f over a fixed finite set X of
points of the unit sphere (:func:`sphere_points`): a *lower* bound on the sup over the
whole sphere (:func:`max_error`).

*Neuron pruning* keeps a subset S of the hidden neurons with all their weights. With
``g_i(x) = v_i relu(u_i . x)`` the pruned network is ``relu(sum_{i in S} g_i(x))``: a
subset sum of m vectors of dimension |X| (a multidimensional RSS instance, see
:mod:`rsslib.vector_subsets`), pushed through a ReLU.

- :func:`exhaustive_neuron_subset` enumerates the 2^m subsets (Gray code);
  :func:`branch_and_bound_neuron_subset` is exact further, within a node budget
  (:class:`NeuronSearch`); :func:`d1_neuron_subset` solves d = 1 as two Random Subset Sum
  instances.
- :func:`neuron_lp_bound` is a valid lower bound for any m (linear programming),
  :func:`local_search_neuron_subset` an upper bound (a subset it exhibits).

Weight pruning of the same neuron (Pensia et al. 2020) is in
:mod:`rsslib.slth.neuron_weights`; the sweep that compares the two in
:mod:`rsslib.slth.experiments.structured`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rsslib._jit import jit
from rsslib._validate import as_count, as_generator, as_real_array
from rsslib.slth._local_search import local_search, max_relu_error
from rsslib.solve import best_subsets

#: Gray-code enumeration refuses more hidden neurons than this.
MAX_EXHAUSTIVE = 26
#: d = 1: at most this many neurons of one sign (one exact subset-sum solve each).
MAX_D1_SIGN = 48


# ---------------------------------------------------------------------------------------
# inputs, the random network and the target
# ---------------------------------------------------------------------------------------
def sphere_points(count, d, seed=0) -> np.ndarray:
    """``count`` points on the unit sphere of R^d, independent and uniform (seeded).

    Normalised Gaussian vectors from ``np.random.default_rng(seed)``. For ``d = 1`` the
    sphere is {-1, 1} and both points are returned whatever ``count`` is: every network
    here is positively homogeneous, so these two points say everything.

    Returns
    -------
    numpy.ndarray, shape (count, d) (or (2, 1) for d = 1)
    """
    count = as_count(count, "count", minimum=1)
    d = as_count(d, "d", minimum=1)
    rng = as_generator(seed)
    if d == 1:
        return np.array([[1.0], [-1.0]])
    x = rng.normal(size=(count, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@dataclass(frozen=True)
class NeuronInstance:
    """A random two-layer network and a target neuron (:func:`neuron_instance`)."""

    U: np.ndarray  # (m, d) first-layer weights, uniform on [-1, 1]
    v: np.ndarray  # (m,) output weights, uniform on [-1, 1]
    w: np.ndarray  # (d,) target weights, ||w|| in [1/2, 1]


def neuron_instance(m, d, seed) -> NeuronInstance:
    """Draw U (m, d) then v (m,) uniform on [-1, 1], then the target w, from one seed.

    The target has a uniform random direction and a norm uniform on [1/2, 1]
    (``np.random.default_rng(seed)``: U, v, the direction, the norm, in that order).
    """
    m = as_count(m, "m", minimum=1)
    d = as_count(d, "d", minimum=1)
    rng = as_generator(seed)
    U = rng.uniform(-1.0, 1.0, (m, d))
    v = rng.uniform(-1.0, 1.0, m)
    direction = rng.normal(size=d)
    w = direction / np.linalg.norm(direction) * rng.uniform(0.5, 1.0)
    return NeuronInstance(U, v, w)


def check_network(U, v, w=None):
    """U (m, d), v (m,), w (d,) as float64 arrays, finite, of matching shapes (w may be
    None: then None is returned for it)."""
    U = as_real_array(U, "U").astype(np.float64)
    if U.ndim != 2 or U.size == 0:
        raise ValueError(f"U must be a non-empty 2-D array (m, d), got shape {U.shape}")
    m, d = U.shape
    v = as_real_array(v, "v").astype(np.float64)
    if v.shape != (m,):
        raise ValueError(f"v must have shape ({m},) to match U, got {v.shape}")
    if w is None:
        return U, v, None
    w = as_real_array(w, "w").astype(np.float64)
    if w.shape != (d,):
        raise ValueError(f"w must have shape ({d},) to match U, got {w.shape}")
    return U, v, w


def _check_problem(U, v, w, X):
    U, v, w = check_network(U, v, w)
    d = U.shape[1]
    X = as_real_array(X, "X").astype(np.float64)
    if X.ndim != 2 or X.shape[1] != d or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty array of shape (P, {d}), got {X.shape}")
    return U, v, w, X


def neuron_features(U, v, X) -> np.ndarray:
    """``G[i, p] = v_i relu(u_i . x_p)``: what hidden neuron i adds at each point."""
    U = as_real_array(U, "U").astype(np.float64)
    v = as_real_array(v, "v").astype(np.float64)
    X = as_real_array(X, "X").astype(np.float64)
    if U.ndim != 2 or v.shape != (U.shape[0],) or X.ndim != 2 or X.shape[1] != U.shape[1]:
        raise ValueError(f"U (m, d), v (m,), X (P, d) do not fit: {U.shape}, {v.shape}, {X.shape}")
    return np.ascontiguousarray(v[:, None] * np.maximum(U @ X.T, 0.0))


def target_values(w, X) -> np.ndarray:
    """``f(x_p) = relu(w . x_p)`` at every point."""
    w = as_real_array(w, "w").astype(np.float64)
    X = as_real_array(X, "X").astype(np.float64)
    if w.ndim != 1 or X.ndim != 2 or X.shape[1] != w.size:
        raise ValueError(f"X must have shape (P, {w.size}) to match w, got {X.shape}")
    return np.maximum(X @ w, 0.0)


def network_values(U, v, X) -> np.ndarray:
    """``relu(sum_i v_i relu(u_i . x_p))`` at every point (a plain forward pass)."""
    U, v, _ = check_network(U, v)
    X = as_real_array(X, "X").astype(np.float64)
    if X.ndim != 2 or X.shape[1] != U.shape[1]:
        raise ValueError(f"X must have shape (P, {U.shape[1]}) to match U, got {X.shape}")
    return np.maximum(np.maximum(X @ U.T, 0.0) @ v, 0.0)


def max_error(U, v, w, X) -> float:
    """``max_p |N(x_p) - f(x_p)|`` for the network (U, v) (zeros where pruned)."""
    U, v, w, X = _check_problem(U, v, w, X)
    return float(np.max(np.abs(network_values(U, v, X) - target_values(w, X))))


def subset_error(U, v, w, X, mask) -> float:
    """The error of neuron pruning with the hidden neurons ``mask`` kept."""
    U, v, w, X = _check_problem(U, v, w, X)
    mask = _as_mask(mask, U.shape[0])
    return max_error(U[mask], v[mask], w, X) if mask.any() else float(target_values(w, X).max())


def _as_mask(mask, m):
    arr = np.asarray(mask)
    if arr.dtype != bool or arr.shape != (m,):
        raise ValueError(
            f"mask must be a boolean array of shape ({m},), got {arr.dtype} {arr.shape}"
        )
    return arr


# ---------------------------------------------------------------------------------------
# neuron pruning, exact
# ---------------------------------------------------------------------------------------
@jit
def _gray_bit(step):
    """The bit that the Gray code flips at ``step`` (>= 1): its lowest set bit."""
    i = 0
    while (step & 1) == 0:
        step >>= 1
        i += 1
    return i


@jit
def _gray_kernel(G, f):
    """Best subset by visiting all 2^m subsets in Gray-code order (one add per step).

    ``first`` is the point that rejected the last candidate: it is checked first, since a
    point that is hard for one subset tends to be hard for its neighbour.
    """
    m, P = G.shape
    h = np.zeros(P)
    best = max_relu_error(h, f)
    best_code = np.int64(0)
    code = np.int64(0)
    first = 0
    for k in range(1, np.int64(1) << m):
        i = _gray_bit(k)
        code ^= np.int64(1) << i
        if (code >> i) & 1:
            for p in range(P):
                h[p] += G[i, p]
        else:
            for p in range(P):
                h[p] -= G[i, p]
        if abs(max(h[first], 0.0) - f[first]) >= best:
            continue
        e = 0.0
        ok = True
        for p in range(P):
            ep = abs(max(h[p], 0.0) - f[p])
            if ep >= best:
                ok = False
                first = p
                break
            e = max(e, ep)
        if ok:
            best = e
            best_code = code
    return best, best_code


def exhaustive_neuron_subset(U, v, w, X) -> tuple[np.ndarray, float]:
    """Exact best neuron subset by enumeration of all 2^m subsets (m <= 26).

    Returns
    -------
    mask : numpy.ndarray of bool, shape (m,)
        The kept hidden neurons (the first optimum met in Gray-code order).
    error : float
        ``max_p |relu(sum_{i in mask} g_i(x_p)) - f(x_p)|``; the empty subset is a
        candidate (error ``max_p f(x_p)``).
    """
    U, v, w, X = _check_problem(U, v, w, X)
    m = U.shape[0]
    if m > MAX_EXHAUSTIVE:
        raise ValueError(f"m must be <= {MAX_EXHAUSTIVE} for exhaustive search, got {m}")
    G = neuron_features(U, v, X)
    _, code = _gray_kernel(G, target_values(w, X))
    mask = np.array([(int(code) >> i) & 1 for i in range(m)], dtype=bool)
    return mask, subset_error(U, v, w, X, mask)


@jit
def _bb_kernel(G, f, incumbent, max_nodes):
    """Depth-first branch and bound over include/exclude decisions, neuron by neuron.

    At depth k the partial sum h is known and neurons k.. can still add, at point p,
    anything between ``neg[k, p]`` (sum of their negative g's) and ``pos[k, p]``. A final
    error below ``best`` needs ``h_final <= f + best`` everywhere (relu(h) >= h) and
    ``h_final >= f - best`` where ``f > best``; a node whose reachable interval misses
    either at some point is cut. Returns (best, mask, found, nodes, finished).
    """
    m, P = G.shape
    pos = np.zeros((m + 1, P))
    neg = np.zeros((m + 1, P))
    for k in range(m - 1, -1, -1):
        for p in range(P):
            pos[k, p] = pos[k + 1, p] + max(G[k, p], 0.0)
            neg[k, p] = neg[k + 1, p] + min(G[k, p], 0.0)
    best = incumbent
    best_mask = np.zeros(m, dtype=np.bool_)
    found = False
    H = np.zeros((m + 1, P))
    state = np.zeros(m + 1, dtype=np.int64)  # next child to try: 0 include, 1 exclude, 2 done
    mask = np.zeros(m, dtype=np.bool_)
    k = 0
    crit = 0
    nodes = 0
    while k >= 0:
        if state[k] == 2:
            k -= 1
            continue
        child = state[k]
        state[k] += 1
        if k == m:
            state[k] = 2
            e = max_relu_error(H[m], f)
            if e < best:
                best = e
                found = True
                best_mask[:] = mask
            continue
        if nodes >= max_nodes:
            return best, best_mask, found, nodes, False
        nodes += 1
        mask[k] = child == 0
        if child == 0:
            for p in range(P):
                H[k + 1, p] = H[k, p] + G[k, p]
        else:
            for p in range(P):
                H[k + 1, p] = H[k, p]
        ok = True
        for q in range(P + 1):
            p = crit if q == 0 else q - 1
            if H[k + 1, p] + neg[k + 1, p] > f[p] + best:
                ok = False
            elif f[p] > best and H[k + 1, p] + pos[k + 1, p] < f[p] - best:
                ok = False
            if not ok:
                crit = p
                break
        if ok:
            k += 1
            state[k] = 0
    return best, best_mask, found, nodes, True


@dataclass(frozen=True)
class NeuronSearch:
    """Result of :func:`branch_and_bound_neuron_subset`."""

    mask: np.ndarray  # best subset found (the incumbent's if the search found none better)
    error: float  # its error
    exact: bool  # True if the search finished: error is the optimum
    nodes: int  # nodes visited


def branch_and_bound_neuron_subset(U, v, w, X, max_nodes=10**7, start=None) -> NeuronSearch:
    """Exact best neuron subset by branch and bound, within a budget of ``max_nodes`` nodes.

    Neurons are branched on in decreasing order of ``max_p |g_i(x_p)|`` (the large ones
    first, so the reachable intervals shrink fast). ``start`` (a mask) provides the first
    incumbent, by default the local search's (:func:`local_search_neuron_subset`); a good
    incumbent cuts more. If the budget runs out, ``exact`` is False and the result is only
    an upper bound on the optimum.
    """
    U, v, w, X = _check_problem(U, v, w, X)
    max_nodes = as_count(max_nodes, "max_nodes", minimum=1)
    m = U.shape[0]
    if start is None:
        start, _ = local_search_neuron_subset(U, v, w, X)
    start = _as_mask(start, m)
    incumbent = subset_error(U, v, w, X, start)
    G = neuron_features(U, v, X)
    order = np.argsort(-np.abs(G).max(axis=1), kind="stable")
    best, mask_o, found, nodes, finished = _bb_kernel(
        np.ascontiguousarray(G[order]), target_values(w, X), incumbent, int(max_nodes)
    )
    if found:
        mask = np.zeros(m, dtype=bool)
        mask[order] = mask_o
        return NeuronSearch(mask, subset_error(U, v, w, X, mask), bool(finished), int(nodes))
    return NeuronSearch(start.copy(), incumbent, bool(finished), int(nodes))


def d1_neuron_subset(U, v, w) -> tuple[np.ndarray, float]:
    """Neuron pruning for d = 1, solved as two independent Random Subset Sum instances.

    On x = 1 only the neurons with ``u_i > 0`` are active and the network is
    ``relu(sum_{S, u_i > 0} v_i u_i)``; on x = -1 only those with ``u_i < 0``, giving
    ``relu(sum_{S, u_i < 0} v_i |u_i|)``. The two groups are disjoint, so the best subset is
    the union of the best subset of each group for its target ``relu(w)``, ``relu(-w)``
    (:func:`rsslib.best_subsets`; a target 0 is met by the empty subset). The error on
    {-1, 1} is the larger of the two.
    """
    U, v, w = check_network(U, v, w)
    if U.shape[1] != 1:
        raise ValueError(f"U must have one column (d = 1), got shape {U.shape}")
    u = U[:, 0]
    mask = np.zeros(u.size, dtype=bool)
    errors = []
    for side, target in ((u > 0, max(w[0], 0.0)), (u < 0, max(-w[0], 0.0))):
        idx = np.flatnonzero(side)
        if idx.size == 0 or target == 0.0:
            errors.append(target)
            continue
        if idx.size > MAX_D1_SIGN:
            raise ValueError(f"U: {idx.size} neurons of one sign, at most {MAX_D1_SIGN}")
        sub, err = best_subsets((v[idx] * np.abs(u[idx]))[None, :], np.array([target]))
        # relu(sum) - target with target > 0: a negative sum is no better than the empty one
        errors.append(min(float(err[0]), target))
        if float(err[0]) < target:
            mask[idx[sub[0]]] = True
    return mask, max(errors)


# ---------------------------------------------------------------------------------------
# Part A: neuron pruning, bounds
# ---------------------------------------------------------------------------------------
def _lp_value(G, f, tau):
    from scipy.optimize import linprog

    m, P = G.shape
    T = f >= tau
    ones = np.ones((P, 1))
    A = np.vstack([np.hstack([G.T, -ones]), np.hstack([-G.T[T], -ones[T]])])
    b = np.concatenate([f, -f[T]])
    c = np.zeros(m + 1)
    c[-1] = 1.0
    res = linprog(c, A_ub=A, b_ub=b, bounds=[(0.0, 1.0)] * m + [(0.0, None)], method="highs")
    if res.status != 0:
        raise RuntimeError(f"linprog failed: {res.message}")
    return float(res.fun)


def neuron_lp_bound(U, v, w, X) -> tuple[float, float]:
    """A lower bound on the error of every neuron subset, by linear programming.

    For a threshold tau > 0 let ``T = {p : f(x_p) >= tau}`` and ``L(tau)`` the value of the
    linear program: minimise e over s in [0, 1]^m, e >= 0, subject to

    - ``sum_i s_i g_i(x_p) <= f(x_p) + e`` for every p,
    - ``sum_i s_i g_i(x_p) >= f(x_p) - e`` for p in T.

    *Claim*: every subset S has error ``e(S) >= min(tau, L(tau))``. *Proof*: suppose
    ``e(S) < tau`` and write ``h = sum_{i in S} g_i``. At every p,
    ``h(x_p) <= relu(h(x_p)) <= f(x_p) + e(S)``. At p in T,
    ``relu(h(x_p)) >= f(x_p) - e(S) > f(x_p) - tau >= 0``, so ``h(x_p) > 0``,
    ``relu(h(x_p)) = h(x_p)`` and ``h(x_p) >= f(x_p) - e(S)``. So the indicator of S with
    ``e = e(S)`` is feasible, and ``L(tau) <= e(S)``. Hence ``e(S) >= tau`` or
    ``e(S) >= L(tau)``.

    L is non-increasing in tau (fewer constraints) and constant between consecutive values
    of f, so ``max_tau min(tau, L(tau))`` is attained at a value of f and is found by
    bisection over them (about log2 |X| linear programs, HiGHS). The value carries the
    solver's tolerance (about 1e-9 here).

    Returns
    -------
    bound : float
    tau : float
        The threshold at which it is attained.
    """
    U, v, w, X = _check_problem(U, v, w, X)
    G = neuron_features(U, v, X)
    f = target_values(w, X)
    F = np.unique(f[f > 0])
    if F.size == 0:
        return 0.0, 0.0
    cache = {}

    def L(k):
        if k not in cache:
            cache[k] = _lp_value(G, f, F[k])
        return cache[k]

    if L(0) < F[0]:
        return L(0), float(F[0])
    lo, hi = 0, F.size - 1
    if L(hi) >= F[hi]:
        return float(F[hi]), float(F[hi])
    while hi - lo > 1:  # L(lo) >= F[lo], L(hi) < F[hi]
        mid = (lo + hi) // 2
        if L(mid) >= F[mid]:
            lo = mid
        else:
            hi = mid
    if F[lo] >= L(hi):
        return float(F[lo]), float(F[lo])
    return L(hi), float(F[hi])


def local_search_neuron_subset(
    U, v, w, X, restarts=4, kicks=20, seed=0, max_rounds=10_000
) -> tuple[np.ndarray, float]:
    """An upper bound on the best neuron subset's error: the best of a few local searches.

    Each search moves, while it can, to the best neighbour (one neuron added or removed;
    if none helps, one kept neuron swapped for a dropped one), comparing subsets by their
    max error and, on ties, by ``sum_p (e_p / max_q e_q)^8`` (fewer points near the
    worst one is progress even when the max does not move). Starts: the empty subset, the
    rounding of the relaxation of :func:`neuron_lp_bound` at tau = 0 (s_i >= 1/2), and
    ``restarts`` random subsets (``np.random.default_rng(seed)``). Then ``kicks`` times,
    the best subset so far has three random neurons flipped and is searched again
    (iterated local search); a better result replaces it.

    Returns
    -------
    mask : numpy.ndarray of bool, shape (m,)
    error : float
        Its error; the optimum is at most this.
    """
    U, v, w, X = _check_problem(U, v, w, X)
    restarts = as_count(restarts, "restarts")
    kicks = as_count(kicks, "kicks")
    max_rounds = as_count(max_rounds, "max_rounds", minimum=1)
    rng = as_generator(seed)
    m = U.shape[0]
    G = neuron_features(U, v, X)
    f = target_values(w, X)
    starts = [np.zeros(m, dtype=bool), _relaxed_rounding(G, f)]
    starts += [rng.random(m) < 0.5 for _ in range(restarts)]
    best_mask, best = None, np.inf
    for s in starts:
        mask = s.copy()
        err = max_relu_error(local_search(G, f, mask, max_rounds, True), f)
        if err < best:
            best_mask, best = mask.copy(), float(err)
    for _ in range(kicks):
        start = best_mask.copy()
        flip = rng.choice(m, size=min(3, m), replace=False)
        start[flip] = ~start[flip]
        mask = start
        err = max_relu_error(local_search(G, f, mask, max_rounds, True), f)
        if err < best:
            best_mask, best = mask.copy(), float(err)
    return best_mask, subset_error(U, v, w, X, best_mask)


def _relaxed_rounding(G, f):
    """Round the minimiser of max_p |sum_i s_i g_i(x_p) - f(x_p)| over s in [0, 1]^m."""
    from scipy.optimize import linprog

    m, P = G.shape
    ones = np.ones((P, 1))
    A = np.vstack([np.hstack([G.T, -ones]), np.hstack([-G.T, -ones])])
    b = np.concatenate([f, -f])
    c = np.zeros(m + 1)
    c[-1] = 1.0
    res = linprog(c, A_ub=A, b_ub=b, bounds=[(0.0, 1.0)] * m + [(0.0, None)], method="highs")
    if res.status != 0:
        return np.zeros(m, dtype=bool)
    return res.x[:m] >= 0.5
