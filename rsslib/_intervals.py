"""Kernels on unions of intervals, shared by every module that runs Lemma 5.3's recurrence.

The recurrence of Lemma 5.3 (thesis Lemma 14), ``A_k = A_{k-1} union (A_{k-1} + x_k)``,
stores ``A_k`` as sorted, disjoint, merged closed intervals ``(lo[:m], hi[:m])``.
:mod:`rsslib.approximable` (absolute tolerance), :mod:`rsslib.montecarlo` (cover times of
many samples), :mod:`rsslib.fixed_size` (one set per subset size) and
:mod:`rsslib.weights` (relative tolerance) all build on the kernels here; the window
pruning (the *zones*) is explained in :mod:`rsslib.approximable`.

Private: nothing here validates its input. The memory check takes its limit from the
caller, so that the one knob stays ``rsslib.approximable.MAX_MEMORY_BYTES``.
"""

from __future__ import annotations

import numba
import numpy as np

from rsslib._jit import jit, parallel_jit

#: Bytes per interval of capacity: two ping-pong buffers of (lo, hi) float64, and the
#: merge of A with A + x needs room for twice the current count.
BYTES_PER_INTERVAL = 2 * 2 * 8 * 2
#: Intervals allocated before the first merge; buffers double when they fill up.
INITIAL_CAPACITY = 64


# ---------------------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------------------
@jit
def zones(sample, a, b):
    """Clipping zone [zlo[k], zhi[k]] for A_k: the points that can still reach [a, b]."""
    n = sample.size
    zlo = np.empty(n + 1)
    zhi = np.empty(n + 1)
    pos = 0.0
    neg = 0.0
    for k in range(n, -1, -1):
        zlo[k] = a - pos
        zhi[k] = b - neg
        if k > 0:
            x = sample[k - 1]
            if x > 0.0:
                pos += x
            else:
                neg += x
    return zlo, zhi


@jit
def union_shifted(lo1, hi1, m1, lo2, hi2, m2, x, zlo, zhi, out_lo, out_hi):
    """Write ``B union (C + x)`` clipped to [zlo, zhi] into out; return its interval count.

    ``B = (lo1[:m1], hi1[:m1])`` and ``C = (lo2[:m2], hi2[:m2])`` are sorted and disjoint,
    so ``C + x`` is too and one two-pointer pass yields the union sorted by left end;
    touching or overlapping intervals are merged on the fly. The step of
    Lemma 5.3 (thesis Lemma 14) is ``B = C = A``; :mod:`rsslib.fixed_size` uses two different sizes.
    """
    i = 0
    j = 0
    k = 0
    while i < m1 or j < m2:
        if j >= m2 or (i < m1 and lo1[i] <= lo2[j] + x):
            left = lo1[i]
            right = hi1[i]
            i += 1
        else:
            left = lo2[j] + x
            right = hi2[j] + x
            j += 1
        if left < zlo:
            left = zlo
        if right > zhi:
            right = zhi
        if left > right:
            continue
        if k > 0 and left <= out_hi[k - 1]:
            if right > out_hi[k - 1]:
                out_hi[k - 1] = right
        else:
            out_lo[k] = left
            out_hi[k] = right
            k += 1
    return k


@jit
def union_with_shift(lo, hi, m, x, zlo, zhi, out_lo, out_hi):
    """Write (A union (A + x)) clipped to [zlo, zhi] into out; return its interval count."""
    return union_shifted(lo, hi, m, lo, hi, m, x, zlo, zhi, out_lo, out_hi)


@jit
def step(lo, hi, m, x, zlo, zhi, out_lo, out_hi):
    """One step of the recurrence, double-buffered: ``A union (A + x)`` clipped to
    [zlo, zhi] is written into the spare buffers (grown first if they may be too small).

    Returns ``(lo, hi, m, out_lo, out_hi)``: the new set, and the old buffers as the spare.
    """
    if 2 * m > out_lo.size:
        capacity = max(2 * m, 2 * out_lo.size)
        out_lo = np.empty(capacity)
        out_hi = np.empty(capacity)
    m = union_with_shift(lo, hi, m, x, zlo, zhi, out_lo, out_hi)
    return out_lo, out_hi, m, lo, hi


@jit
def initial(eps, zlo, zhi, capacity):
    """A_0 = [-eps, eps] clipped to [zlo, zhi], in new buffers of ``capacity`` intervals."""
    lo = np.empty(capacity)
    hi = np.empty(capacity)
    left = max(-eps, zlo)
    right = min(eps, zhi)
    m = 0
    if left <= right:
        lo[0] = left
        hi[0] = right
        m = 1
    return lo, hi, m


@jit
def covered_measure(lo, hi, m, a, b):
    """Length of the union of the m intervals inside [a, b]."""
    total = 0.0
    for i in range(m):
        left = max(lo[i], a)
        right = min(hi[i], b)
        if right > left:
            total += right - left
    return total


@jit
def covers(lo, hi, m, a, b):
    """True if one interval contains [a, b] (intervals are merged, so that is iff)."""
    if m == 0:
        return False
    i = np.searchsorted(lo[:m], a, side="right") - 1
    return i >= 0 and hi[i] >= b


