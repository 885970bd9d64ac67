"""Find the subset: exact minimisers of |sum(sample[S]) - target| by meet in the middle.

Horowitz and Sahni's algorithm (1974): split the sample into two halves, list the subset
sums of each half in increasing order, and sweep the two lists with two pointers (one
rising through the first half's sums, one falling through the second's) to find the pair
whose total is closest to the target. Time O(2^{n/2}) per instance, memory O(2^{n/2}).

This is what pruning a random network needs (thesis Chapter 4): one Random Subset Sum
instance per target weight, with n around 20 to 40 random coefficients each.

Implementation
--------------
- The sorted lists are built by merging, not sorting: the sums that use a new value x are
  the current list shifted by x, also sorted, and one linear merge gives the next list.
  Each merge runs from both ends at once (two independent walks the CPU overlaps).
- The last value of each half is never merged in: with L and R the lists without it, the
  answer is the best of four sweeps, L + R, (L + x) + R, L + (R + y), (L + x) + (R + y),
  interleaved in one branch-free loop. This halves the memory and, on random data where
  every comparison is a coin flip, avoids the cost of mispredicted branches.
- Values exactly 0 are dropped first: they cannot change a sum and are never selected.

Exactness
---------
The candidate sums are compared in floating point, so "optimal" means optimal up to the
rounding of a sum of n doubles (relative 1e-16 per addition); the returned error is
recomputed from the returned mask, summing in index order. Integer inputs below 2^53 are
exact.

Ties
----
The answer is a deterministic function of ``(sample, target)``, identical for any number of
threads. Ties go to the first of the four sweeps above that reaches the optimum (so the
subset without the halves' last values is preferred), then to the first pair that sweep
meets; within a half, equal sums are ordered with the subset lacking the later value first.

Limits
------
Memory is about ``32 * 2^{n/2}`` bytes per instance being solved (sorted sums and masks of
both halves, double-buffered while merging). The wrappers refuse work beyond
``MAX_MEMORY_BYTES`` (by default n <= 52 for one instance); a lower-memory method such as
Schroeppel and Shamir's (memory 2^{n/4}) would be needed beyond that and is not provided.
"""

from __future__ import annotations

import numba
import numpy as np

from rsslib import _mitm
from rsslib._jit import jit, parallel_jit
from rsslib._validate import as_batch, as_finite_real, as_sample

#: Refuse work whose buffers would exceed this many bytes in total (the solvers of
#: :mod:`rsslib.sparsest` and :mod:`rsslib.multidim` read it here too, at call time).
MAX_MEMORY_BYTES = 4 * 2**30


# ---------------------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------------------
@jit(inline="always")
def _merge_level(sums, masks, out_sums, out_masks, size, x, bit):
    """Stable merge of the sorted list (sums[:size]) with itself shifted by x.

    Run from both ends at once: the front fills the smaller half of the output, the back
    the larger half. The two walks are independent, which lets the CPU overlap them;
    ties put the unshifted sum (without the new value) first.
    """
    a = 0
    b = 0
    a2 = size - 1
    b2 = size - 1
    top = 2 * size - 1
    for k in range(size):
        a, b = _mitm.merge_step(sums, masks, a, b, x, bit, out_sums, out_masks, k)
        plain = sums[a2]
        shifted = sums[b2] + x
        if shifted >= plain:
            out_sums[top - k] = shifted
            out_masks[top - k] = masks[b2] | bit
            b2 -= 1
        else:
            out_sums[top - k] = plain
            out_masks[top - k] = masks[a2]
            a2 -= 1


@jit
def _sorted_sums(sample, positions, sums, masks, tmp_sums, tmp_masks):
    """The 2^h subset sums of sample[positions] in increasing order, with bitmasks.

    Bit ``positions[i]`` of a mask marks ``sample[positions[i]]``. Returns the buffers that
    hold the result (an even number of values leaves it in ``sums``/``masks``) and 2^h.
    """
    sums[0] = 0.0
    masks[0] = 0
    size = 1
    for i in range(positions.size):
        p = positions[i]
        _merge_level(sums, masks, tmp_sums, tmp_masks, size, sample[p], np.int64(1) << p)
        sums, tmp_sums = tmp_sums, sums
        masks, tmp_masks = tmp_masks, masks
        size *= 2
    return sums, masks, size


@jit(inline="always")
def _sweep_step(left, right, target, i, j, best, bi, bj):
    """One step of the two-pointer sweep, without branches.

    ``left[n_left] = +inf`` and ``right[0] = -inf`` are sentinels and ``right[j + 1]`` is
    the j-th sorted sum, so every load is valid and a sentinel is never the best pair.
    """
    d = left[i] + right[j + 1] - target
    ad = abs(d)
    better = ad < best
    best = ad if better else best
    bi = i if better else bi
    bj = j if better else bj
    down = np.int64(d > 0.0)
    return i + 1 - down, j - down, best, bi, bj


