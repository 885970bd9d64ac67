"""Sets of eps-approximable values and their density Z_n.

Definition 1.3 (thesis Definition 2), Definition 1.4 (thesis Definition 3) and
Definition 5.1 (thesis Definition 12). A value ``z`` is *eps-approximable* with a sample
``x_1..x_n`` if some subset sum lies within ``eps`` of it. The set of such values is a
finite union of closed intervals, built by the recurrence of Lemma 5.3 (thesis Lemma 14):

    A_0 = [-eps, eps],    A_k = A_{k-1}  union  (A_{k-1} + x_k)

which is the set form of the recurrence ``Y_{k}(z) = Y_{k-1}(z) + (1 - Y_{k-1}(z))
Y_{k-1}(z - x_k)``. We store ``A_k`` as sorted, disjoint, merged closed intervals and
compute ``A_k`` from ``A_{k-1}`` by merging two sorted lists in linear time; the 2^n
subsets are never enumerated.

Complexity
----------
Every interval of ``A_k`` is at least ``2 eps`` long and they are disjoint, so their
number is at most ``min(2^k, span / (2 eps) + 1)`` with ``span = sum |x_i| + 2 eps``.
The count peaks near ``n = log2(1/eps)``, while the window is still filling: with
``eps = 1e-6`` and 20 uniform values there are about 650,000 intervals on the whole line,
half of them inside ``[-1, 1]``. Once the window is covered (about ``n = 30`` here) it is
a single interval and the hundreds of thousands that remain all lie in the tails, which no
target in the window ever needs.

Window pruning
--------------
When only a window ``[a, b]`` matters and the whole sample is known, a point ``y`` of
``A_k`` can reach the window at the end only through ``y + s`` with ``s`` a subset sum of
the values still to come, and those lie in ``[neg_k, pos_k]`` (the sums of the negative
and of the positive remaining values). So ``A_k`` may be clipped to the *zone*
``[a - pos_k, b - neg_k]`` without changing ``A_n`` inside the window, nor ``A_k``
inside the window for any ``k`` (the zone always contains the window). The density
functions below all clip; only :func:`approximable_set` keeps the whole line.
"""

from __future__ import annotations

import numpy as np

from rsslib import _intervals
from rsslib._intervals import check_memory, covered_measure, run, union_with_shift, zones
from rsslib._validate import as_positive_real, as_sample, as_window

#: Refuse inputs whose worst-case interval storage would exceed this many bytes (every
#: interval-recurrence function of rsslib reads it here, at call time).
MAX_MEMORY_BYTES = 4 * 2**30


def interval_bound(sample, eps, window=None) -> int:
    """Worst-case number of intervals the recurrence stores for ``sample``.

    Without a window this bounds ``A_k`` on the whole line,
    ``min(2^k, sum_{i<=k} |x_i| / (2 eps) + 2)``; with a window it bounds the clipped sets,
    ``min(2^k, (b - a + sum_{i>k} |x_i|) / (2 eps) + 2)``. The maximum over k is returned.
    Used to refuse inputs that could exhaust memory before any work is done.
    """
    x = as_sample(sample)
    eps = as_positive_real(eps, "eps")
    return _intervals.interval_bound(x, eps, None if window is None else as_window(window))


def _check_memory(x, eps, window) -> None:
    bound = _intervals.interval_bound(x, eps, window)
    check_memory(bound, f"sample of n={x.size} at eps={eps:g}", MAX_MEMORY_BYTES)


def _prepare(sample, eps, window):
    x = as_sample(sample)
    eps = as_positive_real(eps, "eps")
    a, b = as_window(window)
    _check_memory(x, eps, (a, b))
    zlo, zhi = zones(x, a, b)
    return x, eps, a, b, zlo, zhi


# ---------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------
def approximable_set(sample, eps, window=None) -> tuple[np.ndarray, np.ndarray]:
    """The eps-approximable values of ``sample``, on the whole line or inside ``window``.

    The set ``{z : |sum_{i in S} x_i - z| <= eps for some S}`` of
    Definition 1.4 (thesis Definition 3), built by the recurrence of
    Lemma 5.3 (thesis Lemma 14) with linear-time merges.

    Parameters
    ----------
    sample : array_like, shape (n,)
        Finite real values (integer and float32 input is converted to float64).
    eps : float
        Approximation tolerance, > 0.
    window : (float, float), optional
        If given, return the set intersected with ``[a, b]``, computed with window pruning
        (much less memory for small eps).

    Returns
    -------
    lo, hi : numpy.ndarray, shape (m,)
        The set is the union of the closed intervals ``[lo[i], hi[i]]``, sorted,
        disjoint and non-touching. The empty sample gives ``[-eps, eps]``.

    Raises
    ------
    ValueError
        On non-finite or non 1-D samples, ``eps <= 0``, a bad window, or if the worst-case
        interval count (see :func:`interval_bound`) exceeds ``MAX_MEMORY_BYTES``.
    """
    if window is not None:
        x, eps, a, b, zlo, zhi = _prepare(sample, eps, window)
        lo, hi, _, _ = run(x, eps, zlo, zhi, a, b, 0)
        return lo, hi
    x = as_sample(sample)
    eps = as_positive_real(eps, "eps")
    _check_memory(x, eps, None)
    unbounded = np.full(x.size + 1, np.inf)
    lo, hi, _, _ = run(x, eps, -unbounded, unbounded, -np.inf, np.inf, 0)
    return lo, hi


