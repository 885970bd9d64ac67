"""Slow, obvious references the library is tested against (itertools, no numpy tricks)."""

from itertools import combinations


def all_subsets(xs):
    """Every subset of positions 0..n-1 as a tuple, the empty one included."""
    n = len(xs)
    for k in range(n + 1):
        yield from combinations(range(n), k)


def ssp_decide(xs, z):
    """Definition 1: is there S with sum_{i in S} x_i == z?"""
    return any(sum(xs[i] for i in s) == z for s in all_subsets(xs))


def npp_decide(xs):
    """Definition 8: is there S with sum_S x - sum_{not S} x == 0?"""
    total = sum(xs)
    return any(2 * sum(xs[i] for i in s) == total for s in all_subsets(xs))


def approximable_intervals(xs, eps):
    """Union of [s - eps, s + eps] over all 2^n subset sums s, merged (closed intervals)."""
    sums = sorted(sum(xs[i] for i in s) for s in all_subsets(xs))
    merged = []
    for s in sums:
        lo, hi = s - eps, s + eps
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return merged


def covered_fraction(intervals, a, b):
    """Length of (union of intervals) inside [a, b], divided by b - a."""
    return sum(max(0.0, min(hi, b) - max(lo, a)) for lo, hi in intervals) / (b - a)


def covers(intervals, a, b):
    return any(lo <= a and hi >= b for lo, hi in intervals)
