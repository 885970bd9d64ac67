"""The sparsest good subset: fewest values whose sum is within eps of the target.

Pruning a random network keeps, for each target weight w, a subset S of n random values
with ``|sum(S) - w| <= eps`` (Pensia et al. 2020; thesis Chapter 4). Every kept value is a
weight of the pruned network, so among the subsets that are good enough the one with the
fewest elements gives the smallest network. :func:`rsslib.best_subset` minimises the
error and ignores the size; this module minimises the size under the error constraint:

    minimise |S|  subject to  |sum(sample[S]) - target| <= eps,

ties (same size) going to the smaller error. It also answers the fixed-size question
(:func:`best_subset_of_size`): the smallest error among subsets of exactly k values.

Algorithm: meet in the middle, by size
--------------------------------------
Split the sample into a left half (the first ``n // 2`` values) and a right half. For each
half list its 2^h subset sums *grouped by cardinality*, each group in increasing order:
adding a value x to a half whose size-j groups are G_j gives new groups
``G'_j = merge(G_j, G_{j-1} + x)``, one linear merge per group, O(2^h) work per value and
O(2^{h+1}) in all, no sorting. A subset of size k is a size-a subset of the left half and
a size-(k - a) subset of the right half, so the best size-k subset is the closest pair
over the k + 1 (or fewer) group pairs (a, k - a), each found by the two-pointer sweep on
two sorted lists (or, when one group is much smaller than the other, by binary search of
each of its elements in the larger one). Sizes are tried in increasing order and the
search stops at the first size whose best error is at most eps. The groups of size <= c
after adding a value depend only on those of size <= c before, so the lists are first
built only up to size ``SMALL_SIZES`` (4); only if no size up to there reaches eps are
they rebuilt in full. A target that needs k <= 4 values (the common case when pruning)
thus costs about the number of subsets of each half with at most 4 elements, a small
fraction of the 2^{n/2} of a full sweep.

A subset of minimum size never contains a zero (dropping it keeps the sum), so zeros need
no special treatment; in the fixed-size search a zero is a legitimate filler.

Exactness and ties
------------------
Feasibility is decided on the sums as the kernel forms them (each half's sum accumulated
value by value, then one addition of the two halves), so a subset whose error lies within
a few ulps of eps may be classified either way; the returned error is recomputed from the
mask, summing in index order. Integer inputs below 2^53 are exact. The answer is a
deterministic function of the inputs, independent of the number of threads: among
subsets of the same size and the same error the first one met wins, groups pairs being
visited with the left size a increasing.

Infeasible instances
--------------------
If no subset is within eps of the target, :func:`sparsest_subset` returns a subset of
minimum error (of the smallest size among those, up to rounding) and reports
``feasible = False``; its error then equals that of :func:`rsslib.best_subset`.
"""

from __future__ import annotations

import numba
import numpy as np

from rsslib import _mitm, solve
from rsslib._jit import jit, parallel_jit
from rsslib._validate import as_batch, as_count, as_finite_real, as_positive_real, as_sample

#: Bitmasks are int64: at most 62 values per instance.
#: Sizes tried before the full groups are built (see :func:`_search_sizes`).
SMALL_SIZES = 4


