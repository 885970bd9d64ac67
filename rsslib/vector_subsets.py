"""The exact best subset of vectors in the max norm (multidimensional subset sum).

Given n vectors ``X_1, ..., X_n`` of R^d and a target z, find a subset S minimising
``|| sum_{i in S} X_i - z ||_inf``: the question of the multidimensional Random Subset Sum
Problem of Becchetti, da Cunha, Clementi, d'Amore, Lesfari, Natale and Trevisan (2022,
arXiv:2207.13944), and of filter pruning (:mod:`rsslib.slth.filters`), where the vectors
are the flattened products ``V[l, t] U_t`` and the target a filter.

- :func:`best_vector_subset` / :func:`best_vector_subsets`: the exact minimiser over all
  2^n subsets, by meet in the middle with branch and bound on the first coordinate
  (the algorithm, exactness and ties are described in :mod:`rsslib._vectors`);
- :func:`best_error_curve`: the minimum error with the first k vectors, for every k.

The Monte Carlo experiments on random vectors built on them are in :mod:`rsslib.multidim`.
"""

from __future__ import annotations

import numpy as np

from rsslib._validate import _read_reals
from rsslib._vectors import (
    CURVE,
    as_target,
    as_vectors,
    best_batch,
    check_size,
    instances_batch,
    threads_blocks,
)


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
    x = as_vectors(sample)
    z = as_target(target, x.shape[1])
    check_size(x.shape[0], x.shape[1], 1, "best_vector_subset")
    masks, errors = best_batch(x[None], z[None], 1)
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
    x = as_vectors(arr.reshape(m * n, d), "samples").reshape(m, n, d)
    t = _read_reals(targets, "targets", "a 2-D array (m, d)")
    if t.shape != (m, d):
        raise ValueError(f"targets must have shape (m, d) = {(m, d)}, got {t.shape}")
    t = as_vectors(t, "targets")
    blocks, copies = threads_blocks(max(m, 1))
    check_size(n, d, copies, "best_vector_subsets")
    if m == 0:
        return np.zeros((0, n), dtype=bool), np.zeros(0)
    return best_batch(x, t, blocks)


def best_error_curve(sample, target) -> np.ndarray:
    """Minimum max-norm error with the first k vectors of ``sample``, for k = 0..n.

    Entry k equals ``best_vector_subset(sample[:k], target)[1]`` up to rounding; the
    curve is non-increasing (each prefix's best subset is a candidate for the next, and
    starts its branch and bound).

    Returns
    -------
    numpy.ndarray of float64, shape (n + 1,)
    """
    x = as_vectors(sample)
    z = as_target(target, x.shape[1])
    check_size(x.shape[0], x.shape[1], 1, "best_error_curve")
    return instances_batch(x[None], z[None], 0.0, 0.0, CURVE, 1)[0]