@jit
def _closest_pair4(left, n_left, x, right, n_right, y, target):
    """Closest pair to ``target`` in (L u (L + x)) + (R u (R + y)), L, R sorted.

    The last level of each half is never built: the four sweeps L + R, (L + x) + R,
    L + (R + y), (L + x) + (R + y) run interleaved, so their independent steps overlap.
    Each sweep takes n_left + n_right - 1 steps (every step retires one element).
    Returns (sweep, i, j); ties go to the lowest sweep, then to the first pair met.
    """
    i0 = i1 = i2 = i3 = 0
    j0 = j1 = j2 = j3 = n_right - 1
    b0 = b1 = b2 = b3 = np.inf
    p0 = p1 = p2 = p3 = 0
    q0 = q1 = q2 = q3 = 0
    t1 = target - x
    t2 = target - y
    t3 = target - x - y
    for _ in range(n_left + n_right - 1):
        i0, j0, b0, p0, q0 = _sweep_step(left, right, target, i0, j0, b0, p0, q0)
        i1, j1, b1, p1, q1 = _sweep_step(left, right, t1, i1, j1, b1, p1, q1)
        i2, j2, b2, p2, q2 = _sweep_step(left, right, t2, i2, j2, b2, p2, q2)
        i3, j3, b3, p3, q3 = _sweep_step(left, right, t3, i3, j3, b3, p3, q3)
    sweep, best, bi, bj = 0, b0, p0, q0
    if b1 < best:
        sweep, best, bi, bj = 1, b1, p1, q1
    if b2 < best:
        sweep, best, bi, bj = 2, b2, p2, q2
    if b3 < best:
        sweep, best, bi, bj = 3, b3, p3, q3
    return sweep, bi, bj


@jit
def _halves(sample, ws):
    """Sorted half sums of ``sample``, ready for :func:`_sweep_halves` (sentinels set).

    Zeros are left out. The last value of each half (``x`` at bit ``x_bit``, ``y`` at
    ``y_bit``; 0 and bit -1 if the half is empty) is not materialised: the sweep adds it.
    """
    s0, m0, s1, m1, s2, m2, s3, m3 = ws
    nonzero = np.flatnonzero(sample != 0.0)
    h = (nonzero.size + 1) // 2
    x_bit = nonzero[h - 1] if h >= 1 else -1
    y_bit = nonzero[-1] if nonzero.size >= 2 else -1
    x = sample[x_bit] if x_bit >= 0 else 0.0
    y = sample[y_bit] if y_bit >= 0 else 0.0
    left_pos = nonzero[: max(h - 1, 0)]
    right_pos = nonzero[h : max(nonzero.size - 1, h)]
    left, lmask, n_left = _sorted_sums(sample, left_pos, s0, m0, s1, m1)
    left[n_left] = np.inf
    _, rmask, n_right = _sorted_sums(sample, right_pos, s2[1:], m2, s3[1:], m3)
    right = s2 if right_pos.size % 2 == 0 else s3
    right[0] = -np.inf
    return left, lmask, n_left, x, x_bit, right, rmask, n_right, y, y_bit


@jit
def _sweep_halves(sample, target, halves, mask_out):
    """Best subset for ``target`` from prepared halves; write its mask, return its error."""
    left, lmask, n_left, x, x_bit, right, rmask, n_right, y, y_bit = halves
    sweep, bi, bj = _closest_pair4(left, n_left, x, right, n_right, y, target)
    chosen = lmask[bi] | rmask[bj]
    if (sweep == 1 or sweep == 3) and x_bit >= 0:
        chosen |= np.int64(1) << x_bit
    if (sweep == 2 or sweep == 3) and y_bit >= 0:
        chosen |= np.int64(1) << y_bit
    total = 0.0
    for p in range(sample.size):
        selected = (chosen >> p) & 1 == 1
        mask_out[p] = selected
        if selected:
            total += sample[p]
    return abs(total - target)


@jit
def _solve_into(sample, target, ws, mask_out):
    """Solve one instance using workspace ``ws``; write the mask, return the error."""
    return _sweep_halves(sample, target, _halves(sample, ws), mask_out)