# ---------------------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------------------
@jit
def _sums_by_size(sample, first, stop, cap, bufs):
    """Subset sums of ``sample[first:stop]`` of size at most ``cap``, grouped by size.

    On return group j <= min(cap, stop - first) (the sums of the j-subsets) is
    ``sums[starts[j]:starts[j + 1]]``, in increasing order, with bitmasks (bit p marks
    ``sample[p]``) in ``masks``. Within a group, equal sums keep the subset without the
    later value first. The groups of size <= cap after adding a value depend only on
    those of size <= cap before, so a small cap costs only the small groups. Returns
    (sums, masks, starts): the buffers that hold the result (they alternate).
    """
    sums, masks, tmp_sums, tmp_masks, starts, tmp_starts = bufs
    sums[0] = 0.0
    masks[0] = 0
    starts[0] = 0
    starts[1] = 1
    m = 0
    for p in range(first, stop):
        x = sample[p]
        bit = np.int64(1) << p
        tmp_starts[0] = 0
        out = 0
        for j in range(min(m + 1, cap) + 1):
            # merge G_j (if j <= m) with G_{j-1} + x (if j >= 1)
            a = starts[j] if j <= m else 0
            a_end = starts[j + 1] if j <= m else 0
            b = starts[j - 1] if j >= 1 else 0
            b_end = starts[j] if j >= 1 else 0
            while a < a_end and b < b_end:
                a, b = _mitm.merge_step(sums, masks, a, b, x, bit, tmp_sums, tmp_masks, out)
                out += 1
            while a < a_end:
                tmp_sums[out] = sums[a]
                tmp_masks[out] = masks[a]
                a += 1
                out += 1
            while b < b_end:
                tmp_sums[out] = sums[b] + x
                tmp_masks[out] = masks[b] | bit
                b += 1
                out += 1
            tmp_starts[j + 1] = out
        sums, tmp_sums = tmp_sums, sums
        masks, tmp_masks = tmp_masks, masks
        starts, tmp_starts = tmp_starts, starts
        m += 1
    return sums, masks, starts


@jit(inline="always")
def _sweep_pair(left, l0, l1, right, r0, r1, target, best, bi, bj):
    """Closest ``left[i] + right[j]`` to ``target``, i in [l0, l1), j in [r0, r1).

    Both ranges sorted increasingly; the current best (error, i, j) is replaced only by a
    strictly smaller error. Two pointers: i rises through the left, j falls through the
    right; each step retires one element, so at most (l1 - l0) + (r1 - r0) steps.
    """
    i = l0
    j = r1 - 1
    while i < l1 and j >= r0:
        d = left[i] + right[j] - target
        ad = abs(d)
        if ad < best:
            best = ad
            bi = i
            bj = j
        if d > 0.0:
            j -= 1
        elif d < 0.0:
            i += 1
        else:
            break
    return best, bi, bj


@jit(inline="always")
def _search_pair(small, s0, s1, large, g0, g1, target, best, bi, bj):
    """Same as :func:`_sweep_pair` by binary search of each small-list element.

    Returns (best, index in small, index in large). Costs (s1 - s0) log2(g1 - g0).
    """
    for i in range(s0, s1):
        want = target - small[i]
        lo = g0
        hi = g1
        while lo < hi:  # first position with large[pos] >= want
            mid = (lo + hi) >> 1
            if large[mid] < want:
                lo = mid + 1
            else:
                hi = mid
        if lo > g0:
            ad = abs(small[i] + large[lo - 1] - target)
            if ad < best:
                best = ad
                bi = i
                bj = lo - 1
        if lo < g1:
            ad = abs(small[i] + large[lo] - target)
            if ad < best:
                best = ad
                bi = i
                bj = lo
    return best, bi, bj


@jit
def _closest_of_size(left, ls, right, rs, h_left, h_right, k, target):
    """Best pair (error, i, j) with a left subset of size a and a right one of size k - a."""
    best = np.inf
    bi = -1
    bj = -1
    for a in range(max(0, k - h_right), min(k, h_left) + 1):
        b = k - a
        l0, l1 = ls[a], ls[a + 1]
        r0, r1 = rs[b], rs[b + 1]
        nl = l1 - l0
        nr = r1 - r0
        # binary search pays when one group is much smaller than the other
        if 8 * nl < nr:
            best, bi, bj = _search_pair(left, l0, l1, right, r0, r1, target, best, bi, bj)
        elif 8 * nr < nl:
            best, bj, bi = _search_pair(right, r0, r1, left, l0, l1, target, best, bj, bi)
        else:
            best, bi, bj = _sweep_pair(left, l0, l1, right, r0, r1, target, best, bi, bj)
    return best, bi, bj


