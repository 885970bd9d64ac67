"""The two-layer gadget that realises one weight, pruned two ways: how wide must it be?

Malach, Yehudai, Shalev-Shwartz and Shamir (2020) (the thesis's ``[MYSSS]``) realise each
target weight w by a random two-layer gadget ``x -> sum_i v_i relu(u_i x)`` pruned down to
*at most one* hidden neuron per sign of the input, the one whose product ``u_i v_i`` is
closest to w (method ``"single"``). Pensia, Rajput, Nagle, Vishwakarma and Papailiopoulos
(2020) (``[PRN+20]``) prune the same gadget to a *subset* of neurons whose products sum to
about w, a Random Subset Sum instance solved exactly by :func:`rsslib.best_subsets`
(method ``"subset"``). This module holds one gadget: its closed forms (Proposition 10.2,
Proposition 10.3), its pruning (Proposition 10.1) and the sampled width one weight needs
(:func:`critical_widths`). Layers of gadgets are in :mod:`rsslib.slth.gadget_layers`, the
depth constructions in :mod:`rsslib.slth.dense`, the stored sweep in
:mod:`rsslib.slth.experiments.widths`.

The gadget and the sign trick (Proposition 10.1)
------------------------------------------------
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

import numpy as np
from scipy import stats

from rsslib._validate import (
    as_count,
    as_finite_real,
    as_generator,
    as_positive_real,
    as_real_array,
)
from rsslib.slth._gadget_common import (
    MAX_HALF,
    METHODS,
    eps_values_arg,
    half_positions,
    level_arg,
    method_arg,
    smallest_n,
)
from rsslib.solve import best_subsets

__all__ = [
    "MAX_HALF",
    "METHODS",
    "critical_widths",
    "gadget_forward",
    "malach_constant",
    "malach_success_probability",
    "malach_width",
    "packing_width",
    "product_cdf",
    "prune_gadget",
    "single_product_probability",
    "width_quantile",
]


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
    """Probability that the single-neuron (Malach-style) gadget of n neurons is eps-good
    (Proposition 10.2).

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
    level = level_arg(level)
    if w is None:
        return smallest_n(lambda n: malach_success_probability(n, eps), level)
    w = np.array([as_finite_real(w, "w")])
    if abs(w[0]) > 1 + eps:
        raise ValueError(f"w must be within eps of [-1, 1] (products lie there), got {w[0]}")
    return smallest_n(lambda n: float(malach_success_probability(n, eps, w)[0]), level)


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
    level = level_arg(level)
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
    """Counting lower bound on the width of *any* pruned gadget (Proposition 10.3, after
    Pensia et al.).

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
    level = level_arg(level)

    def bound(n):
        k = np.arange(n + 1)
        cover = np.minimum(1.0, eps * 2.0 ** np.minimum(k, n - k))
        return float(np.sum(stats.binom.pmf(k, n, 0.5) * cover))

    return smallest_n(bound, level)


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
    """Prune the gadget ``x -> sum_i v_i relu(u_i x)`` towards ``x -> w x`` (Proposition 10.1).

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
    method = method_arg(method)
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
# the width one weight needs, sampled
# ---------------------------------------------------------------------------------------
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
    seed : int or numpy.random.Generator
        Seeds ``np.random.default_rng`` (a Generator is drawn from directly): w for all
        trials first, then u and v in chunks.
    chunk : int, optional
        Trials drawn at once (memory); the result does not depend on it only through the
        order of draws, so keep it fixed when comparing runs. Default: all for
        ``"subset"``, about 2^22 neurons per chunk for ``"single"``.

    Returns
    -------
    numpy.ndarray of int64, shape (trials, len(eps_values))
    """
    eps = eps_values_arg(eps_values)
    trials = as_count(trials, "trials", 1)
    method = method_arg(method)
    max_width = as_count(max_width, "max_width", 1)
    rng = as_generator(seed)
    if chunk is None:
        chunk = trials if method == "subset" else max(1, 2**22 // max_width)
    chunk = as_count(chunk, "chunk", 1)
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
                pos, counts = half_positions(sign)
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
    level = level_arg(level)
    confidence = level_arg(confidence, "confidence")
    t = arr.size
    rank = math.ceil(level * t)
    alpha = 1.0 - confidence
    lo_rank = max(1, int(stats.binom.ppf(alpha / 2, t, level)))
    hi_rank = min(t, int(stats.binom.ppf(1 - alpha / 2, t, level)) + 1)
    return int(arr[rank - 1]), int(arr[lo_rank - 1]), int(arr[hi_rank - 1])
