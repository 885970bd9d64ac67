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
The Monte Carlo measurements of the chapter ``book/beyond/multidimensional``, on the exact
search of :mod:`rsslib.vector_subsets`:

- :func:`vector_success_probability`, :func:`vector_cover_times`,
  :func:`vector_error_curves`, :func:`critical_n_vectors`: Monte Carlo over samples and
  one uniformly random target per sample.
- :func:`covers_cube` / :func:`cube_cover_times` (d <= 2): the "every target" property,
  bracketed on a grid of targets (see :func:`covers_cube` for the proof).

The predictions they are compared with are in :mod:`rsslib.vector_predictions`, the
chapter's sweep in :mod:`rsslib.multidim_sweep`. This module re-exports the names of
both public neighbours (``from rsslib import multidim as md`` then ``md.first_moment``,
``md.best_vector_subset``), so that the chapter reads them from one place.


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
from rsslib._validate import as_count, as_positive_real, as_seed
from rsslib._vectors import (
    CHUNK,
    COVER_TIME,
    CURVE,
    WITHIN,
    as_dimension,
    as_trials,
    as_vectors,
    check_size,
    chunks,
    instances_batch,
    just_above,
    threads_blocks,
)
from rsslib.montecarlo import Estimate, wilson_interval
from rsslib.vector_predictions import (
    conditional_prediction,
    conditional_prediction_every,
    counting_bound,
    first_moment,
    gaussian_threshold,
    predicted_success,
    predicted_success_curve,
)
from rsslib.vector_subsets import best_error_curve, best_vector_subset, best_vector_subsets

__all__ = [
    "CHUNK",
    "MAX_CUBE_DIMENSION",
    "MAX_GRID_POINTS",
    "best_error_curve",
    "best_vector_subset",
    "best_vector_subsets",
    "conditional_prediction",
    "conditional_prediction_every",
    "counting_bound",
    "covers_cube",
    "critical_n_vectors",
    "cube_cover_times",
    "first_moment",
    "gaussian_threshold",
    "predicted_success",
    "predicted_success_curve",
    "vector_cover_times",
    "vector_error_curves",
    "vector_success_probability",
]

#: Largest grid (points) accepted by :func:`covers_cube`.
MAX_GRID_POINTS = 2**24
#: Largest dimension accepted by :func:`covers_cube`.
MAX_CUBE_DIMENSION = 2


# ---------------------------------------------------------------------------------------
# Monte Carlo, one random target per sample
# ---------------------------------------------------------------------------------------
def _one_target(n, d, eps, trials, seed, mode, what) -> np.ndarray:
    """Validate, then run :func:`rsslib._vectors.instances_batch` in ``mode`` on every
    chunk of random instances; returns its rows, ``(trials, n + 1)``."""
    n = as_count(n, "n_max" if mode != WITHIN else "n")
    d = as_dimension(d)
    eps = 0.0 if eps is None else as_positive_real(eps, "eps")
    trials = as_trials(trials)
    seed = as_seed(seed)
    _, copies = threads_blocks(min(trials, CHUNK))
    check_size(n, d, copies, what)
    out = np.empty((trials, n + 1))
    above = 0.0 if mode == CURVE else just_above(eps)
    for start, targets, samples in chunks(n, d, trials, seed):
        rows = targets.shape[0]
        out[start : start + rows] = instances_batch(
            samples, targets, eps, above, mode, _mitm.blocks(rows)
        )
    return out


def vector_error_curves(n_max, d, trials, seed=0) -> np.ndarray:
    """Error curves of ``trials`` random instances: uniform target and sample in the cube.

    Row r is :func:`best_error_curve` of sample r (``n_max`` vectors uniform on
    [-1, 1]^d) against target r (uniform on [-1, 1]^d), drawn as in the module notes.
    The success probability at any (n, eps) is then ``mean(curves[:, n] <= eps)``.

    Returns
    -------
    numpy.ndarray of float64, shape (trials, n_max + 1)
    """
    return _one_target(n_max, d, None, trials, seed, CURVE, "vector_error_curves")


def vector_cover_times(n_max, d, eps, trials, seed=0) -> np.ndarray:
    """For each random instance, the first k at which its first k vectors approximate its
    target within eps (``n_max + 1`` if none does).

    Same draws as :func:`vector_error_curves` with the same arguments, so
    ``times[r] = min{k : curves[r, k] <= eps}`` (up to rounding at exactly eps).

    Returns
    -------
    numpy.ndarray of int64, shape (trials,)
    """
    out = _one_target(n_max, d, eps, trials, seed, COVER_TIME, "vector_cover_times")
    return out[:, 0].astype(np.int64)


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
    res = _one_target(n, d, eps, trials, seed, WITHIN, "vector_success_probability")
    successes = int(np.count_nonzero(res[:, 0]))
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
    d = as_dimension(d)
    eps = as_positive_real(eps, "eps")
    level = as_positive_real(level, "level")
    if level > 1.0:
        raise ValueError(f"level must be in (0, 1], got {level}")
    trials = as_trials(trials)
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
# every target of the cube, on a grid (d <= 2)
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
    x = as_vectors(sample)
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
    d = as_dimension(d)
    eps = as_positive_real(eps, "eps")
    trials = as_trials(trials)
    seed = as_seed(seed)
    h, m = _grid(d, eps, spacing)
    _, copies = threads_blocks(min(trials, CHUNK))
    _check_cube(n_max, d, copies, "cube_cover_times")
    out = np.empty((trials, 2), dtype=np.int64)
    for start, _, samples in chunks(n_max, d, trials, seed):
        rows = samples.shape[0]
        out[start : start + rows] = _cube_cover_batch(samples, eps, h, m, _mitm.blocks(rows))
    return out[:, 0].copy(), out[:, 1].copy()