@jit
def _workspace(n):
    """Buffers for one instance of n values: two sorted lists of 2^(ceil(n/2) - 1) sums
    (plus a sentinel slot), each double-buffered, with their masks."""
    size = (1 << max((n + 1) // 2 - 1, 0)) + 1
    return (
        np.empty(size),
        np.empty(size, dtype=np.int64),
        np.empty(size),
        np.empty(size, dtype=np.int64),
        np.empty(size),
        np.empty(size, dtype=np.int64),
        np.empty(size),
        np.empty(size, dtype=np.int64),
    )


@jit
def _solve_one(sample, target):
    mask = np.zeros(sample.size, dtype=np.bool_)
    error = _solve_into(sample, target, _workspace(sample.size), mask)
    return mask, error


@parallel_jit
def _solve_batch(samples, targets, blocks):
    """Instances split into ``blocks`` contiguous blocks; one workspace per block."""
    m, n = samples.shape
    masks = np.zeros((m, n), dtype=np.bool_)
    errors = np.empty(m)
    for blk in numba.prange(blocks):
        ws = _workspace(n)
        for r in range(blk * m // blocks, (blk + 1) * m // blocks):
            errors[r] = _solve_into(samples[r], targets[r], ws, masks[r])
    return masks, errors


@parallel_jit
def _solve_shared(sample, targets, blocks):
    """One sample, many targets: each block builds the sorted half sums once, then sweeps."""
    k = targets.size
    masks = np.zeros((k, sample.size), dtype=np.bool_)
    errors = np.empty(k)
    for blk in numba.prange(blocks):
        halves = _halves(sample, _workspace(sample.size))
        for r in range(blk * k // blocks, (blk + 1) * k // blocks):
            errors[r] = _sweep_halves(sample, targets[r], halves, masks[r])
    return masks, errors


# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------
def _workspace_bytes(n: int) -> int:
    return 8 * 8 * ((1 << max((n + 1) // 2 - 1, 0)) + 1)


def _check_size(n: int, copies: int, what: str) -> None:
    _mitm.check_size(n, copies, what, _workspace_bytes, MAX_MEMORY_BYTES)


# ---------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------
def best_subset(sample, target) -> tuple[np.ndarray, float]:
    """Exact minimiser of ``|sum(sample[mask]) - target|`` (meet in the middle).

    Parameters
    ----------
    sample : array_like, shape (n,)
        Finite real values; integers and float32 are converted to float64.
    target : float
        Finite target value.

    Returns
    -------
    mask : numpy.ndarray of bool, shape (n,)
        The chosen subset (see the module notes for how ties are broken).
    error : float
        ``abs(sum(sample[mask]) - target)``, the sum taken in index order. The empty
        sample gives an empty mask and ``abs(target)``.

    Raises
    ------
    ValueError
        On non-finite or non 1-D input, or n too large for ``MAX_MEMORY_BYTES``.
    """
    x = as_sample(sample)
    t = as_finite_real(target, "target")
    _check_size(x.size, 1, "best_subset")
    mask, error = _solve_one(x, t)
    return mask, float(error)


#: Rows per task when best_subsets runs on an executor.
BATCH_ROWS = 4096


def _best_subsets_rows(x, t, threads=None):
    """One batch of rows on a worker (module level, so process pools and dask pickle it)."""
    from rsslib.sweeps import limit_numba_threads

    limit_numba_threads(threads)
    return _solve_batch(x, t, _mitm.blocks(x.shape[0]))


def best_subsets(samples, targets, executor=None, threads=None) -> tuple[np.ndarray, np.ndarray]:
    """Solve m independent instances in parallel: row r of ``samples`` against ``targets[r]``.

    Parameters
    ----------
    samples : array_like, shape (m, n)
    targets : array_like, shape (m,)
    executor : concurrent.futures.Executor, optional
        Solve batches of :data:`BATCH_ROWS` rows on it (a process pool, a dask
        ``Client.get_executor()``); ``None`` solves in this process. The solver is exact and
        deterministic, so the answer does not depend on the executor.
    threads : int, optional
        numba threads per batch on the workers; does not change the answer.

    Returns
    -------
    masks : numpy.ndarray of bool, shape (m, n)
    errors : numpy.ndarray of float64, shape (m,)
        Row by row equal to :func:`best_subset`.
    """
    x, t = as_batch(samples, targets)
    m, n = x.shape
    blocks = _mitm.blocks(m)
    _check_size(n, min(blocks, numba.get_num_threads()), "best_subsets")
    if m == 0:
        return np.zeros((0, n), dtype=bool), np.zeros(0)
    if executor is None:
        return _solve_batch(x, t, blocks)
    from rsslib.sweeps import run_tasks

    tasks = [
        (x[i : i + BATCH_ROWS], t[i : i + BATCH_ROWS], threads) for i in range(0, m, BATCH_ROWS)
    ]
    parts = run_tasks(_best_subsets_rows, tasks, executor, progress=None, desc="best subsets")
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def best_subsets_for_targets(sample, targets) -> tuple[np.ndarray, np.ndarray]:
    """One sample, many targets: the sorted half sums are built once and shared.

    Returns
    -------
    masks : numpy.ndarray of bool, shape (k, n)
    errors : numpy.ndarray of float64, shape (k,)
        Entry r equal to ``best_subset(sample, targets[r])``.
    """
    x = as_sample(sample)
    t = as_sample(targets, "targets")
    _check_size(x.size, 1, "best_subsets_for_targets")
    if t.size == 0:
        return np.zeros((0, x.size), dtype=bool), np.zeros(0)
    return _solve_shared(x, t, _mitm.blocks(t.size))
