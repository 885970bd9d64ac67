"""Structured against unstructured pruning: whole neurons or filters against single weights.

Part III prunes single weights: every target weight gets its own subset of random products,
one Random Subset Sum instance each. *Structured* pruning removes whole units, a hidden
neuron with all its weights or a convolution filter with all its entries, which is what
makes a pruned network faster on real hardware. This module measures what that costs.

Part A: one ReLU neuron (Ferré, Giroire, Mallmann-Trenn and Natale, 2026)
--------------------------------------------------------------------------
The random network is ``N(x) = relu(sum_i v_i relu(u_i . x))`` with ``u_i`` in R^d and
``v_i`` entries i.i.d. uniform on [-1, 1], ``i = 1..m``; the target is
``f(x) = relu(w . x)`` with ``||w|| <= 1``. The error of a pruned network is its largest
deviation from f over a fixed finite set X of points of the unit sphere
(:func:`sphere_points`): a *lower* bound on the sup over the whole sphere.

- *Neuron pruning* keeps a subset S of the hidden neurons with all their weights. With
  ``g_i(x) = v_i relu(u_i . x)`` the pruned network is ``relu(sum_{i in S} g_i(x))``: a
  subset sum of m vectors of dimension |X| (a multidimensional RSS instance), pushed
  through a ReLU. :func:`exhaustive_neuron_subset` enumerates the 2^m subsets (Gray code);
  :func:`branch_and_bound_neuron_subset` is exact further, within a node budget;
  :func:`neuron_lp_bound` is a valid lower bound for any m (linear programming),
  :func:`local_search_neuron_subset` an upper bound (a subset it exhibits).
- *Weight pruning* (Pensia et al. 2020): ``w . x = sum_j w_j relu(x_j) - w_j relu(-x_j)``.
  Hidden neurons are split into d blocks; in block j only the weight ``u_ij`` of each
  neuron is kept, so neuron i computes ``|u_ij| relu(+-x_j)`` (the sign of ``u_ij``), and
  the products ``v_i |u_ij|`` of each sign are chosen by an exact subset-sum solve
  (:func:`rsslib.best_subsets`) to approximate ``w_j`` and ``-w_j``
  (:func:`weight_prune_neuron`). The outer ReLU is 1-Lipschitz, so the error at x is at
  most ``sum_j e_j |x_j|`` with ``e_j`` the worse of the two subset-sum errors of block j
  (:func:`weight_certificate`).

Part B: filters of the digits CNN (da Cunha, d'Amore and Natale, 2023)
----------------------------------------------------------------------
The first convolution K (32 filters of 3 x 3 on one input channel) of the digits CNN of
Part III is replaced by a random pair: hidden channel t has a 3 x 3 kernel ``U_t`` with
entries uniform on [0, 1], and output l reads it with weight ``V[l, t]``, uniform on
[-1, 1] times a scale; hidden channels ``l b .. (l + 1) b - 1`` serve output l only.
Images are non-negative and so is ``U_t``, hence ``relu(U_t * x) = U_t * x`` and the pair is
the convolution with ``L_l = sum_t V[l, t] U_t`` (:func:`random_first_pair`).

- *Filter pruning* keeps a subset ``S_l`` of block l's hidden channels whole:
  ``L_l = sum_{t in S_l} V[l, t] U_t``, a 9-dimensional subset-sum problem in the max norm,
  solved by :func:`filter_subsets` (beam search then swaps: an *upper* bound on the best
  subset's error) and, for small blocks, exactly by :func:`exact_filter_subset`.
- *Weight pruning* gives each of the 9 entries of ``K_l`` its own subset of the products
  ``V[l, t] U_t[j]``, solved exactly (Part III's construction).

:func:`prune_first_pair` applies either; :func:`first_layer_row` does so on the digits
CNN and measures the result on the 450 test images, as
:func:`rsslib.slth.digits_sweep.prune_digits` does. :func:`predicted_best_error` estimates
(first moment, given the sample) how good the best subset would be where no search can
find it.

Both papers were read through their abstracts only; the models above are our reading,
chosen to make their statements measurable. :func:`neuron_row` and
:func:`first_layer_row` are what ``scripts/structured_sweep.py`` runs and what the chapter
``book/beyond/structured_pruning`` recomputes live.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rsslib._jit import jit
from rsslib._validate import (
    as_count,
    as_generator,
    as_int_seed,
    as_positive_real,
    as_real_array,
    as_seed,
)
from rsslib.solve import best_subsets

#: Products offered per subset-sum instance (as in :mod:`rsslib.slth.construct`).
MAX_TERMS = 40
#: Gray-code enumeration refuses more hidden neurons than this.
MAX_EXHAUSTIVE = 26
#: Exhaustive search over filter subsets refuses larger blocks.
MAX_FILTER_EXHAUSTIVE = 24
#: d = 1: at most this many neurons of one sign (one exact subset-sum solve each).
MAX_D1_SIGN = 48


# ---------------------------------------------------------------------------------------
# Part A: inputs, the random network and the target
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


def _check_network(U, v, w):
    U = as_real_array(U, "U").astype(np.float64)
    if U.ndim != 2 or U.size == 0:
        raise ValueError(f"U must be a non-empty 2-D array (m, d), got shape {U.shape}")
    m, d = U.shape
    v = as_real_array(v, "v").astype(np.float64)
    if v.shape != (m,):
        raise ValueError(f"v must have shape ({m},) to match U, got {v.shape}")
    w = as_real_array(w, "w").astype(np.float64)
    if w.shape != (d,):
        raise ValueError(f"w must have shape ({d},) to match U, got {w.shape}")
    return U, v, w


def _check_problem(U, v, w, X):
    U, v, w = _check_network(U, v, w)
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
    return np.maximum(np.asarray(X, dtype=np.float64) @ np.asarray(w, dtype=np.float64), 0.0)


def network_values(U, v, X) -> np.ndarray:
    """``relu(sum_i v_i relu(u_i . x_p))`` at every point (a plain forward pass)."""
    U, v, X = (np.asarray(a, dtype=np.float64) for a in (U, v, X))
    return np.maximum(np.maximum(X @ U.T, 0.0) @ v, 0.0)


def sup_error(U, v, w, X) -> float:
    """``max_p |N(x_p) - f(x_p)|`` for the network (U, v) (zeros where pruned)."""
    U, v, w, X = _check_problem(U, v, w, X)
    return float(np.max(np.abs(network_values(U, v, X) - target_values(w, X))))


def subset_error(U, v, w, X, mask) -> float:
    """The error of neuron pruning with the hidden neurons ``mask`` kept."""
    U, v, w, X = _check_problem(U, v, w, X)
    mask = _as_mask(mask, U.shape[0])
    return sup_error(U[mask], v[mask], w, X) if mask.any() else float(target_values(w, X).max())


def _as_mask(mask, m):
    arr = np.asarray(mask)
    if arr.dtype != bool or arr.shape != (m,):
        raise ValueError(
            f"mask must be a boolean array of shape ({m},), got {arr.dtype} {arr.shape}"
        )
    return arr


# ---------------------------------------------------------------------------------------
# Part A: neuron pruning, exact
# ---------------------------------------------------------------------------------------
@jit
def _point_error(h, f):
    e = 0.0
    for p in range(h.size):
        e = max(e, abs(max(h[p], 0.0) - f[p]))
    return e


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
    best = _point_error(h, f)
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
            e = _point_error(H[m], f)
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
    U, v, w = _check_network(U, v, w)
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


@jit
def _score(h, f, bound):
    """(max error, sum of (error / max)^8), or (inf, inf) as soon as some point's error
    exceeds ``bound``: the max decides, and among subsets with the same max the one with
    fewer points near it is preferred (progress even when the max does not move)."""
    top = 0.0
    for p in range(h.size):
        e = abs(max(h[p], 0.0) - f[p])
        if e > bound:
            return np.inf, np.inf
        top = max(top, e)
    if top == 0.0:
        return 0.0, 0.0
    s = 0.0
    for p in range(h.size):
        r = abs(max(h[p], 0.0) - f[p]) / top
        r *= r
        r *= r
        s += r * r
    return top, s


@jit
def _better(a0, a1, b0, b1):
    return a0 < b0 - 1e-15 or (a0 <= b0 + 1e-15 and a1 < b1 - 1e-12)


@jit
def _local_kernel(G, f, mask, max_rounds):
    """Best-improvement local search on :func:`_score` with flips, then swaps."""
    m, P = G.shape
    h = np.zeros(P)
    for i in range(m):
        if mask[i]:
            for p in range(P):
                h[p] += G[i, p]
    cur0, cur1 = _score(h, f, np.inf)
    trial = np.empty(P)
    trial2 = np.empty(P)
    for _ in range(max_rounds):
        best0, best1, bi, bj = cur0, cur1, -1, -1
        for i in range(m):
            sgn = -1.0 if mask[i] else 1.0
            for p in range(P):
                trial[p] = h[p] + sgn * G[i, p]
            s0, s1 = _score(trial, f, best0 + 1e-15)
            if _better(s0, s1, best0, best1):
                best0, best1, bi, bj = s0, s1, i, -1
        if bi < 0:
            # no single flip helps: try swapping a kept neuron for a dropped one
            for i in range(m):
                if not mask[i]:
                    continue
                for p in range(P):
                    trial[p] = h[p] - G[i, p]
                for j in range(m):
                    if mask[j]:
                        continue
                    for p in range(P):
                        trial2[p] = trial[p] + G[j, p]
                    s0, s1 = _score(trial2, f, best0 + 1e-15)
                    if _better(s0, s1, best0, best1):
                        best0, best1, bi, bj = s0, s1, i, j
        if bi < 0:
            break
        for t in (bi, bj):
            if t >= 0:
                sgn = -1.0 if mask[t] else 1.0
                mask[t] = not mask[t]
                for p in range(P):
                    h[p] += sgn * G[t, p]
        cur0, cur1 = best0, best1
    return mask, _point_error(h, f)


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
        mask, err = _local_kernel(G, f, s.copy(), max_rounds)
        if err < best:
            best_mask, best = mask.copy(), float(err)
    for _ in range(kicks):
        start = best_mask.copy()
        flip = rng.choice(m, size=min(3, m), replace=False)
        start[flip] = ~start[flip]
        mask, err = _local_kernel(G, f, start, max_rounds)
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


# ---------------------------------------------------------------------------------------
# Part A: weight pruning
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightPruning:
    """Result of :func:`weight_prune_neuron`: masks on the random draw and the errors."""

    U_mask: np.ndarray  # (m, d) bool: kept first-layer weights (at most one per neuron)
    v_mask: np.ndarray  # (m,) bool: kept output weights
    coordinate_errors: np.ndarray  # (d,) e_j = max(|A_j - w_j|, |B_j + w_j|)
    kept: int  # kept weights, U and v together


def weight_prune_neuron(U, v, w, max_terms=MAX_TERMS) -> WeightPruning:
    """Pensia et al.'s construction for one neuron, each subset solved exactly.

    Hidden neurons are split into d contiguous blocks of ``m // d`` (the last ``m mod d``
    are pruned). In block j, neuron i keeps only ``u_ij``: it computes
    ``|u_ij| relu(x_j)`` if ``u_ij > 0`` and ``|u_ij| relu(-x_j)`` if ``u_ij < 0``. The
    first ``max_terms`` neurons of each sign offer the products ``v_i |u_ij|``; the best
    subset of the positive side approximates ``w_j`` (sum ``A_j``), of the negative side
    ``-w_j`` (sum ``B_j``), since ``w_j x_j = w_j relu(x_j) - w_j relu(-x_j)``.

    The pruned network is ``relu(sum_j A_j relu(x_j) + B_j relu(-x_j))`` and, relu being
    1-Lipschitz and only one of ``relu(x_j)``, ``relu(-x_j)`` non-zero, its error at x is at
    most ``sum_j e_j |x_j|`` (:func:`weight_certificate`).
    """
    U, v, w = _check_network(U, v, w)
    max_terms = as_count(max_terms, "max_terms", minimum=1)
    if max_terms > MAX_TERMS:
        raise ValueError(f"max_terms must be <= {MAX_TERMS}, got {max_terms}")
    m, d = U.shape
    if m < d:
        raise ValueError(f"U needs at least d = {d} hidden neurons (one block each), got m = {m}")
    b = m // d
    rows, targets, owners = [], [], []
    for j in range(d):
        block = np.arange(j * b, (j + 1) * b)
        for sign in (1.0, -1.0):
            idx = block[sign * U[block, j] > 0][:max_terms]
            vals = np.zeros(max_terms)
            vals[: idx.size] = v[idx] * np.abs(U[idx, j])
            rows.append(vals)
            targets.append(sign * w[j])
            owners.append((j, idx))
    masks, errors = best_subsets(np.array(rows), np.array(targets))
    U_mask = np.zeros((m, d), dtype=bool)
    for (j, idx), mk in zip(owners, masks, strict=True):
        U_mask[idx[mk[: idx.size]], j] = True
    v_mask = U_mask.any(axis=1)
    coord = np.maximum(errors[0::2], errors[1::2])
    return WeightPruning(U_mask, v_mask, coord, int(U_mask.sum() + v_mask.sum()))


def weight_certificate(coordinate_errors, X) -> float:
    """``max_p sum_j e_j |x_pj|``: the bound the Lipschitz argument gives on X.

    On the whole unit sphere the same argument gives ``||e||_2`` (Cauchy-Schwarz).
    """
    e = as_real_array(coordinate_errors, "coordinate_errors").astype(np.float64)
    X = as_real_array(X, "X").astype(np.float64)
    if X.ndim != 2 or X.shape[1] != e.size:
        raise ValueError(f"X must have shape (P, {e.size}), got {X.shape}")
    return float(np.max(np.abs(X) @ e))


def pruned_weights(U, v, pruning: WeightPruning) -> tuple[np.ndarray, np.ndarray]:
    """The pruned network's weights: U and v with the masks applied (zeros elsewhere)."""
    U = np.asarray(U, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    return np.where(pruning.U_mask, U, 0.0), np.where(pruning.v_mask, v, 0.0)


# ---------------------------------------------------------------------------------------
# Part A: one instance of the sweep
# ---------------------------------------------------------------------------------------
#: Test points of the sweep, and the finer set that checks the max is resolved.
POINTS, FINE_POINTS = 512, 4096


def neuron_row(d, m, seed, exact_max=40, fine_max=24, max_nodes=2 * 10**7) -> dict:
    """Everything the chapter measures on one instance (``scripts/structured_sweep.py``).

    The instance is :func:`neuron_instance` ``(m, d, seed)``; errors are taken over
    ``X = sphere_points(POINTS, d, 0)`` and, for the keys ending in ``_fine``, over a
    finer set that contains X: X and ``sphere_points(FINE_POINTS - POINTS, d, 1)``,
    ``FINE_POINTS`` in all (for d = 1 both are {1, -1}).

    Returns
    -------
    dict
        ``w_norm``; ``empty`` and ``full`` (no neuron, all neurons); ``exact`` (the best
        neuron subset: two RSS solves for d = 1, branch and bound for m <= ``exact_max``,
        None if not finished within ``max_nodes``), ``exact_done``, ``nodes``,
        ``exact_fine`` (the optimum on the fine set, m <= ``fine_max``) and
        ``exact_on_fine`` (the subset found on X, measured on the fine set);
        ``lower`` (:func:`neuron_lp_bound`), ``upper`` (the best subset found:
        :func:`local_search_neuron_subset`, or the exact one if better) and
        ``upper_on_fine``; ``neuron_kept`` (weights of the ``upper`` subset, d + 1 per
        neuron); ``weight``, ``weight_certificate``, ``weight_sphere`` (``||e||_2``, valid
        on the whole sphere), ``weight_on_fine``, ``weight_kept`` for
        :func:`weight_prune_neuron`. For d = 1, ``lower`` and ``upper`` are the exact value.
    """
    d = as_count(d, "d", minimum=1)
    m = as_count(m, "m", minimum=1)
    seed = as_int_seed(seed)  # the instance and the local searches use it
    X = sphere_points(POINTS, d, 0)
    Xf = np.vstack([X, sphere_points(FINE_POINTS - POINTS, d, 1)]) if d > 1 else X
    inst = neuron_instance(m, d, seed)
    U, v, w = inst.U, inst.v, inst.w
    row = {"d": d, "m": m, "seed": int(seed), "w_norm": float(np.linalg.norm(w))}
    row["empty"] = float(target_values(w, X).max())
    row["full"] = sup_error(U, v, w, X)
    exact = exact_fine = on_fine = nodes = kept_mask = None
    done = None
    if d == 1:
        kept_mask, exact = d1_neuron_subset(U, v, w)
        done = True
    elif m <= exact_max:
        start, _ = local_search_neuron_subset(U, v, w, X, seed=seed)
        res = branch_and_bound_neuron_subset(U, v, w, X, max_nodes, start=start)
        done, nodes, kept_mask = res.exact, res.nodes, res.mask
        exact = res.error if res.exact else None
        if m <= fine_max:
            fine = branch_and_bound_neuron_subset(U, v, w, Xf, max_nodes, start=res.mask)
            exact_fine = fine.error if fine.exact else None
        on_fine = subset_error(U, v, w, Xf, res.mask)
    if d == 1:
        lower, upper, up_mask = exact, exact, kept_mask
    else:
        lower, _ = neuron_lp_bound(U, v, w, X)
        up_mask, upper = local_search_neuron_subset(U, v, w, X, seed=seed)
        if kept_mask is not None and subset_error(U, v, w, X, kept_mask) < upper:
            up_mask, upper = kept_mask, subset_error(U, v, w, X, kept_mask)
    wp = weight_prune_neuron(U, v, w)
    Up, vp = pruned_weights(U, v, wp)
    row.update(
        exact=exact,
        exact_done=done,
        nodes=nodes,
        exact_fine=exact_fine,
        exact_on_fine=on_fine,
        lower=lower,
        upper=upper,
        upper_on_fine=subset_error(U, v, w, Xf, up_mask),
        neuron_kept=int(up_mask.sum()) * (d + 1),
        weight=sup_error(Up, vp, w, X),
        weight_certificate=weight_certificate(wp.coordinate_errors, X),
        weight_sphere=float(np.linalg.norm(wp.coordinate_errors)),
        weight_on_fine=sup_error(Up, vp, w, Xf),
        weight_kept=wp.kept,
    )
    return row


# ---------------------------------------------------------------------------------------
# Part B: filters, 9-dimensional subset sums in the max norm
# ---------------------------------------------------------------------------------------
@jit
def _filter_gray(A, z):
    """Exact: every subset of the rows of A (b, k), the one whose sum is nearest z (max)."""
    b, k = A.shape
    s = np.zeros(k)
    best = 0.0
    for j in range(k):
        best = max(best, abs(z[j]))
    best_code = np.int64(0)
    code = np.int64(0)
    for c in range(1, np.int64(1) << b):
        i = _gray_bit(c)
        code ^= np.int64(1) << i
        sgn = 1.0 if (code >> i) & 1 else -1.0
        e = 0.0
        for j in range(k):
            s[j] += sgn * A[i, j]
            e = max(e, abs(s[j] - z[j]))
        if e < best:
            best = e
            best_code = code
    return best, best_code


def exact_filter_subset(vectors, target) -> tuple[np.ndarray, float]:
    """Exact minimiser of ``max_j |target_j - sum_{t in S} vectors[t, j]|`` (b <= 24).

    Enumerates the 2^b subsets in Gray-code order; for the tests and small blocks.
    """
    A = as_real_array(vectors, "vectors").astype(np.float64)
    if A.ndim != 2 or A.shape[0] == 0:
        raise ValueError(f"vectors must be a non-empty 2-D array (b, k), got {A.shape}")
    z = as_real_array(target, "target").astype(np.float64)
    if z.shape != (A.shape[1],):
        raise ValueError(f"target must have shape ({A.shape[1]},), got {z.shape}")
    if A.shape[0] > MAX_FILTER_EXHAUSTIVE:
        raise ValueError(f"vectors: at most {MAX_FILTER_EXHAUSTIVE} rows, got {A.shape[0]}")
    _, code = _filter_gray(np.ascontiguousarray(A), z)
    mask = np.array([(int(code) >> i) & 1 for i in range(A.shape[0])], dtype=bool)
    return mask, float(np.max(np.abs(z - A[mask].sum(axis=0))))


@jit
def _beam_kernel(A, z, width):
    """Beam search: vectors in the given order, each state kept or extended by the next
    vector; the ``width`` states with the smallest max residual survive each step."""
    b, k = A.shape
    states = np.zeros((1, k))
    codes = np.zeros((1, b), dtype=np.bool_)
    for i in range(b):
        n = states.shape[0]
        cand = np.empty((2 * n, k))
        ccode = np.empty((2 * n, b), dtype=np.bool_)
        score = np.empty(2 * n)
        for r in range(n):
            for half in range(2):
                q = 2 * r + half
                e = 0.0
                e2 = 0.0
                for j in range(k):
                    val = states[r, j] + (A[i, j] if half == 1 else 0.0)
                    cand[q, j] = val
                    d = abs(z[j] - val)
                    e = max(e, d)
                    e2 += d * d
                ccode[q, :] = codes[r, :]
                ccode[q, i] = half == 1
                score[q] = e + 1e-6 * math.sqrt(e2)
        keep = np.argsort(score, kind="mergesort")[: min(width, 2 * n)]
        states = cand[keep]
        codes = ccode[keep]
    return codes


@jit
def _filter_swaps(A, z, mask, max_rounds):
    """Best-improvement flips, then swaps, on the max residual (ties: sum of squares)."""
    b, k = A.shape
    s = np.zeros(k)
    for i in range(b):
        if mask[i]:
            s += A[i]

    def score(vec):
        e = 0.0
        e2 = 0.0
        for j in range(k):
            d = abs(z[j] - vec[j])
            e = max(e, d)
            e2 += d * d
        return e, e2

    cur0, cur1 = score(s)
    t = np.empty(k)
    for _ in range(max_rounds):
        best0, best1, bi, bj = cur0, cur1, -1, -1
        for i in range(b):
            sgn = -1.0 if mask[i] else 1.0
            for j in range(k):
                t[j] = s[j] + sgn * A[i, j]
            a0, a1 = score(t)
            if a0 < best0 - 1e-15 or (a0 <= best0 + 1e-15 and a1 < best1 - 1e-15):
                best0, best1, bi, bj = a0, a1, i, -1
        for i in range(b):
            if not mask[i]:
                continue
            for i2 in range(b):
                if mask[i2]:
                    continue
                for j in range(k):
                    t[j] = s[j] - A[i, j] + A[i2, j]
                a0, a1 = score(t)
                if a0 < best0 - 1e-15 or (a0 <= best0 + 1e-15 and a1 < best1 - 1e-15):
                    best0, best1, bi, bj = a0, a1, i, i2
        if bi < 0:
            break
        for q in (bi, bj):
            if q >= 0:
                sgn = -1.0 if mask[q] else 1.0
                mask[q] = not mask[q]
                s += sgn * A[q]
        cur0, cur1 = best0, best1
    return mask


def filter_subsets(
    vectors, targets, width=2048, polish=8, max_rounds=1000
) -> tuple[np.ndarray, np.ndarray]:
    """Heuristic best subsets for a batch of multidimensional subset-sum problems.

    Row l: choose ``S`` among the b vectors ``vectors[l]`` (b, k) to minimise
    ``max_j |targets[l, j] - sum_{t in S} vectors[l, t, j]|``. Beam search of ``width``
    states over the vectors in decreasing order of their max norm (each state keeps or
    takes the next vector; the states with the smallest max residual survive), then a
    local search (best single flip, else best swap) from each of the ``polish`` best final
    states. The result is a subset: its error is an *upper* bound on the optimum (compare
    :func:`exact_filter_subset` for small b).

    Returns
    -------
    masks : numpy.ndarray of bool, shape (c, b)
    errors : numpy.ndarray, shape (c,)
    """
    A = as_real_array(vectors, "vectors").astype(np.float64)
    if A.ndim != 3 or A.shape[1] == 0:
        raise ValueError(f"vectors must be a 3-D array (c, b, k), got shape {A.shape}")
    Z = as_real_array(targets, "targets").astype(np.float64)
    if Z.shape != (A.shape[0], A.shape[2]):
        raise ValueError(f"targets must have shape {(A.shape[0], A.shape[2])}, got {Z.shape}")
    width = as_count(width, "width", minimum=1)
    polish = as_count(polish, "polish", minimum=1)
    max_rounds = as_count(max_rounds, "max_rounds")
    c, b, k = A.shape
    masks = np.zeros((c, b), dtype=bool)
    errors = np.zeros(c)
    for row in range(c):
        order = np.argsort(-np.abs(A[row]).max(axis=1), kind="stable")
        Ao = np.ascontiguousarray(A[row][order])
        codes = _beam_kernel(Ao, Z[row], width)
        best, best_mask = np.inf, None
        for q in range(min(polish, codes.shape[0])):
            mask_o = _filter_swaps(Ao, Z[row], codes[q].copy(), max_rounds)
            err = float(np.max(np.abs(Z[row] - Ao[mask_o].sum(axis=0))))
            if err < best:
                best, best_mask = err, mask_o
        masks[row, order] = best_mask
        errors[row] = np.max(np.abs(Z[row] - A[row][masks[row]].sum(axis=0)))
    return masks, errors


def predicted_best_error(vectors, target) -> float:
    """First-moment estimate of the median error of the best subset (``nan`` for fewer
    than 2k vectors, or vectors that do not span R^k: the normal approximation is then
    meaningless).

    For a uniformly random subset S, ``sum_{t in S} a_t`` has mean ``mu = sum_t a_t / 2``
    and covariance ``C = sum_t a_t a_t^T / 4``. If it has, near the target z, the normal
    density ``phi(z)`` (local central limit theorem), the expected number of the 2^b
    subsets within ``eps`` of z in the max norm is ``N(eps) = 2^b phi(z) (2 eps)^k``.
    Treating the subsets as independent (the Poisson heuristic of the chapter on quantized
    targets), the best error exceeds ``eps`` with probability ``exp(-N(eps))``, so its
    median is the ``eps`` with ``N(eps) = ln 2``:
    ``eps = (ln 2 / (2^b phi(z)))^(1/k) / 2``.

    This is an estimate, not a bound; for k = 1 it is the median error of
    :func:`rsslib.best_subset` on such samples, which the chapter checks.
    """
    A = as_real_array(vectors, "vectors").astype(np.float64)
    if A.ndim != 2 or A.shape[0] == 0:
        raise ValueError(f"vectors must be a non-empty 2-D array (b, k), got {A.shape}")
    z = as_real_array(target, "target").astype(np.float64)
    if z.shape != (A.shape[1],):
        raise ValueError(f"target must have shape ({A.shape[1]},), got {z.shape}")
    b, k = A.shape
    C = 0.25 * A.T @ A
    sign, logdet = np.linalg.slogdet(C)
    if b < 2 * k or sign <= 0 or not np.isfinite(logdet):
        return float("nan")
    x = z - 0.5 * A.sum(axis=0)
    log_phi = -0.5 * k * math.log(2 * math.pi) - 0.5 * logdet - 0.5 * x @ np.linalg.solve(C, x)
    exponent = (math.log(math.log(2)) - b * math.log(2) - log_phi) / k
    return 0.5 * math.exp(exponent) if exponent < 700 else float("inf")


# ---------------------------------------------------------------------------------------
# Part B: the first layer of the digits CNN
# ---------------------------------------------------------------------------------------
#: Largest |weight| of the first layer relative to the scale of V (Part III's choice).
TOP = 0.25
METHODS = ("filter", "weight")


def filter_top(block) -> float:
    """The ``top`` used for filter pruning: ``max(1/4, sqrt(block / 32))``.

    The 2^b subset sums of a block of b filters ``V[l, t] U_t`` spread over a region whose
    width grows like ``sqrt(b)`` times V's scale; the denser the sums near the target, the
    better the best one, so the filters should shrink as the block grows, as long as the
    targets stay inside that region. Scaling V like ``1 / sqrt(b)`` keeps the region's
    width fixed; the constant 32 was chosen on seed 0 among a few rules (see the chapter).
    Weight pruning keeps Part III's 1/4: each weight has its own subset of b values.
    """
    return max(TOP, math.sqrt(as_count(block, "block", minimum=1) / 32.0))


def random_first_pair(K, block, seed, top=TOP) -> tuple[np.ndarray, np.ndarray]:
    """The random pair for a first layer K (c, 1, d, d): U (c b, 1, d, d), V (c, c b).

    U uniform on [0, 1] and V uniform on [-1, 1] times ``max|K| / top``, drawn in that order
    from ``np.random.default_rng(seed)``. Hidden channel t serves output ``t // block``.
    """
    K = as_real_array(K, "K").astype(np.float64)
    if K.ndim != 4 or K.shape[1] != 1 or K.shape[2] != K.shape[3]:
        raise ValueError(f"K must have shape (c, 1, d, d), got {K.shape}")
    block = as_count(block, "block", minimum=1)
    top = as_positive_real(top, "top")
    c, _, d, _ = K.shape
    rng = as_generator(seed)
    U = rng.uniform(0.0, 1.0, (c * block, 1, d, d))
    V = rng.uniform(-1.0, 1.0, (c, c * block)) * (float(np.abs(K).max()) / top)
    return U, V


@dataclass(frozen=True)
class FirstLayerPruning:
    """Masks on the random pair of :func:`random_first_pair` and what they give."""

    U_mask: np.ndarray  # (n, 1, d, d) bool
    V_mask: np.ndarray  # (c, n) bool
    L: np.ndarray  # (c, 1, d, d): the pruned pair's effective kernel sum_t V U
    kept: int  # kept entries of U and V
    kept_channels: int  # hidden channels with at least one kept entry


def prune_first_pair(K, U, V, method, width=2048) -> FirstLayerPruning:
    """Prune the pair (U, V) into K by whole filters or by single weights.

    ``"filter"``: for output l, a subset ``S_l`` of its block's channels, kept whole
    (:func:`filter_subsets`, an upper bound on the best filter subset's error).
    ``"weight"``: for each entry j of ``K_l``, the best subset of the products
    ``V[l, t] U_t[j]`` (exact, :func:`rsslib.best_subsets`, at most :data:`MAX_TERMS`
    products: the first ones of the block).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    K = as_real_array(K, "K").astype(np.float64)
    U = as_real_array(U, "U").astype(np.float64)
    V = as_real_array(V, "V").astype(np.float64)
    c = K.shape[0]
    n = U.shape[0]
    if V.shape != (c, n) or U.shape[1:] != K.shape[1:] or n % c:
        raise ValueError(f"U {U.shape}, V {V.shape} do not fit K {K.shape} in blocks")
    if (U < 0).any():
        raise ValueError("U must be non-negative (the pair is then linear on images)")
    b = n // c
    k = int(np.prod(K.shape[1:]))
    U2 = U.reshape(n, k)
    chan = np.arange(n).reshape(c, b)  # chan[l] serves output l
    Vb = V[np.arange(c)[:, None], chan]  # (c, b)
    U_mask = np.zeros((n, k), dtype=bool)
    V_mask = np.zeros((c, n), dtype=bool)
    Kf = K.reshape(c, k)
    if method == "filter":
        masks, _ = filter_subsets(block_vectors(K, U, V), Kf, width=width)
        for out in range(c):
            U_mask[chan[out][masks[out]]] = True
            V_mask[out, chan[out][masks[out]]] = True
    else:
        T = min(b, MAX_TERMS)
        products = (Vb[:, :T, None] * U2[chan[:, :T]]).transpose(0, 2, 1)  # (c, k, T)
        masks, _ = best_subsets(products.reshape(c * k, T), Kf.reshape(-1))
        masks = masks.reshape(c, k, T)
        for out in range(c):
            for j in range(k):
                U_mask[chan[out, :T][masks[out, j]], j] = True
            V_mask[out, chan[out, :T]] = masks[out].any(axis=0)
    Um = np.where(U_mask, U2, 0.0)
    Vm = np.where(V_mask, V, 0.0)
    L = (Vm @ Um).reshape(K.shape)
    return FirstLayerPruning(
        U_mask.reshape(U.shape),
        V_mask,
        L,
        int(U_mask.sum() + V_mask.sum()),
        int(U_mask.any(axis=1).sum()),
    )


def block_vectors(K, U, V) -> np.ndarray:
    """``vectors[l, s] = V[l, t] U_t`` flattened, for the s-th channel t of block l."""
    K = np.asarray(K, dtype=np.float64)
    c = K.shape[0]
    n = U.shape[0]
    b = n // c
    chan = np.arange(n).reshape(c, b)
    Vb = np.asarray(V)[np.arange(c)[:, None], chan]
    return Vb[:, :, None] * np.asarray(U, dtype=np.float64).reshape(n, -1)[chan]


def first_layer_problems(block, seed, top=None) -> tuple[np.ndarray, np.ndarray]:
    """The 32 filter-pruning problems of the digits CNN's first layer: ``vectors``
    (32, block, 9) and ``targets`` (32, 9), with the pair of :func:`random_first_pair`
    (``top`` defaults to :func:`filter_top`)."""
    from rsslib.slth.digits_sweep import load

    block = as_count(block, "block", minimum=1)
    seed = as_seed(seed)
    K = load()[0][0].numpy()
    U, V = random_first_pair(K, block, seed, filter_top(block) if top is None else top)
    return block_vectors(K, U, V), K.reshape(K.shape[0], -1)


def first_layer_row(block, seed, method, width=2048, top=None) -> dict:
    """Prune the digits CNN's first layer from a random pair; measure it on the test set.

    ``top`` (the largest |K| over V's scale) defaults to :data:`TOP` for weight pruning
    and :func:`filter_top` for filter pruning: the same draw (same seed), scaled
    differently.

    The target is the stored digits CNN (:func:`rsslib.slth.digits_sweep.load`); its first
    convolution is replaced by the pruned pair, collapsed to its effective kernel
    (exact: U >= 0 on images >= 0), the other layers kept as trained. Compared on the 450
    test images with :func:`rsslib.slth.lenet.compare`.

    Returns
    -------
    dict
        ``block``, ``seed``, ``method``, ``layer_error`` (max |K - L| / max |K|),
        ``l1_error`` (max over outputs of the l1 norm of K_l - L_l, over max |K|),
        ``median_unit_error`` (the median, over the units solved, of their errors over
        max |K|: the 32 filters' max-norm errors, or the 288 weights' errors) and
        ``predicted_median`` (the median of :func:`predicted_best_error` over the same
        units: what the best subsets would probably achieve),
        ``relative_error``, ``agreement``, ``pruned_accuracy``, ``target_accuracy``,
        ``top``, ``kept`` and ``total`` (entries of the pair), ``kept_channels`` (hidden
        channels with a kept entry), ``target_params`` (entries of K).
    """
    import torch

    from rsslib.slth.digits_sweep import load, network
    from rsslib.slth.lenet import compare, logits

    block = as_count(block, "block", minimum=1)
    seed = as_int_seed(seed)  # stored in the row
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if top is None:
        top = filter_top(block) if method == "filter" else TOP
    filters, x_test, y_test = load()
    K = filters[0].numpy()
    U, V = random_first_pair(K, block, seed, top)
    res = prune_first_pair(K, U, V, method, width=width)
    approx = network([torch.from_numpy(res.L), *filters[1:]])
    result = compare(logits(network(filters), x_test), logits(approx, x_test), y_test)
    scale = float(np.abs(K).max())
    E = (K - res.L).reshape(K.shape[0], -1)
    vectors = block_vectors(K, U, V)
    Kf = K.reshape(K.shape[0], -1)
    if method == "filter":
        units = np.abs(E).max(axis=1)
        predicted = [predicted_best_error(vectors[o], Kf[o]) for o in range(Kf.shape[0])]
    else:
        T = min(block, MAX_TERMS)
        units = np.abs(E).reshape(-1)
        predicted = [
            predicted_best_error(vectors[o, :T, j : j + 1], Kf[o, j : j + 1])
            for o in range(Kf.shape[0])
            for j in range(Kf.shape[1])
        ]
    return {
        "block": block,
        "seed": int(seed),
        "method": method,
        "layer_error": float(np.abs(E).max() / scale),
        "l1_error": float(np.abs(E).sum(axis=1).max() / scale),
        "median_unit_error": float(np.median(units) / scale),
        "predicted_median": float(np.median(predicted) / scale),
        **result,
        "top": float(top),
        "kept": res.kept,
        "kept_channels": res.kept_channels,
        "total": int(U.size + V.size),
        "target_params": int(K.size),
    }