def density(sample, eps, window=(-1.0, 1.0)) -> float:
    """Z_{n,eps}: the fraction of ``window`` made of eps-approximable values.

    Definition 5.1 (thesis Definition 12). With the default window ``[-1, 1]`` this is
    ``(1/2) * integral_{-1}^{1} Y_n(z) dz``; the empty sample gives ``Z_0 = min(eps, 1)``.
    """
    return float(density_trajectory(sample, eps, window)[-1])


def density_trajectory(sample, eps, window=(-1.0, 1.0)) -> np.ndarray:
    """Z_0, ..., Z_n along the prefixes of ``sample``, in one pass.

    The pass runs the recurrence of Lemma 5.3 (thesis Lemma 14). Entry ``k`` is the density
    of the first ``k`` values. The sequence is non-decreasing, since adding a value only adds
    approximable points.

    Returns
    -------
    numpy.ndarray, shape (n + 1,)
    """
    x, eps, a, b, zlo, zhi = _prepare(sample, eps, window)
    return run(x, eps, zlo, zhi, a, b, 1)[2]


def all_approximable(sample, eps, window=(-1.0, 1.0)) -> bool:
    """Whether every ``z`` in ``window`` is eps-approximable with ``sample``.

    The event whose probability Theorem 2.2 (thesis Theorem 6) bounds. Stops at the first
    prefix that already covers the window.

    Intervals that touch in exact arithmetic (for instance sums of 0.01, 0.02, ... with
    eps = 0.005) can be separated by a rounding gap of a few ulps in floating point, and the
    window then counts as not covered. For random real samples this has probability zero;
    for hand-made grids use binary fractions (multiples of powers of two), which are exact.
    """
    x, eps, a, b, zlo, zhi = _prepare(sample, eps, window)
    return bool(run(x, eps, zlo, zhi, a, b, 2)[3] <= x.size)


def cover_time(sample, eps, window=(-1.0, 1.0)) -> int:
    """Smallest k such that every z in ``window`` is eps-approximable with the first k values.

    Returns ``n + 1`` if even the whole sample does not cover the window. Because the
    approximable sets grow with k, ``all_approximable(sample[:k])`` holds exactly when
    ``k >= cover_time(sample)``.
    """
    x, eps, a, b, zlo, zhi = _prepare(sample, eps, window)
    return int(run(x, eps, zlo, zhi, a, b, 2)[3])


def _measure_antiderivative(lo, hi):
    """H with H(t) = integral_{-inf}^t |A intersect (-inf, s]| ds for A = union [lo_i, hi_i].

    |A intersect (-inf, s]| is piecewise linear, so H is piecewise quadratic; prefix sums over
    the intervals evaluate it in O(log m) per point.
    """
    length = hi - lo
    s_sq = np.concatenate([[0.0], np.cumsum(length**2 / 2)])
    s_len = np.concatenate([[0.0], np.cumsum(length)])
    s_len_hi = np.concatenate([[0.0], np.cumsum(length * hi)])

    def H(t):
        t = np.asarray(t, dtype=np.float64)
        j = np.searchsorted(hi, t, side="right")  # intervals entirely left of t
        out = s_sq[j] + t * s_len[j] - s_len_hi[j]
        inside = (j < lo.size) & (lo[np.minimum(j, lo.size - 1)] < t) if lo.size else j < 0
        if lo.size:
            out = out + np.where(inside, (t - lo[np.minimum(j, lo.size - 1)]) ** 2 / 2, 0.0)
        return out

    return H