@jit
def _search_sizes(sample, target, eps, k_lo, k_hi, ws, mask_out):
    """Try sizes k_lo..k_hi in order; stop at the first whose best error is <= eps.

    Writes the chosen mask; returns (error recomputed in index order, feasible). If no
    size reaches eps, the chosen subset is the best over all sizes tried (ties to the
    smaller size). ``eps < 0`` never stops early.
    """
    left_bufs, right_bufs = ws
    n = sample.size
    h_left = n // 2
    h_right = n - h_left
    best = np.inf
    chosen = np.int64(0)
    feasible = False
    # First build only the groups of size <= max(SMALL_SIZES, k_lo): cheap, and enough
    # for most pruning targets. If no size up to there reaches eps, build up to k_hi.
    k = k_lo
    cap = min(max(SMALL_SIZES, k_lo), k_hi)
    while k <= k_hi and not feasible:
        left, lmask, ls = _sums_by_size(sample, 0, h_left, cap, left_bufs)
        right, rmask, rs = _sums_by_size(sample, h_left, n, cap, right_bufs)
        while k <= cap:
            err, bi, bj = _closest_of_size(left, ls, right, rs, h_left, h_right, k, target)
            k += 1
            if bi >= 0 and err < best:
                best = err
                chosen = lmask[bi] | rmask[bj]
            if best <= eps:
                feasible = True
                break
        cap = k_hi
    total = 0.0
    for p in range(n):
        selected = (chosen >> p) & 1 == 1
        mask_out[p] = selected
        if selected:
            total += sample[p]
    return abs(total - target), feasible


@jit
def _half_buffers(h):
    """Grouped sums of one half of h values, double-buffered, with masks and group starts."""
    size = 1 << h
    return (
        np.empty(size),
        np.empty(size, dtype=np.int64),
        np.empty(size),
        np.empty(size, dtype=np.int64),
        np.empty(h + 2, dtype=np.int64),
        np.empty(h + 2, dtype=np.int64),
    )


