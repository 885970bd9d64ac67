"""Multidimensional Random Subset Sum: vectors, the max-norm, and the cube [-1, 1]^d.

Becchetti, da Cunha, Clementi, d'Amore, Lesfari, Natale and Trevisan (2022),
"On the Multidimensional Random Subset Sum Problem" (arXiv:2207.13944), take n i.i.d.
random vectors X_1, ..., X_n of R^d and ask when every target z of [-1, 1]^d is within
eps of some subset sum; they prove that n = O(d^3 log(1/eps) (log(1/eps) + log d))
vectors suffice with high probability (Lueker 1998 is d = 1, with O(log(1/eps))). Here
the vectors are uniform on [-1, 1]^d and the distance is the max-norm:

    z is eps-approximable  iff  min_S || sum_{i in S} X_i - z ||_inf <= eps.

What this module computes
-------------------------
- :func:`best_vector_subset` / :func:`best_vector_subsets`: the exact minimiser of the
  max-norm error over all 2^n subsets, by meet in the middle with branch and bound
  (below); :func:`best_error_curve`: the minimum error with the first k vectors, for every
  k at once.
- :func:`vector_success_probability`, :func:`vector_cover_times`,
  :func:`vector_error_curves`, :func:`critical_n_vectors`: Monte Carlo over samples and
  one uniformly random target per sample.
- :func:`covers_cube` / :func:`cube_cover_times` (d <= 2): the "every target" property,
  bracketed on a grid of targets (see :func:`covers_cube` for the proof).
- :func:`counting_bound`, :func:`first_moment`, :func:`predicted_success`
  (:func:`predicted_success_curve`), :func:`gaussian_threshold`,
  :func:`conditional_prediction` (:func:`conditional_prediction_every`): the predictions
  the measurements are compared with.

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
Every Monte Carlo function draws from one generator ``np.random.default_rng(seed)``, in
chunks of :data:`CHUNK` trials, each chunk drawing first its targets, an array
``(rows, d)``, then its samples, ``(rows, n, d)``, all uniform on [-1, 1]. The kernels
never draw, so results do not depend on the number of threads. ``seed`` is a non-negative
int or a numpy Generator (drawn from directly, its stream advancing).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from rsslib import _mitm, solve
from rsslib._jit import jit, parallel_jit
from rsslib._validate import _read_reals, as_count, as_positive_real, as_seed
from rsslib.montecarlo import Estimate, wilson_interval

#: Trials drawn per chunk (part of the seeded layout, see the module notes).
CHUNK = 4096
#: Largest grid (points) accepted by :func:`covers_cube`.
MAX_GRID_POINTS = 2**24
#: Largest dimension accepted by :func:`covers_cube`.
MAX_CUBE_DIMENSION = 2


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
def _best_batch(samples, targets, blocks):
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
_CURVE, _COVER_TIME, _WITHIN = 0, 1, 2


@parallel_jit
def _instances_batch(samples, targets, eps, above, mode, blocks):
    """One parallel kernel for the three one-target questions (one compilation).

    Row r of the result: the error curve (mode ``_CURVE``), or in column 0 the cover time
    (``_COVER_TIME``) or 1.0 / 0.0 for "within eps with all n vectors" (``_WITHIN``).
    """
    m, n, _ = samples.shape
    out = np.zeros((m, n + 1))
    for blk in numba.prange(blocks):
        for r in range(blk * m // blocks, (blk + 1) * m // blocks):
            if mode == _CURVE:
                out[r] = _error_curve(samples[r], targets[r])
            elif mode == _COVER_TIME:
                out[r, 0] = _cover_time(samples[r], targets[r], eps, above)
            else:
                out[r, 0] = 1.0 if _within(samples[r], n, targets[r], eps, above) else 0.0
    return out


# ---------------------------------------------------------------------------------------
# kernels: every target of the cube, on a grid (d <= 2)
# ---------------------------------------------------------------------------------------
@jit(inline="always")
def _grid_range(c, eps, h, m):
    """Indices i whose grid coordinate -1 + h (i + 1/2) may be within eps of c (a superset
    by at most one index on each side; the caller checks the exact distance)."""
    lo = int(math.floor((c - eps + 1.0) / h - 0.5)) - 1
    hi = int(math.ceil((c + eps + 1.0) / h - 0.5)) + 1
    return max(lo, 0), min(hi, m - 1)


@jit
def _mark(s, eps, h, m, thr_s, dist, counts):
    """Lower the max-norm distance of the grid points near the sum ``s``; count the points
    that fall to eps (counts[1]) and to thr_s (counts[0]) for the first time."""
    d = s.size
    for k in range(d):
        if s[k] < -1.0 - eps or s[k] > 1.0 + eps:
            return
    i_lo, i_hi = _grid_range(s[0], eps, h, m)
    j_lo, j_hi = 0, 0
    if d == 2:
        j_lo, j_hi = _grid_range(s[1], eps, h, m)
    for i in range(i_lo, i_hi + 1):
        di = abs(-1.0 + h * (i + 0.5) - s[0])
        if di > eps:
            continue
        for j in range(j_lo, j_hi + 1):
            dd = di
            if d == 2:
                dd = max(di, abs(-1.0 + h * (j + 0.5) - s[1]))
            if dd > eps:
                continue
            idx = i * m + j if d == 2 else i
            before = dist[idx]
            if dd < before:
                dist[idx] = dd
                if before > eps:
                    counts[1] += 1
                if dd <= thr_s and before > thr_s:
                    counts[0] += 1


@jit
def _cube_cover(sample, eps, h, m, stop_early):
    """First prefix lengths (sufficient, necessary) at which every grid point is within
    eps - h/2, resp. eps, of a subset sum; n + 1 where never. With ``stop_early`` the
    enumeration stops once the sufficient event holds (both are then known)."""
    n, d = sample.shape
    total = m**d
    thr_s = eps - 0.5 * h
    dist = np.full(total, np.inf)
    counts = np.zeros(2, dtype=np.int64)
    capacity = 1 << min(n, 12)
    sums = np.zeros((capacity, d))
    _mark(sums[0], eps, h, m, thr_s, dist, counts)
    t_suff = n + 1
    t_nec = n + 1
    if counts[1] == total:
        t_nec = 0
    if counts[0] == total:
        return 0, t_nec
    size = 1
    for p in range(n):
        if 2 * size > capacity:
            capacity = 2 * size
            bigger = np.empty((capacity, d))
            bigger[:size] = sums[:size]
            sums = bigger
        for j in range(size):
            for k in range(d):
                sums[size + j, k] = sums[j, k] + sample[p, k]
            _mark(sums[size + j], eps, h, m, thr_s, dist, counts)
        size *= 2
        if t_nec > n and counts[1] == total:
            t_nec = p + 1
        if t_suff > n and counts[0] == total:
            t_suff = p + 1
            if stop_early:
                break
    return t_suff, t_nec


@parallel_jit
def _cube_cover_batch(samples, eps, h, m, blocks):
    rows = samples.shape[0]
    out = np.empty((rows, 2), dtype=np.int64)
    for blk in numba.prange(blocks):
        for r in range(blk * rows // blocks, (blk + 1) * rows // blocks):
            t_s, t_n = _cube_cover(samples[r], eps, h, m, True)
            out[r, 0] = t_s
            out[r, 1] = t_n
    return out


# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------
def _as_vectors(values, name: str = "sample") -> np.ndarray:
    """``values`` as a float64 array of shape (n, d), d >= 1, n >= 0, all finite."""
    arr = _read_reals(values, name, "a 2-D array (n, d)")
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-D array (n, d) with d >= 1, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (it holds NaN or infinity)")
    return arr


def _as_target(values, d: int, name: str = "target") -> np.ndarray:
    arr = _read_reals(values, name, "a 1-D array")
    if arr.ndim != 1 or arr.size != d:
        raise ValueError(f"{name} must be a 1-D array of d={d} entries, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (it holds NaN or infinity)")
    return arr


def _workspace_bytes(n: int, d: int) -> int:
    """Left sums, right sums and their sorted copy (d doubles each), sort keys, order."""
    h = n // 2
    return 8 * ((1 << h) * d + (1 << (n - h)) * (2 * d + 3))


def _check_size(n: int, d: int, copies: int, what: str) -> None:
    _mitm.check_size(n, copies, what, lambda k: _workspace_bytes(k, d), solve.MAX_MEMORY_BYTES)


def _dimension(d) -> int:
    return as_count(d, "d", minimum=1)


def _trials(trials) -> int:
    return as_count(trials, "trials", minimum=1)


def _above(eps: float) -> float:
    return float(np.nextafter(eps, np.inf))


def _chunks(n: int, d: int, trials: int, seed):
    """Yield (start, targets, samples) chunk by chunk (the layout of the module notes)."""
    rng = np.random.default_rng(seed)
    for start in range(0, trials, CHUNK):
        rows = min(CHUNK, trials - start)
        targets = rng.uniform(-1.0, 1.0, (rows, d))
        samples = rng.uniform(-1.0, 1.0, (rows, n, d))
        yield start, targets, samples


def _threads_blocks(rows: int) -> tuple[int, int]:
    blocks = _mitm.blocks(rows)
    return blocks, min(blocks, numba.get_num_threads())


# ---------------------------------------------------------------------------------------
# public API: exact search
# ---------------------------------------------------------------------------------------
def best_vector_subset(sample, target) -> tuple[np.ndarray, float]:
    """Exact minimiser of ``|| sum(sample[mask], axis=0) - target ||_inf`` over all subsets.

    Meet in the middle with branch and bound on the first coordinate (module notes);
    the multidimensional Random Subset Sum of Becchetti et al. (2022, arXiv:2207.13944).

    Parameters
    ----------
    sample : array_like, shape (n, d)
        n finite vectors of dimension d >= 1 (n = 0 allowed).
    target : array_like, shape (d,)
        Finite target vector.

    Returns
    -------
    mask : numpy.ndarray of bool, shape (n,)
        A subset of minimum error (any minimiser; deterministic).
    error : float
        Its max-norm error, the sum taken in index order.

    Raises
    ------
    ValueError
        On non-finite input, wrong shapes, or n too large for the memory limit
        (``rsslib.solve.MAX_MEMORY_BYTES``) or for the int64 masks (n > 62).
    """
    x = _as_vectors(sample)
    z = _as_target(target, x.shape[1])
    _check_size(x.shape[0], x.shape[1], 1, "best_vector_subset")
    masks, errors = _best_batch(x[None], z[None], 1)
    return masks[0], float(errors[0])


def best_vector_subsets(samples, targets) -> tuple[np.ndarray, np.ndarray]:
    """:func:`best_vector_subset` for m independent instances, in parallel over rows.

    Parameters
    ----------
    samples : array_like, shape (m, n, d)
    targets : array_like, shape (m, d)

    Returns
    -------
    masks : numpy.ndarray of bool, shape (m, n)
    errors : numpy.ndarray of float64, shape (m,)
        Row by row equal to :func:`best_vector_subset`.
    """
    arr = _read_reals(samples, "samples", "a 3-D array (m, n, d)")
    if arr.ndim != 3 or arr.shape[2] < 1:
        raise ValueError(f"samples must be a 3-D array (m, n, d), got shape {arr.shape}")
    m, n, d = arr.shape
    x = _as_vectors(arr.reshape(m * n, d), "samples").reshape(m, n, d)
    t = _read_reals(targets, "targets", "a 2-D array (m, d)")
    if t.shape != (m, d):
        raise ValueError(f"targets must have shape (m, d) = {(m, d)}, got {t.shape}")
    t = _as_vectors(t, "targets")
    blocks, copies = _threads_blocks(max(m, 1))
    _check_size(n, d, copies, "best_vector_subsets")
    if m == 0:
        return np.zeros((0, n), dtype=bool), np.zeros(0)
    return _best_batch(x, t, blocks)


def best_error_curve(sample, target) -> np.ndarray:
    """Minimum max-norm error with the first k vectors of ``sample``, for k = 0..n.

    Entry k equals ``best_vector_subset(sample[:k], target)[1]`` up to rounding; the
    curve is non-increasing (each prefix's best subset is a candidate for the next, and
    starts its branch and bound).

    Returns
    -------
    numpy.ndarray of float64, shape (n + 1,)
    """
    x = _as_vectors(sample)
    z = _as_target(target, x.shape[1])
    _check_size(x.shape[0], x.shape[1], 1, "best_error_curve")
    return _instances_batch(x[None], z[None], 0.0, 0.0, _CURVE, 1)[0]


# ---------------------------------------------------------------------------------------
# public API: Monte Carlo, one random target per sample
# ---------------------------------------------------------------------------------------
def vector_error_curves(n_max, d, trials, seed=0) -> np.ndarray:
    """Error curves of ``trials`` random instances: uniform target and sample in the cube.

    Row r is :func:`best_error_curve` of sample r (``n_max`` vectors uniform on
    [-1, 1]^d) against target r (uniform on [-1, 1]^d), drawn as in the module notes.
    The success probability at any (n, eps) is then ``mean(curves[:, n] <= eps)``.

    Returns
    -------
    numpy.ndarray of float64, shape (trials, n_max + 1)
    """
    n_max = as_count(n_max, "n_max")
    d = _dimension(d)
    trials = _trials(trials)
    seed = as_seed(seed)
    blocks, copies = _threads_blocks(min(trials, CHUNK))
    _check_size(n_max, d, copies, "vector_error_curves")
    out = np.empty((trials, n_max + 1))
    for start, targets, samples in _chunks(n_max, d, trials, seed):
        rows = targets.shape[0]
        out[start : start + rows] = _instances_batch(
            samples, targets, 0.0, 0.0, _CURVE, _mitm.blocks(rows)
        )
    return out


def vector_cover_times(n_max, d, eps, trials, seed=0) -> np.ndarray:
    """For each random instance, the first k at which its first k vectors approximate its
    target within eps (``n_max + 1`` if none does).

    Same draws as :func:`vector_error_curves` with the same arguments, so
    ``times[r] = min{k : curves[r, k] <= eps}`` (up to rounding at exactly eps).

    Returns
    -------
    numpy.ndarray of int64, shape (trials,)
    """
    n_max = as_count(n_max, "n_max")
    d = _dimension(d)
    eps = as_positive_real(eps, "eps")
    trials = _trials(trials)
    seed = as_seed(seed)
    blocks, copies = _threads_blocks(min(trials, CHUNK))
    _check_size(n_max, d, copies, "vector_cover_times")
    out = np.empty(trials, dtype=np.int64)
    above = _above(eps)
    for start, targets, samples in _chunks(n_max, d, trials, seed):
        rows = targets.shape[0]
        res = _instances_batch(samples, targets, eps, above, _COVER_TIME, _mitm.blocks(rows))
        out[start : start + rows] = res[:, 0].astype(np.int64)
    return out


def vector_success_probability(n, d, eps, trials, seed=0) -> Estimate:
    """Estimate P(a uniform target of [-1, 1]^d is eps-approximable by n uniform vectors).

    Each trial draws a fresh sample of n vectors and a fresh target (module notes) and
    decides, exactly, whether some subset sum is within eps in the max-norm. Equal to the
    fraction of :func:`vector_cover_times` ``(n, d, eps, trials, seed) <= n``.

    Parameters
    ----------
    n : int
        Vectors per sample, >= 0.
    d : int
        Dimension, >= 1.
    eps : float
        Tolerance, > 0.
    trials : int
        Independent (sample, target) pairs, >= 1.
    seed : int or numpy.random.Generator
        Seed of ``np.random.default_rng`` (see the module notes).

    Returns
    -------
    rsslib.Estimate
        ``p`` with its Wilson 95% interval ``[low, high]``.
    """
    n = as_count(n, "n")
    d = _dimension(d)
    eps = as_positive_real(eps, "eps")
    trials = _trials(trials)
    seed = as_seed(seed)
    blocks, copies = _threads_blocks(min(trials, CHUNK))
    _check_size(n, d, copies, "vector_success_probability")
    successes = 0
    above = _above(eps)
    for _, targets, samples in _chunks(n, d, trials, seed):
        res = _instances_batch(
            samples, targets, eps, above, _WITHIN, _mitm.blocks(targets.shape[0])
        )
        successes += int(np.count_nonzero(res[:, 0]))
    low, high = wilson_interval(successes, trials)
    return Estimate(successes / trials, low, high, successes, trials)


def critical_n_vectors(d, eps, level, trials, seed=0, n_max=None) -> int:
    """Smallest n whose estimated one-target success probability is at least ``level``.

    The ``level``-quantile of :func:`vector_cover_times` (common random numbers: the
    estimate at n uses the first n vectors of each sample). ``n_max`` defaults to
    ``ceil(gaussian_threshold(d, eps, 0.99)) + 4`` and is raised (doubled) if too few
    trials are covered, up to the memory limit.

    Raises
    ------
    ValueError
        If ``level`` is not in (0, 1], or the quantile lies beyond what memory allows.
    """
    d = _dimension(d)
    eps = as_positive_real(eps, "eps")
    level = as_positive_real(level, "level")
    if level > 1.0:
        raise ValueError(f"level must be in (0, 1], got {level}")
    trials = _trials(trials)
    seed = as_seed(seed)  # an int restarts the same stream at every n_max
    if n_max is None:
        n_max = max(1, math.ceil(gaussian_threshold(d, eps, 0.99)) + 4)
    n_max = as_count(n_max, "n_max")
    needed = math.ceil(level * trials - 1e-9)
    while True:
        times = np.sort(vector_cover_times(n_max, d, eps, trials, seed))
        if times[needed - 1] <= n_max:
            return int(times[needed - 1])
        n_max = 2 * n_max  # vector_cover_times refuses sizes beyond the memory limit


# ---------------------------------------------------------------------------------------
# public API: every target, on a grid (d <= 2)
# ---------------------------------------------------------------------------------------
def _grid(d: int, eps: float, spacing) -> tuple[float, int]:
    h = as_positive_real(spacing, "spacing")
    if h > eps:
        raise ValueError(f"spacing must be <= eps={eps}, got {h}")
    m = math.ceil(2.0 / h)
    if m**d > MAX_GRID_POINTS:
        raise ValueError(
            f"spacing={h} gives a grid of {m}^{d} points, more than the {MAX_GRID_POINTS} "
            "allowed (rsslib.multidim.MAX_GRID_POINTS)"
        )
    return 2.0 / m, m


def _check_cube(n: int, d: int, copies: int, what: str) -> None:
    if d > MAX_CUBE_DIMENSION:
        raise ValueError(f"{what}: d must be 1 or 2, got d={d}")
    if n > 40:
        raise ValueError(f"{what}: n={n} vectors is too many to list all 2^n sums (n <= 40)")
    need = copies * 8 * d * (1 << n)
    if need > solve.MAX_MEMORY_BYTES:
        raise ValueError(
            f"{what}: n={n} needs about {need / 2**30:.1f} GiB of subset sums, more than "
            f"the {solve.MAX_MEMORY_BYTES / 2**30:.0f} GiB allowed (rsslib.solve.MAX_MEMORY_BYTES)"
        )


def covers_cube(sample, eps, spacing) -> tuple[bool, bool]:
    """Bracket the event "every z of [-1, 1]^d is eps-approximable" (d = 1 or 2).

    The cube is cut into m^d cells of side ``h = 2 / m``, ``m = ceil(2 / spacing)``
    (so ``h <= spacing``), and the targets checked are the m^d cell centres. Returns

    - ``sufficient``: every centre is within ``eps - h/2`` of a subset sum;
    - ``necessary``: every centre is within ``eps`` of a subset sum.

    Proof that ``sufficient`` implies the event: a point y of the cube lies in some cell,
    whose centre g satisfies ``||y - g||_inf <= h/2``; some subset sum s has
    ``||g - s||_inf <= eps - h/2``; so ``||y - s||_inf <= eps`` by the triangle
    inequality. The event implies ``necessary`` since the centres lie in the cube. (Up to
    the rounding of the centres' coordinates.)

    Every one of the 2^n subset sums is listed (memory ``8 d 2^n`` bytes); each lowers the
    max-norm distance of the centres within eps of it.

    Parameters
    ----------
    sample : array_like, shape (n, d), d in {1, 2}
    eps : float
        Tolerance, > 0.
    spacing : float
        Largest grid spacing, ``0 < spacing <= eps``; the bracket narrows as it shrinks.

    Returns
    -------
    (sufficient, necessary) : tuple of bool
        ``sufficient`` implies ``necessary``.
    """
    x = _as_vectors(sample)
    n, d = x.shape
    eps = as_positive_real(eps, "eps")
    h, m = _grid(d, eps, spacing)
    _check_cube(n, d, 1, "covers_cube")
    t_suff, t_nec = _cube_cover_batch(x[None], eps, h, m, 1)[0]
    return bool(t_suff <= n), bool(t_nec <= n)


def cube_cover_times(n_max, d, eps, spacing, trials, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Grid bracket of the "every target" cover time, for random samples (d = 1 or 2).

    Sample r holds ``n_max`` vectors uniform on [-1, 1]^d (drawn like the other Monte
    Carlo functions, targets included though unused, so sample r is the same as in
    :func:`vector_error_curves`). Returns, per sample, the first prefix length at which
    :func:`covers_cube`'s ``sufficient`` holds, and the first at which ``necessary``
    holds (``n_max + 1``: never). The true cover time lies between: the fraction of
    ``t_suff <= n`` is a lower estimate of P(every target is eps-approximable with n
    vectors), the fraction of ``t_nec <= n`` an upper one.

    Returns
    -------
    t_suff, t_nec : numpy.ndarray of int64, shape (trials,)
        ``t_nec <= t_suff`` entry by entry.
    """
    n_max = as_count(n_max, "n_max")
    d = _dimension(d)
    eps = as_positive_real(eps, "eps")
    trials = _trials(trials)
    seed = as_seed(seed)
    h, m = _grid(d, eps, spacing)
    _, copies = _threads_blocks(min(trials, CHUNK))
    _check_cube(n_max, d, copies, "cube_cover_times")
    out = np.empty((trials, 2), dtype=np.int64)
    for start, _, samples in _chunks(n_max, d, trials, seed):
        rows = samples.shape[0]
        out[start : start + rows] = _cube_cover_batch(samples, eps, h, m, _mitm.blocks(rows))
    return out[:, 0].copy(), out[:, 1].copy()


# ---------------------------------------------------------------------------------------
# public API: predictions
# ---------------------------------------------------------------------------------------
def counting_bound(d, eps) -> float:
    """``d log2(1/eps)``: fewer vectors cannot make every target eps-approximable.

    The 2^n cubes of side 2 eps around the subset sums must cover the cube of side 2:
    ``2^n (2 eps)^d >= 2^d``. For one uniform target the same volume argument gives
    ``P(success) <= 2^n eps^d``.
    """
    d = _dimension(d)
    eps = as_positive_real(eps, "eps")
    return d * math.log2(1.0 / eps)


def _window_probability(s: int, y: np.ndarray, eps: float) -> np.ndarray:
    """P(|T_s - y| <= eps), T_s the sum of s independent uniforms on [-1, 1]."""
    if s == 0:
        return (np.abs(y) <= eps).astype(float)
    from scipy.stats import irwinhall

    # T_s = 2 U - s with U Irwin-Hall(s) on [0, s]
    law = irwinhall(s)
    return law.cdf((y + eps + s) / 2.0) - law.cdf((y - eps + s) / 2.0)


def first_moment(n, d, eps, z) -> np.ndarray:
    """E[N_z]: the expected number of subsets of n uniform vectors within eps of z.

    By linearity, ``E[N_z] = sum_s C(n, s) prod_k P(|T_s - z_k| <= eps)``, with ``T_s``
    the sum of s independent uniforms on [-1, 1] (the coordinates of a sum of s vectors
    are independent); ``T_s`` has the Irwin-Hall law, shifted and scaled.

    Parameters
    ----------
    z : array_like, shape (d,) or (m, d)

    Returns
    -------
    numpy.ndarray of float64, shape () or (m,)
    """
    n = as_count(n, "n")
    d = _dimension(d)
    eps = as_positive_real(eps, "eps")
    zz = _read_reals(z, "z", "an array (d,) or (m, d)").astype(np.float64)
    single = zz.ndim == 1
    zz = np.atleast_2d(zz)
    if zz.ndim != 2 or zz.shape[1] != d or not np.all(np.isfinite(zz)):
        raise ValueError(f"z must be finite, of shape (d,) or (m, d) with d={d}")
    total = np.zeros(zz.shape[0])
    for s in range(n + 1):
        total += math.comb(n, s) * np.prod(_window_probability(s, zz, eps), axis=1)
    return total[0] if single else total


def predicted_success(n, d, eps, nodes=12) -> float:
    """First moment + Poisson: ``E_z[1 - exp(-E[N_z])]``, z uniform on [-1, 1]^d.

    ``E[N_z]`` is even in each coordinate, so the average is taken over [0, 1]^d by
    Gauss-Legendre quadrature with ``nodes`` points per axis (``nodes^d`` in all). The
    coordinates of a sum of s vectors are independent, so one table of
    ``P(|T_s - u| <= eps)`` over the 1-D nodes u serves every point of the grid.
    """
    n = as_count(n, "n")
    return float(predicted_success_curve(n, d, eps, nodes)[n])


def predicted_success_curve(n_max, d, eps, nodes=12) -> np.ndarray:
    """:func:`predicted_success` for n = 0..n_max, from one table of window probabilities.

    Returns
    -------
    numpy.ndarray of float64, shape (n_max + 1,)
    """
    n_max = as_count(n_max, "n_max")
    d = _dimension(d)
    eps = as_positive_real(eps, "eps")
    nodes = as_count(nodes, "nodes", minimum=1)
    u, w = np.polynomial.legendre.leggauss(nodes)
    u = (u + 1.0) / 2.0
    w = w / 2.0

    def outer(vec):  # prod_k vec[i_k] on the tensor grid
        out = np.ones((nodes,) * d)
        for k in range(d):
            shape = [1] * d
            shape[k] = nodes
            out = out * vec.reshape(shape)
        return out

    weights = outer(w)
    products = [outer(_window_probability(s, u, eps)) for s in range(n_max + 1)]
    curve = np.empty(n_max + 1)
    for n in range(n_max + 1):
        expected = sum(math.comb(n, s) * products[s] for s in range(n + 1))
        curve[n] = np.sum(weights * -np.expm1(-expected))
    return curve


def gaussian_threshold(d, eps, level=0.5) -> float:
    """The n at which the normal approximation of the first moment predicts ``level``.

    A random subset has about n/2 vectors; each coordinate of their sum is close to
    N(0, n/6), so near the centre of the cube ``E[N_z] ~ 2^n (2 eps)^d (pi n / 3)^{-d/2}``.
    Poisson: ``P = 1 - exp(-E[N_z])``, which equals ``level`` when ``E[N_z] = L =
    -ln(1 - level)``. Solves ``n = d log2(1/eps) - d + (d/2) log2(pi n / 3) + log2 L``
    by fixed-point iteration.
    """
    d = _dimension(d)
    eps = as_positive_real(eps, "eps")
    level = as_positive_real(level, "level")
    if level >= 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    target = math.log2(-math.log1p(-level))
    n = max(1.0, d * math.log2(1.0 / eps))
    for _ in range(200):
        n = max(1.0, d * math.log2(1.0 / eps) - d + 0.5 * d * math.log2(math.pi * n / 3) + target)
    return n


def _conditional_log_expected(n, d, eps, draws, seed, points):
    """log E[N_g | x] for each drawn sample x and each point g (rows: samples).

    ``points``: None for one uniform target per sample (drawn first, like the Monte Carlo
    functions), or an array (k, d) of fixed points. Returns an array (draws, k).
    """
    rng = np.random.default_rng(seed)
    if points is None:
        z = rng.uniform(-1.0, 1.0, (draws, 1, d))
    else:
        z = np.broadcast_to(points[None], (draws, points.shape[0], d))
    x = rng.uniform(-1.0, 1.0, (draws, n, d))
    mean = x.sum(axis=1) / 2.0
    cov = np.einsum("rik,ril->rkl", x, x) / 4.0
    diff = z - mean[:, None, :]
    quad = np.einsum("rgk,rkl,rgl->rg", diff, np.linalg.inv(cov), diff)
    logdet = np.linalg.slogdet(cov)[1]
    return (
        n * math.log(2.0)
        + d * math.log(2.0 * eps)
        - 0.5 * (d * math.log(2.0 * math.pi) + logdet[:, None] + quad)
    )


def _conditional_args(n, d, eps, draws, seed):
    n = as_count(n, "n")
    d = _dimension(d)
    if n < d:
        raise ValueError(f"n must be >= d={d} (the covariance is singular otherwise), got {n}")
    eps = as_positive_real(eps, "eps")
    draws = as_count(draws, "draws", minimum=1)
    return n, d, eps, draws, as_seed(seed)


def conditional_prediction(n, d, eps, draws=2000, seed=0) -> float:
    """First moment given the sample, averaged over samples and targets.

    Given the sample x, the sum of a uniformly random subset has mean ``sum(x) / 2`` and
    covariance ``sum_i x_i x_i^T / 4``; its normal approximation gives
    ``E[N_z | x] ~ 2^n (2 eps)^d phi(z)``, phi the normal density. Returns the average of
    ``1 - exp(-E[N_z | x])`` over ``draws`` pairs (x, z) drawn like the Monte Carlo
    functions (another seed layout, same law). Meaningful for n well above d.
    """
    n, d, eps, draws, seed = _conditional_args(n, d, eps, draws, seed)
    log_e = _conditional_log_expected(n, d, eps, draws, seed, None)[:, 0]
    return float(np.mean(-np.expm1(-np.exp(log_e))))


def conditional_prediction_every(n, d, eps, draws=1000, seed=0) -> float:
    """Heuristic P(every target is eps-approximable), given the sample, cells independent.

    The cube is cut into ``m^d`` cells of side about 2 eps (``m = ceil(1 / eps)``), about
    the number of targets no single subset sum can serve together; each cell centre g is
    treated as an independent target, so given the sample x the prediction is
    ``prod_g (1 - exp(-E[N_g | x]))`` with :func:`conditional_prediction`'s normal
    approximation, averaged over ``draws`` samples. A heuristic, not a bound.
    """
    n, d, eps, draws, seed = _conditional_args(n, d, eps, draws, seed)
    m = math.ceil(1.0 / eps)
    centres = -1.0 + (2.0 / m) * (np.arange(m) + 0.5)
    grid = np.stack(np.meshgrid(*([centres] * d), indexing="ij"), -1).reshape(-1, d)
    log_e = _conditional_log_expected(n, d, eps, draws, seed, grid)
    log_p = np.sum(np.log(-np.expm1(-np.exp(log_e))), axis=1)
    return float(np.mean(np.exp(log_p)))