def expected_next_density(sample, eps, window=(-1.0, 1.0), clipped=False) -> float:
    """E[Z_{n+1} | X_1..X_n] exactly, for a new value X_{n+1} uniform on [-1, 1].

    With A the approximable set of ``sample`` and W the window, a point z of W \\ A becomes
    approximable when z - x lands in A, so (Eq. 3.3 of the thesis)

        E[Z_{n+1}] = Z_n + 1 / (2 |W|) * integral over W \\ A of |A intersect [z-1, z+1]| dz.

    The inner measure is piecewise linear in z, and the integral is evaluated in closed form.

    Parameters
    ----------
    sample, eps, window
        As for :func:`density`.
    clipped : bool
        Compute instead E[Z^_{n+1} | X_1..X_n] for the clipped process of Eq. 3.6, in which
        z - x must itself lie in the window: A is replaced by its part inside W.

    Returns
    -------
    float
    """
    x = as_sample(sample)
    eps = as_positive_real(eps, "eps")
    a, b = as_window(window)
    reach = (a, b) if clipped else (a - 1.0, b + 1.0)
    lo, hi = approximable_set(x, eps, window=reach)
    H = _measure_antiderivative(lo, hi)
    # the uncovered part of the window: gaps of A inside [a, b]
    inside_lo = np.clip(lo, a, b)
    inside_hi = np.clip(hi, a, b)
    gap_lo = np.concatenate([[a], inside_hi])
    gap_hi = np.concatenate([inside_lo, [b]])
    keep = gap_hi > gap_lo
    u, v = gap_lo[keep], gap_hi[keep]
    # integral_u^v (G(z+1) - G(z-1)) dz = H(v+1) - H(u+1) - H(v-1) + H(u-1)
    gained = np.sum(H(v + 1) - H(u + 1) - H(v - 1) + H(u - 1))
    covered = float(np.sum(inside_hi - inside_lo))
    width = b - a
    return covered / width + gained / (2.0 * width)


def next_density(sample, eps, x, window=(-1.0, 1.0), clipped=False) -> np.ndarray:
    """Z_{n+1} as a function of the next value: the density after appending each ``x``.

    Parameters
    ----------
    sample, eps, window
        As for :func:`density`; ``sample`` holds X_1..X_n.
    x : float or array_like
        Candidate values of X_{n+1}.
    clipped : bool
        Return instead the clipped Z^_{n+1} of the thesis's Eq. 3.6, which only counts the
        new points z whose partner z - x lies in the window.

    Returns
    -------
    numpy.ndarray
        One density per entry of ``x``.
    """
    xs = as_sample(np.atleast_1d(x), "x")
    eps = as_positive_real(eps, "eps")
    a, b = as_window(window)
    # points z - x with z in the window: the window itself if clipped, else widened by |x|
    spread = float(np.max(np.abs(xs), initial=0.0))
    reach = (a, b) if clipped else (a - spread, b + spread)
    lo, hi = approximable_set(as_sample(sample), eps, window=reach)
    # A u (A + x) cut to the window: the recurrence's own merge, with the window as zone
    out_lo = np.empty(2 * lo.size)
    out_hi = np.empty(2 * lo.size)
    out = np.empty(xs.size)
    for i, shift in enumerate(xs):
        m = union_with_shift(lo, hi, lo.size, shift, a, b, out_lo, out_hi)
        out[i] = covered_measure(out_lo, out_hi, m, a, b) / (b - a)
    return out


def window_density(sample, eps, centers, width=1.0) -> np.ndarray:
    """Fraction of each window ``[c - width/2, c + width/2]`` that is eps-approximable.

    With ``width = 1`` and ``c = u`` this is the function ``h(u)`` of the proof of
    Proposition 6.1 (thesis Proposition 16), the approximable length inside
    ``I_u = [u - 1/2, u + 1/2]`` (without the factor 1/2 the thesis prints in front of it).
    Entry ``i`` equals ``density(sample, eps, window=(c_i - width/2, c_i + width/2))``, but
    the approximable set is built once for all centres.

    Parameters
    ----------
    sample, eps
        As for :func:`density`.
    centers : float or array_like
        Centres of the windows (finite).
    width : float
        Common length of the windows, > 0.

    Returns
    -------
    numpy.ndarray
        One fraction in [0, 1] per centre.
    """
    c = as_sample(np.atleast_1d(centers), "centers")
    width = as_positive_real(width, "width")
    if c.size == 0:
        return np.empty(0)
    left, right = c - width / 2, c + width / 2
    lo, hi = approximable_set(sample, eps, window=(float(left.min()), float(right.max())))
    # G(t) = |A intersect (-inf, t]|, piecewise linear, via prefix sums of the lengths
    if lo.size == 0:
        return np.zeros(c.size)
    before = np.concatenate([[0.0], np.cumsum(hi - lo)])

    def G(t):
        j = np.searchsorted(lo, t, side="right")  # intervals starting at or before t
        last = np.maximum(j - 1, 0)
        partial = np.where(j > 0, np.minimum(t, hi[last]) - lo[last], 0.0)
        return before[last] + np.maximum(partial, 0.0)

    return np.clip((G(right) - G(left)) / width, 0.0, 1.0)