@jit
def run(sample, eps, zlo, zhi, a, b, mode):
    """Run the recurrence over ``sample``.

    mode 0: return the final intervals; mode 1: the trajectory Z_0..Z_n of the covered
    fraction of [a, b]; mode 2: the cover time (first k with [a, b] inside A_k, or n + 1
    if never), stopping as soon as the window is covered.
    """
    n = sample.size
    capacity = INITIAL_CAPACITY
    lo, hi, m = initial(eps, zlo[0], zhi[0], capacity)
    out_lo = np.empty(capacity)
    out_hi = np.empty(capacity)
    traj = np.empty(n + 1 if mode == 1 else 0)
    width = b - a
    if mode == 1:
        traj[0] = covered_measure(lo, hi, m, a, b) / width
    if mode == 2 and covers(lo, hi, m, a, b):
        return lo[:0], hi[:0], traj, 0
    for k in range(1, n + 1):
        lo, hi, m, out_lo, out_hi = step(lo, hi, m, sample[k - 1], zlo[k], zhi[k], out_lo, out_hi)
        if mode == 1:
            traj[k] = covered_measure(lo, hi, m, a, b) / width
        elif mode == 2 and covers(lo, hi, m, a, b):
            return lo[:0], hi[:0], traj, k
    return lo[:m].copy(), hi[:m].copy(), traj, n + 1


@jit
def window_cover_time(sample, eps, a, b):
    """First k whose prefix makes every z of [a, b] eps-approximable (n + 1: never)."""
    zlo, zhi = zones(sample, a, b)
    return run(sample, eps, zlo, zhi, a, b, 2)[3]


# ---------------------------------------------------------------------------------------
# memory
# ---------------------------------------------------------------------------------------
@jit
def side_covered(lo, hi, m, eps, tau, low, high, sign):
    """Whether the runs (lo[:m], hi[:m]) serve every target of [low, high] (sign = 1) or of
    [-high, -low] (sign = -1) within eps |z|; see the module docstring."""
    floor = low * (1.0 - eps)
    cur = low  # every target below cur is served
    for k in range(m):
        i = k if sign > 0 else m - 1 - k
        if sign > 0:
            a = lo[i] + tau
            b = hi[i] - tau
        else:
            a = -hi[i] + tau
            b = -lo[i] - tau
        if b < floor:
            continue
        # a run that starts below floor holds a sum in [floor, floor + 2 tau], which
        # serves low; otherwise its smallest sum a serves from a / (1 + eps) on
        start = max(a, floor) / (1.0 + eps)
        if start > cur:
            return False
        reach = b / (1.0 - eps)
        if reach > cur:
            cur = reach
        if cur >= high:
            return True
    return False


@jit
def relatively_covered(lo, hi, m, eps, tau, low, high):
    return side_covered(lo, hi, m, eps, tau, low, high, 1) and side_covered(
        lo, hi, m, eps, tau, low, high, -1
    )


@jit
def cover_time_relative(sample, eps, low, high):
    """First k whose prefix serves every low <= |z| <= high within eps |z| (n + 1: never)."""
    tau = eps * low
    top = high * (1.0 + eps) + tau  # sums beyond high (1 + eps) serve no target
    zlo, zhi = zones(sample, -top, top)
    capacity = INITIAL_CAPACITY
    lo, hi, m = initial(tau, zlo[0], zhi[0], capacity)
    out_lo = np.empty(capacity)
    out_hi = np.empty(capacity)
    if relatively_covered(lo, hi, m, eps, tau, low, high):
        return 0
    n = sample.size
    for k in range(1, n + 1):
        lo, hi, m, out_lo, out_hi = step(lo, hi, m, sample[k - 1], zlo[k], zhi[k], out_lo, out_hi)
        if relatively_covered(lo, hi, m, eps, tau, low, high):
            return k
    return n + 1


@parallel_jit
def cover_times_rows(samples, eps, a, b, relative):
    """Cover time of each row of ``samples``, in parallel: :func:`window_cover_time` of the
    window [a, b], or with ``relative`` :func:`cover_time_relative` of low = a, high = b."""
    out = np.empty(samples.shape[0], dtype=np.int64)
    for r in numba.prange(samples.shape[0]):
        if relative:
            out[r] = cover_time_relative(samples[r], eps, a, b)
        else:
            out[r] = window_cover_time(samples[r], eps, a, b)
    return out


def interval_bound(x, eps, window) -> int:
    """Worst-case interval count of the recurrence on a sample, or the largest over the rows
    of a batch (see :func:`rsslib.approximable.interval_bound`); ``window`` is None or a
    checked pair (a, b)."""
    absx = np.abs(np.atleast_2d(x))
    k = np.arange(absx.shape[1] + 1)
    zeros = np.zeros((absx.shape[0], 1))
    if window is None:
        extent = np.concatenate([zeros, np.cumsum(absx, axis=1)], axis=1)
    else:
        suffix = np.cumsum(absx[:, ::-1], axis=1)[:, ::-1]
        extent = (window[1] - window[0]) + np.concatenate([suffix, zeros], axis=1)
    by_length = np.floor(extent / (2.0 * eps)) + 2.0
    by_subsets = np.exp2(np.minimum(k, 1023).astype(np.float64))
    return int(np.max(np.minimum(by_length, by_subsets)))


def check_memory(bound: int, what: str, limit: int) -> None:
    """Refuse work that may store ``bound`` intervals when they need more than ``limit``
    bytes (the caller passes ``rsslib.approximable.MAX_MEMORY_BYTES``, read at call time)."""
    need = bound * BYTES_PER_INTERVAL
    if need > limit:
        raise ValueError(
            f"{what} could need up to {bound:,} intervals ({need / 2**30:.1f} GiB), more "
            f"than the {limit / 2**30:.0f} GiB allowed "
            "(rsslib.approximable.MAX_MEMORY_BYTES): use a larger eps, fewer values "
            "or a window"
        )
