"""Kernels of the multidimensional subset search (private: used by the public modules
:mod:`rsslib.vector_subsets` and :mod:`rsslib.multidim`).

Algorithm: meet in the middle, branch and bound on the first coordinate
-----------------------------------------------------------------------
The first ``n // 2`` vectors form the left half, the others the right half. Both halves'
2^h subset sums are listed (sum number j of a half takes the half's vectors whose bit is
set in j); the right ones are sorted by their first coordinate. A subset is a pair (left
sum b, right sum r) with error ``max_k |b_k + r_k - z_k|``, which is at least
``|r_0 - (z_0 - b_0)|``. So, with ``best`` the smallest error found so far (initially
that of the empty subset, ``||z||_inf``), for each left sum b only the right sums whose
first coordinate lies within ``best`` of ``z_0 - b_0`` can do better: they are a
contiguous run of the sorted list, found by binary search and scanned outwards from the
centre, so that ``best`` shrinks fast and the run with it. The other coordinates are
checked one by one, stopping at the first that is already too far. Memory is that of the
two lists, ``8 d (2^{n/2} + 2 * 2^{n/2})`` bytes and so; time ``O(2^{n/2} log 2^{n/2})``
plus the pairs that fall in the windows, a number that is small once ``best`` is near
its final value (about ``2^n * 2 best / sigma`` with ``sigma ~ sqrt(n / 6)``).

The decision version (is some subset within eps?) starts with ``best`` just above eps and
stops at the first subset found.

Exactness and ties
------------------
Candidates are compared on sums formed as the kernel forms them (each half's sum
accumulated vector by vector, then one addition), so optimal means optimal up to the
rounding of sums of n doubles; the error returned with a mask is recomputed from the mask,
summing in index order. The answer is a deterministic function of the inputs (any
minimiser; the first one met in the scan order), independent of the number of threads.

Random draws
------------
:func:`chunks` draws from one generator ``np.random.default_rng(seed)``, in chunks of
:data:`CHUNK` trials, each chunk drawing first its targets, an array ``(rows, d)``, then
its samples, ``(rows, n, d)``, all uniform on [-1, 1]. The kernels never draw, so results
do not depend on the number of threads.
"""

from __future__ import annotations

import numba
import numpy as np

from rsslib import _mitm, solve
from rsslib._jit import jit, parallel_jit
from rsslib._validate import _read_reals, as_count

#: Trials drawn per chunk (part of the seeded layout, see the module notes).
CHUNK = 4096


# ---------------------------------------------------------------------------------------
# kernels: one target
# ---------------------------------------------------------------------------------------
@jit
def _half_sums(sample, first, stop):
    """The 2^h subset sums of ``sample[first:stop]`` (rows); row j uses the bits of j."""
    d = sample.shape[1]
    out = np.zeros((1 << (stop - first), d))
    size = 1
    for p in range(first, stop):
        for j in range(size):
            for k in range(d):
                out[size + j, k] = out[j, k] + sample[p, k]
        size *= 2
    return out


@jit
def _prepare(sample, k):
    """Left sums and right sums sorted by first coordinate, for the prefix of k vectors."""
    h = k // 2
    left = _half_sums(sample, 0, h)
    right = _half_sums(sample, h, k)
    order = np.argsort(right[:, 0], kind="mergesort")
    right_sorted = right[order]
    first = right_sorted[:, 0].copy()
    return left, right_sorted, first, order


@jit(inline="always")
def _pair_error(left, i, right, j, target, best):
    """``max_k |left[i, k] + right[j, k] - target[k]|``, or a value >= best once exceeded."""
    err = 0.0
    for k in range(target.size):
        e = abs(left[i, k] + right[j, k] - target[k])
        if e > err:
            err = e
            if err >= best:
                return err
    return err


@jit
def _closest(left, right, first, target, best, stop):
    """Branch and bound: the pair (i, j) of smallest error below ``best``.

    Returns (best, i, j); (best, -1, -1) if no pair has error < best. Returns early once
    ``best <= stop``.
    """
    bi = -1
    bj = -1
    n_right = first.size
    for i in range(left.shape[0]):
        centre = target[0] - left[i, 0]
        p = np.searchsorted(first, centre)
        up = p
        down = p - 1
        # scan outwards from the centre, the nearer side first
        while True:
            go_up = up < n_right and first[up] - centre <= best
            go_down = down >= 0 and centre - first[down] <= best
            if not (go_up or go_down):
                break
            if go_up and (not go_down or first[up] - centre <= centre - first[down]):
                j = up
                up += 1
            else:
                j = down
                down -= 1
            err = _pair_error(left, i, right, j, target, best)
            if err < best:
                best = err
                bi = i
                bj = j
                if best <= stop:
                    return best, bi, bj
    return best, bi, bj


@jit
def _norm_inf(v):
    out = 0.0
    for k in range(v.size):
        out = max(out, abs(v[k]))
    return out


