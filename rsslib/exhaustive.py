"""Exhaustive enumeration of subset sums: the slow, obvious definition, kept small.

Used in the book wherever a statement is checked *by brute force* on small instances
(the SSP/NPP reductions of thesis Section 2.0.1, Lemma 5.3 (thesis Lemma 14) on tiny
samples). The fast algorithms of :mod:`rsslib` never call it.
"""

from __future__ import annotations

import numpy as np

from rsslib._validate import as_count, as_sample, is_integer_array

#: Largest n enumerated: 2**24 sums take 128 MiB as float64.
MAX_EXHAUSTIVE_N = 24


def subset_sums(sample) -> np.ndarray:
    """All ``2**n`` subset sums of ``sample``, indexed by subset bitmask.

    Parameters
    ----------
    sample : array_like, shape (n,)
        Real numbers; integer arrays keep an integer result.

    Returns
    -------
    numpy.ndarray, shape (2**n,)
        ``out[m] = sum(sample[i] for i with bit i of m set)``; ``out[0] = 0`` is the
        empty subset. Integer input gives int64 output (exact), otherwise float64.

    Raises
    ------
    ValueError
        If ``sample`` is not a finite 1-D array or has more than ``MAX_EXHAUSTIVE_N``
        entries (the output would not fit comfortably in memory).
    """
    arr = np.asarray(sample)
    integral = is_integer_array(arr)
    values = as_sample(sample)
    if values.size > MAX_EXHAUSTIVE_N:
        raise ValueError(
            f"sample has n={values.size} values: 2**n = {2**values.size:,} subset sums "
            f"would not fit in memory (exhaustive enumeration allows n <= {MAX_EXHAUSTIVE_N})"
        )
    if integral:
        values = arr.astype(np.int64)
    sums = np.zeros(1, dtype=values.dtype)
    for x in values:
        # appending sums + x sets the next bit: index m + 2**i holds the sum with x_i added
        sums = np.concatenate([sums, sums + x])
    return sums


def subsets_summing_to(sample, target, tol: float = 0.0) -> np.ndarray:
    """Bitmasks of the subsets whose sum is within ``tol`` of ``target``.

    ``tol = 0`` decides the exact Subset Sum Problem (Definition 1.1 (thesis Definition 1));
    ``tol = eps`` lists the witnesses of eps-approximability
    (Definition 1.3 (thesis Definition 2) and Definition 1.4 (thesis Definition 3)).
    """
    sums = subset_sums(sample)
    tol = float(tol)
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be finite and >= 0, got {tol}")
    return np.flatnonzero(np.abs(sums - target) <= tol)


def mask_to_bool(mask: int, n: int) -> np.ndarray:
    """Boolean membership vector of length ``n`` for subset bitmask ``mask``."""
    n = as_count(n, "n")
    return ((int(mask) >> np.arange(n)) & 1).astype(bool)
