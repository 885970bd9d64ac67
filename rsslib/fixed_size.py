"""Random Fixed-Size Subset Sum: targets approximated by sums of exactly (or at most) k values.

A pruned network keeps, for each target weight, a subset of the random values offered to it;
the number of values kept is the number of weights the ticket keeps. Lueker's theorem,
Theorem 2.2 (thesis Theorem 6), puts no bound on that number. Natale, Ferré, Giambartolomei,
Giroire and Mallmann-Trenn (2024, "On the Sparsity of the Strong Lottery Ticket Hypothesis")
study the *fixed-size* variant, RFSS: how large must n be for every target to be within eps
of the sum of a subset of *exactly k* of n i.i.d. values? This module computes the sets that
question is about, exactly, and estimates its probabilities.

The recurrence, by size
-----------------------
Write ``A_j(n)`` for the values within eps of a sum of exactly j of the first n values. A
subset of j of the first n + 1 values either avoids value n + 1 or contains it with j - 1
others, so

    A_0(n) = [-eps, eps],     A_j(n + 1) = A_j(n)  union  (A_{j-1}(n) + x_{n+1}),

the size-resolved form of the recurrence of Lemma 5.3 (thesis Lemma 14) (``A_j(0)`` is
empty for j >= 1). The
same recurrence with ``A_j(0) = [-eps, eps]`` for every j gives the sets of *at most* j
values. Each ``A_j`` is a union of closed intervals of length >= 2 eps, kept sorted and
merged; one step is a linear merge per size, O(k) merges per value, and the 2^n subsets
are never listed. When only a window [a, b] matters, every set is clipped to the points
that the values still to come can bring into the window, which changes nothing inside it:
a subset of the remaining values sums to something in ``[neg, pos]``
(:mod:`rsslib.approximable`'s zones), and ``A_j`` receives at most k - j more values, each
at most ``max |x_i|`` in absolute value. The second clip keeps the sparse sets of small j
from filling the whole zone.

The counting bound
------------------
n values have C(n, k) subsets of size k, each covering an interval of length 2 eps, so
covering a window of length L needs ``C(n, k) * 2 eps >= L``
(:func:`fixed_size_counting_bound`). For fixed k this is n of order ``k (1/eps)^{1/k}``:
polynomial in 1/eps, against the logarithm of Lueker's theorem when the size is free.
For k = 1 the covering probability has a closed form (:func:`single_value_cover_probability`).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numba
import numpy as np

from rsslib import approximable
from rsslib._intervals import (
    INITIAL_CAPACITY,
    check_memory,
    covers,
    interval_bound,
    union_shifted,
    zones,
)
from rsslib._jit import jit, parallel_jit
from rsslib._validate import (
    as_count,
    as_generator,
    as_positive_real,
    as_sample,
    as_seed,
    as_window,
)
from rsslib.distributions import draw
from rsslib.montecarlo import MAX_N, Estimate, estimates_from_times


# ---------------------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------------------
@jit
def _run_sized(sample, eps, size, at_most, zlo, zhi, a, b, stop_when_covered):
    """Run the size-resolved recurrence; return (lo, hi) of the top set and the cover time.

    The top set is ``A_size`` after the whole sample (or after the cover time, when
    ``stop_when_covered``). The cover time is the first n with [a, b] inside ``A_size(n)``,
    ``len(sample) + 1`` if never (-1 when not asked for).
    """
    n = sample.size
    reach = 0.0  # no value is larger than this in absolute value
    for v in sample:
        reach = max(reach, abs(v))
    cap = INITIAL_CAPACITY
    lo = np.empty((size + 1, cap))
    hi = np.empty((size + 1, cap))
    count = np.zeros(size + 1, dtype=np.int64)
    for j in range(size + 1):
        left = max(-eps, zlo[0], a - (size - j) * reach)
        right = min(eps, zhi[0], b + (size - j) * reach)
        if (j == 0 or at_most) and left <= right:
            lo[j, 0] = left
            hi[j, 0] = right
            count[j] = 1
    out_lo = np.empty(2 * cap)
    out_hi = np.empty(2 * cap)
    if covers(lo[size], hi[size], count[size], a, b):
        return lo[size, :0].copy(), hi[size, :0].copy(), 0
    for t in range(1, n + 1):
        x = sample[t - 1]
        # sizes from the top down, so A_{j-1} is still the previous step's set
        for j in range(size, -1, -1):
            # A_j still gets at most size - j values, each within [-reach, reach]
            lo_j = max(zlo[t], a - (size - j) * reach)
            hi_j = min(zhi[t], b + (size - j) * reach)
            need = count[j] + (count[j - 1] if j > 0 else 0)
            if need > out_lo.size:
                out_lo = np.empty(2 * need)
                out_hi = np.empty(2 * need)
            if j > 0:
                m = union_shifted(
                    lo[j], hi[j], count[j], lo[j - 1], hi[j - 1], count[j - 1], x,
                    lo_j, hi_j, out_lo, out_hi,
                )  # fmt: skip
            else:  # A_0 only shrinks with the zone
                m = union_shifted(
                    lo[0], hi[0], count[0], lo[0], hi[0], 0, x, lo_j, hi_j, out_lo, out_hi
                )
            if m > lo.shape[1]:
                grown = max(m, 2 * lo.shape[1])
                new_lo = np.empty((size + 1, grown))
                new_hi = np.empty((size + 1, grown))
                new_lo[:, : lo.shape[1]] = lo
                new_hi[:, : hi.shape[1]] = hi
                lo = new_lo
                hi = new_hi
            lo[j, :m] = out_lo[:m]
            hi[j, :m] = out_hi[:m]
            count[j] = m
        if stop_when_covered and covers(lo[size], hi[size], count[size], a, b):
            return lo[size, :0].copy(), hi[size, :0].copy(), t
    m = count[size]
    time = n + 1 if stop_when_covered else -1
    return lo[size, :m].copy(), hi[size, :m].copy(), time


@jit
def _cover_time_sized(sample, eps, size, at_most, a, b):
    zlo, zhi = zones(sample, a, b)
    return _run_sized(sample, eps, size, at_most, zlo, zhi, a, b, True)[2]


@parallel_jit
def _cover_times_sized(samples, eps, size, at_most, a, b):
    out = np.empty(samples.shape[0], dtype=np.int64)
    for r in numba.prange(samples.shape[0]):
        out[r] = _cover_time_sized(samples[r], eps, size, at_most, a, b)
    return out


# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------
def _prepare(sample, eps, k, window, copies=1):
    x = as_sample(sample)
    eps = as_positive_real(eps, "eps")
    k = as_count(k, "k")
    a, b = as_window(window)
    bound = copies * (k + 2) * (interval_bound(x, eps, (a, b)) if x.size else 1)
    check_memory(bound, f"n={x.size}, k={k} at eps={eps:g}", approximable.MAX_MEMORY_BYTES)
    return x, eps, k, a, b


# ---------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------
def fixed_size_approximable_set(
    sample, eps, k, window=(-1.0, 1.0), at_most=False
) -> tuple[np.ndarray, np.ndarray]:
    """The values within ``eps`` of a sum of exactly ``k`` (or at most ``k``) values.

    The set ``{z : |sum_{i in S} x_i - z| <= eps for some S with |S| = k}`` (``|S| <= k``
    with ``at_most``) intersected with ``window``, by the size-resolved recurrence of the
    module notes.

    Parameters
    ----------
    sample : array_like, shape (n,)
        Finite real values.
    eps : float
        Tolerance, > 0.
    k : int
        Subset size, >= 0. ``k > n`` gives the empty set (exactly k) or the unrestricted
        set (at most k).
    window : (float, float)
        The targets of interest; the set is returned inside it.
    at_most : bool
        Subsets of at most ``k`` values instead of exactly ``k``.

    Returns
    -------
    lo, hi : numpy.ndarray
        Sorted, disjoint, merged closed intervals ``[lo[i], hi[i]]``.
    """
    x, eps, k, a, b = _prepare(sample, eps, k, window)
    zlo, zhi = zones(x, a, b)
    lo, hi, _ = _run_sized(x, eps, k, bool(at_most), zlo, zhi, a, b, False)
    keep = (hi >= a) & (lo <= b)
    return np.maximum(lo[keep], a), np.minimum(hi[keep], b)


def fixed_size_cover_time(sample, eps, k, window=(-1.0, 1.0), at_most=False) -> int:
    """Smallest n such that every z in ``window`` is within ``eps`` of a sum of exactly
    ``k`` (or at most ``k``) of the first n values; ``len(sample) + 1`` if none.

    Adding values only adds subsets, so coverage at n implies coverage at every n' >= n and
    the success probability at any n is the fraction of cover times <= n.
    """
    x, eps, k, a, b = _prepare(sample, eps, k, window)
    return int(_cover_time_sized(x, eps, k, bool(at_most), a, b))


def all_fixed_size_approximable(sample, eps, k, window=(-1.0, 1.0), at_most=False) -> bool:
    """Whether every z in ``window`` is within ``eps`` of a sum of exactly (at most) k values."""
    x = as_sample(sample)
    return fixed_size_cover_time(x, eps, k, window, at_most) <= x.size


def fixed_size_cover_times(
    n, k, eps, trials, seed=0, window=(-1.0, 1.0), at_most=False, dist="uniform"
) -> np.ndarray:
    """Cover times (:func:`fixed_size_cover_time`) of ``trials`` samples of ``n`` values.

    The samples are drawn row after row from ``np.random.default_rng(seed)`` (``dist`` as in
    :func:`rsslib.draw`), so the result does not depend on the number of threads. ``seed``:
    a non-negative int, or a numpy Generator drawn from directly.
    """
    n = as_count(n, "n")
    trials = as_count(trials, "trials", minimum=1)
    rng = as_generator(seed)
    samples = draw(trials * n, dist, rng).reshape(trials, n)
    _, eps, k, a, b = _prepare(samples.reshape(-1)[:n], eps, k, window, numba.get_num_threads())
    return _cover_times_sized(samples, eps, k, bool(at_most), a, b)


def fixed_size_success_curve(
    ns, k, eps, trials, seed=0, window=(-1.0, 1.0), at_most=False, dist="uniform"
) -> list[Estimate]:
    """P(every z in ``window`` is within eps of a sum of exactly (at most) k values) at each
    n of ``ns``, read off one set of samples of ``max(ns)`` values (common random numbers:
    the curve is non-decreasing in n). Wilson 95% intervals.
    """
    ns = [as_count(n, "ns[i]") for n in ns]
    if not ns:
        raise ValueError("ns must list at least one sample size")
    seed = as_seed(seed)
    times = fixed_size_cover_times(max(ns), k, eps, trials, seed, window, at_most, dist)
    return estimates_from_times(times, ns)


def fixed_size_critical_n(
    k, eps, level, trials, seed=0, window=(-1.0, 1.0), at_most=False, dist="uniform"
) -> int:
    """Smallest n whose estimated probability of covering ``window`` with sums of exactly
    (at most) ``k`` values is at least ``level``: the ``level``-quantile of the cover times.

    The trial length starts at twice the counting bound and doubles until enough trials are
    covered (up to ``rsslib.montecarlo.MAX_N`` values).
    """
    level = as_positive_real(level, "level")
    if level > 1.0:
        raise ValueError(f"level must be in (0, 1], got {level}")
    trials = as_count(trials, "trials", minimum=1)
    seed = as_seed(seed)  # an int restarts the same stream at every trial length
    a, b = as_window(window)
    needed = math.ceil(level * trials - 1e-9)
    n_max = max(16, 2 * fixed_size_counting_bound(k, eps, b - a, at_most))
    while True:
        times = np.sort(fixed_size_cover_times(n_max, k, eps, trials, seed, window, at_most, dist))
        if times[needed - 1] <= n_max:
            return int(times[needed - 1])
        if n_max >= MAX_N:
            raise ValueError(f"fewer than {level:.0%} of the trials are covered with n={MAX_N}")
        n_max = min(2 * n_max, MAX_N)


def fixed_size_counting_bound(k, eps, window_length=2.0, at_most=False) -> int:
    """Smallest n for which the subsets of size k (at most k) *could* cover the window.

    Each subset sum is within eps of an interval of length 2 eps, so covering a window of
    length L needs ``N(n) * 2 eps >= L`` with ``N(n) = C(n, k)`` (exactly k) or
    ``sum_{j <= k} C(n, j)`` (at most k). Below this n, no sample at all succeeds.
    """
    k = as_count(k, "k")
    eps = as_positive_real(eps, "eps")
    length = as_positive_real(window_length, "window_length")
    if 2 * eps >= length:
        return 0 if at_most else k  # one subset has room enough; exactly k need k values
    if k == 0:
        raise ValueError("k = 0: the empty sum covers only [-eps, eps], never the window")
    need = length / (2 * eps)
    n = 0 if at_most else k
    while True:
        count = sum(math.comb(n, j) for j in range(k + 1)) if at_most else math.comb(n, k)
        if count >= need:
            return n
        n += 1


def single_value_cover_probability(n, eps) -> float:
    """Exact P([-1, 1] is covered by the intervals [x_i - eps, x_i + eps]), x_i uniform.

    The case k = 1 of RFSS. With the n points sorted, the n + 1 spacings (the first from
    -1, the last to 1) are uniform on the simplex of total length 2, and covering means:
    the two end spacings are <= eps and the n - 1 inner ones <= 2 eps. For a set J of
    spacings, P(each spacing in J exceeds c_i) = (1 - sum_J c_i / 2)_+^n, and inclusion-
    exclusion over J gives

        P = sum_{a=0}^{n-1} sum_{e=0}^{2} (-1)^{a+e} C(n-1, a) C(2, e)
            (1 - a eps - e eps / 2)_+^n.

    The alternating sum cancels catastrophically in floating point, so it is evaluated in
    exact rational arithmetic (``eps`` as the binary fraction it is).
    """
    n = as_count(n, "n")
    eps = as_positive_real(eps, "eps")
    if eps >= 1.0:
        return 1.0  # one interval of half-width >= 1 around any point of [-1, 1] is enough
    if n == 0:
        return 0.0
    # eps = p/q exactly (q a power of two), so 1 - a eps - e eps/2 = (2q - 2ap - ep) / (2q):
    # sum the integer numerators' n-th powers and divide once.
    e = Fraction(eps)
    p, q = e.numerator, e.denominator
    total = 0
    for a in range(n):
        for ends in range(3):
            base = 2 * q - 2 * a * p - ends * p
            if base <= 0:
                continue
            sign = -1 if (a + ends) % 2 else 1
            total += sign * math.comb(n - 1, a) * math.comb(2, ends) * base**n
    return float(Fraction(total, (2 * q) ** n))