@jit
def _best_into(sample, target, mask_out):
    """Exact minimiser: write the mask, return the error recomputed in index order."""
    n, d = sample.shape
    h = n // 2
    left, right, first, order = _prepare(sample, n)
    best, bi, bj = _closest(left, right, first, target, _norm_inf(target), -1.0)
    chosen_left = bi if bi >= 0 else 0
    chosen_right = order[bj] if bi >= 0 else 0
    total = np.zeros(d)
    for p in range(n):
        if p < h:
            selected = (chosen_left >> p) & 1 == 1
        else:
            selected = (chosen_right >> (p - h)) & 1 == 1
        mask_out[p] = selected
        if selected:
            for k in range(d):
                total[k] += sample[p, k]
    err = 0.0
    for k in range(d):
        err = max(err, abs(total[k] - target[k]))
    return err


@parallel_jit
def best_batch(samples, targets, blocks):
    m, n, _ = samples.shape
    masks = np.zeros((m, n), dtype=np.bool_)
    errors = np.empty(m)
    for blk in numba.prange(blocks):
        for r in range(blk * m // blocks, (blk + 1) * m // blocks):
            errors[r] = _best_into(samples[r], targets[r], masks[r])
    return masks, errors


@jit
def _within(sample, k, target, eps, above):
    """Is some subset of the first k vectors within eps of target? (``above``: the double
    just above eps, so that an error of exactly eps counts.)"""
    if _norm_inf(target) <= eps:
        return True
    if k == 0:
        return False
    left, right, first, _ = _prepare(sample, k)
    _, bi, _ = _closest(left, right, first, target, above, eps)
    return bi >= 0


@jit
def _error_curve(sample, target):
    """Minimum error with the first k vectors, k = 0..n (non-increasing)."""
    n = sample.shape[0]
    out = np.empty(n + 1)
    best = _norm_inf(target)
    out[0] = best
    for k in range(1, n + 1):
        left, right, first, _ = _prepare(sample, k)
        # the best subset of the first k - 1 vectors is a candidate: start from its error
        best, _, _ = _closest(left, right, first, target, best, -1.0)
        out[k] = best
    return out


@jit
def _cover_time(sample, target, eps, above):
    """First k whose prefix has a subset within eps of target (n + 1 if none)."""
    n = sample.shape[0]
    for k in range(n + 1):
        if _within(sample, k, target, eps, above):
            return k
    return n + 1


#: Modes of :func:`_instances_batch`.
CURVE, COVER_TIME, WITHIN = 0, 1, 2


@parallel_jit
def instances_batch(samples, targets, eps, above, mode, blocks):
    """One parallel kernel for the three one-target questions (one compilation).

    Row r of the result: the error curve (mode ``CURVE``), or in column 0 the cover time
    (``COVER_TIME``) or 1.0 / 0.0 for "within eps with all n vectors" (``WITHIN``).
    """
    m, n, _ = samples.shape
    out = np.zeros((m, n + 1))
    for blk in numba.prange(blocks):
        for r in range(blk * m // blocks, (blk + 1) * m // blocks):
            if mode == CURVE:
                out[r] = _error_curve(samples[r], targets[r])
            elif mode == COVER_TIME:
                out[r, 0] = _cover_time(samples[r], targets[r], eps, above)
            else:
                out[r, 0] = 1.0 if _within(samples[r], n, targets[r], eps, above) else 0.0
    return out


# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------
def as_vectors(values, name: str = "sample") -> np.ndarray:
    """``values`` as a float64 array of shape (n, d), d >= 1, n >= 0, all finite."""
    arr = _read_reals(values, name, "a 2-D array (n, d)")
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-D array (n, d) with d >= 1, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (it holds NaN or infinity)")
    return arr


def as_target(values, d: int, name: str = "target") -> np.ndarray:
    arr = _read_reals(values, name, "a 1-D array")
    if arr.ndim != 1 or arr.size != d:
        raise ValueError(f"{name} must be a 1-D array of d={d} entries, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (it holds NaN or infinity)")
    return arr


def workspace_bytes(n: int, d: int) -> int:
    """Left sums, right sums and their sorted copy (d doubles each), sort keys, order."""
    h = n // 2
    return 8 * ((1 << h) * d + (1 << (n - h)) * (2 * d + 3))


def check_size(n: int, d: int, copies: int, what: str) -> None:
    _mitm.check_size(n, copies, what, lambda k: workspace_bytes(k, d), solve.MAX_MEMORY_BYTES)


def as_dimension(d) -> int:
    return as_count(d, "d", minimum=1)


def as_trials(trials) -> int:
    return as_count(trials, "trials", minimum=1)


def just_above(eps: float) -> float:
    return float(np.nextafter(eps, np.inf))


def chunks(n: int, d: int, trials: int, seed):
    """Yield (start, targets, samples) chunk by chunk (the layout of the module notes)."""
    rng = np.random.default_rng(seed)
    for start in range(0, trials, CHUNK):
        rows = min(CHUNK, trials - start)
        targets = rng.uniform(-1.0, 1.0, (rows, d))
        samples = rng.uniform(-1.0, 1.0, (rows, n, d))
        yield start, targets, samples


def threads_blocks(rows: int) -> tuple[int, int]:
    blocks = _mitm.blocks(rows)
    return blocks, min(blocks, numba.get_num_threads())