@jit
def _workspace(n):
    """Buffers for one instance of n values: both halves'."""
    return _half_buffers(n // 2), _half_buffers(n - n // 2)


@jit
def _solve_one(sample, target, eps, k_lo, k_hi):
    mask = np.zeros(sample.size, dtype=np.bool_)
    error, feasible = _search_sizes(sample, target, eps, k_lo, k_hi, _workspace(sample.size), mask)
    return mask, error, feasible


@parallel_jit
def _solve_batch(samples, targets, eps, k_lo, k_hi, blocks):
    """Rows split into ``blocks`` contiguous blocks; one workspace per block."""
    m, n = samples.shape
    masks = np.zeros((m, n), dtype=np.bool_)
    errors = np.empty(m)
    feasible = np.zeros(m, dtype=np.bool_)
    for blk in numba.prange(blocks):
        ws = _workspace(n)
        for r in range(blk * m // blocks, (blk + 1) * m // blocks):
            errors[r], feasible[r] = _search_sizes(
                samples[r], targets[r], eps, k_lo, k_hi, ws, masks[r]
            )
    return masks, errors, feasible


# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------
def _workspace_bytes(n: int) -> int:
    return 32 * ((1 << (n // 2)) + (1 << (n - n // 2)))


def _check_size(n: int, copies: int, what: str) -> None:
    _mitm.check_size(n, copies, what, _workspace_bytes, solve.MAX_MEMORY_BYTES)


def _batch_inputs(samples, targets, what: str):
    x, t = as_batch(samples, targets)
    m, n = x.shape
    _check_size(n, min(_mitm.blocks(m), numba.get_num_threads()), what)
    return x, t


def _size(k, n: int) -> int:
    k = as_count(k, "k")
    if k > n:
        raise ValueError(f"k must be at most the number of values n={n}, got {k}")
    return k


# ---------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------
def sparsest_subset(sample, target, eps) -> tuple[np.ndarray, float, bool]:
    """Fewest values of ``sample`` whose sum is within ``eps`` of ``target``.

    Among the subsets S with ``|sum(sample[S]) - target| <= eps`` returns one of minimum
    cardinality, and among those one of minimum error (see the module notes).

    Parameters
    ----------
    sample, target : array_like of shape (n,), float
        The instance, as for :func:`rsslib.best_subset`.
    eps : float
        Tolerance, finite and > 0.

    Returns
    -------
    mask : numpy.ndarray of bool, shape (n,)
        The chosen subset. If no subset is within ``eps``, a subset of minimum error.
    error : float
        ``abs(sum(sample[mask]) - target)``, the sum taken in index order.
    feasible : bool
        Whether some subset is within ``eps`` (then ``mask`` is a sparsest one).

    Raises
    ------
    ValueError
        On non-finite or non 1-D input, ``eps <= 0``, or n too large
        (``rsslib.solve.MAX_MEMORY_BYTES``).
    """
    x = as_sample(sample)
    t = as_finite_real(target, "target")
    e = as_positive_real(eps, "eps")
    _check_size(x.size, 1, "sparsest_subset")
    mask, error, feasible = _solve_one(x, t, e, 0, x.size)
    return mask, float(error), bool(feasible)


def sparsest_subsets(samples, targets, eps) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`sparsest_subset` for m independent instances, in parallel over rows.

    Parameters
    ----------
    samples : array_like, shape (m, n)
    targets : array_like, shape (m,)
    eps : float
        One tolerance for every row, finite and > 0.

    Returns
    -------
    masks : numpy.ndarray of bool, shape (m, n)
    errors : numpy.ndarray of float64, shape (m,)
    feasible : numpy.ndarray of bool, shape (m,)
        Row by row equal to :func:`sparsest_subset`; ``masks.sum(1)`` are the sizes.
    """
    e = as_positive_real(eps, "eps")
    x, t = _batch_inputs(samples, targets, "sparsest_subsets")
    m, n = x.shape
    if m == 0:
        return np.zeros((0, n), dtype=bool), np.zeros(0), np.zeros(0, dtype=bool)
    return _solve_batch(x, t, e, 0, n, _mitm.blocks(m))


def best_subset_of_size(sample, target, k, at_most=False) -> tuple[np.ndarray, float]:
    """Exact minimiser of ``|sum(sample[S]) - target|`` over the subsets with ``|S| = k``.

    With ``at_most=True``, over the subsets with ``|S| <= k`` (ties to the smaller size):
    the Random Fixed-Size Subset Sum solver of the sparse-tickets chapter.

    Parameters
    ----------
    sample : array_like, shape (n,)
    target : float
    k : int
        Size of the subset, ``0 <= k <= n``.
    at_most : bool
        Allow every size up to ``k``.

    Returns
    -------
    mask : numpy.ndarray of bool, shape (n,)
        Exactly ``k`` entries set.
    error : float
        ``abs(sum(sample[mask]) - target)``, the sum taken in index order.
    """
    x = as_sample(sample)
    t = as_finite_real(target, "target")
    k = _size(k, x.size)
    _check_size(x.size, 1, "best_subset_of_size")
    mask, error, _ = _solve_one(x, t, -1.0, 0 if at_most else k, k)
    return mask, float(error)


def best_subsets_of_size(samples, targets, k, at_most=False) -> tuple[np.ndarray, np.ndarray]:
    """:func:`best_subset_of_size` for m independent instances (same k), in parallel.

    Returns
    -------
    masks : numpy.ndarray of bool, shape (m, n)
    errors : numpy.ndarray of float64, shape (m,)
    """
    x, t = _batch_inputs(samples, targets, "best_subsets_of_size")
    m, n = x.shape
    k = _size(k, n)
    if m == 0:
        return np.zeros((0, n), dtype=bool), np.zeros(0)
    masks, errors, _ = _solve_batch(x, t, -1.0, 0 if at_most else k, k, _mitm.blocks(m))
    return masks, errors
