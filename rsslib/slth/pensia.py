"""Pensia et al.'s construction: each target weight a subset sum of n random products.

Pensia, Rajput, Nagle, Vishwakarma and Papailiopoulos (2020), "Optimal Lottery Tickets via
SubsetSum: Logarithmic Over-Parameterization is Sufficient", NeurIPS 33 (code at
github.com/acnagle/optimal-lottery-tickets, ``subset-sum/``), replace every layer of a
bias-free ReLU target by a pair of random layers and prune the pair so that it computes
about the target layer (Proposition 15.1). This module builds the random pairs
(:func:`random_network`), solves every weight exactly twice (:func:`solve_layer`: the
subset of minimum error by :func:`rsslib.best_subsets`, the subset of fewest values within
eps by :func:`rsslib.sparsest.sparsest_subsets`), reconstructs the weights the pruned pairs
compute (:func:`reconstruct`), runs the pruned random network itself
(:func:`pruned_network_logits`), counts sizes (:func:`kept_counts`,
:func:`random_param_counts`) and has the baseline that zeroes every small weight
(:func:`zero_small`). The experiment on the trained 784-500-10 Fashion-MNIST network is
:mod:`rsslib.slth.experiments.pensia`.

The random network
------------------
Each target layer W (d_out x d_in) is replaced by two random layers. The hidden layer has a
block of n neurons per input j; neuron (j, i) sees input j only, with weight u[j, i], and
output k sees every hidden neuron, with weight v[k, j, i]. As ReLU(u t) = u t for u > 0 and
t >= 0, the pair computes on non-negative inputs the linear map with weights

    w'[k, j] = sum over kept i of a[k, j, i],    a[k, j, i] = v[k, j, i] u[j, i],

a subset sum of n products: one Random Subset Sum instance per target weight. In Pensia et
al.'s lemma each input has 2n hidden neurons with entries uniform on [-1, 1], and
t = ReLU(t) - ReLU(-t) handles both signs of the input; here every input is non-negative
(pixels, then ReLU outputs), the neurons with u < 0 always output 0, and only the useful
half is drawn: u uniform on (0, 1] (the law of |Unif[-1, 1]|), v uniform on [-1, 1]
(:func:`random_layer`). The products have density -ln|a| / 2 on [-1, 1]. The block
structure is the one of their Experiment 2 code, ``pruning/utils/red_fc.py``.

Sizes are counted two ways (:func:`kept_counts`): kept values (kept second-layer weights v,
what Pensia et al. call remaining parameters) and the weights of the pruned two-layer
network (kept v plus every first-layer weight u[j, i] still used by some output).

References
----------
.. [1] A. Pensia, S. Rajput, A. Nagle, H. Vishwakarma, D. Papailiopoulos, "Optimal Lottery
   Tickets via SubsetSum: Logarithmic Over-Parameterization is Sufficient", Advances in
   Neural Information Processing Systems 33, 2020.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch

from rsslib._validate import (
    as_count,
    as_int_seed,
    as_matrix,
    as_positive_real,
    as_real_array,
    as_weight_list,
)
from rsslib.solve import best_subsets
from rsslib.sparsest import sparsest_subsets

__all__ = [
    "EPS",
    "MAX_VALUES",
    "N_VALUES",
    "kept_counts",
    "products",
    "prune_layers",
    "pruned_network_logits",
    "random_layer",
    "random_network",
    "random_param_counts",
    "reconstruct",
    "solve_layer",
    "zero_small",
]

#: Random values per weight: Pensia et al.'s n = round(c log2(1/eps)) with c = 3, eps = 0.01.
N_VALUES = 21
#: Their tolerance.
EPS = 0.01
#: Largest number of random values one call may draw (2 GB of float64).
MAX_VALUES = 2**28

_matrix = as_matrix
_weights = as_weight_list


def _masks(masks, shape: tuple, name: str = "masks") -> np.ndarray:
    arr = np.asarray(masks)
    if arr.dtype != bool:
        raise ValueError(f"{name} must be a boolean array, got dtype {arr.dtype}")
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {arr.shape}")
    return arr


def zero_small(weights, eps) -> list[np.ndarray]:
    """The baseline: every weight with ``|w| <= eps`` set to 0, the others kept exactly.

    The comparison is made in the weights' own dtype (float32 for the stored target).
    """
    ws = _weights(weights)
    eps = as_positive_real(eps, "eps")
    return [np.where(np.abs(w) <= eps, 0.0, w) for w in ws]


# ---------------------------------------------------------------------------------------
# random network, pruning
# ---------------------------------------------------------------------------------------
def random_layer(d_out: int, d_in: int, n: int, seed: int, layer: int):
    """The random pair that replaces one target layer (the useful half of Pensia et al.).

    Parameters
    ----------
    d_out, d_in : int
        Shape of the target layer, >= 1.
    n : int
        Hidden neurons per input, that is random values per target weight, >= 1.
    seed : int or numpy.random.Generator
        The experiment's seed, >= 0 (a numpy Generator gives one int seed).
    layer : int
        Index of the target layer, >= 0. Each layer has its own stream
        (``SeedSequence([seed, layer])``), so one layer can be rebuilt alone.

    Returns
    -------
    u : numpy.ndarray of float64, shape (d_in, n)
        First-layer weights, uniform on (0, 1]: neuron (j, i) sees input j only.
    v : numpy.ndarray of float64, shape (d_out, d_in, n)
        Second-layer weights, uniform on [-1, 1]: output k sees every neuron (j, i).

    References
    ----------
    .. [1] A. Pensia et al., "Optimal Lottery Tickets via SubsetSum", NeurIPS 2020.
    """
    d_out = as_count(d_out, "d_out", 1)
    d_in = as_count(d_in, "d_in", 1)
    n = as_count(n, "n", 1)
    seed = as_int_seed(seed)
    layer = as_count(layer, "layer", 0)
    if d_out * d_in * n > MAX_VALUES:
        raise ValueError(
            f"d_out * d_in * n = {d_out * d_in * n} random values exceed MAX_VALUES = {MAX_VALUES}"
        )
    rng = np.random.default_rng(np.random.SeedSequence([seed, layer]))
    u = 1.0 - rng.random((d_in, n))  # (0, 1]
    v = rng.uniform(-1.0, 1.0, (d_out, d_in, n))
    return u, v


def random_network(weights, n: int, seed: int):
    """The random pairs ``(u, v)`` of :func:`random_layer`, one per target layer."""
    ws = _weights(weights)
    seed = as_int_seed(seed)  # one seed for every layer, even when given a Generator
    return [random_layer(*w.shape, n, seed, i) for i, w in enumerate(ws)]


def _pair(u, v, name: str = "layers"):
    u = as_real_array(u, f"{name}: u")
    v = as_real_array(v, f"{name}: v")
    if u.ndim != 2 or v.ndim != 3 or v.shape[1:] != u.shape or u.size == 0:
        raise ValueError(
            f"{name}: u must have shape (d_in, n) and v shape (d_out, d_in, n), got "
            f"{u.shape} and {v.shape}"
        )
    return u, v


def products(u, v) -> np.ndarray:
    """The n random values of each target weight: ``a[k, j, i] = v[k, j, i] * u[j, i]``.

    Parameters
    ----------
    u : array_like, shape (d_in, n)
    v : array_like, shape (d_out, d_in, n)

    Returns
    -------
    numpy.ndarray, shape (d_out, d_in, n)
    """
    u, v = _pair(u, v, "products")
    return v * u[None, :, :]


def reconstruct(a, masks) -> np.ndarray:
    """The weights the pruned pair computes: the kept values of each instance summed.

    Parameters
    ----------
    a : array_like, shape (..., n)
        Random values, the last axis indexing the n values of one instance.
    masks : array_like of bool, same shape
        Which values are kept.

    Returns
    -------
    numpy.ndarray, shape ``a.shape[:-1]``
    """
    arr = as_real_array(a, "a")
    if arr.ndim < 1:
        raise ValueError("a must have at least one axis (the values of an instance)")
    return np.where(_masks(masks, arr.shape), arr, 0.0).sum(axis=-1)


def solve_layer(w, a, eps) -> dict:
    """Both exact solves for one layer: minimum-error and sparsest eps-feasible masks.

    Parameters
    ----------
    w : array_like, shape (d_out, d_in)
        Target weights.
    a : array_like, shape (d_out, d_in, n)
        Random values of each weight.
    eps : float
        Tolerance of the sparsest solve, > 0.

    Returns
    -------
    dict
        ``min_masks``, ``sp_masks`` (bool, shape of ``a``); ``min_err``, ``sp_err`` (errors,
        shape of ``w``); ``feasible`` (bool, shape of ``w``: some subset is within eps; where
        not, the sparsest mask is a minimum-error one); ``seconds_min_error``,
        ``seconds_sparsest`` (wall-clock times of the two solves).
    """
    w = _matrix(w, "w")
    a = as_real_array(a, "a")
    if a.ndim != 3 or a.shape[:2] != w.shape or a.shape[2] == 0:
        raise ValueError(f"a must have shape {w.shape + ('n',)}, got {a.shape}")
    eps = as_positive_real(eps, "eps")
    d_out, d_in, n = a.shape
    flat_a = a.reshape(-1, n)
    flat_w = np.asarray(w, dtype=np.float64).reshape(-1)
    t0 = time.perf_counter()
    min_masks, min_err = best_subsets(flat_a, flat_w)
    t1 = time.perf_counter()
    sp_masks, sp_err, feasible = sparsest_subsets(flat_a, flat_w, eps)
    t2 = time.perf_counter()
    shape = (d_out, d_in, n)
    return {
        "min_masks": min_masks.reshape(shape),
        "min_err": min_err.reshape(d_out, d_in),
        "sp_masks": sp_masks.reshape(shape),
        "sp_err": sp_err.reshape(d_out, d_in),
        "feasible": feasible.reshape(d_out, d_in),
        "seconds_min_error": t1 - t0,
        "seconds_sparsest": t2 - t1,
    }


def kept_counts(masks) -> tuple[int, int]:
    """Size of one pruned pair, counted two ways.

    Parameters
    ----------
    masks : array_like of bool, shape (d_out, d_in, n)
        ``masks[k, j, i]``: output k keeps the value v[k, j, i] u[j, i].

    Returns
    -------
    kept_values : int
        Kept second-layer weights v[k, j, i] (Pensia et al.'s count).
    kept_weights : int
        Weights of the pruned two-layer network: ``kept_values`` plus the first-layer
        weights u[j, i] that some output still uses.
    """
    arr = np.asarray(masks)
    masks = _masks(arr, arr.shape)
    if masks.ndim != 3:
        raise ValueError(f"masks must have shape (d_out, d_in, n), got {masks.shape}")
    kept_v = int(masks.sum())
    kept_u = int(masks.any(axis=0).sum())
    return kept_v, kept_v + kept_u


def random_param_counts(shapes, n: int) -> dict:
    """Sizes of the unpruned random network for target layers of the given shapes.

    Parameters
    ----------
    shapes : list of (d_out, d_in)
    n : int
        Random values per weight, >= 1.

    Returns
    -------
    dict
        ``random_values_total`` (n per target weight); ``random_weights_two_layer_block``
        (the pairs as built here: n first-layer weights per input, a dense second layer);
        ``random_weights_two_layer_dense`` (Pensia et al.'s lemma before pruning: 2n hidden
        neurons per input, both random layers dense).
    """
    n = as_count(n, "n", 1)
    try:
        pairs = [(as_count(do, "d_out", 1), as_count(di, "d_in", 1)) for do, di in shapes]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"shapes must be a list of (d_out, d_in) positive pairs ({exc})") from exc
    if not pairs:
        raise ValueError("shapes must hold at least one layer")
    return {
        "random_values_total": int(sum(do * di for do, di in pairs) * n),
        "random_weights_two_layer_block": int(sum(n * di + do * di * n for do, di in pairs)),
        "random_weights_two_layer_dense": int(
            sum(2 * n * di * di + do * 2 * n * di for do, di in pairs)
        ),
    }


def _layers(layers, masks_per_layer):
    if not isinstance(layers, Sequence) or not layers:
        raise ValueError("layers must be a non-empty list of (u, v) pairs")
    if not isinstance(masks_per_layer, Sequence) or len(masks_per_layer) != len(layers):
        raise ValueError(f"masks_per_layer must hold one mask array per layer ({len(layers)})")
    pairs = [_pair(*uv, name=f"layers[{i}]") for i, uv in enumerate(layers)]
    for i in range(1, len(pairs)):
        if pairs[i][0].shape[0] != pairs[i - 1][1].shape[0]:
            raise ValueError(f"layers[{i}] has an input size other than layers[{i - 1}]'s output")
    masks = [
        _masks(m, v.shape, f"masks_per_layer[{i}]")
        for i, ((_, v), m) in enumerate(zip(pairs, masks_per_layer, strict=True))
    ]
    return pairs, masks


def prune_layers(layers, masks_per_layer):
    """The pruned random network itself: masked copies of the random layers.

    Parameters
    ----------
    layers : list of (u, v)
        Random pairs as :func:`random_network` returns them.
    masks_per_layer : list of array_like of bool
        One mask per pair, of the shape of its ``v``.

    Returns
    -------
    pruned : list of (u_kept, v_kept)
        ``v_kept`` is ``v`` with the unkept entries set to 0; ``u_kept`` is ``u`` with every
        neuron (j, i) that no output uses set to 0.
    mismatched : int
        Kept entries of ``u_kept`` and ``v_kept`` that differ from the random entry (0 for a
        pruning).
    """
    pairs, masks_list = _layers(layers, masks_per_layer)
    mismatched = 0
    pruned = []
    for (u, v), masks in zip(pairs, masks_list, strict=True):
        keep_u = masks.any(axis=0)
        u_kept = np.where(keep_u, u, 0.0)
        v_kept = np.where(masks, v, 0.0)
        mismatched += int(np.sum(u_kept[keep_u] != u[keep_u]))
        mismatched += int(np.sum(v_kept[masks] != v[masks]))
        pruned.append((u_kept, v_kept))
    return pruned, mismatched


def pruned_network_logits(layers, masks_per_layer, x, batch: int = 1000):
    """Run the pruned random network itself, layer after layer, in float64.

    A hidden neuron (j, i) computes ReLU(u[j, i] x_j); output k sums v[k, j, i] times it over
    its kept (j, i); ReLU between pairs. The second layers are sparse matrices. On inputs
    ``x >= 0`` the result equals :func:`rsslib.slth.mlp.forward` with the weights of
    :func:`reconstruct` (Pensia et al.'s single-layer step, Proposition 15.1).

    Parameters
    ----------
    layers, masks_per_layer
        As for :func:`prune_layers`.
    x : array_like, shape (N, d_in of the first pair)
    batch : int
        Inputs per torch call, >= 1.

    Returns
    -------
    logits : numpy.ndarray of float64, shape (N, d_out of the last pair)
    mismatched : int
        As for :func:`prune_layers`.
    """
    pruned_dense, mismatched = prune_layers(layers, masks_per_layer)
    x = _matrix(x, "x", pruned_dense[0][0].shape[0])
    batch = as_count(batch, "batch", 1)
    pruned = []
    for u_kept, v_kept in pruned_dense:
        d_out, d_in, n = v_kept.shape
        sparse_v = torch.from_numpy(v_kept.reshape(d_out, d_in * n)).to_sparse()
        pruned.append((torch.from_numpy(u_kept), sparse_v))
    out = []
    with torch.no_grad():
        for start in range(0, len(x), batch):
            h = torch.from_numpy(np.asarray(x[start : start + batch], dtype=np.float64))
            for i, (u_kept, sparse_v) in enumerate(pruned):
                hidden = torch.relu(h[:, :, None] * u_kept[None]).reshape(len(h), -1)
                h = torch.sparse.mm(sparse_v, hidden.T).T
                if i < len(pruned) - 1:
                    h = torch.relu(h)
            out.append(h.numpy())
    return np.concatenate(out), mismatched
