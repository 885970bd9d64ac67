"""Subset Sum <-> Number Partition (thesis Section 2.0.1).

Definition 1.1 (thesis Definition 1), Definition 1.2 (thesis Definition 8) and the
reductions of Proposition 1.5 (thesis Eq. 2.1). An SSP instance ``(x_1..x_n, z)`` asks for
S with ``sum_S x = z``. An NPP instance ``x_1..x_n`` asks for S with
``sum_S x - sum_{not S} x = 0``. The reductions below are exact and work for integers and
for reals alike.
"""

from __future__ import annotations

import numpy as np

from rsslib._validate import as_finite_real, as_sample, is_integer_array


def _keep_integer(xs, *scalars) -> bool:
    return is_integer_array(xs) and all(float(s).is_integer() for s in scalars)


def ssp_to_npp(xs, z) -> np.ndarray:
    """Number Partition instance equivalent to the Subset Sum instance ``(xs, z)``.

    Appends ``sum(xs) - 2 z`` to ``xs`` (Proposition 1.5 (thesis Eq. 2.1)). If S solves the
    SSP, putting S on the same side as the new value balances the partition; conversely in a
    balanced partition the original values on the side of the new value sum to ``z`` (and
    those on the other side to ``sum(xs) - z``).

    Parameters
    ----------
    xs : array_like, shape (n,)
        The SSP values. Integer input with integer ``z`` gives an int64 result.
    z : float
        The SSP target.

    Returns
    -------
    numpy.ndarray, shape (n + 1,)
    """
    values = as_sample(xs, "xs")
    target = as_finite_real(z, "z")
    if _keep_integer(xs, z):
        ints = np.asarray(xs, dtype=np.int64)
        return np.append(ints, ints.sum() - 2 * int(target))
    return np.append(values, values.sum() - 2.0 * target)


def npp_to_ssp(xs) -> tuple[np.ndarray, float]:
    """Subset Sum instance ``(xs, sum(xs) / 2)`` equivalent to the Number Partition ``xs``.

    A set S balances the partition exactly when ``sum_S x = sum(xs) / 2``. For integers
    with an odd total the target is a half-integer and both instances have no solution.
    """
    values = as_sample(xs, "xs")
    if _keep_integer(xs):
        ints = np.asarray(xs, dtype=np.int64)
        return ints.copy(), int(ints.sum()) / 2
    return values, float(values.sum()) / 2.0


def karmarkar_karp(xs) -> tuple[float, np.ndarray]:
    """Largest differencing method for Number Partition (Karmarkar and Karp, 1982).

    Repeatedly replace the two largest magnitudes by their difference, committing the two
    to opposite sides; the last magnitude left is the discrepancy. The sides are recovered
    by 2-colouring the tree of "opposite side" commitments. Negative values are handled by
    partitioning magnitudes and flipping the side of each negative value.

    Parameters
    ----------
    xs : array_like, shape (n,)
        Finite real values (integers stay exact).

    Returns
    -------
    discrepancy : float
        ``|sum(xs[mask]) - sum(xs[~mask])|`` for the returned partition (recomputed from the
        mask, so the two always agree; 0.0 for the empty input).
    mask : numpy.ndarray of bool, shape (n,)
        One side of the partition.

    Notes
    -----
    O(n log n). A heuristic: its discrepancy is typically ``n^{-Theta(log n)}`` times the
    values' scale for random inputs, far from the optimum that exhaustive search finds.
    """
    import heapq

    values = as_sample(xs, "xs")
    arr = np.asarray(xs)
    integral = is_integer_array(arr)
    n = values.size
    magnitudes = np.abs(arr.astype(np.int64) if integral else values)
    heap = [(-magnitudes[i], i) for i in range(n)]
    heapq.heapify(heap)
    neighbours: list[list[int]] = [[] for _ in range(n)]
    while len(heap) > 1:
        big, i = heapq.heappop(heap)
        small, j = heapq.heappop(heap)
        neighbours[i].append(j)  # i and j go to opposite sides
        neighbours[j].append(i)
        heapq.heappush(heap, (big - small, i))  # -(|big| - |small|); i represents both
    side = np.zeros(n, dtype=bool)
    seen = np.zeros(n, dtype=bool)
    for root in range(n):
        if seen[root]:
            continue
        seen[root] = True
        stack = [root]
        while stack:
            u = stack.pop()
            for v in neighbours[u]:
                if not seen[v]:
                    seen[v] = True
                    side[v] = not side[u]
                    stack.append(v)
    mask = side ^ (values < 0)
    if integral:
        ints = arr.astype(np.int64)
        return float(abs(2 * int(ints[mask].sum()) - int(ints.sum()))), mask
    return float(abs(values[mask].sum() - values[~mask].sum())), mask
