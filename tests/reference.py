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
