"""Weight pruning of one ReLU neuron: Pensia et al.'s construction, each subset exact.

The random network and the target are those of :mod:`rsslib.slth.neurons`:
``N(x) = relu(sum_i v_i relu(u_i . x))`` against ``f(x) = relu(w . x)``. Pensia et al.
(2020) write ``w . x = sum_j w_j relu(x_j) - w_j relu(-x_j)``. Hidden neurons are split
into d blocks; in block j only the weight ``u_ij`` of each neuron is kept, so neuron i
computes ``|u_ij| relu(+-x_j)`` (the sign of ``u_ij``), and the products ``v_i |u_ij|`` of
each sign are chosen by an exact subset-sum solve (:func:`rsslib.best_subsets`) to
approximate ``w_j`` and ``-w_j`` (:func:`weight_prune_neuron`). The outer ReLU is
1-Lipschitz, so the error at x is at most ``sum_j e_j |x_j|`` with ``e_j`` the worse of
the two subset-sum errors of block j (:func:`weight_certificate`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rsslib._validate import as_count, as_real_array
from rsslib.slth.neurons import check_network
from rsslib.solve import best_subsets

#: Products offered per subset-sum instance (as in :mod:`rsslib.slth.construct`).
MAX_TERMS = 40


@dataclass(frozen=True)
class WeightPruning:
    """Result of :func:`weight_prune_neuron`: masks on the random draw and the errors."""

    U_mask: np.ndarray  # (m, d) bool: kept first-layer weights (at most one per neuron)
    v_mask: np.ndarray  # (m,) bool: kept output weights
    coordinate_errors: np.ndarray  # (d,) e_j = max(|A_j - w_j|, |B_j + w_j|)
    kept: int  # kept weights, U and v together


def weight_prune_neuron(U, v, w, max_terms=MAX_TERMS) -> WeightPruning:
    """Pensia et al.'s construction for one neuron, each subset solved exactly.

    Hidden neurons are split into d contiguous blocks of ``m // d`` (the last ``m mod d``
    are pruned). In block j, neuron i keeps only ``u_ij``: it computes
    ``|u_ij| relu(x_j)`` if ``u_ij > 0`` and ``|u_ij| relu(-x_j)`` if ``u_ij < 0``. The
    first ``max_terms`` neurons of each sign offer the products ``v_i |u_ij|``; the best
    subset of the positive side approximates ``w_j`` (sum ``A_j``), of the negative side
    ``-w_j`` (sum ``B_j``), since ``w_j x_j = w_j relu(x_j) - w_j relu(-x_j)``.

    The pruned network is ``relu(sum_j A_j relu(x_j) + B_j relu(-x_j))`` and, relu being
    1-Lipschitz and only one of ``relu(x_j)``, ``relu(-x_j)`` non-zero, its error at x is at
    most ``sum_j e_j |x_j|`` (:func:`weight_certificate`).
    """
    U, v, w = check_network(U, v, w)
    max_terms = as_count(max_terms, "max_terms", minimum=1)
    if max_terms > MAX_TERMS:
        raise ValueError(f"max_terms must be <= {MAX_TERMS}, got {max_terms}")
    m, d = U.shape
    if m < d:
        raise ValueError(f"U needs at least d = {d} hidden neurons (one block each), got m = {m}")
    b = m // d
    rows, targets, owners = [], [], []
    for j in range(d):
        block = np.arange(j * b, (j + 1) * b)
        for sign in (1.0, -1.0):
            idx = block[sign * U[block, j] > 0][:max_terms]
            vals = np.zeros(max_terms)
            vals[: idx.size] = v[idx] * np.abs(U[idx, j])
            rows.append(vals)
            targets.append(sign * w[j])
            owners.append((j, idx))
    masks, errors = best_subsets(np.array(rows), np.array(targets))
    U_mask = np.zeros((m, d), dtype=bool)
    for (j, idx), mk in zip(owners, masks, strict=True):
        U_mask[idx[mk[: idx.size]], j] = True
    v_mask = U_mask.any(axis=1)
    coord = np.maximum(errors[0::2], errors[1::2])
    return WeightPruning(U_mask, v_mask, coord, int(U_mask.sum() + v_mask.sum()))


def weight_certificate(coordinate_errors, X) -> float:
    """``max_p sum_j e_j |x_pj|``: the bound the Lipschitz argument gives on X.

    On the whole unit sphere the same argument gives ``||e||_2`` (Cauchy-Schwarz).
    """
    e = as_real_array(coordinate_errors, "coordinate_errors").astype(np.float64)
    X = as_real_array(X, "X").astype(np.float64)
    if X.ndim != 2 or X.shape[1] != e.size:
        raise ValueError(f"X must have shape (P, {e.size}), got {X.shape}")
    return float(np.max(np.abs(X) @ e))


def pruned_weights(U, v, pruning: WeightPruning) -> tuple[np.ndarray, np.ndarray]:
    """The pruned network's weights: U and v with the masks applied (zeros elsewhere)."""
    U, v, _ = check_network(U, v)
    if pruning.U_mask.shape != U.shape or pruning.v_mask.shape != v.shape:
        raise ValueError(
            f"pruning has masks of shapes {pruning.U_mask.shape}, {pruning.v_mask.shape}; "
            f"U and v have {U.shape}, {v.shape}"
        )
    return np.where(pruning.U_mask, U, 0.0), np.where(pruning.v_mask, v, 0.0)
