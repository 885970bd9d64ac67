"""How wide and how deep must a random network be? Three pruning constructions, run.

Thesis Section 4.1 tells the history of the Strong Lottery Ticket Hypothesis in three
steps; this module implements each on small dense ReLU networks, so that the widths they
need can be measured instead of quoted.

1. Malach, Yehudai, Shalev-Shwartz and Shamir (2020) (the thesis's ``[MYSSS]``): each
   target weight w is realised by a random two-layer gadget
   ``x -> sum_i v_i relu(u_i x)`` pruned down to *at most one* hidden neuron per sign of
   the input, the one whose product ``u_i v_i`` is closest to w (method ``"single"``).
2. Pensia, Rajput, Nagle, Vishwakarma and Papailiopoulos (2020) (``[PRN+20]``): the same
   gadget pruned to a *subset* of neurons whose products sum to about w, a Random Subset
   Sum instance solved exactly by :func:`rsslib.best_subsets` (method ``"subset"``).
3. Burkholz (2022) and Burkholz, Laha, Mukherjee and Gotovos (2022) (the thesis's
   ``[Bur22]`` and ``[BLMG22, FB21]``): a target of depth l approximated by pruning a
   random network of depth l + 1 instead of 2l (:func:`random_network_lp1`,
   :func:`prune_lp1`), next to the 2l construction (:func:`random_network_2l`,
   :func:`prune_2l`).

The gadget and the sign trick
-----------------------------
Hidden neuron i has weights u_i (input to hidden) and v_i (hidden to output), both
uniform on [-1, 1]. For u_i > 0, ``v_i relu(u_i x) = (u_i v_i) relu(x)``; for u_i < 0,
``v_i relu(u_i x) = -(u_i v_i) relu(-x)``. Keeping a set S+ of neurons with u > 0 and a
set S- with u < 0, the pruned gadget is

    x -> W+ relu(x) - W- relu(-x),   W+ = sum_{S+} u_i v_i,   W- = sum_{S-} u_i v_i,

which is ``w x`` for every x when W+ = W- = w (the identity ``x = relu(x) - relu(-x)``).
Its sup error over x in [-1, 1] is ``max(|W+ - w|, |W- - w|)``: two independent
instances, one per half of the neurons, whose values are products of two uniforms (density
``-log|a| / 2``, :func:`rsslib.product_density`).

Widths are counted as hidden neurons per target weight (both signs together). The module
works in float64 numpy; the subset searches are rsslib's exact meet-in-the-middle solvers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from rsslib._validate import (
    as_count,
    as_finite_real,
    as_matrix,
    as_positive_real,
    as_real_array,
    as_rng,
    as_weight_list,
)
from rsslib.solve import best_subsets
from rsslib.sparsest import sparsest_subsets

METHODS = ("single", "subset")
RULES = ("min_error", "sparsest")
#: Largest half-gadget handed to the exact solver in the sweeps (2^20 sums per half).
MAX_HALF = 40
#: Relative tolerance under which a half-gadget's search stops in :func:`layer_error_curves`.
STOP_FRACTION = 1e-3


# ---------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------
def _level(level, name: str = "level") -> float:
    out = as_finite_real(level, name)
    if not 0.0 < out < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {out}")
    return out


def _method(method) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return method


def _eps_values(eps_values, name: str = "eps_values") -> np.ndarray:
    arr = np.atleast_1d(as_real_array(eps_values, name)).astype(np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D list of tolerances")
    if np.any(arr <= 0):
        raise ValueError(f"{name} must all be > 0")
    return arr


def _matrix(values, name: str) -> np.ndarray:
    return as_matrix(values, name).astype(np.float64)


def _widths(widths, name: str = "widths") -> tuple[int, ...]:
    if isinstance(widths, np.ndarray):
        widths = widths.tolist()
    if not isinstance(widths, Sequence) or len(widths) < 2:
        raise ValueError(f"{name} must list at least two layer widths (input, output)")
    return tuple(as_count(w, f"{name}[{i}]", 1) for i, w in enumerate(widths))


def _weights(weights, name: str = "target") -> list[np.ndarray]:
    return [w.astype(np.float64) for w in as_weight_list(weights, name)]


def _inputs(x, d: int, nonnegative: bool = False) -> np.ndarray:
    arr = _matrix(x, "x")
    if arr.shape[1] != d:
        raise ValueError(f"x must have {d} columns (one per input), got shape {arr.shape}")
    if nonnegative and np.any(arr < 0):
        raise ValueError("x must be non-negative (the constructions assume inputs >= 0)")
    return arr


def _rule(rule, tol):
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    if rule == "sparsest":
        return rule, as_positive_real(tol, "tol")
    if tol is not None:
        raise ValueError("tol is used only with rule='sparsest'; pass tol=None")
    return rule, None


# ---------------------------------------------------------------------------------------
# closed forms: one product, Malach's single neuron, counting
# ---------------------------------------------------------------------------------------
def product_cdf(t) -> np.ndarray:
    """CDF of the product A = U V of two independent uniforms on [-1, 1].

    ``P(0 <= A <= s) = (s - s log s) / 2`` for s in (0, 1] (integrate the density
    ``-log a / 2``; Lemma 3.4 (thesis Lemma 11)), so
    ``P(A <= t) = 1/2 + sign(t) G(min(|t|, 1))`` with G that function.

    Parameters
    ----------
    t : array_like
        Finite reals.

    Returns
    -------
    numpy.ndarray of float64, same shape as ``t``.
    """
    t = np.asarray(as_real_array(t, "t"), dtype=np.float64)
    s = np.minimum(np.abs(t), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(s > 0, (s - s * np.log(s)) / 2.0, 0.0)
    return 0.5 + np.sign(t) * g


def single_product_probability(w, eps) -> np.ndarray:
    """``p(w) = P(|U V - w| <= eps)`` for one product of two uniforms on [-1, 1].

    Parameters
    ----------
    w : array_like
        Targets (any reals; the product lives in [-1, 1]).
    eps : float
        Tolerance, > 0.

    Returns
    -------
    numpy.ndarray of float64, the shape of ``w``.
    """
    w = np.asarray(as_real_array(w, "w"), dtype=np.float64)
    eps = as_positive_real(eps, "eps")
    return product_cdf(w + eps) - product_cdf(w - eps)


def _gadget_success(w, eps, n):
    """P(a single-neuron gadget of n neurons is within eps of w), w an array, n an int.

    Each neuron is, independently, a good neuron with u > 0 with probability p/2 and a
    good neuron with u < 0 with probability p/2 (p = single_product_probability); success
    needs one of each, unless |w| <= eps (the empty gadget then suffices):
    ``1 - 2 (1 - p/2)^n + (1 - p)^n``.
    """
    p = product_cdf(w + eps) - product_cdf(w - eps)
    s = 1.0 - 2.0 * (1.0 - p / 2.0) ** n + (1.0 - p) ** n
    return np.where(np.abs(w) <= eps, 1.0, s)


def _average_over_w(fun) -> float:
    """Average of fun(w) over w uniform on [-1, 1] (fun even in w): Gauss-Legendre on [0, 1]
    split at geometric points towards 0 and 1, where p(w) has its log singularities."""
    nodes, weights = np.polynomial.legendre.leggauss(64)
    pts = np.geomspace(1e-12, 1.0, 40)
    edges = np.unique(np.concatenate([[0.0, 0.5, 1.0], pts / 2, 1.0 - pts / 2]))
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        w = (a + b) / 2 + (b - a) / 2 * nodes
        total += float(np.sum(weights * fun(w))) * (b - a) / 2
    return total


def malach_success_probability(n, eps, w=None):
    """Probability that the single-neuron (Malach-style) gadget of n neurons is eps-good.

    For a target w the gadget succeeds when some neuron with u > 0 and some neuron with
    u < 0 have ``|u v - w| <= eps`` (or ``|w| <= eps``, when no neuron is needed):
    ``1 - 2 (1 - p/2)^n + (1 - p)^n`` with ``p = single_product_probability(w, eps)``.

    Parameters
    ----------
    n : int
        Hidden neurons of the gadget, >= 0.
    eps : float
        Tolerance, > 0.
    w : array_like, optional
        Targets; ``None`` averages over w uniform on [-1, 1] (numerical quadrature,
        accurate to about 1e-9).

    Returns
    -------
    float or numpy.ndarray
    """
    n = as_count(n, "n")
    eps = as_positive_real(eps, "eps")
    if w is None:
        return _average_over_w(lambda t: _gadget_success(t, eps, n))
    w = np.asarray(as_real_array(w, "w"), dtype=np.float64)
    return _gadget_success(w, eps, n)


def _smallest_n(success, level: float, start: int = 1) -> int:
    """Smallest n >= start with success(n) >= level, success non-decreasing in n."""
    lo, hi = start - 1, max(start, 1)
    while success(hi) < level:
        lo, hi = hi, 2 * hi
        if hi > 2**40:
            raise ValueError("level is not reached by any width below 2^40")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if success(mid) >= level:
            hi = mid
        else:
            lo = mid
    return hi


def malach_width(eps, level, w=None) -> int:
    """Smallest width n whose single-neuron gadget is eps-good with probability >= level.

    The probability is :func:`malach_success_probability`, averaged over w uniform on
    [-1, 1] or at the given target; it increases with n, so the answer is found by
    bisection.

    Parameters
    ----------
    eps : float
        Tolerance, > 0.
    level : float
        Required probability, in (0, 1).
    w : float, optional
        One target weight (e.g. the worst case ``w = 1``); ``None`` averages.

    Returns
    -------
    int
    """
    eps = as_positive_real(eps, "eps")
    level = _level(level)
    if w is None:
        return _smallest_n(lambda n: malach_success_probability(n, eps), level)
    w = np.array([as_finite_real(w, "w")])
    if abs(w[0]) > 1 + eps:
        raise ValueError(f"w must be within eps of [-1, 1] (products lie there), got {w[0]}")
    return _smallest_n(lambda n: float(malach_success_probability(n, eps, w)[0]), level)


def malach_constant(level) -> float:
    """The constant c of the small-eps law ``malach_width(eps, level) ~ c / eps``.

    For small eps, ``p(w) ~ -2 eps log|w| / 2 = -eps log|w|`` and the success probability
    of width ``n = 2 lam / eps`` tends to ``(1 - |w|^lam)^2``, whose average over w is
    ``1 - 2 / (lam + 1) + 1 / (2 lam + 1)``. c = 2 lam for the lam where this equals level.

    Parameters
    ----------
    level : float
        In (0, 1).

    Returns
    -------
    float
    """
    level = _level(level)
    lo, hi = 0.0, 1.0
    while 1 - 2 / (hi + 1) + 1 / (2 * hi + 1) < level:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if 1 - 2 / (mid + 1) + 1 / (2 * mid + 1) < level:
            lo = mid
        else:
            hi = mid
    return 2 * hi


def packing_width(eps, level) -> int:
    """Counting lower bound on the width of *any* pruned gadget (Pensia et al.'s argument).

    A draw with N+ neurons of u > 0 yields at most 2^{N+} values W+, each within eps of a
    set of targets of length 2 eps; the targets w uniform on [-1, 1] it can serve have
    probability at most ``min(1, 2^{N+} eps)``, and the same for the other half. So the
    success probability of a width-n gadget is at most
    ``E[min(1, 2^{min(N+, n - N+)} eps)]``, N+ ~ Binomial(n, 1/2): a width with a smaller
    value cannot reach ``level``, whatever the pruning rule.

    Parameters
    ----------
    eps : float
        Tolerance, > 0.
    level : float
        In (0, 1).

    Returns
    -------
    int
        The smallest n at which the bound reaches ``level``.
    """
    eps = as_positive_real(eps, "eps")
    level = _level(level)

    def bound(n):
        k = np.arange(n + 1)
        cover = np.minimum(1.0, eps * 2.0 ** np.minimum(k, n - k))
        return float(np.sum(stats.binom.pmf(k, n, 0.5) * cover))

    return _smallest_n(bound, level)


# ---------------------------------------------------------------------------------------
# one gadget: prune, error, forward
# ---------------------------------------------------------------------------------------
def _gadget_arrays(w, u, v):
    w = as_finite_real(w, "w")
    u = np.asarray(as_real_array(u, "u"), dtype=np.float64)
    v = np.asarray(as_real_array(v, "v"), dtype=np.float64)
    if u.ndim != 1 or v.shape != u.shape:
        raise ValueError(f"u and v must be 1-D of one length, got {u.shape}, {v.shape}")
    return w, u, v


def prune_gadget(w, u, v, method) -> tuple[np.ndarray, float]:
    """Prune the gadget ``x -> sum_i v_i relu(u_i x)`` towards ``x -> w x``.

    ``method="single"`` keeps at most one neuron per half (u > 0, u < 0): the one whose
    product ``u_i v_i`` is closest to w, or none if ``|w|`` is smaller than that distance
    (Malach et al.'s one-edge-per-weight idea). ``method="subset"`` keeps, in each half, a
    subset whose products sum closest to w (Pensia et al.), solved exactly.

    Parameters
    ----------
    w : float
        Target weight.
    u, v : array_like, shape (n,)
        The gadget's input and output weights. Neurons with ``u_i = 0`` are never kept.
    method : {"single", "subset"}

    Returns
    -------
    mask : numpy.ndarray of bool, shape (n,)
        Kept neurons (their u and v are kept, every other weight pruned).
    error : float
        ``max(|W+ - w|, |W- - w|)``, the sup over x in [-1, 1] of the pruned gadget's
        distance to ``w x`` divided by nothing: at ``x = +-1`` the bound is attained.
    """
    w, u, v = _gadget_arrays(w, u, v)
    method = _method(method)
    a = u * v
    mask = np.zeros(u.size, dtype=bool)
    errors = []
    for half in (u > 0, u < 0):
        idx = np.flatnonzero(half)
        if method == "single":
            err = abs(w)
            if idx.size:
                best = idx[np.argmin(np.abs(a[idx] - w))]
                if abs(a[best] - w) < err:
                    err = abs(a[best] - w)
                    mask[best] = True
        else:
            sub, err = best_subsets(a[idx][None, :], np.array([w]))
            mask[idx[sub[0]]] = True
            err = float(err[0])
        errors.append(err)
    return mask, float(max(errors))


def gadget_forward(u, v, mask, x) -> np.ndarray:
    """Output of the pruned gadget ``sum_{i in mask} v_i relu(u_i x)`` at each x."""
    u = np.asarray(as_real_array(u, "u"), dtype=np.float64)
    v = np.asarray(as_real_array(v, "v"), dtype=np.float64)
    m = np.asarray(mask)
    if m.dtype != bool or m.shape != u.shape or v.shape != u.shape or u.ndim != 1:
        raise ValueError("u, v and mask (boolean) must be 1-D of one length")
    x = np.atleast_1d(np.asarray(as_real_array(x, "x"), dtype=np.float64))
    return np.maximum(np.outer(x, u[m]), 0.0) @ v[m]


# ---------------------------------------------------------------------------------------
# sweeps over widths: one weight
# ---------------------------------------------------------------------------------------
def _half_positions(sign_mask):
    """For each row, the 1-based positions of the True entries, padded with a sentinel."""
    rows, n = sign_mask.shape
    pos = np.full((rows, n), n + 1, dtype=np.int64)
    counts = sign_mask.sum(1)
    order = np.argsort(~sign_mask, axis=1, kind="stable")
    for r in range(rows):
        pos[r, : counts[r]] = order[r, : counts[r]] + 1
    return pos, counts


def _subset_first_passage(a_half, counts, w, eps_values, k_max):
    """For each row and eps: the smallest k with best error of a_half[r, :k] <= eps.

    Rows run out at counts[r] values (or k_max): unreached tolerances get k_max + 1.
    """
    rows = a_half.shape[0]
    k_needed = np.full((rows, eps_values.size), k_max + 1, dtype=np.int64)
    err0 = np.abs(w)
    k_needed[err0[:, None] <= eps_values[None, :]] = 0
    for k in range(1, k_max + 1):
        todo = np.flatnonzero((k_needed[:, np.argmin(eps_values)] > k_max) & (counts >= k))
        if todo.size == 0:
            break
        _, err = best_subsets(a_half[todo, :k], w[todo])
        fresh = (err[:, None] <= eps_values[None, :]) & (k_needed[todo] > k_max)
        sub = k_needed[todo]
        sub[fresh] = k
        k_needed[todo] = sub
    return k_needed


def critical_widths(eps_values, trials, method, max_width, seed=0, chunk=None):
    """Per trial, the smallest gadget width whose pruning is within eps, for each eps.

    Trial t draws a target ``w_t`` uniform on [-1, 1] and a sequence of ``max_width``
    neurons (u, v uniform on [-1, 1]); the gadget of width n uses the first n of them, so
    its best error (either method) can only fall as n grows, and the first width at which
    it is <= eps is well defined (first passage).

    Parameters
    ----------
    eps_values : array_like of float
        Tolerances, each > 0.
    trials : int
        Independent targets and draws, >= 1.
    method : {"single", "subset"}
        As in :func:`prune_gadget`. For ``"subset"`` each half is searched over at most
        :data:`MAX_HALF` values.
    max_width : int
        Neurons drawn per trial, >= 1. Trials that do not reach a tolerance within it get
        ``max_width + 1`` (censored).
    seed : int
        Seeds ``np.random.default_rng``: w for all trials first, then u and v in chunks.
    chunk : int, optional
        Trials drawn at once (memory); the result does not depend on it only through the
        order of draws, so keep it fixed when comparing runs. Default: all for
        ``"subset"``, about 2^22 neurons per chunk for ``"single"``.

    Returns
    -------
    numpy.ndarray of int64, shape (trials, len(eps_values))
    """
    eps = _eps_values(eps_values)
    trials = as_count(trials, "trials", 1)
    method = _method(method)
    max_width = as_count(max_width, "max_width", 1)
    seed = as_count(seed, "seed")
    if chunk is None:
        chunk = trials if method == "subset" else max(1, 2**22 // max_width)
    chunk = as_count(chunk, "chunk", 1)
    rng = np.random.default_rng(seed)
    w_all = rng.uniform(-1.0, 1.0, trials)
    out = np.empty((trials, eps.size), dtype=np.int64)
    for start in range(0, trials, chunk):
        w = w_all[start : start + chunk]
        m = w.size
        u = rng.uniform(-1.0, 1.0, (m, max_width))
        v = rng.uniform(-1.0, 1.0, (m, max_width))
        a = u * v
        needed = np.zeros((m, eps.size), dtype=np.int64)
        for sign in (u > 0, u < 0):
            if method == "single":
                dist = np.where(sign, np.abs(a - w[:, None]), np.inf)
                for e_i, e in enumerate(eps):
                    good = dist <= e
                    first = np.where(good.any(1), good.argmax(1) + 1, max_width + 1)
                    first[np.abs(w) <= e] = 0
                    needed[:, e_i] = np.maximum(needed[:, e_i], first)
            else:
                pos, counts = _half_positions(sign)
                k_max = min(MAX_HALF, max_width)
                a_half = np.take_along_axis(a, np.minimum(pos, max_width) - 1, axis=1)
                k_need = _subset_first_passage(a_half, counts, w, eps, k_max)
                width = np.where(
                    k_need == 0,
                    0,
                    np.take_along_axis(pos, np.clip(k_need - 1, 0, max_width - 1), axis=1),
                )
                width[k_need > k_max] = max_width + 1
                needed = np.maximum(needed, np.minimum(width, max_width + 1))
        out[start : start + m] = needed
    return out


def width_quantile(critical, level, confidence=0.95) -> tuple[int, int, int]:
    """The ``level``-quantile of per-trial critical widths, with a distribution-free interval.

    The estimate is the ``ceil(level T)``-th smallest of the T values: the smallest width
    at which at least a fraction ``level`` of the trials succeeded. The interval is the
    classical order-statistic one: with B ~ Binomial(T, level), the order statistics of
    ranks ``binom.ppf(a/2)`` and ``binom.ppf(1 - a/2) + 1`` (a = 1 - confidence) bracket
    the true quantile with probability at least ``confidence``.

    Parameters
    ----------
    critical : array_like of int, shape (T,)
        Critical widths (censored values are large and only matter if they reach the rank).
    level : float
        In (0, 1).
    confidence : float
        In (0, 1).

    Returns
    -------
    (estimate, low, high) : tuple of int
        ``high`` is capped at the largest value (then it is a lower bound of the true
        upper end).
    """
    arr = np.sort(np.asarray(as_real_array(critical, "critical")).reshape(-1))
    if arr.size == 0:
        raise ValueError("critical must hold at least one value")
    level = _level(level)
    confidence = _level(confidence, "confidence")
    t = arr.size
    rank = math.ceil(level * t)
    alpha = 1.0 - confidence
    lo_rank = max(1, int(stats.binom.ppf(alpha / 2, t, level)))
    hi_rank = min(t, int(stats.binom.ppf(1 - alpha / 2, t, level)) + 1)
    return int(arr[rank - 1]), int(arr[lo_rank - 1]), int(arr[hi_rank - 1])


# ---------------------------------------------------------------------------------------
# one dense layer
# ---------------------------------------------------------------------------------------
def random_layer_target(d_out, d_in, rng) -> np.ndarray:
    """A random target layer: entries uniform on [-1, 1], each row rescaled to l1 norm 1.

    Parameters
    ----------
    d_out, d_in : int
        Shape, each >= 1.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray of float64, shape (d_out, d_in)
    """
    d_out = as_count(d_out, "d_out", 1)
    d_in = as_count(d_in, "d_in", 1)
    w = as_rng(rng).uniform(-1.0, 1.0, (d_out, d_in))
    return w / np.abs(w).sum(1, keepdims=True)


def layer_sup_error(w, w_plus, w_minus) -> float:
    """Exact sup over x in [-1, 1]^d_in of the max-norm error of a pruned layer of gadgets.

    Weight (k, j) acts as ``w_plus[k, j]`` on ``x_j > 0`` and as ``w_minus[k, j]`` on
    ``x_j < 0``. Output k's error is ``sum_j e+_kj relu(x_j) - e-_kj relu(-x_j)``
    (``e = w_hat - w``), linear on each orthant, so its sup over the box is at a vertex:
    ``max(sum_j max(0, e+, -e-), -sum_j min(0, e+, -e-))``. With ``w_plus == w_minus``
    this is the familiar ``max_k sum_j |w_hat_kj - w_kj|``.

    Parameters
    ----------
    w, w_plus, w_minus : array_like, shape (d_out, d_in)

    Returns
    -------
    float
    """
    w = _matrix(w, "w")
    wp = _matrix(w_plus, "w_plus")
    wm = _matrix(w_minus, "w_minus")
    if wp.shape != w.shape or wm.shape != w.shape:
        raise ValueError("w, w_plus and w_minus must have one shape")
    return float(_layer_sup(wp - w, wp - w, wm - w, wm - w).max())


def _layer_sup(ep_lo, ep_hi, em_lo, em_hi):
    """Sup error per output row (axis -1 summed), signed errors known within [lo, hi]:
    an upper bound, exact when lo == hi."""
    up = np.maximum(0.0, np.maximum(ep_hi, -em_lo)).sum(-1)
    down = np.minimum(0.0, np.minimum(ep_lo, -em_hi)).sum(-1)
    return np.maximum(up, -down)


def _signed_subset_errors(a_half, counts, w, k_max, stop):
    """Signed best errors (sum - w) of each row's first k values, k = 0..k_max.

    Beyond the first k at which |error| <= stop[r] (or beyond counts[r]) the search
    stops: entries are then NaN and the caller bounds them by the last magnitude.
    """
    rows = a_half.shape[0]
    out = np.full((rows, k_max + 1), np.nan)
    out[:, 0] = -w
    done = np.abs(w) <= stop
    for k in range(1, k_max + 1):
        todo = np.flatnonzero(~done & (counts >= k))
        if todo.size == 0:
            break
        masks, err = best_subsets(a_half[todo, :k], w[todo])
        sums = np.where(masks, a_half[todo, :k], 0.0).sum(1)
        out[todo, k] = sums - w[todo]
        done[todo] = err <= stop[todo]
    return out


def _single_signed_errors(a, sign, w, widths):
    """Signed error of the best of {nothing, one neuron of the half} among the first n."""
    rows, n_max = a.shape
    dist = np.where(sign, np.abs(a - w[:, None]), np.inf)
    run = np.minimum.accumulate(dist, axis=1)
    new = (dist == run) & np.isfinite(dist)
    idx = np.maximum.accumulate(np.where(new, np.arange(n_max), -1), axis=1)
    cols = np.asarray(widths) - 1
    pick = idx[:, cols]
    val = np.take_along_axis(a, np.maximum(pick, 0), axis=1) - w[:, None]
    best = np.where(pick >= 0, val, -w[:, None])
    # the empty choice wins when |w| is below the best single distance
    return np.where(np.abs(w)[:, None] <= np.abs(best), -w[:, None], best)


def layer_error_curves(d_out, d_in, trials, method, widths, seed=0, stop=1e-8, chunk=None):
    """Exact sup error of a pruned random layer, at each width, for random targets.

    Each trial draws a target layer (:func:`random_layer_target`) and, for each of its
    ``d_out * d_in`` weights, its own block of ``max(widths)`` gadget neurons; the layer of
    width n uses the first n of each block. Weight (k, j) is pruned with ``method`` in each
    half (as :func:`prune_gadget`) and the layer's error over x in [-1, 1]^d_in is
    :func:`layer_sup_error`.

    For ``"subset"``, a half's search stops at the first prefix whose error is <= ``stop``
    (or at :data:`MAX_HALF` values); at larger widths that weight then enters with the
    magnitude of its last error and the worse sign. The result is therefore an upper bound,
    exact up to that point and larger than the exact value by at most ``d_in * stop``.

    Parameters
    ----------
    d_out, d_in : int
        Layer shape, each >= 1.
    trials : int
        Independent targets and draws, >= 1.
    method : {"single", "subset"}
    widths : array_like of int
        Increasing widths (neurons per weight), each >= 1.
    seed : int
        Seeds ``np.random.default_rng``: per chunk of trials, the targets, then u, then v.
    stop : float
        See above, > 0.
    chunk : int, optional
        Trials drawn at once; default all for ``"subset"``, about 2^22 neurons for
        ``"single"``. The draws depend on it: keep it fixed when comparing runs.

    Returns
    -------
    numpy.ndarray of float64, shape (trials, len(widths))
    """
    d_out = as_count(d_out, "d_out", 1)
    d_in = as_count(d_in, "d_in", 1)
    trials = as_count(trials, "trials", 1)
    method = _method(method)
    ws = np.asarray(widths)
    if ws.ndim != 1 or ws.size == 0 or not np.issubdtype(ws.dtype, np.integer):
        raise ValueError("widths must be a non-empty 1-D array of integers")
    if ws[0] < 1 or np.any(np.diff(ws) <= 0):
        raise ValueError("widths must be increasing and >= 1")
    seed = as_count(seed, "seed")
    stop = as_positive_real(stop, "stop")
    n_max = int(ws[-1])
    per_trial = d_out * d_in
    if chunk is None:
        chunk = trials if method == "subset" else max(1, 2**22 // (per_trial * n_max))
    chunk = as_count(chunk, "chunk", 1)
    rng = np.random.default_rng(seed)
    out = np.empty((trials, ws.size))
    for start in range(0, trials, chunk):
        m = min(chunk, trials - start)
        w = np.stack([random_layer_target(d_out, d_in, rng) for _ in range(m)]).reshape(-1)
        u = rng.uniform(-1.0, 1.0, (w.size, n_max))
        v = rng.uniform(-1.0, 1.0, (w.size, n_max))
        a = u * v
        lo_hi = []
        for sign in (u > 0, u < 0):
            if method == "single":
                e = _single_signed_errors(a, sign, w, ws)
                lo_hi.append((e, e))
                continue
            pos, counts = _half_positions(sign)
            k_max = min(MAX_HALF, n_max)
            a_half = np.take_along_axis(a, np.minimum(pos, n_max) - 1, axis=1)[:, :k_max]
            signed = _signed_subset_errors(a_half, counts, w, k_max, np.full(w.size, stop))
            k_true = sign.cumsum(1)[:, ws - 1]
            known = ~np.isnan(signed)
            last = np.maximum.accumulate(np.where(known, np.arange(k_max + 1), 0), axis=1)
            k_eff = np.take_along_axis(last, np.minimum(k_true, k_max), axis=1)
            e = np.take_along_axis(signed, k_eff, axis=1)
            exact = k_eff == k_true
            mag = np.abs(e)
            lo_hi.append((np.where(exact, e, -mag), np.where(exact, e, mag)))
        shape = (m, d_out, d_in, ws.size)
        parts = (np.moveaxis(x.reshape(shape), 3, 1) for lh in lo_hi for x in lh)
        out[start : start + m] = _layer_sup(*parts).max(-1)
    return out


def needed_width(errors, widths, eps, level, confidence=0.95) -> tuple[int, int, int]:
    """Smallest width at which a fraction >= level of the trials have error <= eps.

    Parameters
    ----------
    errors : array_like, shape (T, len(widths))
        From :func:`layer_error_curves`.
    widths : array_like of int
    eps, level, confidence : float

    Returns
    -------
    (estimate, low, high) : tuple of int
        ``low`` and ``high`` are the smallest widths whose Wilson ``confidence`` interval
        for the success fraction reaches above, and lies entirely above, ``level``: the
        widths the data cannot tell apart from the estimate. -1 where no width qualifies.
    """
    err = _matrix(errors, "errors")
    ws = np.asarray(widths)
    if ws.ndim != 1 or ws.size != err.shape[1]:
        raise ValueError("widths must have one entry per column of errors")
    eps = as_positive_real(eps, "eps")
    level = _level(level)
    confidence = _level(confidence, "confidence")
    t = err.shape[0]
    frac = (err <= eps).mean(0)
    z = stats.norm.ppf(0.5 + confidence / 2)
    centre = (frac + z * z / (2 * t)) / (1 + z * z / t)
    half = z * np.sqrt(frac * (1 - frac) / t + z * z / (4 * t * t)) / (1 + z * z / t)

    def first(cond):
        idx = np.flatnonzero(cond)
        return int(ws[idx[0]]) if idx.size else -1

    return first(frac >= level), first(centre + half >= level), first(centre - half >= level)


def malach_layer_prediction(d_out, d_in, eps, level, targets=2000, seed=0) -> int:
    """Width at which every weight of a random layer is within eps / d_in, both halves.

    A sufficient condition for the layer error to be <= eps (each output sums d_in weight
    errors); its probability given the target W is
    ``prod_kj malach_success_probability(n, eps / d_in, W_kj)`` exactly, averaged here over
    ``targets`` random layers (:func:`random_layer_target`). An upper prediction for the
    single-neuron layer: the exact sup error can pass eps earlier.

    Returns
    -------
    int
        The smallest n with averaged probability >= level.
    """
    d_out = as_count(d_out, "d_out", 1)
    d_in = as_count(d_in, "d_in", 1)
    eps = as_positive_real(eps, "eps")
    level = _level(level)
    targets = as_count(targets, "targets", 1)
    rng = np.random.default_rng(as_count(seed, "seed"))
    ws = np.stack([random_layer_target(d_out, d_in, rng) for _ in range(targets)])
    tol = eps / d_in

    def success(n):
        return float(np.prod(_gadget_success(ws, tol, n), axis=(1, 2)).mean())

    return _smallest_n(success, level)


# ---------------------------------------------------------------------------------------
# depth: target networks, the l + 1 and 2l constructions
# ---------------------------------------------------------------------------------------
def random_target(widths, seed=0) -> list[np.ndarray]:
    """A random dense ReLU target: layer k uniform on [-1, 1], rows rescaled to l1 norm 1.

    Parameters
    ----------
    widths : sequence of int
        ``(d_0, ..., d_l)``, l >= 1.
    seed : int

    Returns
    -------
    list of numpy.ndarray
        ``W_k`` of shape ``(d_k, d_{k-1})``.
    """
    ds = _widths(widths)
    rng = np.random.default_rng(as_count(seed, "seed"))
    return [random_layer_target(ds[k + 1], ds[k], rng) for k in range(len(ds) - 1)]


def forward(weights, x) -> np.ndarray:
    """``W_l relu(... relu(W_1 x))``: ReLU after every layer but the last, no biases.

    Parameters
    ----------
    weights : list of array_like
        Chaining matrices (``weights[k]`` of shape ``(d_{k+1}, d_k)``).
    x : array_like, shape (N, d_0)

    Returns
    -------
    numpy.ndarray of float64, shape (N, d_l)
    """
    ws = _weights(weights, "weights")
    h = _inputs(x, ws[0].shape[1])
    for k, w in enumerate(ws):
        h = h @ w.T
        if k < len(ws) - 1:
            h = np.maximum(h, 0.0)
    return h


def masked_forward(random, masks, x) -> np.ndarray:
    """:func:`forward` of the random network with every unmasked weight set to 0."""
    rs = _weights(random, "random")
    ms = _masks(masks, rs)
    return forward([r * m for r, m in zip(rs, ms, strict=True)], x)


def _masks(masks, rs) -> list[np.ndarray]:
    if isinstance(masks, np.ndarray) or not isinstance(masks, Sequence):
        raise ValueError("masks must be a list of boolean arrays, one per layer")
    if len(masks) != len(rs):
        raise ValueError(f"masks must hold one array per layer ({len(rs)}), got {len(masks)}")
    out = []
    for i, (m, r) in enumerate(zip(masks, rs, strict=True)):
        m = np.asarray(m)
        if m.dtype != bool or m.shape != r.shape:
            raise ValueError(f"masks[{i}] must be boolean of shape {r.shape}")
        out.append(m)
    return out


def _blocks_lp1(rho, layers: int) -> tuple[int, ...]:
    if isinstance(rho, np.ndarray):
        rho = rho.tolist()
    if isinstance(rho, Sequence):
        if len(rho) != layers:
            raise ValueError(f"rho must be one int or {layers} block sizes, got {len(rho)}")
        return tuple(as_count(r, f"rho[{i}]", 1) for i, r in enumerate(rho))
    return (as_count(rho, "rho", 1),) * layers


def random_network_lp1(widths, rho, seed=0) -> list[np.ndarray]:
    """The dense random network of depth l + 1 for a target of widths ``(d_0, ..., d_l)``.

    Random layer 1 has ``d_0 rho_1`` neurons (block j: ``rho_1`` would-be copies of input
    j), random layer k + 1 (1 <= k < l) has ``d_k rho_{k+1}`` neurons (block i: would-be
    copies of target neuron i of layer k), the last layer ``d_l`` outputs. Every weight,
    dense between consecutive layers, is uniform on [-1, 1].

    Parameters
    ----------
    widths : sequence of int
        Target widths, at least two.
    rho : int or sequence of l ints
        Block sizes ``rho_1 .. rho_l`` (one int: all equal), each >= 1.
    seed : int

    Returns
    -------
    list of numpy.ndarray
        Shapes ``(d_0 rho_1, d_0)``, ``(d_1 rho_2, d_0 rho_1)``, ...,
        ``(d_l, d_{l-1} rho_l)``.
    """
    ds = _widths(widths)
    rhos = _blocks_lp1(rho, len(ds) - 1)
    rng = np.random.default_rng(as_count(seed, "seed"))
    sizes = [ds[0]] + [d * r for d, r in zip(ds[:-1], rhos, strict=True)] + [ds[-1]]
    return [rng.uniform(-1.0, 1.0, (sizes[k + 1], sizes[k])) for k in range(len(sizes) - 1)]


def random_network_2l(widths, n, seed=0) -> list[np.ndarray]:
    """The dense random network of depth 2l (Pensia et al.'s form) for widths (d_0..d_l).

    Target layer k becomes a pair: ``U_k`` of shape ``(d_{k-1} n, d_{k-1})`` (block j of n
    hidden neurons meant for input j) and ``V_k`` of shape ``(d_k, d_{k-1} n)``, entries
    uniform on [-1, 1].

    Returns
    -------
    list of numpy.ndarray
        ``[U_1, V_1, U_2, V_2, ...]``.
    """
    ds = _widths(widths)
    n = as_count(n, "n", 1)
    rng = np.random.default_rng(as_count(seed, "seed"))
    out = []
    for k in range(len(ds) - 1):
        out.append(rng.uniform(-1.0, 1.0, (ds[k] * n, ds[k])))
        out.append(rng.uniform(-1.0, 1.0, (ds[k + 1], ds[k] * n)))
    return out


def _solve(values, targets, rule, tol):
    """Masks and sums for a batch of instances (rows of values, zeros never kept)."""
    if values.shape[1] == 0:
        return np.zeros(values.shape, dtype=bool)
    if rule == "min_error":
        masks, _ = best_subsets(values, targets)
    else:
        masks, _, _ = sparsest_subsets(values, targets, tol)
    return masks & (values != 0)


def _drop_unused(masks):
    """Prune the incoming weights of hidden neurons whose outgoing weights are all pruned
    (they cannot affect the output), from the last layer down."""
    for i in range(len(masks) - 1, 0, -1):
        unused = ~masks[i].any(0)
        masks[i - 1][unused, :] = False
    return masks


def _activation_bounds(target):
    """Per-neuron upper bounds B_k on the target's hidden activations for x in [0, 1]^d:
    B_0 = 1, B_k = relu(W_k) B_{k-1} (activations are >= 0 and inputs to a layer >= 0)."""
    bounds = [np.ones(target[0].shape[1])]
    for w in target[:-1]:
        bounds.append(np.maximum(w, 0.0) @ bounds[-1])
    return bounds


def _max_terms(max_terms) -> int:
    out = as_count(max_terms, "max_terms", 1)
    if out > MAX_HALF:
        raise ValueError(f"max_terms must be <= {MAX_HALF} (exact solver), got {out}")
    return out


def prune_lp1(target, random, rule="min_error", tol=None, max_terms=24) -> dict:
    """Prune a depth l + 1 random network (:func:`random_network_lp1`) towards ``target``.

    The construction (after Burkholz 2022, for ReLU and inputs in [0, 1]^d_0):

    - layer 1: neuron c of block j keeps only its weight ``a_c`` from input j, and only if
      ``a_c > 0``; it then outputs ``a_c x_j`` exactly;
    - layer 2: neuron z of block i (target neuron i of layer 1; output i if l = 1)
      keeps, from block j, the neurons of a subset whose products ``b_zc a_c`` sum to about
      ``W_1[i, j]``: it receives ``sum_j w_hat_zj x_j``;
    - layer k + 1 (k >= 2): neuron z of block i keeps, from block j of layer k (neurons
      that each approximate target neuron j of layer k - 1), a subset of its plain random
      weights ``b_zc`` summing to about ``W_k[i, j]``.

    Each (z, j) is one Random Subset Sum instance over the first ``max_terms`` usable
    neurons of block j (the others are pruned), solved exactly (``rule="min_error"``,
    :func:`rsslib.best_subsets`) or by the fewest values within ``tol``
    (``rule="sparsest"``, :func:`rsslib.sparsest.sparsest_subsets`). Finally, every hidden
    neuron that no kept weight reads loses its incoming weights too.

    Parameters
    ----------
    target : list of array_like
        ``W_1 .. W_l``.
    random : list of array_like
        Shapes as returned by :func:`random_network_lp1` for the target's widths (the block
        sizes are read from them).
    rule : {"min_error", "sparsest"}
    tol : float, optional
        Tolerance of ``"sparsest"``.
    max_terms : int
        Values offered to each instance, 1..:data:`MAX_HALF`.

    Returns
    -------
    dict
        ``masks`` (one boolean array per random layer); ``w_hat`` (for random layer
        k + 1, the effective weights ``(rows, d_{k-1})`` its neurons realise); ``kept_l1``
        (for random layers 3 .. l + 1, ``sum_j sum_{c kept} |b_zc|`` per neuron: how much
        the errors of the copies below can add up); ``rho`` (block sizes); ``certified``
        (:func:`certified_lp1`).
    """
    ws = _weights(target)
    rs = _weights(random, "random")
    rule, tol = _rule(rule, tol)
    max_terms = _max_terms(max_terms)
    ds = [ws[0].shape[1]] + [w.shape[0] for w in ws]
    l_count = len(ws)
    if len(rs) != l_count + 1:
        raise ValueError(f"random must hold {l_count + 1} layers for a {l_count}-layer target")
    rhos = []
    for k in range(l_count):
        rows = rs[k].shape[0]
        if rows % ds[k]:
            raise ValueError(f"random[{k}] must have a multiple of {ds[k]} rows, got {rows}")
        rhos.append(rows // ds[k])
    for k in range(l_count + 1):
        rows = ds[k] * rhos[k] if k < l_count else ds[l_count]
        cols = ds[0] if k == 0 else ds[k - 1] * rhos[k - 1]
        if rs[k].shape != (rows, cols):
            raise ValueError(f"random[{k}] must have shape {(rows, cols)}, got {rs[k].shape}")

    masks = [np.zeros(r.shape, dtype=bool) for r in rs]
    d0, rho1 = ds[0], rhos[0]
    copy_cols = np.repeat(np.arange(d0), rho1)
    a = rs[0][np.arange(d0 * rho1), copy_cols]
    w_hat, kept_l1 = [], []
    for k in range(1, l_count + 1):  # random layer k + 1 realises target layer k
        w_t, r, rho_in = ws[k - 1], rs[k], rhos[k - 1]
        rows = r.shape[0]
        owner = np.arange(rows) // rhos[k] if k < l_count else np.arange(rows)
        eff = np.zeros((rows, ds[k - 1]))
        l1 = np.zeros(rows)
        for j in range(ds[k - 1]):
            cols = np.arange(j * rho_in, (j + 1) * rho_in)
            if k == 1:
                cols = cols[a[cols] > 0]
            cols = cols[:max_terms]
            values = r[:, cols] * a[cols][None, :] if k == 1 else r[:, cols]
            sel = _solve(values, w_t[owner, j], rule, tol)
            masks[k][np.ix_(np.arange(rows), cols)] = sel
            eff[:, j] = np.where(sel, values, 0.0).sum(1)
            l1 += np.where(sel, np.abs(r[:, cols]), 0.0).sum(1)
        w_hat.append(eff)
        kept_l1.append(l1)
    masks[0][np.arange(d0 * rho1), copy_cols] = masks[1].any(0)
    masks = _drop_unused(masks)
    result = {"masks": masks, "w_hat": w_hat, "kept_l1": kept_l1[1:], "rho": tuple(rhos)}
    result["certified"] = certified_lp1(ws, result)
    return result


def certified_lp1(target, pruned) -> float:
    """A bound on ``max |pruned(x) - target(x)|`` over all x in [0, 1]^d_0 (l + 1 net).

    With ``delta_k`` a bound on how far each neuron of random layer k + 1 is from the
    target neuron it stands for, and B the activation bounds of the target:

    - ``delta_1 = max_z sum_j |w_hat_zj - W_1[i(z), j]| B_0j`` (layer 1's copies are exact);
    - ``delta_k = max_z (delta_{k-1} sum_{j, c kept} |b_zc|
      + sum_j |w_hat_zj - W_k[i(z), j]| B_{k-1, j})``,

    since the neuron's input is ``sum_j sum_c b_zc g_c`` with every ``|g_c - h_j| <=
    delta_{k-1}``, and ReLU is 1-Lipschitz. The last ``delta_l`` bounds the output error.
    Neurons pruned away entirely are included in the max (the bound stays valid).

    Parameters
    ----------
    target : list of array_like
    pruned : dict
        As returned by :func:`prune_lp1`.

    Returns
    -------
    float
    """
    ws = _weights(target)
    bounds = _activation_bounds(ws)
    rhos = pruned["rho"]
    delta = 0.0
    for k, (w, eff) in enumerate(zip(ws, pruned["w_hat"], strict=True)):
        rows = eff.shape[0]
        owner = np.arange(rows) // rhos[k + 1] if k < len(ws) - 1 else np.arange(rows)
        term = np.abs(eff - w[owner]) @ bounds[k]
        if k > 0:
            term = term + delta * pruned["kept_l1"][k - 1]
        delta = float(term.max())
    return delta


def prune_2l(target, random, rule="min_error", tol=None, max_terms=24) -> dict:
    """Prune a depth 2l random network (:func:`random_network_2l`) towards ``target``.

    Pair k: hidden neuron c of block j keeps only its weight ``U_k[c, j]``, if positive;
    output i keeps, among the first ``max_terms`` such neurons of block j, a subset whose
    products ``V_k[i, c] U_k[c, j]`` sum to about ``W_k[i, j]`` (Pensia et al.). On
    non-negative inputs the pruned pair computes ``W_hat_k h`` exactly
    (``relu(u t) = u t`` for u > 0, t >= 0).

    Parameters
    ----------
    target, random, rule, tol, max_terms
        As for :func:`prune_lp1`, with ``random`` from :func:`random_network_2l`.

    Returns
    -------
    dict
        ``masks``, ``w_hat`` (the effective matrices ``W_hat_k``), ``n``, ``certified``
        (:func:`certified_2l`).
    """
    ws = _weights(target)
    rs = _weights(random, "random")
    rule, tol = _rule(rule, tol)
    max_terms = _max_terms(max_terms)
    if len(rs) != 2 * len(ws):
        raise ValueError(f"random must hold {2 * len(ws)} layers for a {len(ws)}-layer target")
    d0 = ws[0].shape[1]
    n = rs[0].shape[0] // d0
    masks, w_hat = [], []
    for k, w in enumerate(ws):
        u_k, v_k = rs[2 * k], rs[2 * k + 1]
        d_out, d_in = w.shape
        if u_k.shape != (d_in * n, d_in) or v_k.shape != (d_out, d_in * n):
            raise ValueError(
                f"random[{2 * k}], random[{2 * k + 1}] must have shapes "
                f"{(d_in * n, d_in)}, {(d_out, d_in * n)}"
            )
        mu = np.zeros(u_k.shape, dtype=bool)
        mv = np.zeros(v_k.shape, dtype=bool)
        eff = np.zeros((d_out, d_in))
        for j in range(d_in):
            cols = np.arange(j * n, (j + 1) * n)
            cols = cols[u_k[cols, j] > 0][:max_terms]
            values = v_k[:, cols] * u_k[cols, j][None, :]
            sel = _solve(values, w[:, j], rule, tol)
            mv[np.ix_(np.arange(d_out), cols)] = sel
            eff[:, j] = np.where(sel, values, 0.0).sum(1)
            mu[cols, j] = sel.any(0)
        masks += [mu, mv]
        w_hat.append(eff)
    masks = _drop_unused(masks)
    result = {"masks": masks, "w_hat": w_hat, "n": n}
    result["certified"] = certified_2l(ws, result)
    return result


def certified_2l(target, pruned) -> float:
    """A bound on ``max |pruned(x) - target(x)|`` over x in [0, 1]^d_0 (2l network).

    The pruned network is the target with ``W_hat_k`` in place of ``W_k``, so
    ``e_k = max_i (sum_j |W_hat_k[i, j]| e_{k-1} + sum_j |W_hat_k - W_k|[i, j] B_{k-1, j})``
    with ``e_0 = 0``: errors of the layer below are multiplied by the pruned layer's
    l1 row norms, close to the target's (at most 1), not by the kept weights' total size.
    """
    ws = _weights(target)
    bounds = _activation_bounds(ws)
    err = 0.0
    for k, (w, eff) in enumerate(zip(ws, pruned["w_hat"], strict=True)):
        err = float((np.abs(eff).sum(1) * err + np.abs(eff - w) @ bounds[k]).max())
    return err


def parameter_counts(random, masks) -> dict:
    """Sizes of a random network and of its pruned sub-network.

    Returns
    -------
    dict
        ``depth`` (weight layers), ``max_width`` (largest layer, inputs excluded),
        ``random_weights`` (every entry of the dense random network), ``kept_weights``
        (entries the masks keep).
    """
    rs = _weights(random, "random")
    ms = _masks(masks, rs)
    return {
        "depth": len(rs),
        "max_width": int(max(r.shape[0] for r in rs)),
        "random_weights": int(sum(r.size for r in rs)),
        "kept_weights": int(sum(m.sum() for m in ms)),
    }


def measured_error(target, random, masks, x) -> float:
    """``max |masked_forward(random, masks, x) - forward(target, x)|`` over rows and outputs."""
    return float(np.abs(masked_forward(random, masks, x) - forward(target, x)).max())


# ---------------------------------------------------------------------------------------
# the stored sweep (scripts/width_sweep.py -> book/slth/data/width_sweep.csv)
# ---------------------------------------------------------------------------------------
#: Tolerances of the sweep: a log grid from 0.1 down to 1e-4.
SWEEP_EPS = (0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001)
#: Required success probability.
SWEEP_LEVEL = 0.9
#: The sweep's cases: (case, method, d, trials, seed, widths or max_width, eps used).
#: ``d = 0`` is one weight (:func:`critical_widths`), else a d x d layer
#: (:func:`layer_error_curves`). Malach's single neuron is sampled only where its widths
#: stay below about 10^5; at smaller eps the closed forms speak for it.
SWEEP_CASES = (
    ("weight", "subset", 0, 1000, 1, 120, SWEEP_EPS),
    ("weight", "single", 0, 1000, 2, 150_000, SWEEP_EPS[:5]),
    ("layer4", "subset", 4, 400, 3, 100, SWEEP_EPS),
    ("layer4", "single", 4, 300, 4, 60_000, SWEEP_EPS[:4]),
    ("layer8", "subset", 8, 200, 5, 100, SWEEP_EPS),
)
#: ``stop`` of :func:`layer_error_curves` in the sweep.
SWEEP_STOP = 1e-7


def _sweep_widths(method: str, top: int) -> np.ndarray:
    if method == "subset":
        return np.arange(1, top + 1)
    return np.unique(np.geomspace(1, top, 160).astype(np.int64))


def sweep_case(case: str, method: str, eps_values=None) -> list[dict]:
    """Run one case of :data:`SWEEP_CASES` and return its rows (one per tolerance).

    Parameters
    ----------
    case : str
        ``"weight"``, ``"layer4"`` or ``"layer8"``.
    method : {"single", "subset"}
    eps_values : sequence of float, optional
        A subset of the case's tolerances (the draws do not depend on it, so the widths
        equal those of the full case).

    Returns
    -------
    list of dict
        Keys ``case, method, d, eps, level, trials, width, low, high, exact``. ``low`` and
        ``high`` bracket the width (:func:`width_quantile` for one weight, 95%
        order-statistic interval; :func:`needed_width` for a layer, Wilson 95%). ``exact``
        is False where :func:`layer_error_curves`' early stop could have moved the width
        (then the width is an upper bound); always True for one weight.
    """
    rows = [c for c in SWEEP_CASES if c[0] == case and c[1] == method]
    if not rows:
        raise ValueError(f"no sweep case {case!r} with method {method!r}")
    _, _, d, trials, seed, top, eps_all = rows[0]
    if eps_values is None:
        eps_values = eps_all
    eps_values = [float(e) for e in _eps_values(eps_values)]
    if not set(eps_values) <= set(eps_all):
        raise ValueError(f"eps_values must be among the case's tolerances {eps_all}")
    out = []
    if d == 0:
        crit = critical_widths(eps_all, trials, method, top, seed)
        for i, e in enumerate(eps_all):
            if e in eps_values:
                n, lo, hi = width_quantile(crit[:, i], SWEEP_LEVEL)
                out.append(_row(case, method, d, e, trials, n, lo, hi, True))
        return out
    widths = _sweep_widths(method, top)
    errors = layer_error_curves(d, d, trials, method, widths, seed, stop=SWEEP_STOP)
    for e in eps_values:
        n, lo, hi = needed_width(errors, widths, e, SWEEP_LEVEL)
        # the early stop can only overstate errors, by at most d * stop
        n_opt = needed_width(errors - d * SWEEP_STOP, widths, e, SWEEP_LEVEL)[0]
        out.append(_row(case, method, d, e, trials, n, lo, hi, n_opt == n))
    return out


def _row(case, method, d, eps, trials, n, lo, hi, exact) -> dict:
    return {
        "case": case,
        "method": method,
        "d": d,
        "eps": eps,
        "level": SWEEP_LEVEL,
        "trials": trials,
        "width": n,
        "low": lo,
        "high": hi,
        "exact": bool(exact),
    }
